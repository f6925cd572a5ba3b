"""Scale-out: on-disk cache, failures recorded, kill -9 and resume, dask == serial."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from latticeanchor.energy.scale import candidate_key, load_record, run_candidates
from latticeanchor.errors import LatticeAnchorError

CANDS = [{"rank": i + 1, "core": "PbS", "x": x, "diameter": 6.0, "loading": 0.1, "T": 298.15}
         for i, x in enumerate((0.0, 0.5, 1.0, 1.5, 2.0))]
CALLS = []
INTERRUPT_AT = []  # x values at which analytic_task simulates an interruption


class Interrupt(BaseException):
    pass


def analytic_task(candidate, settings, workdir):
    """Cheap deterministic task (mismatch from the analytic models)."""
    from latticeanchor.strain import mismatch

    if candidate["x"] in INTERRUPT_AT:
        raise Interrupt()  # like KeyboardInterrupt/SystemExit: not a recorded failure, stops the run
    CALLS.append(candidate["x"])
    if candidate["x"] == 1.5 and settings["seed"] == 99:
        raise RuntimeError("boom at x=1.5")
    return {"eps": float(mismatch(candidate["core"], candidate["x"], candidate["T"])), "seed": settings["seed"]}




def test_failed_candidate_is_recorded_and_run_goes_on(tmp_path):
    CALLS.clear()
    df = run_candidates(CANDS, tmp_path, task=analytic_task, settings={"seed": 99})
    assert df["status"].tolist() == ["ok", "ok", "ok", "failed", "ok"]
    assert df.loc[3, "error"] == "RuntimeError: boom at x=1.5"
    assert df["eps"].notna().sum() == 4 and df["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (tmp_path / "results.csv").exists() and len(json.loads((tmp_path / "results.json").read_text())) == 5
    # failed ones are not retried by default, but are with retry_failed=True
    CALLS.clear()
    again = run_candidates(CANDS, tmp_path, task=analytic_task, settings={"seed": 99})
    assert CALLS == [] and again["cached"].all() and again.loc[3, "status"] == "failed"
    run_candidates(CANDS, tmp_path, task=analytic_task, settings={"seed": 99}, retry_failed=True)
    assert CALLS == [1.5]


def test_interrupted_run_resumes_only_unfinished(tmp_path):
    CALLS.clear()
    INTERRUPT_AT[:] = [1.0]
    try:
        with pytest.raises(Interrupt):
            run_candidates(CANDS, tmp_path, task=analytic_task)
    finally:
        INTERRUPT_AT.clear()
    assert CALLS == [0.0, 0.5]
    assert len(list(tmp_path.glob("candidates/*/result.json"))) == 2
    CALLS.clear()
    df = run_candidates(CANDS, tmp_path, task=analytic_task)
    assert CALLS == [1.0, 1.5, 2.0]
    assert df["cached"].tolist() == [True, True, False, False, False]
    assert (df["status"] == "ok").all()


def test_settings_change_the_cache_key(tmp_path):
    k1 = candidate_key(CANDS[0], {"seed": 0})
    assert k1 == candidate_key(dict(CANDS[0], rank=7, score=0.3), {"seed": 0})  # rank/score are not identity
    assert k1 != candidate_key(CANDS[0], {"seed": 1})
    assert k1 != candidate_key(dict(CANDS[0], x=0.01), {"seed": 0})
    CALLS.clear()
    run_candidates(CANDS[:2], tmp_path, task=analytic_task)
    run_candidates(CANDS[:2], tmp_path, task=analytic_task, settings={"seed": 3})
    assert CALLS == [0.0, 0.5, 0.0, 0.5]


def test_bad_arguments(tmp_path):
    with pytest.raises(LatticeAnchorError, match="either"):
        run_candidates(CANDS, tmp_path, workers=2, scheduler="tcp://x:1")
    with pytest.raises(LatticeAnchorError, match="unknown settings"):
        run_candidates(CANDS, tmp_path, settings={"fmaxx": 1})
    df = run_candidates([{"core": "PbS"}], tmp_path, task=analytic_task)
    assert df.loc[0, "status"] == "failed" and "x" in df.loc[0, "error"]


SCRIPT = r"""
import sys, time
sys.path.insert(0, {src!r})
from latticeanchor.energy.scale import run_candidates
from latticeanchor.strain import mismatch

def slow_task(candidate, settings, workdir):
    time.sleep(float(sys.argv[3]))
    with open(sys.argv[2], "a") as log:  # one line per computation, outside the cache
        log.write(f"{{candidate['x']}}\n")
    return {{"eps": float(mismatch(candidate["core"], candidate["x"], candidate["T"]))}}

cands = [{{"core": "PbS", "x": 0.25 * i, "T": 298.15}} for i in range(12)]
if __name__ == "__main__":
    df = run_candidates(cands, sys.argv[1], task=slow_task)
    print("CACHED", int(df["cached"].sum()), "OK", int((df["status"] == "ok").sum()))
"""


def test_kill_minus_nine_and_resume(tmp_path):
    """A real interruption: SIGKILL the run half way, then rerun: only unfinished candidates are computed."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(src=src)))
    out, log = tmp_path / "out", tmp_path / "calls.log"
    proc = subprocess.Popen([sys.executable, str(script), str(out), str(log), "0.4"])
    deadline = time.time() + 60
    while time.time() < deadline:
        done = list(out.glob("candidates/*/result.json"))
        if len(done) >= 4 or proc.poll() is not None:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {json.loads(p.read_text())["candidate"]["x"] for p in out.glob("candidates/*/result.json")}
    assert 4 <= len(finished) < 12  # killed half way; every record on disk is complete JSON
    assert not (out / "results.csv").exists()
    n_before = len(log.read_text().split())
    run2 = subprocess.run([sys.executable, str(script), str(out), str(log), "0"], capture_output=True, text=True,
                          check=True)
    recomputed = [float(v) for v in log.read_text().split()[n_before:]]
    assert sorted(recomputed) == sorted({0.25 * i for i in range(12)} - finished)
    assert f"CACHED {len(finished)} OK 12" in run2.stdout
    assert len(list(out.glob("candidates/*/result.json"))) == 12 and (out / "results.csv").exists()


# ------------------------------------------------------------------------------------------- dask
@pytest.fixture(scope="module")
def dask_client():
    pytest.importorskip("distributed")
    import cloudpickle
    from dask.distributed import Client, LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # test tasks travel by value
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_two_workers_equal_serial_and_resume(tmp_path, dask_client):
    serial = run_candidates(CANDS, tmp_path / "serial", task=analytic_task, settings={"seed": 99})
    first = run_candidates(CANDS[:2], tmp_path / "dask", task=analytic_task, settings={"seed": 99}, client=dask_client)
    assert not first["cached"].any()
    par = run_candidates(CANDS, tmp_path / "dask", task=analytic_task, settings={"seed": 99}, client=dask_client)
    assert par["cached"].tolist() == [True, True, False, False, False]
    assert par["status"].tolist() == serial["status"].tolist()
    assert par["eps"].fillna(-1).tolist() == serial["eps"].fillna(-1).tolist()
    assert par.loc[3, "error"] == serial.loc[3, "error"]
    pids = {load_record(w)["pid"] for w in par["workdir"][2:]}
    assert os.getpid() not in pids  # really ran on the workers


def test_dask_mlip_equals_serial(tmp_path, dask_client):
    pytest.importorskip("chgnet")
    from latticeanchor.energy.scale import lattice_task

    cands = [{"core": "PbS", "x": x, "T": 298.15} for x in (0.0, 1.0, 2.0, 3.0)]
    settings = {"n": 1, "fmax": 0.02, "steps": 200}
    serial = run_candidates(cands, tmp_path / "s", task=lattice_task, settings=settings)
    par = run_candidates(cands, tmp_path / "d", task=lattice_task, settings=settings, client=dask_client)
    assert (serial["status"] == "ok").all() and (par["status"] == "ok").all()
    assert par["energy_eV"].tolist() == pytest.approx(serial["energy_eV"].tolist(), abs=1e-5)
    assert par["a_mlip_A"].tolist() == pytest.approx(serial["a_mlip_A"].tolist(), abs=1e-6)
    a = serial["a_mlip_A"].to_numpy()
    assert a[0] > a[1] > a[2] > a[3]  # Br shrinks the lattice
    assert 6.25 < a[0] < 6.45 and 5.8 < a[3] < 6.1


def test_relax_top_takes_the_first_rows(tmp_path):
    import pandas as pd

    from latticeanchor.energy.scale import relax_top

    ranked = pd.DataFrame(CANDS).assign(score=[0.9, 0.8, 0.7, 0.6, 0.5])
    CALLS.clear()
    df = relax_top(ranked, 2, tmp_path, task=analytic_task)
    assert CALLS == [0.0, 0.5] and df["rank"].tolist() == [1, 2] and "score" in df
    with pytest.raises(LatticeAnchorError, match="relax-top"):
        relax_top(ranked, 0, tmp_path)


def test_screen_rows_with_unit_named_columns_are_the_same_candidate():
    from latticeanchor.energy.scale import _canonical, candidate_key

    old = {"core": "PbS", "x": 2.0, "diameter": 35.0, "loading": 0.1, "T": 298.15}
    new = {"core": "PbS", "x": 2.0, "diameter_nm": 3.5, "loading_fraction": 0.1, "T_K": 298.15, "rank": 1}
    assert _canonical(new) == _canonical(old)
    assert candidate_key(new, {"seed": 0}) == candidate_key(old, {"seed": 0})
