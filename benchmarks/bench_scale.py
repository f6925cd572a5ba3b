"""Dask scale-out benchmark: the same candidates serially and on a 2-worker LocalCluster.

    python benchmarks/bench_scale.py [--task lattice|anchoring] [--n-candidates 8] [--workers 2] [--out bench_out/scale]
    python benchmarks/bench_scale.py --smoke   # CI: 2 candidates, 1 worker, an MLIP-free toy task, temp folder

Each mode starts from an empty cache folder; results must agree (max |ΔE| reported) and the
speed-up is reported for the compute alone (model already loaded in every process) and end to end
(cluster start-up and model loading included).
task=lattice relaxes each candidate's α matrix (2×2×2, 40 atoms, CHGNet); task=anchoring runs the
full per-candidate stage (α/δ hybrids of 43 atoms and their references).
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
import warnings
from pathlib import Path


def _warm():
    import warnings

    warnings.filterwarnings("ignore")
    from latticeanchor.energy.relax import get_calculator

    get_calculator("chgnet")
    return True


def toy_task(candidate: dict, settings: dict, workdir) -> dict:
    """Smoke-mode task (no MLIP): the candidate's Vegard lattice constant (Å)."""
    from latticeanchor import vegard

    return {"energy_eV": float(vegard.lattice_constant(candidate["x"], candidate.get("T", 298.15)))}


def smoke(workers: int = 1) -> None:
    """The serial and dask paths of run_candidates on two candidates with ``toy_task``; results must agree."""
    import tempfile

    import numpy as np
    from latticeanchor.energy.scale import local_client, run_candidates

    cands = [{"rank": i + 1, "core": "PbS", "x": x, "diameter": 30.0, "loading": 0.1, "T": 298.15}
             for i, x in enumerate((1.0, 2.0))]
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        serial = run_candidates(cands, Path(tmp) / "serial", task=toy_task)
        t_serial = time.perf_counter() - t
        client = local_client(workers)
        try:
            t = time.perf_counter()
            par = run_candidates(cands, Path(tmp) / "dask", task=toy_task, client=client)
            t_par = time.perf_counter() - t
        finally:
            cluster = client.cluster
            client.close()
            cluster.close()
    assert (serial.status == "ok").all() and (par.status == "ok").all(), (serial, par)
    diff = float(np.max(np.abs(par["energy_eV"].to_numpy() - serial["energy_eV"].to_numpy())))
    assert diff == 0.0, diff
    print(json.dumps({"smoke": True, "n_candidates": len(cands), "workers": workers, "serial_s": t_serial,
                      "dask_s": t_par, "max_abs_diff": diff}))


def main(argv=None):
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", choices=("lattice", "anchoring"), default="lattice")
    p.add_argument("--n-candidates", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", default="bench_out/scale")
    p.add_argument("--smoke", action="store_true", help="CI: tiny MLIP-free run of both paths (< 20 s), nothing kept")
    args = p.parse_args(argv)
    if args.smoke:
        smoke()
        return

    import numpy as np
    from latticeanchor.energy.scale import evaluate_candidate, lattice_task, local_client, run_candidates

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    xs = np.linspace(0.25, 2.75, args.n_candidates)
    cands = [{"rank": i + 1, "core": "PbS", "x": float(round(x, 4)), "diameter": 7.8, "loading": 0.125, "T": 298.15}
             for i, x in enumerate(xs)]
    if args.task == "lattice":
        task, settings = lattice_task, {"n": 2, "fmax": 0.02, "steps": 500}
    else:
        task, settings = evaluate_candidate, {"n": 2, "k": 1, "delta_size": [1, 2, 1], "write_dft": False}

    from latticeanchor.energy.relax import get_calculator

    t = time.perf_counter()
    get_calculator("chgnet")  # model load, timed apart from the compute
    t_load = time.perf_counter() - t
    t = time.perf_counter()
    serial = run_candidates(cands, out / "serial", task=task, settings=settings)
    t_serial = time.perf_counter() - t

    t = time.perf_counter()
    client = local_client(args.workers)  # LocalCluster, 1 thread per worker, quiet worker config
    cluster = client.cluster
    t_start = time.perf_counter() - t
    t = time.perf_counter()
    client.run(_warm)  # every worker loads the model
    t_warm = time.perf_counter() - t
    t = time.perf_counter()
    par = run_candidates(cands, out / "dask", task=task, settings=settings, client=client)
    t_par = time.perf_counter() - t
    client.close()
    cluster.close()

    key = "energy_eV" if args.task == "lattice" else "E_alpha_hybrid_eV"
    diff = float(np.max(np.abs(par[key].to_numpy() - serial[key].to_numpy())))
    res = {"task": args.task, "n_candidates": len(cands), "workers": args.workers,
           "serial_model_load_s": t_load, "serial_compute_s": t_serial,
           "cluster_startup_s": t_start, "worker_model_load_s": t_warm, "dask_compute_s": t_par,
           "speedup_compute": t_serial / t_par,
           "speedup_end_to_end": (t_load + t_serial) / (t_start + t_warm + t_par),
           "max_abs_diff_eV": diff, "all_ok": bool((serial.status == "ok").all() and (par.status == "ok").all())}
    (out / "bench_scale.json").write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
