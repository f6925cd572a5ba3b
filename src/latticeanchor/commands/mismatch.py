"""`latticeanchor mismatch`: table of a_matrix, ε, critical thickness/spacing/loading over x."""

from __future__ import annotations

import argparse

from latticeanchor.commands._args import (MAX_BUDGET, bounded_int, core_list, finite_float, float_list, matrix_list, naming,
                                          positive_int, temperature)

MAX_ROWS = 5_000  # default budget of table rows (cores × x values, ~25 ms each); --max-points raises it
PLOT_SUFFIXES = (".png", ".pdf", ".svg")
ARRANGEMENTS = ("fcc", "random", "sc")  # geometry.PACKING_LIMIT keys (checked by the library too)


def add_parser(sub) -> None:
    p = sub.add_parser("mismatch", help="lattice mismatch and dislocation onset of cores in CsPbBr_xI_(3-x)",
                       description="Print x, a_matrix (Å), ε (%), and the Matthews–Blakeslee coherence thickness (Å), "
                                   "spacing (Å) and loading φ_MB (vol%) for each core (a film criterion; the "
                                   "stability model's critical loading is what `screen` reports).")
    p.add_argument("--core", type=core_list, default=["PbS"],
                   help="core(s), comma-separated: PbS, PbSe, PbTe or PbS0.5Se0.5 (default PbS)")
    p.add_argument("--x", default="0:3:0.25",
                   help="Br per formula unit: value, list or start:stop:step (default 0:3:0.25)")
    p.add_argument("--T", type=temperature, default=298.15, help="temperature in K (default 298.15)")
    p.add_argument("--diameter", type=finite_float, default=3.0, help="dot diameter in nm (default 3)")
    p.add_argument("--arrangement", choices=ARRANGEMENTS, default="random",
                   help="dot arrangement for spacing ↔ loading (default random hard spheres)")
    p.add_argument("--dataset", default=None, help="reference dataset (see latticeanchor.data; default: the package default)")
    p.add_argument("--materials", dest="dataset", metavar="FILE",
                   help="materials JSON file (latticeanchor data template) instead of --dataset")
    p.add_argument("--matrix", default=None, metavar="NAMES",
                   help="matrix alloy(s), comma-separated: CsPb(Br,I)3 (default), CsPb(Cl,Br)3, MAPb(Br,I)3, "
                        "FAPb(Br,I)3; x is each matrix's first-named halide")
    p.add_argument("--plot", metavar="FILE", help="write ε(x) for each core with zero crossings marked (PNG/PDF/SVG)")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV (units in the column names)")
    p.add_argument("--max-points", type=bounded_int(MAX_BUDGET), default=MAX_ROWS,
                   help=f"refuse tables of more rows than this (cores × x values; default {MAX_ROWS:,})")
    p.add_argument("--verbose", "-v", dest="verbose_sub", action="store_true",
                   help="show third-party warnings and the traceback of internal errors")
    p.set_defaults(func=run)


def table(core: str, x, T: float, diameter: float, dataset=None, arrangement="random") -> list[dict]:
    """Rows of the mismatch table (library form of the command); ``diameter`` in Å, T in K.

    Column names are the screen's (``candidates.csv``) where they mean the same: fractions, not percent
    (``eps_fraction``, ``mb_coherence_loading_fraction``: the Matthews–Blakeslee criterion alone), lengths
    in Å; the screen prints percent, the files hold fractions."""
    from latticeanchor import geometry, strain, vegard
    import numpy as np

    from latticeanchor.validate import br_content, dot_diameter

    from latticeanchor.errors import LatticeAnchorError

    x = br_content(x)
    dot_diameter(diameter)
    eps = np.atleast_1d(strain.mismatch(core, x, T, dataset))
    try:
        h_c = np.atleast_1d(strain.critical_thickness(eps, x, T, dataset))
        spacing = np.atleast_1d(strain.critical_spacing(core, x, diameter, T, dataset))
        loading = np.atleast_1d(geometry.volume_fraction(spacing, diameter, arrangement))
    except LatticeAnchorError:  # a matrix without elastic constants: the MB columns are not evaluated (NaN)
        h_c = spacing = loading = np.full(eps.shape, np.nan)
    a_m = np.atleast_1d(vegard.lattice_constant(x, T, dataset))
    return [{"core": core, "x": float(xi), "a_matrix_A": float(a), "eps_fraction": float(e),
             "mb_critical_thickness_A": float(h), "mb_critical_spacing_A": float(s), "mb_coherence_loading_fraction": float(v)}
            for xi, a, e, h, s, v in zip(np.atleast_1d(x), a_m, eps, h_c, spacing, loading)]


def _fmt(v: float, width: int, prec: int) -> str:
    import numpy as np

    text = "n/e" if np.isnan(v) else "inf" if np.isinf(v) else (f"{v:.2e}" if abs(v) >= 1e6 else f"{v:.{prec}f}")
    return f" {text:>{width - 1}}"


def _matrices(text, dataset) -> list:
    """--matrix 'CsPb(Br,I)3,MAPb(Br,I)3' -> [None] (no flag) or the names (commas inside parentheses kept)."""
    if text is None:
        return [None]
    from latticeanchor import data

    names = matrix_list(text)
    for name in names:
        data.dataset(dataset, matrix=name)  # unknown names: one line listing the known ones
    return names


def check_args(args) -> tuple[list[str], list[float], float]:
    """Validate every argument and output path before any work: (cores, x values, diameter in Å)."""
    from latticeanchor import data, strain
    from latticeanchor.atomic import check_target
    from latticeanchor.errors import LatticeAnchorError
    from latticeanchor.validate import br_content, dot_diameter_nm

    cores = list(args.core)
    try:
        xs = float_list(args.x, max_points=max(1, args.max_points // max(1, len(cores))))
    except argparse.ArgumentTypeError as exc:
        raise LatticeAnchorError(f"--x: {exc} (raise --max-points to allow more rows)") from None
    br_content(xs)
    dot_diameter_nm("--diameter", args.diameter)
    data.resolve_dataset(args.dataset)
    args.matrices = _matrices(args.matrix, args.dataset)
    with naming("--core"):
        for core in cores:
            strain.check_core(core, args.dataset)  # a compound the dataset lacks: refused before any output
    if args.plot is not None:
        args.plot = str(check_target(args.plot, "--plot", PLOT_SUFFIXES))  # '~' expanded
    if args.csv is not None:
        args.csv = str(check_target(args.csv, "--csv", (".csv", ".txt", ".tsv")))
    return cores, xs, 10.0 * args.diameter


def run(args) -> int:
    import numpy as np

    from latticeanchor import data, strain
    from latticeanchor.errors import LatticeAnchorError

    cores, xs, diameter_A = check_args(args)
    all_rows = []
    for matrix in args.matrices:
        ms = data.dataset(args.dataset, matrix)
        rows = [r for core in cores for r in table(core, xs, args.T, diameter_A, ms, args.arrangement)]
        if matrix is not None:
            rows = [{"matrix": matrix, **r} for r in rows]
        all_rows += rows
        where = "" if matrix is None else f", matrix {matrix} (x = {ms.matrix().halides[0]} per formula unit)"
        print(f"# dataset {data.resolve_dataset(args.dataset)}{where}, T = {args.T:g} K, dot diameter "
              f"{args.diameter:g} nm, {args.arrangement} arrangement; ε = (a_matrix − a_core)/a_core")
        print("# h_c, L_c, φ_MB: Matthews–Blakeslee coherence of the matrix between two dots (a film criterion, not a "
              "lifetime); the stability model's critical loading is stability.critical_loading (screen: "
              "critical_loading_fraction)")
        if rows and np.isnan(rows[0]["mb_critical_thickness_A"]):
            print(f"# n/e: not evaluated, no elastic constants recorded for {ms.matrix().name}")
        print(f"{'core':<12}{'x':>6}{'a_matrix/Å':>12}{'ε/%':>9}{'h_c/Å':>10}{'L_c/Å':>10}{'φ_MB/vol%':>11}")
        for r in rows:
            print(f"{r['core']:<12}{r['x']:>6.2f}{r['a_matrix_A']:>12.4f}{100 * r['eps_fraction']:>+9.3f}"
                  f"{_fmt(r['mb_critical_thickness_A'], 10, 1)}{_fmt(r['mb_critical_spacing_A'], 10, 1)}"
                  f"{_fmt(100 * r['mb_coherence_loading_fraction'], 11, 3)}")
        for core in cores:
            try:
                x0 = strain.zero_mismatch_x(core, args.T, ms)
                print(f"# {core}: ε = 0 at x = {x0:.3f} ({100 * x0 / 3:.1f} % {ms.matrix().halides[0]})")
            except LatticeAnchorError as exc:  # no zero crossing in [0, 3]: reported, not fatal
                print(f"# {core}: {exc}")
    if args.csv is not None:
        write_csv(all_rows, args.csv, diameter_nm=args.diameter, T=args.T, arrangement=args.arrangement)
        print(f"# table written to {args.csv}")
    if args.plot:
        from latticeanchor.plotting import plot_mismatch

        plot_ds = args.dataset if args.matrices == [None] else data.dataset(args.dataset, args.matrices[0])
        print(f"# plot written to {plot_mismatch(cores, args.plot, (args.T,), plot_ds)}")
    return 0


def write_csv(rows: list[dict], path, diameter_nm: float, T: float, arrangement: str):
    """The mismatch rows as CSV (atomic), with the run's diameter (nm), T (K) and arrangement per row."""
    import csv
    import io

    from latticeanchor.atomic import write_text

    buf = io.StringIO()
    fields = (["matrix"] if rows and "matrix" in rows[0] else []) + ["core", "x", "T_K", "diameter_nm", "arrangement", "a_matrix_A", "eps_fraction", "mb_critical_thickness_A",
              "mb_critical_spacing_A", "mb_coherence_loading_fraction"]
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        row = {k: ("" if isinstance(v, float) and v != v else v) for k, v in r.items()}  # not evaluated: empty
        writer.writerow({**row, "T_K": T, "diameter_nm": diameter_nm, "arrangement": arrangement})
    return write_text(path, buf.getvalue())
