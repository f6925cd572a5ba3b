"""Scale-out of the per-candidate energy stage (build → relax → analyse → DFT inputs) with dask.distributed.

``run_candidates(candidates, outdir, workers=K | scheduler=ADDRESS, ...)`` is what
``latticeanchor screen --relax-top N [--workers K | --scheduler ADDRESS]`` calls with the top-N rows of
the ranked screen (a list of dicts, or the DataFrame itself; ``relax_top(ranked, N, outdir, ...)``
does the slicing).

On a cluster (SLURM/PBS), start the scheduler and workers with dask-jobqueue and pass its address::

    from dask_jobqueue import SLURMCluster
    cluster = SLURMCluster(cores=1, processes=1, memory="4GB", walltime="04:00:00")
    cluster.scale(jobs=32)
    print(cluster.scheduler_address)   # → latticeanchor screen ... --relax-top 200 --scheduler tcp://...

Keep the Python process that owns ``cluster`` alive while the screen runs (or use ``dask scheduler``
and ``dask worker ADDRESS --nthreads 1`` in batch scripts).

* No ``workers``/``scheduler``: serial, in this process. ``workers=K``: a dask ``LocalCluster`` of K
  single-threaded worker processes. ``scheduler="tcp://host:8786"``: an existing scheduler, e.g. one
  started by dask-jobqueue on SLURM/PBS (the workers must see ``outdir`` on a shared filesystem).
* Each candidate is one idempotent task whose record is cached on disk,
  ``outdir/candidates/<slug>-<key>/result.json``, written atomically when the task ends; the key is a
  hash of the candidate's physical parameters, the settings and the package version. Re-running
  (after an interruption, ``kill -9`` included) loads finished records and computes only the rest.
* A candidate that raises is recorded with ``status="failed"`` and its error (type, message,
  traceback) and does not stop the run; failed records are kept (not retried) unless
  ``retry_failed=True``.
* Sizes (``relax_plan``, decided before anything is built; ``plan_for_study`` for a whole study grid): the
  candidate's dot when its α and δ hybrids fit ``max_atoms``, else the largest dot (0.5 Å steps, ≥ 6 Å)
  that does, reported as ``diameter_relaxed_A`` / ``dot_reduced`` and in the file names
  (``{alpha,delta}_hybrid-d<nm>nm.extxyz``, ``dft-d<nm>nm/``). DFT inputs are written only for a relaxed
  α hybrid that passes ``build.check``; ``dft_inputs`` names the folder or the reason it was refused.
* The returned DataFrame (also written to ``outdir/results.csv`` and ``results.json``) has one row per
  candidate in input order: the candidate columns, ``status``, ``error``, ``cached`` (True when this
  run loaded it from disk), ``key``, ``workdir`` and the task's scalar results.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
import traceback
from pathlib import Path

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, write_json
from latticeanchor.build._common import parse_size
from latticeanchor.errors import LatticeAnchorError

__all__ = ["relax_top", "relax_plan", "plan_for_study", "run_candidates", "evaluate_candidate", "lattice_task", "candidate_key", "DEFAULT_SETTINGS", "CANDIDATE_KEYS",
           "load_record", "local_client"]

CANDIDATE_KEYS = ("core", "x", "diameter", "loading", "T")  # the physical identity of a candidate
DEFAULT_SETTINGS = {
    "calculator": "chgnet",  # 'chgnet' or 'sevennet' (names only: settings must be JSON for the cache key)
    "fmax": 0.05,  # eV/Å
    "steps": 500,
    "cell_filter": "unit",
    "rattle": 0.03,  # Å, seeded displacements before every relaxation (see energy.anchoring.anchoring)
    "builder": "build",  # 'build' (build.embed: passes build.check) or 'internal' (cube core, fails it: no DFT inputs)
    "seed": 0,
    "n": None,  # α supercell (n×n×n); None: from the loading
    "k": None,  # core cube (k cells); None: from the diameter
    "delta_size": None,  # δ supercell; None: about the α cell's extent
    "max_atoms": 400,  # larger hybrids fail with a clear error instead of running for hours
    "write_dft": True,  # VASP + pw.x + GPAW inputs of the relaxed α hybrid in <workdir>/dft-d<nm>nm (if it passes build.check)
}
MIN_RELAX_DIAMETER_A = 6.0  # Å: the smallest dot relax_plan shrinks to (Pb-centred PbS: 13 Pb + 6 S)
_PLAN_STEP_A = 0.5  # Å, the diameter steps relax_plan goes down in
_RESULT = "result.json"


_UNIT_ALIASES = {"diameter": ("diameter_nm", 10.0), "loading": ("loading_fraction", 1.0), "T": ("T_K", 1.0)}


def _canonical(candidate: dict) -> dict:
    """The candidate's physical identity in the energy stage's keys (diameter Å, loading fraction, T K); the
    screen's unit-named columns (diameter_nm, loading_fraction, T_K) are accepted and converted."""
    candidate = dict(candidate)
    for key, (alias, factor) in _UNIT_ALIASES.items():
        if candidate.get(key) is None and candidate.get(alias) is not None:
            candidate[key] = float(candidate[alias]) * factor
    out = {}
    for key in CANDIDATE_KEYS:
        if key in candidate and candidate[key] is not None:
            v = candidate[key]
            out[key] = v if isinstance(v, str) else round(float(v), 6)
    if "core" not in out or "x" not in out:
        raise LatticeAnchorError(f"a candidate needs at least 'core' and 'x', got keys {sorted(candidate)}")
    return out


def candidate_key(candidate: dict, settings: dict, task_name: str = "evaluate_candidate") -> str:
    """Cache key: sha256 (first 16 hex) of the candidate's physical parameters, settings, task, version."""
    payload = json.dumps({"candidate": _canonical(candidate), "settings": settings, "task": task_name,
                          "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _slug(candidate: dict) -> str:
    c = _canonical(candidate)
    parts = [str(c["core"]), f"x{c['x']:g}"]
    if "diameter" in c:
        parts.append(f"d{c['diameter']:g}")
    if "loading" in c:
        parts.append(f"f{c['loading']:g}")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", "_".join(parts))


ENVIRONMENT_ERRORS = (ImportError, MemoryError)  # the machine's fault, not the candidate's: never cached
_ENVIRONMENT_NAMES = ("ImportError", "ModuleNotFoundError", "MemoryError", "KilledWorker", "CommClosedError")


def is_environment_failure(record: dict) -> bool:
    """Whether a failed record was caused by the environment (a missing extra, memory, a killed
    worker): such a failure says nothing about the candidate and is recomputed on the next run."""
    if record.get("status") != "failed":
        return False
    if record.get("environment"):
        return True
    return str(record.get("error") or "").split(":", 1)[0].strip() in _ENVIRONMENT_NAMES


def load_record(workdir) -> dict | None:
    """The cached record in ``workdir`` (None when absent, unreadable, or an environment failure,
    i.e. not finished)."""
    path = Path(workdir) / _RESULT
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError):
        return None
    if not isinstance(record, dict) or is_environment_failure(record):
        return None
    return record


# ------------------------------------------------------------------------------------------- the task
def _delta_size(n: int, a_alpha: float, span: float, a_core: float) -> tuple[int, int, int]:
    from latticeanchor import data

    cell = data.entry("CsPbI3_delta", "cell")
    out = []
    for length in (cell["a"], cell["b"], cell["c"]):
        m = max(1, round(n * a_alpha / length))
        while m * length < span + a_core:
            m += 1
        out.append(int(m))
    return tuple(out)


def _cells_for(c: dict, settings: dict, d: float):
    """(n, k, δ size, atoms of the larger hybrid) for a dot of diameter ``d`` (Å); raises when over max_atoms."""
    from latticeanchor import vegard
    from latticeanchor.build.sizing import estimate_core_atoms, supercell_for_loading
    from latticeanchor.energy import anchoring as anc
    from latticeanchor.strain import core_lattice_constant

    T = float(c.get("T", 298.15))
    x = float(c["x"])
    max_atoms = int(settings["max_atoms"])
    internal = settings["builder"] == "internal"
    a_alpha = float(vegard.lattice_constant(x, T))
    a_core = float(core_lattice_constant(c["core"], T))
    k, n = anc.candidate_geometry(d, c.get("loading", 0.1), a_alpha)
    k = parse_size(settings.get("k") or k)
    if not settings.get("n"):
        n = supercell_for_loading(c["core"], x, d, c.get("loading", 0.1), max_atoms=max_atoms, T=T, a_matrix=a_alpha,
                                  min_cells=max(k) + 1 if internal else None).n_cells
    n = parse_size(settings.get("n") or n)
    # the δ cell must hold the core with ≥ a_core to its image (internal) or embed's fit rule (d + a + 4 Å)
    span = (2 * max(k) - 1) * a_core / 2 if internal else d + 4.0
    dsize = tuple(settings["delta_size"]) if settings.get("delta_size") else _delta_size(max(n), a_alpha, span, a_core)
    n_core = 3 * k[0] * k[1] * k[2] if internal else estimate_core_atoms(d, a_core)
    n_alpha = 5 * n[0] * n[1] * n[2] + n_core
    n_delta = 20 * dsize[0] * dsize[1] * dsize[2] + n_core
    if max(n_alpha, n_delta) > max_atoms:
        raise LatticeAnchorError(f"hybrid needs {max(n_alpha, n_delta)} atoms > max_atoms={max_atoms} "
                                 f"(α {n} cells, core {k if internal else f'{d:g} Å'}, δ {dsize})")
    return n, k, dsize, max(n_alpha, n_delta)


def relax_plan(candidate: dict, settings: dict | None = None) -> dict:
    """What ``evaluate_candidate`` relaxes for ``candidate``, decided before anything is built: the
    candidate's dot when its hybrids fit ``max_atoms``, else the largest dot (steps of 0.5 Å, not below
    ``MIN_RELAX_DIAMETER_A``) that does, stated as ``diameter_relaxed_A`` beside ``diameter_requested_A``
    with ``dot_reduced`` True (and in the file names, ``tag``). Raises when even the smallest dot is over."""
    merged = dict(DEFAULT_SETTINGS)
    merged.update(settings or {})
    c = _canonical(candidate)
    d_req = float(c.get("diameter", MIN_RELAX_DIAMETER_A))
    d = d_req
    first = None
    while True:
        try:
            n, k, dsize, n_atoms = _cells_for(c, merged, d)
            break
        except LatticeAnchorError as exc:
            first = first or str(exc)
            if d <= MIN_RELAX_DIAMETER_A + 1e-9:
                raise LatticeAnchorError(f"{c['core']} x={c['x']:g}: even a {d:g} Å dot does not fit "
                                         f"max_atoms={merged['max_atoms']} ({first}); raise --max-atoms") from None
            d = max(MIN_RELAX_DIAMETER_A, round(d - _PLAN_STEP_A, 6))
    return {"diameter_requested_A": d_req, "diameter_relaxed_A": d, "dot_reduced": bool(d < d_req - 1e-9),
            "n_cells": list(n), "k_cells": list(k), "delta_size": list(dsize), "n_atoms_estimate": int(n_atoms),
            "builder": merged["builder"], "tag": f"d{d / 10:g}nm"}


def plan_for_study(cfg: dict, settings: dict | None = None) -> list[dict]:
    """``relax_plan`` for every core and dot diameter of a validated study (``screen.config.load_config``),
    at the grid's lowest and highest x and every temperature: what ``screen --relax-top`` will relax,
    known before the screen runs. Each plan gains "core", "x" and "T"; raises when a dot cannot fit."""
    from latticeanchor.screen.config import expand_range

    grid = cfg["grid"]
    xs = expand_range("grid.x", grid["x"])
    diameters_nm = expand_range("grid.diameter_nm", grid["diameter_nm"])
    plans = []
    for core in grid["cores"]:
        for x in sorted({float(xs.min()), float(xs.max())}):
            for T in grid["temperatures"]:
                for d_nm in diameters_nm:
                    cand = {"core": core, "x": x, "diameter": 10.0 * float(d_nm), "loading": 0.1, "T": float(T)}
                    plan = relax_plan(cand, settings)
                    plans.append(dict(plan, core=core, x=x, T=float(T)))
    return plans


def evaluate_candidate(candidate: dict, settings: dict, workdir) -> dict:
    """Default task: build the α/δ hybrids, relax them and the bulk references, analyse, write DFT inputs.

    Sizes from ``relax_plan`` (the candidate's dot, or the largest that fits max_atoms: ``dot_reduced``).
    Returns the scalar results of ``latticeanchor.energy.anchoring.anchoring`` (eV, eV/f.u.,
    eV/atom, Å) plus the cell and dot sizes used. Relaxed hybrids go to
    ``workdir/{alpha,delta}_hybrid-d<nm>nm.extxyz``, DFT inputs of the relaxed α hybrid to
    ``workdir/dft-d<nm>nm/`` when it passes ``build.check`` (``dft_inputs`` says which, or why not).
    """

    from latticeanchor import vegard
    from latticeanchor.energy import anchoring as anc

    workdir = Path(workdir)
    c = _canonical(candidate)
    T = float(c.get("T", 298.15))
    x = float(c["x"])
    a_alpha = float(vegard.lattice_constant(x, T))
    plan = relax_plan(candidate, settings)
    d = plan["diameter_relaxed_A"]
    n, k, dsize = tuple(plan["n_cells"]), tuple(plan["k_cells"]), tuple(plan["delta_size"])
    relax_kwargs = {"fmax": settings["fmax"], "steps": settings["steps"], "cell_filter": settings["cell_filter"],
                    "rattle": float(settings.get("rattle", 0.03))}
    res = anc.anchoring(core=c["core"], x=x, n=n, k=k, delta_size=dsize, T=T, seed=int(settings["seed"]),
                        calculator=settings["calculator"], relax_kwargs=relax_kwargs, builder=settings["builder"],
                        diameter=d, return_structures=True)
    structures = res.pop("_structures")
    res.update({key: plan[key] for key in ("diameter_requested_A", "diameter_relaxed_A", "dot_reduced")})
    res["loading_requested"] = float(c.get("loading", 0.1))  # the loading actually built, stated with the result
    res["loading_built"] = (k[0] * k[1] * k[2]) / (n[0] * n[1] * n[2]) if settings["builder"] == "internal" else \
        math.pi * d**3 / 6 / (n[0] * n[1] * n[2] * a_alpha**3)
    res["built_at_candidate_loading"] = bool(not plan["dot_reduced"] and not settings.get("n")
                                             and abs(res["loading_built"] - res["loading_requested"])
                                             <= 0.05 * res["loading_requested"])
    workdir.mkdir(parents=True, exist_ok=True)
    from latticeanchor import io

    tag = plan["tag"]  # the dot actually relaxed, in every file name
    for name in ("alpha_hybrid", "delta_hybrid"):
        io.write(structures[name], workdir / f"{name}-{tag}.extxyz", format="extxyz")
    res["dft_inputs"] = "not requested"
    if settings.get("write_dft", True):
        from latticeanchor.energy.dft import write_dft_inputs

        record = {k2: v for k2, v in res.items() if k2 != "relaxations"}
        report = io.check_for_dft(structures["alpha_hybrid"])
        if report.ok:
            write_dft_inputs(structures["alpha_hybrid"], workdir / f"dft-{tag}", candidate=dict(candidate),
                             record=record)
            res["dft_inputs"] = f"dft-{tag}"
        else:  # never hand DFT a structure build.check refuses; say why instead
            res["dft_inputs"] = "refused: relaxed α hybrid fails build.check: " + "; ".join(report.failures)
    return res


def lattice_task(candidate: dict, settings: dict, workdir) -> dict:
    """Cheap task: relax the candidate's α matrix alone (``settings["n"]`` cells per axis, default 1,
    cubic shape kept) and report the MLIP lattice constant (Å) beside Vegard's and the core mismatch."""
    from latticeanchor import vegard
    from latticeanchor.energy import anchoring as anc
    from latticeanchor.energy.relax import relax
    from latticeanchor.strain import core_lattice_constant

    c = _canonical(candidate)
    T = float(c.get("T", 298.15))
    atoms = anc.alpha_cell(c["x"], parse_size(settings.get("n") or 1), T=T, seed=int(settings["seed"]))
    res = relax(atoms, calculator=settings["calculator"], fmax=settings["fmax"], steps=settings["steps"],
                hydrostatic=True, cell_filter=settings["cell_filter"])
    a_mlip = anc.pseudo_cubic_a(res.atoms)
    a_core = float(core_lattice_constant(c["core"], T))
    return {"a_mlip_A": a_mlip, "a_vegard_A": float(vegard.lattice_constant(c["x"], T)),
            "mismatch_mlip_matrix": (a_mlip - a_core) / a_core, "energy_eV": res.energy,
            "energy_eV_per_fu": res.energy / anc.composition(res.atoms)["n_fu"], "converged": res.converged,
            "steps": res.steps}


def _run_one(task, candidate: dict, settings: dict, workdir: str) -> dict:
    """Run ``task`` for one candidate, write its record atomically, return the record. Never raises on
    an ordinary exception (the failure is the record)."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    record = {"candidate": candidate, "settings": settings, "key": workdir.name.rsplit("-", 1)[-1],
              "latticeanchor_version": __version__, "pid": os.getpid()}
    try:
        result = task(candidate, settings, workdir)
        record.update(status="ok", error=None, result=result)
    except Exception as exc:  # noqa: BLE001 - a failed candidate must not stop the run
        record.update(status="failed", error=(f"{type(exc).__name__}: {exc}".splitlines() or ["?"])[0],
                      traceback=traceback.format_exc(), result={},
                      environment=isinstance(exc, ENVIRONMENT_ERRORS))
    record["elapsed_s"] = time.perf_counter() - t0
    record["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    write_json(workdir / _RESULT, record, indent=1, sort_keys=True)
    return record


# Quieter workers: the default 20 ms event-loop tick, 0.5 s system monitor and 10 ms statistical
# profiler take GIL time from the (Python-heavy) relaxation thread; measured on a 2-vCPU machine a
# pure-Python loop ran ~1.4× slower in a default worker than in the main process.
QUIET_WORKER_CONFIG = {"distributed.admin.tick.interval": "1s", "distributed.admin.system-monitor.interval": "5s",
                       "distributed.worker.profile.enabled": False}


def local_client(workers: int, threads_per_worker: int = 1):
    """A dask ``Client`` on a new LocalCluster of ``workers`` processes (no dashboard, quiet workers)."""
    try:
        import dask
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise LatticeAnchorError("workers/scheduler need the dask extra: pip install 'latticeanchor[dask]'") from None
    with dask.config.set(QUIET_WORKER_CONFIG):
        cluster = LocalCluster(n_workers=int(workers), threads_per_worker=int(threads_per_worker), processes=True,
                               dashboard_address=None)
    return Client(cluster)


def run_candidates(candidates, outdir, *, workers: int | None = None, scheduler: str | None = None,
                   settings: dict | None = None, task=None, retry_failed: bool = False, client=None,
                   progress=None):
    """Evaluate ``candidates`` (list of dicts or a DataFrame with core, x[, diameter Å, loading, T K, rank,
    score]) into ``outdir``, serially or on dask; returns a pandas DataFrame (see the module docstring).

    workers: K → LocalCluster of K single-threaded processes; scheduler: address of a running dask
    scheduler; client: an existing ``dask.distributed.Client`` (overrides both). settings: overrides of
    ``DEFAULT_SETTINGS`` (JSON values; they enter the cache key). task: ``f(candidate, settings, workdir)
    -> dict`` (default ``evaluate_candidate``; must be importable by the workers). progress: callback
    called with each record as it finishes (or is loaded from the cache).
    """
    import pandas as pd

    if hasattr(candidates, "to_dict"):
        candidates = candidates.to_dict("records")
    candidates = [dict(c) for c in candidates]
    if workers is not None and scheduler is not None:
        raise LatticeAnchorError("give either workers or scheduler, not both")
    if workers is not None and (int(workers) != workers or workers < 1):
        raise LatticeAnchorError(f"workers must be a positive integer, got {workers!r}")
    unknown = set(settings or {}) - set(DEFAULT_SETTINGS)
    if unknown:
        raise LatticeAnchorError(f"unknown settings {sorted(unknown)}; known: {sorted(DEFAULT_SETTINGS)}")
    merged = dict(DEFAULT_SETTINGS)
    merged.update(settings or {})
    if not isinstance(merged["calculator"], str):
        raise LatticeAnchorError("settings['calculator'] must be a name ('chgnet', 'sevennet') for cached runs")
    task = evaluate_candidate if task is None else task
    task_name = f"{getattr(task, '__module__', '')}.{getattr(task, '__qualname__', repr(task))}"
    if task is evaluate_candidate:
        task_name = "evaluate_candidate"
    outdir = Path(outdir)
    (outdir / "candidates").mkdir(parents=True, exist_ok=True)

    rows: list[dict | None] = [None] * len(candidates)
    todo = []
    for i, cand in enumerate(candidates):
        try:
            key = candidate_key(cand, merged, task_name)
            workdir = outdir / "candidates" / f"{_slug(cand)}-{key}"
        except (LatticeAnchorError, TypeError, ValueError) as exc:
            rows[i] = {"candidate": cand, "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                       "result": {}, "key": None, "cached": False, "workdir": None}
            continue
        rec = load_record(workdir)
        if rec is not None and (rec.get("status") == "ok" or not retry_failed):
            rec.update(cached=True, workdir=str(workdir))
            rows[i] = rec
            if progress:
                progress(rec)
        else:
            todo.append((i, cand, str(workdir)))

    def finish(i, rec, workdir):
        rec.update(cached=False, workdir=workdir)
        rows[i] = rec
        if progress:
            progress(rec)

    own_client = None
    try:
        if todo and (client is not None or workers is not None or scheduler is not None):
            if client is None:
                if scheduler is not None:
                    try:
                        from dask.distributed import Client
                    except ImportError:
                        raise LatticeAnchorError("scheduler needs the dask extra: pip install 'latticeanchor[dask]'") from None
                    own_client = Client(scheduler)
                else:
                    own_client = local_client(int(workers))
                client = own_client
            from dask.distributed import as_completed

            import uuid

            run_id = uuid.uuid4().hex[:8]  # task keys unique per run: never reuse another run's future
            futures = {}
            for i, cand, workdir in todo:
                fut = client.submit(_run_one, task, cand, merged, workdir, pure=False,
                                    key=f"latticeanchor-{Path(workdir).name}-{run_id}-{i}")
                futures[fut] = (i, workdir)
            for fut in as_completed(list(futures)):
                i, workdir = futures[fut]
                try:
                    rec = fut.result()
                except Exception as exc:  # worker died etc.: record, keep going
                    rec = {"candidate": candidates[i], "status": "failed", "result": {}, "environment": True,
                           "error": (f"{type(exc).__name__}: {exc}".splitlines() or ["?"])[0],
                           "key": Path(workdir).name}
                finish(i, rec, workdir)
        else:
            for i, cand, workdir in todo:
                finish(i, _run_one(task, cand, merged, workdir), workdir)
    finally:
        if own_client is not None:
            cluster = getattr(own_client, "cluster", None)
            own_client.close()
            if cluster is not None and workers is not None:
                cluster.close()

    table = [_flatten(rec) for rec in rows]
    df = pd.DataFrame(table)
    with atomic_path(outdir / "results.csv") as tmp:
        df.to_csv(tmp, index=False)
    write_json(outdir / "results.json", table, indent=1)
    return df


def _flatten(rec: dict) -> dict:
    row = dict(rec.get("candidate") or {})
    row.update(status=rec.get("status"), error=rec.get("error"), cached=bool(rec.get("cached")),
               key=rec.get("key"), workdir=rec.get("workdir"), elapsed_s=rec.get("elapsed_s"))
    for k, v in (rec.get("result") or {}).items():
        if isinstance(v, (str, int, float, bool)) or v is None:
            if isinstance(v, float) and math.isnan(v):
                v = None
            row.setdefault(k, v)
    return row


def relax_top(ranked, n: int, outdir, *, workers: int | None = None, scheduler: str | None = None,
              settings: dict | None = None, **kwargs):
    """Hook for ``latticeanchor screen --relax-top N [--workers K | --scheduler ADDRESS]``.

    ranked: the screen's DataFrame (columns rank, core, x, diameter_nm, loading_fraction, T_K, score, ...), best
    first; the first ``n`` rows go to ``run_candidates`` (other kwargs passed through).
    """
    n = int(n)
    if n < 1:
        raise LatticeAnchorError(f"--relax-top must be ≥ 1, got {n}")
    rows = ranked.head(n).to_dict("records") if hasattr(ranked, "head") else list(ranked)[:n]
    return run_candidates(rows, outdir, workers=workers, scheduler=scheduler, settings=settings, **kwargs)
