"""`latticeanchor build`: a rock-salt dot in an α or δ CsPbBr_xI_(3-x) matrix, checked and written."""

from __future__ import annotations

import argparse

from latticeanchor import data, io
from latticeanchor.build import alpha_matrix, check, delta_matrix, embed, rocksalt_core
from latticeanchor.build.cores import CENTERS, SHAPES
from latticeanchor.build.embed import STRAIN_MODES


def _size(text: str):
    try:
        parts = [int(p) for p in text.replace("x", ",").split(",") if p.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be n or n1,n2,n3 (integers), got {text!r}") from None
    if len(parts) not in (1, 3):
        raise argparse.ArgumentTypeError(f"size must be n or n1,n2,n3, got {text!r}")
    return parts[0] if len(parts) == 1 else tuple(parts)


def add_parser(sub) -> None:
    p = sub.add_parser("build", help="build a quantum-dot-in-perovskite structure for DFT/MLIP relaxations",
                       description="Carve a rock-salt core, embed it in an α (epitaxial, cube-on-cube) or δ "
                                   "matrix, print the check report and write the structure (atomically).")
    p.add_argument("--core", default="PbS", help="PbS, PbSe, PbTe or an alloy such as PbS0.5Se0.5 (default PbS)")
    p.add_argument("--diameter", type=float, default=30.0, help="dot diameter in Å (Wulff: volume-equivalent; default 30)")
    p.add_argument("--shape", default="sphere", help=f"core shape: {' | '.join(SHAPES)} (default sphere)")
    p.add_argument("--center", default="Pb", help=f"site at the dot centre: {' | '.join(CENTERS)} (default Pb)")
    p.add_argument("--matrix", default="alpha", help="alpha (cubic Pm-3m) or delta (Pnma) (default alpha)")
    p.add_argument("--x", type=float, default=2.0, help="Br per formula unit of CsPbBr_xI_(3-x), 0..3 (default 2)")
    p.add_argument("--size", type=_size, default=10, help="supercell repeats: n or n1,n2,n3 (default 10)")
    p.add_argument("--T", type=float, default=298.15, help="temperature in K for the lattice constants (default 298.15)")
    p.add_argument("--halide-order", default="random", help="random | sqs (α only; sqs needs icet)")
    p.add_argument("--strain", default=None, help=f"{' | '.join(STRAIN_MODES)} (default matrix for α, none for δ)")
    p.add_argument("--clearance", type=float, default=0.0, help="Å added to the core shape when removing matrix atoms")
    p.add_argument("--min-distance", type=float, default=2.8, help="Å; matrix atoms closer to the core are removed (default 2.8)")
    p.add_argument("--seed", type=int, default=0, help="random seed (halide placement, alloy anions; default 0)")
    p.add_argument("--charge-balance", action="store_true", help="remove interface Cs or halide until the formal charge is 0")
    p.add_argument("--dataset", default=None, help=f"reference dataset ({', '.join(data.dataset_names())})")
    p.add_argument("-o", "--output", required=True, help="output file")
    p.add_argument("--format", default=None, help=f"{' | '.join(io.FORMATS)} (default from the suffix)")
    p.set_defaults(func=run)


def build_from_args(args):
    """The hybrid ``Atoms`` for parsed CLI arguments (library form of the command)."""
    from latticeanchor.errors import LatticeAnchorError

    if args.matrix not in ("alpha", "delta"):
        raise LatticeAnchorError(f"unknown matrix {args.matrix!r}; use 'alpha' or 'delta'")
    if args.matrix == "delta" and args.halide_order != "random":
        raise LatticeAnchorError("--halide-order sqs is available for the α matrix only")
    core = rocksalt_core(args.core, diameter=args.diameter, shape=args.shape, T=args.T, center=args.center,
                         seed=args.seed, dataset=args.dataset)
    if args.matrix == "alpha":
        matrix = alpha_matrix(args.x, size=args.size, T=args.T, halide_order=args.halide_order, seed=args.seed,
                              dataset=args.dataset)
    else:
        matrix = delta_matrix(args.x, size=args.size, T=args.T, seed=args.seed, dataset=args.dataset)
    return embed(core, matrix, strain=args.strain, clearance=args.clearance, min_distance=args.min_distance,
                 charge_balance=args.charge_balance)


def run(args) -> int:
    fmt = args.format if args.format is not None else io.format_from_path(args.output)
    if fmt not in io.FORMATS:
        from latticeanchor.errors import LatticeAnchorError

        raise LatticeAnchorError(f"unknown format {fmt!r}; use one of {', '.join(io.FORMATS)}")
    hybrid = build_from_args(args)
    report = check(hybrid)
    io.write(hybrid, args.output, format=fmt)
    print(report)
    print(f"written: {args.output} ({fmt})")
    return 0
