"""`latticeanchor screen`: run a screening study (the package's main job)."""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("screen", help="rank matrix compositions for lattice anchoring (main job)",
                       description="Run a screening study: with no CONFIG the default study shipped in workflows/.")
    p.add_argument("config", nargs="?", default=None, help="study TOML file or shipped study name (default: default)")
    p.add_argument("--out", default=None, help="results folder (default ./latticeanchor-results/<study>/)")
    p.add_argument("--top", type=int, default=None, help="number of ranked candidates (default from the study)")
    p.add_argument("--seed", type=int, default=None, help="seed for built structures (default from the study)")
    p.add_argument("--no-structures", action="store_true", help="skip building the top hybrids")
    p.add_argument("--relax-top", type=int, default=0, metavar="N",
                   help="relax the top N distinct (core, x, diameter, T) candidates with the MLIP and write DFT inputs "
                        "(needs the mlip extra; dask for --workers/--scheduler)")
    p.add_argument("--max-atoms", type=int, default=None,
                   help="largest hybrid the MLIP stage relaxes (default 400; raise it on a cluster)")
    p.add_argument("--cells", type=int, default=None,
                   help="α supercell edge n (cells) for the MLIP models (default: from the loading)")
    p.add_argument("--core-cells", type=int, default=None,
                   help="core cube edge k (cells) for the MLIP models (default: from the diameter)")
    p.add_argument("--workers", type=int, default=None, help="local Dask workers for --relax-top (default 2)")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler for --relax-top")
    p.set_defaults(func=run)


def run(args) -> int:
    from latticeanchor import screen
    from latticeanchor.errors import LatticeAnchorError

    result = screen.run(args.config, out=args.out, top=args.top, seed=args.seed,
                        build_structures=not args.no_structures)
    cfg = result.config
    print(f"# study {cfg['study']['name']}: {len(result.candidates)} candidates, {int(result.candidates['pareto'].sum())} "
          f"on the Pareto front, dataset {cfg['study']['dataset']}, {result.timings['total_s']:.1f} s")
    print(result.summary(cfg["study"]["top"]))
    print("# best candidate of each core at each temperature:")
    print(result.summary(head=result.best_per_core()))
    if args.relax_top:
        if args.relax_top < 0:
            raise LatticeAnchorError(f"--relax-top must be ≥ 0, got {args.relax_top}")
        try:
            from latticeanchor.energy.scale import relax_top
        except ImportError as exc:
            raise LatticeAnchorError(f"--relax-top needs the energy extras (pip install 'latticeanchor[mlip,dask]'): {exc}") from None
        # the ranking repeats a composition at several loadings: relax each structure once
        distinct = result.candidates.drop_duplicates(subset=["core", "x", "diameter_nm", "T_K"])
        # the energy stage's candidate keys: diameter in Å, loading as a fraction, T in K
        distinct = distinct.assign(diameter=10.0 * distinct["diameter_nm"], loading=distinct["loading_fraction"],
                                   T=distinct["T_K"])
        settings = {key: value for key, value in (("max_atoms", args.max_atoms), ("n", args.cells),
                                                  ("k", args.core_cells)) if value is not None}
        done = []

        def report(record: dict) -> None:
            done.append(record)
            cand = record.get("candidate", {})
            state = "cached" if record.get("cached") else record.get("status", "?")
            print(f"#   [{len(done)}/{min(args.relax_top, len(distinct))}] {cand.get('core')} x={cand.get('x')}: {state}",
                  file=sys.stderr, flush=True)

        table = relax_top(distinct, args.relax_top, result.out / "relax", workers=args.workers,
                          scheduler=args.scheduler, settings=settings or None, progress=report)
        failed = int((table["status"] == "failed").sum())
        print(f"# relaxed {len(table)} candidates ({failed} failed) into {result.out / 'relax'}: results.csv")
    print(f"# results in {result.out}")
    return 0
