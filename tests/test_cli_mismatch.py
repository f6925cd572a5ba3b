"""The `latticeanchor mismatch` command: its table and its one-line errors."""

import subprocess
import sys

import pytest

from latticeanchor import strain
from latticeanchor.cli import main


def test_table_rows_match_the_library(capsys):
    assert main(["mismatch", "--core", "PbS", "--x", "0:3:1", "--dataset", "liu2019"]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if line.startswith("PbS ")]
    assert [float(r[1]) for r in rows] == [0, 1, 2, 3]
    for r in rows:
        assert float(r[3]) == pytest.approx(100 * strain.mismatch("PbS", float(r[1]), dataset="liu2019"), abs=1e-3)
    assert "ε = 0 at x = 2.000" in out


def test_plot_is_written(tmp_path):
    target = tmp_path / "eps.png"
    assert main(["mismatch", "--core", "PbS,PbSe", "--plot", str(target)]) == 0
    assert target.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args,needle", [
    (["--x", "0:4:1"], "x must lie in [0, 3]"),
    (["--diameter", "-3"], "--diameter: -3 nm is outside the plausible dot size"),
    (["--core", "GaAs"], "--core: unknown core compound 'GaAs'"),
    (["--dataset", "nope"], "unknown dataset 'nope'"),
])
def test_bad_input_exits_with_one_line(args, needle):
    proc = subprocess.run([sys.executable, "-m", "latticeanchor.cli", "mismatch", *args], capture_output=True, text=True)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
