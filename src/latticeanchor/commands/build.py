"""`latticeanchor build`: a rock-salt dot in an α or δ CsPbBr_xI_(3-x) matrix, checked and written."""

from __future__ import annotations

import argparse
import sys
from latticeanchor import data, io
from latticeanchor.build import alpha_matrix, delta_matrix, embed, rocksalt_core
from latticeanchor.build.alpha import HALIDE_ORDERS
from latticeanchor.build.contacts import contact_limit
from latticeanchor.build.cores import CENTERS, SHAPES
from latticeanchor.build.embed import STRAIN_MODES
from latticeanchor.build.sizing import DEFAULT_MAX_ATOMS, estimate_core_atoms, estimate_matrix_atoms
from latticeanchor.commands._args import MAX_ATOMS_ARG, MAX_SEED, bounded_int
from latticeanchor.errors import LatticeAnchorError


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
    p.add_argument("--diameter", type=float, default=3.0,
                   help="dot diameter in nm, as in screen and mismatch (Wulff: volume-equivalent; default 3)")
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
    p.add_argument("--seed", type=bounded_int(MAX_SEED, low=0), default=0, help="random seed (halide placement, alloy anions; default 0)")
    p.add_argument("--charge-balance", action=argparse.BooleanOptionalAction, default=True,
                   help="remove interface Cs or halide until the formal charge is 0 (default on; "
                        "--no-charge-balance keeps the charge and warns)")
    p.add_argument("--max-atoms", type=bounded_int(MAX_ATOMS_ARG), default=DEFAULT_MAX_ATOMS,
                   help=f"refuse structures estimated above this many atoms (default {DEFAULT_MAX_ATOMS:,})")
    p.add_argument("--dataset", default=None, help=f"reference dataset ({', '.join(data.dataset_names())})")
    p.add_argument("-o", "--output", required=True, help="output file")
    p.add_argument("--format", default=None, help=f"{' | '.join(io.FORMATS)} (default from the suffix; vasp writes "
                                                  "POSCAR + INCAR + KPOINTS + POTCAR.spec, gpaw a .py SCF script)")
    p.add_argument("--force", action="store_true",
                   help="write DFT inputs (vasp, espresso-in, gpaw) even when the check fails (default: refuse)")
    p.set_defaults(func=run)


def build_from_args(args):
    """The hybrid ``Atoms`` for parsed CLI arguments (library form of the command; ``args.diameter`` in nm)."""
    from latticeanchor import strain as _strain
    from latticeanchor.validate import dot_diameter_nm, temperature

    if args.matrix not in ("alpha", "delta"):
        raise LatticeAnchorError(f"unknown matrix {args.matrix!r}; use 'alpha' or 'delta'")
    if args.shape not in SHAPES:
        raise LatticeAnchorError(f"unknown shape {args.shape!r}; use {' or '.join(SHAPES)}")
    if args.halide_order not in HALIDE_ORDERS:
        raise LatticeAnchorError(f"unknown --halide-order {args.halide_order!r}; use {' or '.join(HALIDE_ORDERS)}")
    if args.matrix == "delta" and args.halide_order != "random":
        raise LatticeAnchorError("--halide-order sqs is available for the α matrix only")
    contact_limit("--min-distance (Å)", args.min_distance)  # named by its flag, before anything is built
    if not str(args.core).strip():
        raise LatticeAnchorError("--core is empty; use PbS, PbSe, PbTe or an alloy such as PbS0.5Se0.5")
    max_atoms = getattr(args, "max_atoms", DEFAULT_MAX_ATOMS)
    if max_atoms < 1:
        raise LatticeAnchorError(f"--max-atoms must be a positive integer, got {max_atoms}")
    d = 10.0 * float(dot_diameter_nm("--diameter", args.diameter))  # nm on the command line, Å in the library
    T = float(temperature(args.T))
    # estimate before allocating anything
    n_est = estimate_matrix_atoms(args.matrix, args.size) + estimate_core_atoms(d, _strain.core_lattice_constant(args.core, T, args.dataset))
    if n_est > max_atoms:
        raise LatticeAnchorError(f"the structure would hold about {n_est:,} atoms > --max-atoms {max_atoms:,}; "
                                 "reduce --size/--diameter or raise --max-atoms")
    budget = max(int(max_atoms), 1)
    core = rocksalt_core(args.core, diameter=d, shape=args.shape, T=T, center=args.center,
                         seed=args.seed, dataset=args.dataset, max_atoms=budget)
    if args.matrix == "alpha":
        matrix = alpha_matrix(args.x, size=args.size, T=T, halide_order=args.halide_order, seed=args.seed,
                              dataset=args.dataset, max_atoms=budget)
    else:
        matrix = delta_matrix(args.x, size=args.size, T=T, seed=args.seed, dataset=args.dataset, max_atoms=budget)
    return embed(core, matrix, strain=args.strain, clearance=args.clearance, min_distance=args.min_distance,
                 charge_balance=args.charge_balance)


def run(args) -> int:
    from latticeanchor.atomic import check_target

    args.output = str(check_target(args.output, "-o/--output"))  # before any work; '~' expanded
    fmt = args.format if args.format is not None else io.format_from_path(args.output)
    if fmt not in io.FORMATS:
        raise LatticeAnchorError(f"unknown format {fmt!r}; use one of {', '.join(io.FORMATS)}")
    hybrid = build_from_args(args)
    report = io.check_for_dft(hybrid)  # ≥ 95 % five-fold Pb for a coherent α hybrid, 90 % otherwise
    print(report)
    io.write(hybrid, args.output, format=fmt, force=getattr(args, "force", False), vasp_inputs=True, report=report)
    if not args.charge_balance and report.formal_charge:
        print(f"warning: --no-charge-balance: the structure carries a formal charge of {report.formal_charge:+d} "
              "(DFT codes add a compensating background)", file=sys.stderr)
    extra = [str(p) for name, p in io.vasp_companions(args.output).items()] if fmt == "vasp" else []
    print(f"written: {', '.join([str(args.output)] + extra)} ({fmt})")
    return 0
