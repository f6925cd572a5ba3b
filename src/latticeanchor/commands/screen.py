"""`latticeanchor screen`: run a screening study (the package's main job)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("screen", help="rank matrix compositions for lattice anchoring (main job)",
                       description="Run a screening study: with no CONFIG the default study shipped in workflows/.")
    p.add_argument("config", nargs="?", default=None, help="study TOML file or shipped study name (default: default)")
    p.add_argument("--out", default=None, help="results folder (default ./latticeanchor-results/<study>/)")
    p.add_argument("--top", type=int, default=None, help="number of ranked candidates (default from the study)")
    p.add_argument("--seed", type=int, default=None, help="seed for built structures (default from the study)")
    p.add_argument("--no-structures", action="store_true", help="skip building the top hybrids")
    p.add_argument("--relax-top", type=int, default=0, metavar="N",
                   help="relax the top N candidates with the MLIP (needs the mlip and dask extras)")
    p.add_argument("--workers", type=int, default=None, help="local Dask workers for --relax-top (default 2)")
    p.add_argument("--scheduler", default=None, help="address of an existing Dask scheduler for --relax-top")
    p.set_defaults(func=run)


def run(args) -> int:
    from latticeanchor import screen

    result = screen.run(args.config, out=args.out, top=args.top, seed=args.seed,
                        build_structures=not args.no_structures)
    cfg = result.config
    print(f"# study {cfg['study']['name']}: {len(result.candidates)} candidates, {int(result.candidates['pareto'].sum())} "
          f"on the Pareto front, dataset {cfg['study']['dataset']}, {result.timings['total_s']:.1f} s")
    print(result.summary(cfg["study"]["top"]))
    if args.relax_top:
        from latticeanchor.errors import LatticeAnchorError

        try:
            from latticeanchor.energy import scale
        except ImportError as exc:
            raise LatticeAnchorError(f"--relax-top needs the energy stage: {exc}") from None
        records = scale.run_candidates(result.ranked.head(args.relax_top).to_dict("records"),
                                       out=result.out / "relax", workers=args.workers, scheduler=args.scheduler)
        print(f"# relaxed {len(records)} candidates into {result.out / 'relax'}")
    print(f"# results in {result.out}")
    return 0
