"""``latticeanchor xrd``: simulate powder patterns and compare them with measured ones.

    latticeanchor xrd simulate STRUCTURE [--debye] [--wavelength CuKa] [--range 5 90] [-o pattern.xy] [--plot p.png]
    latticeanchor xrd compare MEASURED [--against STRUCTURE ...] [--refine] [--identify] [--wavelength ...]
                                       [--plot overlay.png]

STRUCTURE is any file ase.io reads (CIF, POSCAR, xyz) or a known phase name (PbS, PbSe, alpha,
alpha-x1.5, delta, ortho).
"""

from __future__ import annotations

import numpy as np

from latticeanchor.commands._args import MAX_BUDGET, bounded_int, naming, percent
from latticeanchor.errors import LatticeAnchorError


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("xrd", help="simulate X-ray powder patterns and compare with measured ones",
                              description="Simulate powder XRD patterns (Bragg or Debye) and compare/refine measured ones.")
    sub = p.add_subparsers(dest="xrd_command", metavar="SUBCOMMAND")

    s = sub.add_parser("simulate", help="simulate the pattern of a structure or a finite cluster")
    s.add_argument("structure", help="structure file (CIF, POSCAR, xyz, ...) or a phase name (PbS, PbSe, alpha, delta, ortho)")
    s.add_argument("--debye", action="store_true", help="Debye scattering equation for a finite cluster")
    s.add_argument("--wavelength", default="CuKa", help="name (CuKa, MoKa, ...), Å, or 'E keV' (default CuKa)")
    s.add_argument("--range", nargs=2, type=float, default=(5.0, 90.0), metavar=("MIN", "MAX"),
                   help="2θ range in degrees (default 5 90)")
    s.add_argument("--step", type=float, default=0.02, help="2θ step of the profile in degrees (default 0.02)")
    s.add_argument("--fwhm", type=float, default=0.1, help="peak FWHM in degrees for the Bragg profile (default 0.1)")
    s.add_argument("--kalpha2", action="store_true", help="add the Kα2 line (named Kα radiation only)")
    s.add_argument("-o", "--output", help="write the profile as 2θ (deg), intensity columns (.xy); the header "
                   "records the radiation (single line or Kα1+Kα2 doublet), which xrd compare reads back")
    s.add_argument("--plot", help="write a plot (PNG/PDF/SVG)")
    s.add_argument("--no-debye-waller", action="store_true",
                   help="no thermal damping (default: room-temperature B per element from the data file)")
    s.add_argument("--max-points", type=bounded_int(MAX_BUDGET), default=2_000_000, help="refuse profiles with more 2θ points (default 2e6)")
    s.add_argument("--max-reflections", type=bounded_int(MAX_BUDGET), default=20_000_000,
                   help="refuse patterns with more reciprocal-lattice points (default 2e7)")
    s.add_argument("--max-bins", type=bounded_int(MAX_BUDGET), default=50_000_000,
                   help="--debye: refuse pair histograms of more bins × element pairs (default 5e7)")
    s.set_defaults(func=_simulate)

    c = sub.add_parser("compare", help="compare a measured pattern with simulated phases")
    c.add_argument("measured", help="measured pattern (.xy, .xye, .dat, .csv, .txt, .chi, .xrdml)")
    c.add_argument("--against", nargs="+", default=None, metavar="STRUCTURE",
                   help="structures or phase names to compare with (default: identify among known phases)")
    c.add_argument("--refine", action="store_true", help="refine the (pseudo-)cubic lattice constants")
    c.add_argument("--identify", action="store_true", help="rank the phases by fit")
    c.add_argument("--wavelength", default=None, help="wavelength if the file does not state it (e.g. CuKa)")
    c.add_argument("--kalpha2", action="store_true",
                   help="model a named Kα wavelength as the Kα1 + Kα2 doublet (default: the single weighted-mean "
                        "line, as xrd simulate; files that state their lines, XRDML, use those)")
    c.add_argument("--x-unit", default=None, help="x axis unit: 2theta, q_A or q_nm (default from the file)")
    c.add_argument("--range", nargs=2, type=float, default=None, metavar=("MIN", "MAX"), help="2θ range in degrees")
    geo = c.add_mutually_exclusive_group()
    geo.add_argument("--no-displacement", action="store_true",
                     help="do not refine specimen displacement (grazing incidence; default for .xrdml 2θ scans at fixed ω)")
    geo.add_argument("--displacement", action="store_true",
                     help="refine specimen displacement even for a grazing-incidence (fixed-ω) scan")
    c.add_argument("--max-rwp", type=percent, default=15.0, help="warn when Rwp exceeds this (percent, default 15)")
    c.add_argument("--max-rows", type=bounded_int(MAX_BUDGET), default=200_000,
                   help="work budget: refuse patterns of more rows (default 200,000; crop with --range or rebin)")
    c.add_argument("--max-phases", type=bounded_int(64), default=8,
                   help="work budget: refuse more --against phases refined together (default 8)")
    c.add_argument("--json", metavar="PATH", help="write the result (a, σ, x, ε, Rwp, warnings) as JSON")
    c.add_argument("--plot", help="overlay plot: measured, simulated, difference, reflection ticks")
    c.set_defaults(func=_compare)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


_PLOT_SUFFIXES = (".png", ".pdf", ".svg", ".jpg", ".jpeg", ".eps", ".ps", ".tif", ".tiff", ".webp")


def check_output(path, what: str, suffixes=None) -> str:
    """The output path checked before any work (``latticeanchor.atomic.check_target``); '~' expanded."""
    from latticeanchor.atomic import check_target

    return str(check_target(path, what, suffixes))


def _finite(name, value, positive=False):
    import math

    if not math.isfinite(value) or (positive and value <= 0):
        raise LatticeAnchorError(f"{name} must be a finite{' positive' if positive else ''} number, got {value!r}")
    return value


def _simulate(args) -> int:
    try:
        return _simulate_impl(args)
    except BrokenPipeError:  # `xrd simulate ... | head`: the reader left; stop quietly
        import os
        import sys

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _simulate_impl(args) -> int:
    from latticeanchor.diffraction import bragg_pattern, debye_pattern, load_structure, profile, two_theta_to_q
    from latticeanchor.diffraction.bragg import bragg_profile, estimated_reflections
    from latticeanchor.diffraction.wavelengths import resolve_radiation

    lo, hi = (_finite("--range", float(v)) for v in args.range)
    if not (0 <= lo < hi <= 180):
        raise LatticeAnchorError(f"--range must satisfy 0 <= MIN < MAX <= 180 degrees, got {lo:g} {hi:g}")
    step = _finite("--step", float(args.step), positive=True)
    if step > hi - lo:
        raise LatticeAnchorError(f"--step {step:g} is wider than the --range {lo:g}..{hi:g}° (a profile needs at "
                                 "least two points); use a smaller step")
    fwhm = _finite("--fwhm", float(args.fwhm), positive=True)
    if not (np.isfinite(args.max_bins) and args.max_bins >= 1):
        raise LatticeAnchorError(f"--max-bins must be a number ≥ 1, got {args.max_bins!r}")
    npts = (hi - lo) / step + 1
    if not npts <= args.max_points:
        raise LatticeAnchorError(f"--step {step:g} over {lo:g}..{hi:g}° gives {npts:.3g} points, more than --max-points "
                                 f"{args.max_points:g}; use a larger step or raise --max-points")
    if args.output is not None:
        args.output = check_output(args.output, "--output")
    if args.plot is not None:
        args.plot = check_output(args.plot, "--plot", _PLOT_SUFFIXES)
    rad = resolve_radiation(args.wavelength, kalpha2=args.kalpha2)
    lam = rad.wavelength
    dw = {} if args.no_debye_waller else None
    st = load_structure(args.structure)
    grid = lo + step * np.arange(int(np.floor((hi - lo) / step + 1e-9)) + 1)
    periodic = hasattr(st, "lattice")
    if args.debye or not periodic:
        from pymatgen.core import Structure

        atoms = st
        if isinstance(st, Structure):
            from pymatgen.io.ase import AseAtomsAdaptor

            if not st.is_ordered:
                raise LatticeAnchorError(f"{args.structure}: the Debye equation needs an ordered cluster (no partial "
                                         "occupancies); draw a configuration first or use the Bragg pattern")
            atoms = AseAtomsAdaptor.get_atoms(st)
        if len(rad.lines) > 1:
            raise LatticeAnchorError("--kalpha2 applies to Bragg patterns only")
        y = debye_pattern(atoms, two_theta_to_q(grid, lam), method="auto", debye_waller_factors=dw,
                          max_histogram_cells=args.max_bins)
        y = 100 * y / y.max()
        print(f"Debye pattern of {len(atoms)} atoms, λ = {lam:.5f} Å, {len(grid)} points")
    else:
        n_est = estimated_reflections(st, min(rad.lines), hi)
        if not n_est <= args.max_reflections:
            raise LatticeAnchorError(f"{args.structure}: about {n_est:.3g} reflections up to 2θ = {hi:g}° at λ = "
                                     f"{min(rad.lines):g} Å exceed --max-reflections {args.max_reflections:g}")
        # tails of reflections just outside the range stay in the scan, as in a measurement
        pat, y = bragg_profile(st, grid, args.wavelength, fwhm=fwhm, kalpha2=args.kalpha2, debye_waller_factors=dw,
                               max_reflections=args.max_reflections)
        print(f"Bragg pattern of {st.composition.reduced_formula} ({len(st)} atoms), λ = {lam:.5f} Å ({rad.name})")
        print(f"{'2θ (deg)':>10} {'d (Å)':>8} {'I':>7}  hkl")
        strong = np.argsort(-np.asarray(pat.y))[:12]
        for i in sorted(strong):
            print(f"{pat.x[i]:10.3f} {pat.d_hkls[i]:8.4f} {pat.y[i]:7.1f}  {pat.hkls[i][0]['hkl']}")
    if args.output is not None:
        from latticeanchor.atomic import write_text

        body = "\n".join(f"{a:.5f} {b:.6g}" for a, b in zip(grid, y))
        lines = " ".join(f"{v:.6f}" for v in rad.lines)
        weights = " ".join(f"{v:g}" for v in rad.weights)
        header = (f"# simulated {args.structure}, wavelength {lam:.6f} A\n"
                  f"# radiation: {rad.name}; lines_A {lines}; weights {weights}\n"
                  f"# 2theta(deg) intensity\n")
        write_text(args.output, header + body + "\n")
        print(f"wrote {args.output}")
    if args.plot is not None:
        _plot(args.plot, [(grid, y, f"simulated {args.structure}")], None, "2θ (degrees)")
    return 0


def _plot(path, curves, diff, xlabel, ticks=None):
    """Line plot of ``curves`` [(x, y, label)], an offset difference curve, and reflection tick rows
    ``ticks`` [(positions, label)] below the curves."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from latticeanchor.atomic import atomic_path

    from latticeanchor.plotting import OKABE_ITO

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for k, (x, y, label) in enumerate(curves):
        ax.plot(x, y, lw=1, label=label, color=OKABE_ITO[k % len(OKABE_ITO)])
    top = max(np.max(np.abs(c[1])) for c in curves) if curves else 1.0
    off = -0.1 * top
    if diff is not None:
        x, d = diff
        ax.plot(x, d + off, lw=0.8, color="0.4", label="difference (offset)")
        off = off - 0.6 * max(float(np.max(np.abs(d))), 0.02 * top)
    for k, (pos, label) in enumerate(ticks or []):
        yk = off - 0.06 * top * (k + 1)
        ax.plot(pos, np.full(len(pos), yk), "|", ms=8, mew=1, label=f"{label} reflections",
                color=OKABE_ITO[(len(curves) + k) % len(OKABE_ITO)])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("intensity (arb. units)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    print(f"wrote {path}")


def _reflection_positions(res) -> list:
    """Peak positions (2θ, degrees) of each refined phase at its refined lattice, zero and displacement."""
    from latticeanchor.diffraction.refine import _peak_positions

    out = []
    x = res.two_theta
    for k, ph in enumerate(res.phases):
        s = res.params[4 * k]
        tt, _, ok = _peak_positions(ph.d0 * s, res.wavelength, res.zero_shift_deg, res.displacement_deg)
        tt = tt[ok & (tt >= x.min()) & (tt <= x.max())]
        out.append((tt, ph.name))
    return out


def _compare(args) -> int:
    from latticeanchor.diffraction import bragg_pattern, compare, identify, load_structure, read_pattern, refine_cubic
    from latticeanchor.diffraction.measured import _normalize_unit
    from latticeanchor.diffraction.refine import displacement_decision

    if args.plot is not None:
        args.plot = check_output(args.plot, "--plot", _PLOT_SUFFIXES)
    if args.json is not None:
        args.json = check_output(args.json, "--json")
    if not np.isfinite(args.max_rwp) or args.max_rwp <= 0:
        raise LatticeAnchorError(f"--max-rwp must be a positive number of percent, got {args.max_rwp!r}")
    for flag, value in (("--max-rows", args.max_rows), ("--max-phases", args.max_phases)):
        if not (np.isfinite(value) and value >= 1):
            raise LatticeAnchorError(f"{flag} must be a number ≥ 1, got {value!r}")
    max_rows = int(min(args.max_rows, 2**62))
    if args.against and len(args.against) > args.max_phases:
        raise LatticeAnchorError(f"--against: {len(args.against)} phases, more than --max-phases {args.max_phases:g}")
    structures = {}  # every --against structure read before the pattern: a mistyped name fails first
    for name in args.against or ():
        with naming("--against"):
            structures[name] = load_structure(name)
    with naming("--x-unit"):
        _normalize_unit(args.x_unit)
    pat = read_pattern(args.measured, wavelength=args.wavelength, x_unit=args.x_unit)
    if len(pat.two_theta) > max_rows:
        raise LatticeAnchorError(f"{args.measured}: {len(pat.two_theta):,} rows exceed --max-rows {max_rows:,}; "
                                 "crop with --range, rebin, or raise --max-rows")
    if pat.wavelength is None:
        raise LatticeAnchorError(f"{args.measured}: wavelength unknown; pass --wavelength (e.g. CuKa)")
    rng = None
    if args.range:
        lo, hi = (float(v) for v in args.range)
        if not (np.isfinite(lo) and np.isfinite(hi) and 0 <= lo < hi <= 180):
            raise LatticeAnchorError(f"--range must satisfy 0 <= MIN < MAX <= 180 degrees, got {args.range}")
        rng = (lo, hi)
    # geometry: the library decides from the file (refine.displacement_decision); the flags only force it
    fit_disp = False if args.no_displacement else True if args.displacement else "auto"
    _, why = displacement_decision(pat, fit_disp)
    hint = "" if fit_disp != "auto" else ("; --displacement to refine it anyway" if why.startswith("off")
                                          else "; --no-displacement for grazing incidence")
    print(f"specimen displacement: {why}{hint}")
    against = args.against
    if not against:
        matches = identify(pat, wavelength=args.wavelength, two_theta_range=rng, max_points=max_rows)
        print("phase identification (best first):")
        for m in matches:
            a = ", ".join(f"{k} a={v:.4f} Å" for k, v in m.a.items())
            print(f"  {m.name:<24} Rwp = {100 * m.rwp:6.2f} %  r = {m.pearson:.4f}  fraction = {m.fraction:.3f}  ({a})")
        against = [matches[0].name]
        if "+" in against[0]:
            against = against[0].split("+")
    elif args.identify:
        matches = identify(pat, {n: load_structure(n) for n in against}, wavelength=args.wavelength, two_theta_range=rng,
                           max_points=max_rows)
        for m in matches:
            print(f"  {m.name:<24} Rwp = {100 * m.rwp:6.2f} %  r = {m.pearson:.4f}  fraction = {m.fraction:.3f}")
    specs = []
    for name in against:
        st = structures.pop(name) if name in structures else load_structure(name)  # each use its own copy
        if not hasattr(st, "lattice"):
            raise LatticeAnchorError(f"{name}: compare needs a periodic structure")
        specs.append((name, st))
    x = pat.two_theta
    res = refine_cubic(pat, specs, wavelength=args.wavelength, two_theta_range=rng,
                       fit_displacement=fit_disp, kalpha2=args.kalpha2, max_rwp=args.max_rwp, max_points=max_rows)
    if args.refine:
        print("refinement:")
        print(res.summary())
    else:
        cmp_ = compare(pat, bragg_pattern(specs[0][1], res.wavelength, (max(x.min(), 1.0), x.max())),
                       two_theta_range=rng)
        print(f"unrefined {specs[0][0]}: Rwp = {100 * cmp_.rwp:.2f} %  r = {cmp_.pearson:.4f}  "
              f"matched peaks {len(cmp_.peaks.measured_two_theta)}, unmatched measured "
              f"{len(cmp_.peaks.unmatched_measured)}, unmatched simulated {len(cmp_.peaks.unmatched_simulated)}")
        print(f"after lattice refinement: Rwp = {100 * res.rwp:.2f} %  r = {res.pearson:.4f}")
        for n, a in res.a.items():
            print(f"  {n}: a = {a:.4f} ± {res.a_sigma[n]:.4f} Å" + (f"  x(Br) = {res.x_br[n]:.2f}" if n in res.x_br else ""))
        for (p_, r_), m in res.mismatch.items():
            print(f"  mismatch {p_} vs {r_}: {100 * m:+.3f} ± {100 * res.mismatch_sigma[(p_, r_)]:.3f} %")
        for w in res.warnings:
            print(f"  WARNING: {w}")
    if args.json is not None:
        import json

        from latticeanchor.atomic import json_default, write_text

        out = {"measured": str(args.measured), "phases": [n for n, _ in specs], "geometry": pat.meta.get("geometry") or "unknown",
               "displacement": why, **res.to_dict()}
        write_text(args.json, json.dumps(out, indent=1, default=json_default, allow_nan=True) + "\n")
        print(f"wrote {args.json}")
    if args.plot is not None:
        _plot(args.plot, [(res.two_theta, res.observed, "measured (background subtracted)"),
                          (res.two_theta, res.calculated, "simulated (" + " + ".join(res.a) + ")")],
              (res.two_theta, res.difference), "2θ (degrees)", ticks=_reflection_positions(res))
    return 0
