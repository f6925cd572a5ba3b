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

__all__ = ["relax_top", "run_candidates", "evaluate_candidate", "lattice_task", "candidate_key", "DEFAULT_SETTINGS", "CANDIDATE_KEYS",
           "load_record", "local_client"]

CANDIDATE_KEYS = ("core", "x", "diameter", "loading", "T")  # the physical identity of a candidate
DEFAULT_SETTINGS = {
    "calculator": "chgnet",  # 'chgnet' or 'sevennet' (names only: settings must be JSON for the cache key)
    "fmax": 0.05,  # eV/Å
    "steps": 500,
    "cell_filter": "unit",
    "rattle": 0.03,  # Å, seeded displacements before every relaxation (see energy.anchoring.anchoring)
    "builder": "internal",  # 'internal' cube core, or 'build'/'auto' for latticeanchor.build
    "seed": 0,
    "n": None,  # α supercell (n×n×n); None: from the loading
    "k": None,  # core cube (k cells); None: from the diameter
    "delta_size": None,  # δ supercell; None: about the α cell's extent
    "max_atoms": 400,  # larger hybrids fail with a clear error instead of running for hours
    "write_dft": True,  # VASP + pw.x inputs of the relaxed α hybrid in <workdir>/dft
}
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


def evaluate_candidate(candidate: dict, settings: dict, workdir) -> dict:
    """Default task: build the α/δ hybrids, relax them and the bulk references, analyse, write DFT inputs.

    Returns the scalar results of ``latticeanchor.energy.anchoring.anchoring`` (eV, eV/f.u.,
    eV/atom, Å) plus the cell sizes used. Relaxed hybrids go to ``workdir/{alpha,delta}_hybrid.extxyz``.
    """

    from latticeanchor import vegard
    from latticeanchor.energy import anchoring as anc
    from latticeanchor.strain import core_lattice_constant

    workdir = Path(workdir)
    c = _canonical(candidate)
    T = float(c.get("T", 298.15))
    x = float(c["x"])
    a_alpha = float(vegard.lattice_constant(x, T))
    k, n = anc.candidate_geometry(c.get("diameter", 6.0), c.get("loading", 0.1), a_alpha)
    k = parse_size(settings.get("k") or k)
    sizing = None
    if not settings.get("n"):  # the candidate's loading when it fits max_atoms (build.sizing), else the largest cell that does
        from latticeanchor.build.sizing import supercell_for_loading

        sizing = supercell_for_loading(c["core"], x, c.get("diameter", 6.0), c.get("loading", 0.1),
                                       max_atoms=int(settings["max_atoms"]), T=T, a_matrix=a_alpha,
                                       min_cells=None if settings["builder"] != "internal" else max(k) + 1)
        n = sizing.n_cells
    n = parse_size(settings.get("n") or n)
    a_core = float(core_lattice_constant(c["core"], T))
    span = (2 * max(k) - 1) * a_core / 2
    dsize = tuple(settings["delta_size"]) if settings.get("delta_size") else _delta_size(max(n), a_alpha, span, a_core)
    n_core = 3 * k[0] * k[1] * k[2]
    n_alpha = 5 * n[0] * n[1] * n[2] + n_core
    n_delta = 20 * dsize[0] * dsize[1] * dsize[2] + n_core
    if max(n_alpha, n_delta) > int(settings["max_atoms"]):
        raise LatticeAnchorError(f"hybrid needs {max(n_alpha, n_delta)} atoms > max_atoms={settings['max_atoms']} "
                                 f"(α {n}³ cells, core {k}³ cells, δ {dsize})")
    relax_kwargs = {"fmax": settings["fmax"], "steps": settings["steps"], "cell_filter": settings["cell_filter"],
                    "rattle": float(settings.get("rattle", 0.03))}
    res = anc.anchoring(core=c["core"], x=x, n=n, k=k, delta_size=dsize, T=T, seed=int(settings["seed"]),
                        calculator=settings["calculator"], relax_kwargs=relax_kwargs, builder=settings["builder"],
                        diameter=c.get("diameter"), return_structures=True)
    structures = res.pop("_structures")
    res["loading_requested"] = float(c.get("loading", 0.1))  # the loading actually built, stated with the result
    res["loading_built"] = (k[0] * k[1] * k[2]) / (n[0] * n[1] * n[2]) if settings["builder"] == "internal" else \
        math.pi * float(c.get("diameter", 6.0)) ** 3 / 6 / (n[0] * n[1] * n[2] * a_alpha**3)
    res["built_at_candidate_loading"] = bool(sizing.at_candidate) if sizing is not None else False
    workdir.mkdir(parents=True, exist_ok=True)
    from latticeanchor import io

    for name in ("alpha_hybrid", "delta_hybrid"):
        io.write(structures[name], workdir / f"{name}.extxyz", format="extxyz")
    if settings.get("write_dft", True):
        from latticeanchor.energy.dft import write_dft_inputs

        record = {k2: v for k2, v in res.items() if k2 != "relaxations"}
        write_dft_inputs(structures["alpha_hybrid"], workdir / "dft", candidate=dict(candidate), record=record)
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
