"""`latticeanchor mismatch`: table of a_matrix, ε, critical thickness/spacing/loading over x."""

from __future__ import annotations

import numpy as np

from latticeanchor import data, geometry, strain, vegard
from latticeanchor.commands._args import float_range
from latticeanchor.validate import br_content, positive


def add_parser(sub) -> None:
    p = sub.add_parser("mismatch", help="lattice mismatch and dislocation onset of cores in CsPbBr_xI_(3-x)",
                       description="Print x, a_matrix (Å), ε (%), critical thickness (Å), critical spacing (Å) "
                                   "and critical loading (vol%) for each core.")
    p.add_argument("--core", default="PbS", help="core(s), comma-separated: PbS, PbSe, PbTe or PbS0.5Se0.5 (default PbS)")
    p.add_argument("--x", type=float_range, default=float_range("0:3:0.25"),
                   help="Br per formula unit: value, list or start:stop:step (default 0:3:0.25)")
    p.add_argument("--T", type=float, default=298.15, help="temperature in K (default 298.15)")
    p.add_argument("--diameter", type=float, default=30.0, help="dot diameter in Å (default 30)")
    p.add_argument("--arrangement", choices=sorted(geometry.PACKING_LIMIT), default="random",
                   help="dot arrangement for spacing ↔ loading (default random hard spheres)")
    p.add_argument("--dataset", default=None, help=f"reference dataset ({', '.join(data.dataset_names())}; default {data.default_dataset()})")
    p.add_argument("--plot", metavar="FILE", help="write ε(x) for each core with zero crossings marked (PNG/PDF/SVG)")
    p.set_defaults(func=run)


def table(core: str, x, T: float, diameter: float, dataset=None, arrangement="random") -> list[dict]:
    """Rows of the mismatch table (library form of the command)."""
    x = br_content(x)
    positive("diameter (Å)", diameter)
    eps = np.atleast_1d(strain.mismatch(core, x, T, dataset))
    h_c = np.atleast_1d(strain.critical_thickness(eps, x, T, dataset))
    spacing = np.atleast_1d(strain.critical_spacing(core, x, diameter, T, dataset))
    loading = np.atleast_1d(geometry.volume_fraction(spacing, diameter, arrangement))
    a_m = np.atleast_1d(vegard.lattice_constant(x, T, dataset))
    return [{"core": core, "x": float(xi), "a_matrix_A": float(a), "eps_percent": 100 * float(e),
             "critical_thickness_A": float(h), "critical_spacing_A": float(s), "critical_loading_vol_percent": 100 * float(v)}
            for xi, a, e, h, s, v in zip(np.atleast_1d(x), a_m, eps, h_c, spacing, loading)]


def _fmt(v: float, width: int, prec: int) -> str:
    text = "inf" if np.isinf(v) else (f"{v:.2e}" if abs(v) >= 1e6 else f"{v:.{prec}f}")
    return f" {text:>{width - 1}}"


def run(args) -> int:
    cores = [c.strip() for c in args.core.split(",") if c.strip()]
    data.resolve_dataset(args.dataset)
    for core in cores:
        strain.parse_core(core)
    rows = [r for core in cores for r in table(core, args.x, args.T, args.diameter, args.dataset, args.arrangement)]
    print(f"# dataset {data.resolve_dataset(args.dataset)}, T = {args.T:g} K, dot diameter {args.diameter:g} Å, "
          f"{args.arrangement} arrangement; ε = (a_matrix − a_core)/a_core")
    print(f"{'core':<12}{'x':>6}{'a_matrix/Å':>12}{'ε/%':>9}{'h_c/Å':>10}{'L_c/Å':>10}{'φ_c/vol%':>10}")
    for r in rows:
        print(f"{r['core']:<12}{r['x']:>6.2f}{r['a_matrix_A']:>12.4f}{r['eps_percent']:>+9.3f}"
              f"{_fmt(r['critical_thickness_A'], 10, 1)}{_fmt(r['critical_spacing_A'], 10, 1)}"
              f"{_fmt(r['critical_loading_vol_percent'], 10, 3)}")
    for core in cores:
        try:
            x0 = strain.zero_mismatch_x(core, args.T, args.dataset)
            print(f"# {core}: ε = 0 at x = {x0:.3f} ({100 * x0 / 3:.1f} % Br)")
        except Exception as exc:  # noqa: BLE001 - reported, not fatal
            print(f"# {core}: {exc}")
    if args.plot:
        from latticeanchor.plotting import plot_mismatch

        print(f"# plot written to {plot_mismatch(cores, args.plot, (args.T,), args.dataset)}")
    return 0
