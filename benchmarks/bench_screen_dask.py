"""The screen in chunks on a 2-worker Dask LocalCluster against the serial screen, in the same run.

Serial: ``screen_table`` of the whole grid in this process (skipped above ``--serial-max`` points), and for
throughput the serial *chunked* evaluation of the same chunks (8 spread over the plan on a large grid: chunks
differ in cost) in this process, warm. Distributed: ``run_chunks`` on a
LocalCluster of ``--workers`` single-threaded processes writing Parquet parts. Checks that the ranked top
100 is identical, prints the throughput per worker against the serial evaluation and the peak memory
(RSS) of the workers.

    python benchmarks/bench_screen_dask.py [--points 1000000] [--workers 2] [--chunk-points 250000] [--smoke]

``--points 100000000`` is the 10⁸-point study (no serial reference table: throughput only against the
serial chunk sample). ``--smoke``: 2·10⁴ points (CI).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor.screen import load_config, screen_table
from latticeanchor.screen.distributed import QUIET_WORKER_CONFIG, chunk_frame, chunks, run_chunks
from latticeanchor.screen.run import ranked_table


def study(points: int) -> dict:
    """3 cores × 101 x × n_d diameters × 31 loadings × 2 T ≈ ``points``."""
    n_d = max(1, int(round(points / (3 * 101 * 31 * 2))))
    return {"study": {"name": "bench", "top": 100, "max_points": max(points * 2, 10)},
            "grid": {"cores": ["PbS", "PbSe", "PbS0.5Se0.5"], "x": {"start": 0, "stop": 3, "step": 0.03},
                     "diameter_nm": np.linspace(2.5, 5.0, n_d).tolist(),
                     "loading": {"start": 0, "stop": 0.3, "step": 0.01}, "temperatures": [298.15, 473.15]}}


def _chunk_rate(cfg: dict, ranges) -> float:
    """Grid points per CPU second of ``screen_table`` over the chunks ``ranges`` ((start, stop) candidate
    ranges, every T) in this process."""
    rows, cpu = 0, 0.0
    for start, stop in ranges:
        t = time.process_time()
        rows += len(screen_table(cfg, frame=chunk_frame(cfg, start, stop)))
        cpu += time.process_time() - t  # CPU time: the figure that survives load
    return rows / cpu


def serial_sample(plan: list, n: int = 8) -> list:
    """The chunks the serial reference evaluates: all of them up to ``n``, else ``n`` spread evenly over the
    plan (chunks differ in cost: the Pareto front of a chunk grows with its mix of cores)."""
    return plan if len(plan) <= n else [plan[i] for i in np.linspace(0, len(plan) - 1, n).round().astype(int)]


def _warm(cfg: dict) -> None:
    """The once-per-process calibrations (kinetic model, geometry tables) on a worker, outside the timed tasks."""
    screen_table(cfg, frame=chunk_frame(cfg, 0, 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-points", type=int, default=250_000)
    ap.add_argument("--serial-max", type=int, default=3_000_000, help="largest grid also screened serially")
    ap.add_argument("--smoke", action="store_true")
    args = ap.parse_args()
    if args.smoke:
        args.points, args.chunk_points = 20_000, 5_000
    import dask
    from dask.distributed import Client, LocalCluster

    cfg = load_config(study(args.points), chunked=True)
    n = len(cfg["grid"]["cores"]) * len(cfg["_axes"]["x"]) * len(cfg["_axes"]["diameter_nm"]) * 31 * 2
    plan = chunks(cfg, args.chunk_points)
    # serial reference: throughput of the same chunks (a spread sample of them on a large grid) evaluated in this
    # process, and the whole table when small. Cold (the first chunk, first call) includes the once-per-process
    # calibrations (kinetic model, geometry tables) that a worker pays once over all its chunks; the ratio is
    # taken against the warm figure (the sample evaluated again), every worker warmed too.
    sample = serial_sample(plan)
    serial_cold = _chunk_rate(cfg, sample[:1])
    serial_rate = _chunk_rate(cfg, sample)
    serial = None
    if n <= args.serial_max:
        t = time.perf_counter()
        serial = screen_table(load_config(study(args.points)))
        t_serial = time.perf_counter() - t
        print(f"serial screen_table: {n:,} points in {t_serial:.1f} s ({n / t_serial:,.0f} points/s)")
    # the workers `screen --workers K` starts (screen.distributed._client): quiet event loop, no profiler
    with tempfile.TemporaryDirectory() as tmp, dask.config.set(QUIET_WORKER_CONFIG), \
            LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.run(_warm, cfg)
        t = time.perf_counter()
        res = run_chunks(cfg, 100, Path(tmp) / "parts", client=client, chunk_points=args.chunk_points)
        t_dist = time.perf_counter() - t
        parquet_bytes = sum(p.stat().st_size for p in (Path(tmp) / "parts").glob("*.parquet"))
    stats = pd.DataFrame(res["chunks"])
    per_worker = stats.groupby("pid").agg(rows=("rows", "sum"), wall=("wall_s", "sum"), cpu=("cpu_s", "sum"),
                                          peak=("peak_rss_bytes", "max"))
    worker_rate = float((per_worker["rows"] / per_worker["cpu"]).mean())  # CPU time, as the serial reference
    worker_wall_rate = float((per_worker["rows"] / per_worker["wall"]).mean())
    print(f"distributed: {n:,} points, {len(plan)} chunks on {args.workers} workers in {t_dist:.1f} s "
          f"({n / t_dist:,.0f} points/s), Parquet parts {parquet_bytes / 1e6:.1f} MB")
    print(f"throughput per worker {worker_rate:,.0f} points per CPU second ({worker_wall_rate:,.0f} per wall second) "
          f"against serial {serial_rate:,.0f} ({len(sample)} of the {len(plan)} chunks in this process, CPU, warm; {serial_cold:,.0f} cold): "
          f"{worker_rate / serial_rate:.2f}x (goal ≥ 0.8)")
    print(f"peak RSS per worker: {', '.join(f'{p / 1e9:.2f} GB' for p in per_worker['peak'])} (goal ≤ 1.5 GB)")
    result = {"points": n, "workers": args.workers, "chunks": len(plan), "distributed_s": t_dist,
              "worker_points_per_cpu_s": worker_rate, "worker_points_per_wall_s": worker_wall_rate, "serial_points_per_s": serial_rate,
              "serial_cold_points_per_s": serial_cold,
              "peak_rss_per_worker_bytes": per_worker["peak"].tolist(), "parquet_bytes": parquet_bytes}
    if serial is not None:
        # the distributed top 100 is the ranked table (one row per core, x, diameter with its loading window)
        pd.testing.assert_frame_equal(res["ranked"], ranked_table(serial, 100), check_categorical=False)
        assert res["n_pareto"] == int(serial["pareto"].sum())
        print("ranked top 100 and Pareto front: identical to the serial run")
        result["serial_s"] = t_serial
    if args.smoke:
        return
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / f"screen_dask_{n}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
