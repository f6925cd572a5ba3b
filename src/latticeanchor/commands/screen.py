"""`latticeanchor screen`: run a screening study (the package's main job).

Every argument, the output folder and the optional extras (mlip, dask) are checked before any
file is written. Flags override the study: ``--core``, ``--matrix``, ``--x``, ``--diameter`` (nm), ``--loading``
(volume fraction), ``--T`` (K), ``--dataset``; a study changed by flags gets its own results folder
(``<study>-<hash of the overrides>``) so a quick question never overwrites the study's results.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys

from latticeanchor.commands._args import (MAX_ATOMS_ARG, MAX_BUDGET, MAX_SEED, bounded_int, core_list, float_list, matrix_list,
                                          non_negative_int, positive_int)


def add_parser(sub) -> None:
    p = sub.add_parser("screen", help="rank matrix compositions for lattice anchoring (main job)",
                       description="Run a screening study: with no CONFIG the default study shipped with the package. "
                                   "Flags override the study's grid, e.g. "
                                   "`latticeanchor screen --core PbSe --x 0:3:0.05 --diameter 3.5 --T 473`.")
    p.add_argument("config", nargs="?", default=None, help="study TOML file or shipped study name (default: default)")
    p.add_argument("--out", default=None, help="results folder (default ./latticeanchor-results/<study>/)")
    p.add_argument("--core", type=core_list, default=None, help="core(s), comma-separated (overrides grid.cores)")
    p.add_argument("--x", default=None, metavar="X", help="Br per formula unit: value, list a,b,c or start:stop:step")
    p.add_argument("--diameter", default=None, metavar="NM",
                   help="dot diameter(s) in nm: value, list or start:stop:step (overrides grid.diameter_nm)")
    p.add_argument("--loading", default=None, metavar="PHI",
                   help="dot volume fraction(s), e.g. 0.1 or 0:0.3:0.01 (overrides grid.loading)")
    p.add_argument("--T", default=None, metavar="K", help="temperature(s) in K: value or list (overrides grid.temperatures)")
    p.add_argument("--dataset", default=None, help="reference dataset (overrides study.dataset)")
    p.add_argument("--matrix", default=None, metavar="NAMES",
                   help="matrix alloy(s), comma-separated, e.g. \"CsPb(Br,I)3,FAPb(Br,I)3,MAPb(Br,I)3\" (also "
                        "CsPb(Cl,Br)3; overrides grid.matrices; the tables gain a matrix column)"),
    p.add_argument("--target", default=None, choices=("tandem-top-cell", "cqd-passivation", "lifetime"),
                   help="what the screen ranks for (overrides objective.target; the target's score weights apply)")
    p.add_argument("--materials", default=None, metavar="FILE",
                   help="materials JSON file (latticeanchor data template) instead of the package data (overrides "
                        "study.materials / study.dataset)")
    p.add_argument("--top", type=positive_int, default=None,
                   help="number of ranked candidates, at most 10,000 (default from the study)")
    p.add_argument("--seed", type=bounded_int(MAX_SEED, low=0), default=None, help="seed for built structures (default from the study)")
    p.add_argument("--max-points", type=bounded_int(MAX_BUDGET), default=None,
                   help="grid-size budget: refuse a larger grid (default study.max_points, 2,000,000)")
    p.add_argument("--parquet", action="store_true",
                   help="write candidates.parquet (units in the schema; needs pyarrow, the parquet extra) instead of "
                        "candidates.csv (default: output.format of the study; auto = Parquet above 10⁶ points)")
    p.add_argument("--no-structures", action="store_true", help="skip building the top hybrids")
    p.add_argument("--no-sensitivity", action="store_true", help="skip the dataset-sensitivity line")
    p.add_argument("--no-plots", action="store_true",
                   help="skip the five figures (about 1.6 s of CPU in the default study; the tables, structures and "
                        "sensitivity line are the same)")
    p.add_argument("--relax-top", type=bounded_int(10_000, low=0), default=0, metavar="N",
                   help="relax the top N distinct (core, x, diameter, T) candidates with the MLIP and write DFT inputs "
                        "(needs the mlip extra; dask for --workers/--scheduler)")
    p.add_argument("--max-atoms", type=bounded_int(MAX_ATOMS_ARG), default=None,
                   help="largest hybrid the MLIP stage relaxes (default 400; raise it on a cluster)")
    p.add_argument("--cells", type=bounded_int(MAX_ATOMS_ARG), default=None,
                   help="α supercell edge n (cells) for the MLIP models (default: from the loading)")
    p.add_argument("--core-cells", type=bounded_int(MAX_ATOMS_ARG), default=None,
                   help="core cube edge k (cells) for the MLIP models (default: from the diameter)")
    p.add_argument("--workers", type=bounded_int(4096), default=None,
                   help="local Dask workers: the grid in chunks (Parquet parts, streamed top N) and --relax-top "
                        "(default: serial; needs the dask extra)")
    p.add_argument("--scheduler", default=None,
                   help="address of a running Dask scheduler (tcp://host:port, e.g. dask-jobqueue on SLURM/PBS): "
                        "as --workers")
    p.add_argument("--verbose", "-v", dest="verbose_sub", action="store_true",
                   help="show third-party warnings and the traceback of internal errors")
    p.set_defaults(func=run)


def has_module(name: str) -> bool:
    """Whether an optional dependency can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _axis(flag: str, text: str, max_points: int):
    """CLI axis text -> study TOML value: 'a:b:s' -> {start, stop, step} (counted, not expanded), 'a,b' -> list."""
    from latticeanchor.errors import LatticeAnchorError

    parts = str(text).split(":")
    try:
        if len(parts) == 3:
            nums = float_list(",".join(parts))  # finiteness of the three numbers
            return {"start": nums[0], "stop": nums[1], "step": nums[2]}
        return float_list(text, max_points=max_points)
    except argparse.ArgumentTypeError as exc:
        raise LatticeAnchorError(f"{flag}: {exc}") from None


def study_from_args(args) -> dict:
    """The study dict: the CONFIG (or the default study) with the flags' overrides applied."""
    from latticeanchor.screen.config import DEFAULT_MAX_POINTS, load_raw

    raw = load_raw(args.config)
    if not isinstance(raw.get("grid", {}), dict) or not isinstance(raw.get("study", {}), dict):
        return raw  # the validator names the problem
    budget = args.max_points or DEFAULT_MAX_POINTS
    grid: dict = {}
    if args.core is not None:
        grid["cores"] = list(args.core)
    if getattr(args, "matrix", None) is not None:
        grid["matrices"] = matrix_list(args.matrix)
    for flag, key, text in (("--x", "x", args.x), ("--diameter", "diameter_nm", args.diameter),
                            ("--loading", "loading", args.loading)):
        if text is not None:
            grid[key] = _axis(flag, text, budget)
    if args.T is not None:
        temps = _axis("--T", args.T, budget)
        if isinstance(temps, dict):
            from latticeanchor.errors import LatticeAnchorError

            raise LatticeAnchorError("--T: give temperatures as a value or a list a,b (K), not a range")
        grid["temperatures"] = temps
    materials = getattr(args, "materials", None)
    target = getattr(args, "target", None)
    overrides = {"grid": grid, "dataset": args.dataset}
    if materials is not None:
        overrides["materials"] = materials
    if target is not None:
        overrides["target"] = target
        objective = raw.setdefault("objective", {})
        if isinstance(objective, dict):
            objective["target"] = target
    if grid or args.dataset is not None or materials is not None or target is not None:
        raw.setdefault("grid", {}).update(grid)
        study = raw.setdefault("study", {})
        if args.dataset is not None:
            study["dataset"] = args.dataset
            study.pop("materials", None)
        if materials is not None:
            study["materials"] = materials
            study.pop("dataset", None)
        tag = hashlib.sha256(json.dumps(overrides, sort_keys=True).encode()).hexdigest()[:8]
        name = study.get("name", "study")
        study["name"] = f"{name if isinstance(name, str) else 'study'}-{tag}"[:64]
    return raw


def check_args(args) -> None:
    """Argument combinations and optional extras, checked before anything runs or is written."""
    from latticeanchor.errors import LatticeAnchorError

    relax_only = {"--max-atoms": args.max_atoms, "--cells": args.cells, "--core-cells": args.core_cells}
    if args.workers is not None and args.scheduler is not None:
        raise LatticeAnchorError("give either --workers or --scheduler, not both")
    if args.scheduler is not None:
        addr = args.scheduler.strip()
        if not addr or " " in addr or ":" not in addr:
            raise LatticeAnchorError(f"--scheduler: {args.scheduler!r} is not a scheduler address (tcp://host:port)")
    if (args.workers is not None or args.scheduler is not None) and not has_module("dask.distributed"):
        raise LatticeAnchorError("--workers/--scheduler need the dask extra: pip install 'latticeanchor[dask]'")
    if not args.relax_top:
        given = [flag for flag, value in relax_only.items() if value is not None]
        if given:
            raise LatticeAnchorError(f"{given[0]} only applies with --relax-top N (N ≥ 1)")
        return
    if not has_module("chgnet"):
        raise LatticeAnchorError("--relax-top needs the mlip extra (CHGNet): pip install 'latticeanchor[mlip]'")
    if (args.workers is not None or args.scheduler is not None) and not has_module("dask.distributed"):
        raise LatticeAnchorError("--workers/--scheduler need the dask extra: pip install 'latticeanchor[dask]'")


def _relax_sizes(study, args) -> None:
    """Say before the screen what --relax-top relaxes when a grid dot does not fit --max-atoms; refuse
    (one line) when not even the smallest dot fits."""
    from latticeanchor.energy.scale import DEFAULT_SETTINGS, plan_for_study
    from latticeanchor.screen.config import load_config

    settings = {k: v for k, v in (("max_atoms", args.max_atoms), ("n", args.cells), ("k", args.core_cells))
                if v is not None}
    plans = plan_for_study(load_config(study, max_points=args.max_points), settings or None)
    reduced = [p for p in plans if p["dot_reduced"]]
    if reduced:
        big = max(reduced, key=lambda p: p["diameter_requested_A"])
        small = min(p["diameter_relaxed_A"] for p in reduced)
        print(f"# --relax-top: dots up to {big['diameter_requested_A'] / 10:g} nm do not fit --max-atoms "
              f"{settings.get('max_atoms', DEFAULT_SETTINGS['max_atoms'])}; {len(reduced)} of {len(plans)} grid sizes relax a smaller dot instead "
              f"(down to {small / 10:g} nm; columns diameter_relaxed_A, dot_reduced; files *-d<nm>nm)", file=sys.stderr)


def run(args) -> int:
    from latticeanchor import screen
    from latticeanchor.screen.run import COL_CORE, COL_DIAMETER, COL_LOADING, COL_T, COL_X, DIAMETER_COLUMN_PER_NM

    check_args(args)
    study = study_from_args(args)
    if args.relax_top:  # sizes decided (and refused) before the screen runs
        _relax_sizes(study, args)
    result = screen.run(study, out=args.out, top=args.top, seed=args.seed,
                        build_structures=not args.no_structures, max_points=args.max_points,
                        output_format="parquet" if args.parquet else None, workers=args.workers,
                        scheduler=args.scheduler, sensitivity=not args.no_sensitivity, plots=not args.no_plots)
    cfg = result.config
    print(f"# study {cfg['study']['name']}: {result.n_candidates} candidates, {result.n_pareto} "
          f"on the Pareto front, dataset {cfg['study']['dataset']}, {result.timings['total_s']:.1f} s")
    print(result.summary(cfg["study"]["top"]))
    print("# best candidate of each core at each temperature:")
    print(result.summary(head=result.best_per_core()))
    if result.distributed and not args.no_sensitivity:
        print("# dataset sensitivity: not computed for a chunked run (it re-screens the grid per dataset)")
    elif result.sensitivity is not None:  # computed by screen.run while the plots were drawn
        from latticeanchor.screen.sensitivity import sensitivity_line

        print(sensitivity_line(result.sensitivity))
    status = 0
    if args.relax_top:
        from latticeanchor.energy.scale import relax_top

        # the ranking repeats a composition at several loadings: relax each structure once
        candidates = result.candidates
        if "matrix" in candidates:  # the MLIP stage builds the dataset's default matrix (CsPb(Br,I)3) only
            from latticeanchor import data

            home = data.dataset(cfg["study"]["dataset"]).default_matrix
            candidates = candidates[candidates["matrix"] == home]
            print(f"# --relax-top: {home} candidates only (the hybrids of other matrices are not built)",
                  file=sys.stderr)
        distinct = candidates.drop_duplicates(subset=[COL_CORE, COL_X, COL_DIAMETER, COL_T])
        # the energy stage's candidate keys: diameter in Å, loading as a fraction, T in K
        distinct = distinct.assign(diameter=10.0 * distinct[COL_DIAMETER] / DIAMETER_COLUMN_PER_NM,
                                   loading=distinct[COL_LOADING], T=distinct[COL_T])
        settings = {key: value for key, value in (("max_atoms", args.max_atoms), ("n", args.cells),
                                                  ("k", args.core_cells)) if value is not None}
        done = []
        total = min(args.relax_top, len(distinct))

        def report(record: dict) -> None:
            done.append(record)
            cand = record.get("candidate", {})
            state = "cached" if record.get("cached") else record.get("status", "?")
            cause = f": {record.get('error')}" if record.get("status") == "failed" and record.get("error") else ""
            print(f"#   [{len(done)}/{total}] {cand.get(COL_CORE)} x={cand.get(COL_X)}: {state}{cause}",
                  file=sys.stderr, flush=True)

        table = relax_top(distinct, args.relax_top, result.out / "relax", workers=args.workers,
                          scheduler=args.scheduler, settings=settings or None, progress=report)
        failed = int((table["status"] == "failed").sum())
        print(f"# relaxed {len(table)} candidates ({failed} failed) into {result.out / 'relax'}: results.csv")
        if len(table) and failed == len(table):
            causes = sorted(set(str(e) for e in table["error"].dropna()))
            print(f"latticeanchor screen: error: every relaxation failed: {causes[0] if causes else 'unknown'}"
                  f"{f' (+{len(causes) - 1} other causes)' if len(causes) > 1 else ''}", file=sys.stderr)
            status = 1
    print(f"# results in {result.out}")
    return status
