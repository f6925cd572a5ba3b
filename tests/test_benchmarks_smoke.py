"""Every benchmarks/*.py runs green in smoke mode (`--smoke`: tiny sizes, < 20 s on a CI machine).

Benchmarks are discovered, not listed, so a new one is covered the day it is added. A benchmark
whose optional dependency is missing is skipped with the module's name as the reason; any other
failure (a crash, a benchmark without `--smoke`, a failed self-check inside the benchmark) fails.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BENCHMARKS = sorted((REPO / "benchmarks").glob("*.py"))
MISSING = re.compile(r"ModuleNotFoundError: No module named '([^']+)'")
# The package's own refusal of an absent extra (LatticeAnchorError "... needs the dask extra: pip install ...").
MISSING_EXTRA = re.compile(r"needs? the (\w+) extra")


def test_benchmarks_are_discovered():
    assert len(BENCHMARKS) >= 2, BENCHMARKS  # bench_screen.py and bench_scale.py at least


@pytest.mark.parametrize("script", BENCHMARKS, ids=[p.stem for p in BENCHMARKS])
def test_benchmark_smoke_mode_exits_zero(script, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        [str(REPO / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.run([sys.executable, str(script), "--smoke"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    if proc.returncode != 0:
        missing = MISSING.search(proc.stderr)
        if missing and not missing.group(1).startswith("latticeanchor"):
            pytest.skip(f"{script.name}: optional dependency {missing.group(1)!r} is not installed")
        extra = MISSING_EXTRA.search(proc.stderr)
        if extra:
            pytest.skip(f"{script.name}: the {extra.group(1)!r} extra is not installed")
    assert proc.returncode == 0, f"{script.name} --smoke exited {proc.returncode}:\n{proc.stderr[-3000:]}"
