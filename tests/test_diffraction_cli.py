"""``latticeanchor xrd`` sub-commands end to end (exit codes, files written, printed numbers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from latticeanchor.cli import main

MEASURED = Path(__file__).resolve().parents[2] / "shared" / "measured"


def test_simulate_writes_profile_with_bragg_200_strongest(tmp_path, capsys):
    out = tmp_path / "pbse.xy"
    assert main(["xrd", "simulate", "PbSe", "--range", "20", "60", "-o", str(out), "--plot", str(tmp_path / "p.png")]) == 0
    data = np.loadtxt(out)
    tt200 = 2 * np.degrees(np.arcsin(1.54184 / 6.124))
    assert abs(data[np.argmax(data[:, 1]), 0] - tt200) < 0.03
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_simulate_debye_of_xyz_cluster(tmp_path):
    from ase.build import bulk
    import ase.io

    at = bulk("PbS", "rocksalt", a=5.936, cubic=True).repeat((3, 3, 3))
    at.pbc = False
    f = tmp_path / "dot.xyz"
    ase.io.write(f, at)
    out = tmp_path / "d.xy"
    assert main(["xrd", "simulate", str(f), "--debye", "--range", "20", "40", "-o", str(out)]) == 0
    data = np.loadtxt(out)
    tt200 = 2 * np.degrees(np.arcsin(1.54184 / 5.936))
    assert abs(data[np.argmax(data[:, 1]), 0] - tt200) < 0.6  # small dot: broad, near (200)


def test_compare_refine_real_pbse(tmp_path, capsys):
    f = MEASURED / "PbSe_CuKa.csv"
    if not f.exists():
        pytest.skip(f"real measured data not available ({f} missing)")
    png = tmp_path / "ov.png"
    assert main(["xrd", "compare", str(f), "--against", "PbSe", "--refine", "--wavelength", "CuKa",
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    a = float(out.split("PbSe: a = ")[1].split()[0])
    assert abs(a - 6.124) < 0.005
    assert png.exists()


def test_bad_input_exit_code_and_one_line(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_text("10,1\n11,oops\n")
    assert main(["xrd", "compare", str(f), "--against", "PbS", "--wavelength", "CuKa"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.csv" in err and "line 2" in err
    assert main(["xrd", "simulate", "PbS", "--wavelength", "CuKq"]) == 2
