"""The screen in chunks on Dask: bounded memory per worker, partitioned Parquet, a streaming top-N.

``screen --workers K`` (a LocalCluster of K single-threaded processes) or ``--scheduler ADDRESS`` (a running
scheduler, e.g. from dask-jobqueue on SLURM/PBS: the workers must see the results folder on a shared
filesystem) splits the grid into chunks of at most ``study.max_points`` points (and at most
``DEFAULT_CHUNK_POINTS``, which bounds a worker's memory; ``chunk_points`` overrides it). The whole grid is
checked against ``study.max_total_points``.

A chunk is a contiguous range of ((matrix,) core, x, diameter, loading) candidates with every study temperature and every
loading of its (core, x, diameter) compositions, so its worst-temperature score and each composition's loading
window (``ranked.csv`` has one row per (core, x, diameter)) are complete. Each task evaluates and scores its chunk with the serial code
(``screen.run.screen_table(cfg, frame=chunk)``), writes ``candidates/part-<i>.parquet`` (every column but
the global ``rank`` and ``pareto``), and returns only its top N compositions (``run.ranked_table``), its best row per (core, T) and the
key columns and worst-temperature term vectors of its own Pareto front. The driver merges these as they
arrive (``rank_order`` on a few thousand rows; never a sort of the grid; the chunk fronts in batches as large
as the front found so far, so the driver's work stays a small part of the workers'): the global top N is within the
union of the chunks' top N, and the global front within the union of the chunks' fronts (a row dominated
inside its chunk is dominated globally), so the ranked list and the Pareto flags equal the serial run's.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor.errors import LatticeAnchorError

DEFAULT_CHUNK_POINTS = 250_000  # ≈ 0.5 GB peak per single-threaded worker (60 float columns and temporaries)
KEY_COLUMNS = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]
CANDIDATE_KEYS = ["core", "x", "diameter_nm", "loading_fraction"]
FRONT_BATCH_ROWS = 100_000  # chunk-front rows the driver collects before a merge into the global front

# Quieter workers (as the energy stage's): fewer event-loop ticks and no statistical profiler
QUIET_WORKER_CONFIG = {"distributed.admin.tick.interval": "1s", "distributed.admin.system-monitor.interval": "5s",
                       "distributed.worker.profile.enabled": False}


def grid_shape(cfg: dict) -> tuple[int, int, int, int, int]:
    """(cores, x, diameters, loadings, temperatures) of a validated config (the matrices: ``n_matrices``)."""
    axes = cfg["_axes"]
    return (len(cfg["grid"]["cores"]), len(axes["x"]), len(axes["diameter_nm"]), len(axes["loading"]),
            len(axes["temperatures"]))


def n_matrices(cfg: dict) -> int:
    """Matrices of a validated config (1 without grid.matrices)."""
    return len(cfg["_axes"].get("matrices", [None]))


def _keys(table: pd.DataFrame, keys: list[str]) -> list[str]:
    return (["matrix"] if "matrix" in table else []) + keys


def chunks(cfg: dict, chunk_points: int | None = None) -> list[tuple[int, int]]:
    """Ranges [start, stop) of the flattened ((matrix,) core, x, diameter, loading) candidate index, each with
    every temperature and every loading of its compositions (whole (matrix, core, x, diameter) groups): at most
    ``min(study.max_points, chunk_points)`` grid points per chunk."""
    shape = grid_shape(cfg)
    limit = min(int(cfg["study"]["max_points"]), int(chunk_points or DEFAULT_CHUNK_POINTS))
    per_chunk = (limit // shape[4]) // shape[3] * shape[3]
    if per_chunk < 1:
        raise LatticeAnchorError(f"a chunk of {limit:,} points cannot hold the {shape[3]} loadings × {shape[4]} "
                                 "temperatures of one (core, x, diameter)")
    n = n_matrices(cfg) * int(np.prod(shape[:4]))
    return [(start, min(start + per_chunk, n)) for start in range(0, n, per_chunk)]


def chunk_frame(cfg: dict, start: int, stop: int) -> pd.DataFrame:
    """Grid rows of candidates start..stop with every temperature, in the serial grid's row order (the same
    rows ``evaluate.grid_frame`` gives, sliced)."""
    nc, nx, nd, nphi, nT = grid_shape(cfg)
    axes = cfg["_axes"]
    k = np.repeat(np.arange(start, stop, dtype=np.int64), nT)
    im, ic, ix, idd, ip = np.unravel_index(k, (n_matrices(cfg), nc, nx, nd, nphi))
    it = np.tile(np.arange(nT), stop - start)
    frame = pd.DataFrame({"core": pd.Categorical.from_codes(ic, categories=list(cfg["grid"]["cores"])),
                         "x": np.asarray(axes["x"], float)[ix], "diameter_nm": np.asarray(axes["diameter_nm"], float)[idd],
                         "loading_fraction": np.asarray(axes["loading"], float)[ip],
                         "T_K": np.asarray(axes["temperatures"], float)[it]})
    if "matrices" in axes:  # the serial grid's leading matrix column (evaluate.grid_frame)
        frame.insert(0, "matrix", pd.Categorical.from_codes(im, categories=list(axes["matrices"])))
    return frame


def _term_columns(table: pd.DataFrame) -> list[str]:
    return [c for c in table.columns if c.startswith("term_")]


def _peak_rss_bytes() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
    except (ImportError, OSError):  # pragma: no cover - not POSIX
        return 0


#: glibc mallopt parameters and the values a task sets: numpy temporaries up to 32 MB (a 250 000-point chunk's
#: columns are 4 MB) come from the heap and are reused, and up to 64 MB of free heap top is kept.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_HEAP = {"done": False}


def _array_friendly_heap() -> None:
    """Once per process, on glibc: let freed arrays' memory be reused instead of returned to the system.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also fixes glibc's mmap threshold at
    128 kB: every numpy temporary of a chunk was a fresh mmap, page-faulted in and unmapped again (10x the page
    faults, 2.9 s of system time per 4 chunks, half the worker's throughput against the same code in a plain
    process). The peak memory of a chunk stays what it was (its arrays are alive at once either way)."""
    if _HEAP["done"]:
        return
    _HEAP["done"] = True
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 25)
        libc.mallopt(_M_TRIM_THRESHOLD, 1 << 26)
    except (OSError, AttributeError):  # not glibc: its allocator as it is
        pass


def evaluate_chunk(cfg: dict, index: int, start: int, stop: int, part: str | None, top: int) -> dict:
    """One task: evaluate and score a chunk, write its Parquet part (when ``part`` is a path), return its
    top ``top`` rows, best row per (core, T) and Pareto-front vectors (and timing, peak memory)."""
    from latticeanchor.screen.run import ranked_table, screen_table

    _array_friendly_heap()
    t0, c0 = time.perf_counter(), time.process_time()
    table = screen_table(cfg, frame=chunk_frame(cfg, start, stop))
    terms = _term_columns(table)
    front = table.loc[table["pareto"], _keys(table, KEY_COLUMNS) + terms].copy()
    if part is not None:
        from latticeanchor.screen.columnar import write_parquet

        write_parquet(table.drop(columns=["rank", "pareto"]), part, {"chunk": index, "candidates": [start, stop]})
    return {"index": index, "rows": len(table), "top": ranked_table(table, top).drop(columns=["rank"]),
            "best": table.drop_duplicates(subset=_keys(table, ["core", "T_K"])).drop(columns=["rank"]), "front": front,
            "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "peak_rss_bytes": _peak_rss_bytes(),
            "pid": os.getpid()}


def _merge_ranked(a: pd.DataFrame | None, b: pd.DataFrame, n: int | None) -> pd.DataFrame:
    """The first ``n`` rows (all when None) of two scored tables in ``rank_order``."""
    from latticeanchor.screen.run import rank_order

    both = b if a is None else pd.concat([a, b], ignore_index=True)
    for name in ("matrix", "core"):
        if name in both:
            both[name] = pd.Categorical(both[name].astype(str), categories=list(b[name].cat.categories))
    both = both.iloc[rank_order(both)].reset_index(drop=True)
    return both if n is None else both.head(n)


def _merge_front(a: pd.DataFrame | None, b: pd.DataFrame) -> pd.DataFrame:
    """The Pareto front (worst-T term vectors, as ``screen_table``) of the union of two fronts."""
    from latticeanchor.screen.score import pareto_front

    both = b if a is None else pd.concat([a, b], ignore_index=True)
    if both.empty:
        return both
    terms = _term_columns(both)
    for name in ("matrix", "core"):
        if name in both:
            both[name] = pd.Categorical(both[name].astype(str), categories=list(b[name].cat.categories))
    worst = both.groupby(_keys(both, CANDIDATE_KEYS), observed=True)[terms].transform("min").to_numpy()
    return both[pareto_front(np.nan_to_num(worst, nan=0.0))].reset_index(drop=True)


def _client(workers: int | None, scheduler: str | None):
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise LatticeAnchorError("--workers/--scheduler need the dask extra: pip install 'latticeanchor[dask]'") from None
    if scheduler is not None:
        return Client(scheduler), None
    with dask.config.set(QUIET_WORKER_CONFIG):
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True, dashboard_address=":0")
    return Client(cluster), cluster


def run_chunks(cfg: dict, top: int, parts: Path | None = None, *, workers: int | None = None,
               scheduler: str | None = None, client=None, chunk_points: int | None = None,
               progress=None) -> dict:
    """Evaluate the grid chunk by chunk on Dask (or serially in this process when neither ``workers``,
    ``scheduler`` nor ``client`` is given) and merge as results arrive.

    Returns ``{"ranked": top rows with global rank and pareto flag, "best": best row per (core, T),
    "front": key columns of the global Pareto front, "n_candidates", "n_pareto", "chunks": per-chunk
    stats}``. ``parts``: folder for ``part-<i>.parquet`` (None: nothing written)."""
    plan = chunks(cfg, chunk_points)
    names = [None if parts is None else str(Path(parts) / f"part-{i:05d}.parquet") for i in range(len(plan))]
    state = {"top": None, "best": None, "front": None, "pending": [], "rows": 0, "stats": []}

    def merge_pending() -> None:
        if state["pending"]:
            state["front"] = _merge_front(state["front"], pd.concat(state["pending"], ignore_index=True))
            state["pending"] = []

    def absorb(res: dict) -> None:
        state["top"] = _merge_ranked(state["top"], res["top"], top)
        merged = _merge_ranked(state["best"], res["best"], None)
        state["best"] = merged.drop_duplicates(subset=_keys(merged, ["core", "T_K"]))
        # chunk fronts are merged into the global front once they add up to its size (at least FRONT_BATCH_ROWS):
        # each merge is a Pareto sweep over the front, so merging every chunk cost O(chunks × front) and the driver
        # (sharing the workers' cores) starved them on a 10⁸-point grid
        state["pending"].append(res["front"])
        waiting = sum(len(f) for f in state["pending"])
        if waiting >= max(FRONT_BATCH_ROWS, 0 if state["front"] is None else len(state["front"])):
            merge_pending()
        state["rows"] += res["rows"]
        state["stats"].append({k: res[k] for k in ("index", "rows", "wall_s", "cpu_s", "peak_rss_bytes", "pid")})
        if progress is not None:
            progress(len(state["stats"]), len(plan))

    own = None
    if client is None and (workers is not None or scheduler is not None):
        client, own = _client(workers, scheduler)
    try:
        if client is None:
            for i, (start, stop) in enumerate(plan):
                absorb(evaluate_chunk(cfg, i, start, stop, names[i], top))
        else:
            from dask.distributed import as_completed

            n_workers = max(1, len(client.scheduler_info().get("workers", {})) or int(workers or 1))
            window = 2 * n_workers  # tasks in flight: bounded memory for results and on the workers
            pending = iter(range(len(plan)))

            def submit(i):
                return client.submit(evaluate_chunk, cfg, i, plan[i][0], plan[i][1], names[i], top, pure=False,
                                     key=f"latticeanchor-screen-chunk-{i}-{time.time_ns()}")

            queue = as_completed([submit(i) for _, i in zip(range(window), pending)])
            for future in queue:
                absorb(future.result())
                future.release()
                nxt = next(pending, None)
                if nxt is not None:
                    queue.add(submit(nxt))
    finally:
        if own is not None:
            client.close()
            own.close()
    merge_pending()
    ranked = state["top"].copy()
    front = state["front"]
    cand_keys, row_keys = _keys(ranked, CANDIDATE_KEYS), _keys(ranked, KEY_COLUMNS)
    as_str = {k: str for k in ("matrix", "core") if k in ranked}

    def rows(table: pd.DataFrame, keys):
        return table[keys].astype(as_str).itertuples(index=False, name=None)

    on_front = set(map(tuple, rows(front, cand_keys)))

    def flag(table: pd.DataFrame) -> pd.DataFrame:
        return table.assign(pareto=[tuple(k) in on_front for k in rows(table, cand_keys)])

    ranked = flag(ranked)
    ranked.insert(0, "rank", np.arange(1, len(ranked) + 1))
    best = flag(state["best"]).reset_index(drop=True)
    rank_of = {tuple(k): r for k, r in zip(rows(ranked, row_keys), ranked["rank"])}
    # the global rank of a best-per-core row is known when it lies in the top N; else -1 (not computed)
    best.insert(0, "rank", [rank_of.get(tuple(k), -1) for k in rows(best, row_keys)])
    columns = list(ranked.columns)
    best_columns = [c for c in columns if c in best.columns]  # best rows are grid rows: no loading window
    return {"ranked": ranked[columns], "best": best[best_columns], "front": front[row_keys],
            "n_candidates": state["rows"], "n_pareto": int(len(front)), "chunks": state["stats"]}
