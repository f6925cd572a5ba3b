"""Least-squares refinement of cubic / pseudo-cubic lattice constants from a measured powder pattern.

Whole-pattern (Le Bail-like, fixed relative intensities) fit: each phase's reflection list comes from its
structure (pymatgen XRDCalculator physics, :mod:`latticeanchor.diffraction.bragg`); its lattice is
stretched isotropically (a = s·a₀), with its own scale and Caglioti widths FWHM² = U tan²θ + W
(degrees²); shared pseudo-Voigt mixing η, zero shift z (degrees) and specimen displacement,
Δ2θ = z + D cosθ with D = −(2 h/R)(180/π) degrees for a height error h on a goniometer radius R
(Klug & Alexander, *X-ray Diffraction Procedures*, Wiley 1974, ch. 5); the background is a SNIP
estimate (see :mod:`latticeanchor.diffraction.compare`) plus a Chebyshev polynomial. The radiation is
the one the file states (``xrd simulate`` headers: single line or doublet; XRDML Kα1/Kα2/ratio), else a
named Kα is the Kα1 + Kα2 doublet (pymatgen's lines, ratio 0.5). Intensities carry the same room-
temperature Debye–Waller factors as :func:`latticeanchor.diffraction.bragg_pattern`. Weights 1/σ² from the
file's σ column, else 1/max(y, 1) (Poisson). Standard uncertainties: sqrt(diag((JᵀJ)⁻¹)·χ²/(n − p)) at the
optimum (full covariance, correlations included).

Reported ``a`` (Å): the cubic lattice constant for cubic phases; for non-cubic phases the pseudo-cubic
constant (V/N_Pb)^(1/3) (per Pb, i.e. per perovskite unit). The perovskite/rock-salt mismatch is
(a_perovskite − a_rocksalt)/a_rocksalt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latticeanchor.errors import LatticeAnchorError

_LN2 = np.log(2.0)


@dataclass
class Phase:
    """A phase to refine: name, reference structure and derived reflection data."""

    name: str
    structure: object
    kind: str
    a0: float  # reported (pseudo-)cubic constant of the reference structure, Å
    d0: np.ndarray = field(default=None)  # d spacings at s = 1, Å
    i0: np.ndarray = field(default=None)  # Σ|F|² over merged reflections (electrons²), no LP


def _reported_a0(st) -> float:
    """Cubic constant (Å); for a supercell of the α (or rock-salt) cell the parent's (pseudo-cubic) one; for
    other non-cubic cells (V/N_Pb)^(1/3)."""
    from latticeanchor.diffraction.phases import parent_cell

    par = parent_cell(st)
    if par is not None:
        return float(par[1])
    lat = st.lattice
    a, b, c = lat.abc
    if np.allclose([a, b, c], a, rtol=1e-6) and np.allclose(lat.angles, 90, atol=1e-6):
        return float(a)
    n_pb = sum(1 for s in st if "Pb" in [sp.symbol for sp in s.species])
    return float((lat.volume / max(n_pb, 1)) ** (1 / 3))


def make_phase(spec, lam_min: float, d_min: float) -> Phase:
    """Phase from a name, a structure or a (name, structure) pair; reflections with d ≥ d_min (Å)."""
    from latticeanchor.diffraction.bragg import as_structure, reflection_list
    from latticeanchor.diffraction.phases import named_phase, phase_kind

    if isinstance(spec, Phase):
        return spec
    if isinstance(spec, tuple) and len(spec) == 2:
        name, st = spec
        st = as_structure(st)
    elif isinstance(spec, str):
        st = named_phase(spec)
        if st is None:
            from latticeanchor.diffraction.phases import load_structure

            st = as_structure(load_structure(spec))
        name = spec
    else:
        st = as_structure(spec)
        name = st.composition.reduced_formula
    kind = phase_kind(name)
    if kind == "other":
        from latticeanchor.diffraction.phases import parent_cell

        par = parent_cell(st)
        if par is not None:
            kind = par[0]
    if kind == "other":
        els = {e.symbol for e in st.composition.elements}
        if els <= {"Pb", "S", "Se", "Te"} and st.lattice.is_orthogonal and len(els) == 2:
            kind = "rocksalt"
        elif {"Cs", "Pb"} <= els and len(st) == 5 * max(1, len(st) // 5) and st.lattice.is_orthogonal \
                and np.allclose(st.lattice.abc, st.lattice.a):
            kind = "alpha"
    # reflections over the whole sphere reachable at d >= d_min: use λ = 2 d_min with 2θ up to 180°
    lam = 2.0 * d_min
    hkl, g, f2 = reflection_list(st, lam, (0.0, 179.999))
    g = g[g > 0]
    f2 = f2[-len(g):] if len(f2) != len(g) else f2
    key = np.round(g, 7)
    uniq, inv = np.unique(key, return_inverse=True)
    i0 = np.bincount(inv, weights=2.0 * f2)  # ×2: Friedel mates
    d0 = 1.0 / uniq
    keep = i0 > 1e-9 * i0.max()
    return Phase(name, st, kind, _reported_a0(st), d0[keep], i0[keep])


def _peak_positions(d, lam, zero, disp):
    s = lam / (2 * d)
    ok = s < 1
    th = np.arcsin(np.clip(s, 0, 0.999999))
    tt = np.degrees(2 * th) + zero + disp * np.cos(th)
    return tt, th, ok


def _lp(th):
    return (1 + np.cos(2 * th) ** 2) / (np.sin(th) ** 2 * np.cos(th))


class _Model:
    def __init__(self, x, phases, lines, weights, n_bkg, window=12.0):
        self.x = x
        self.phases = phases
        self.lines = lines
        self.lweights = weights
        self.n_bkg = n_bkg
        self.window = window
        self.t = 2 * (x - x.min()) / max(x.max() - x.min(), 1e-9) - 1
        self.cheb = np.polynomial.chebyshev.chebvander(self.t, max(n_bkg - 1, 0))[:, :n_bkg]

    # parameter layout: per phase [s, scale, U, W]; then zero, disp, eta, bkg...
    def unpack(self, p):
        n = len(self.phases)
        ph = p[: 4 * n].reshape(n, 4)
        zero, disp, eta = p[4 * n: 4 * n + 3]
        bkg = p[4 * n + 3:]
        return ph, zero, disp, eta, bkg

    def phase_profile(self, k, s, U, W, zero, disp, eta):
        x = self.x
        phase = self.phases[k]
        out = np.zeros_like(x)
        for lam, lw in zip(self.lines, self.lweights):
            tt, th, ok = _peak_positions(phase.d0 * s, lam, zero, disp)
            inr = ok & (tt > x[0] - 3) & (tt < x[-1] + 3)
            if not inr.any():
                continue
            tt, th = tt[inr], th[inr]
            amp = lw * phase.i0[inr] * _lp(th)
            t = np.tan(th)
            fw = np.sqrt(np.maximum(U * t * t + W, 1e-8))
            lo = np.searchsorted(x, tt - self.window * fw)
            hi = np.searchsorted(x, tt + self.window * fw)
            cnt = hi - lo
            if cnt.sum() == 0:
                continue
            pk = np.repeat(np.arange(len(tt)), cnt)
            idx = np.repeat(lo - np.cumsum(np.r_[0, cnt[:-1]]), cnt) + np.arange(cnt.sum())
            dx = x[idx] - tt[pk]
            w = fw[pk]
            g = np.sqrt(4 * _LN2 / np.pi) / w * np.exp(-4 * _LN2 * (dx / w) ** 2)
            lo_ = (2 / np.pi) / w / (1 + 4 * (dx / w) ** 2)
            out += np.bincount(idx, weights=amp[pk] * (eta * lo_ + (1 - eta) * g), minlength=len(x))
        return out

    def __call__(self, p, components=False):
        ph, zero, disp, eta, bkg = self.unpack(p)
        comps = [ph[k, 1] * self.phase_profile(k, ph[k, 0], ph[k, 2], ph[k, 3], zero, disp, eta)
                 for k in range(len(self.phases))]
        back = self.cheb @ bkg if self.n_bkg else np.zeros_like(self.x)
        total = back + np.sum(comps, axis=0)
        return (total, comps, back) if components else total


@dataclass
class RefinementResult:
    """Refined lattice constants (Å) with standard uncertainties, and fit figures."""

    a: dict
    a_sigma: dict
    rwp: float
    pearson: float
    zero_shift_deg: float
    displacement_deg: float  # D in Δ2θ = zero + D cosθ (degrees)
    eta: float
    fwhm_deg: dict  # phase → FWHM at 2θ = 30° (degrees)
    scale: dict
    x_br: dict = field(default_factory=dict)  # α phase → Br per formula unit (Vegard)
    mismatch: dict = field(default_factory=dict)  # (perovskite, rock salt) → (a_pv − a_rs)/a_rs
    mismatch_sigma: dict = field(default_factory=dict)  # same keys: standard uncertainty of ε (with correlations)
    warnings: list = field(default_factory=list)  # strongly correlated parameters, poor fit, false minimum
    correlations: dict = field(default_factory=dict)  # (param, param) → r for |r| > 0.95
    fit_displacement: bool = True
    two_theta: np.ndarray = None
    observed: np.ndarray = None  # background-subtracted
    calculated: np.ndarray = None
    components: dict = None
    phases: list = None
    wavelength: float = None
    params: np.ndarray = None
    notes: list = field(default_factory=list)

    @property
    def difference(self):
        return self.observed - self.calculated

    def displacement_mm(self, radius_mm: float) -> float:
        """Specimen displacement h (mm) for goniometer radius R (mm): D = −(2h/R)(180/π)."""
        return float(-self.displacement_deg * np.pi / 180 * radius_mm / 2)

    def summary(self) -> str:
        lines = [f"Rwp = {100 * self.rwp:.2f} %   Pearson r = {self.pearson:.4f}   "
                 f"zero = {self.zero_shift_deg:+.4f}°   displacement D = {self.displacement_deg:+.4f}° (Δ2θ = D cosθ)"]
        for n in self.a:
            lines.append(f"  {n}: a = {self.a[n]:.4f} ± {self.a_sigma[n]:.4f} Å   FWHM(30°) = {self.fwhm_deg[n]:.3f}°"
                         + (f"   x(Br) = {self.x_br[n]:.2f}" if n in self.x_br else ""))
        for (p, r), m in self.mismatch.items():
            sig = self.mismatch_sigma.get((p, r))
            lines.append(f"  mismatch ε = (a_{p} − a_{r})/a_{r} = {100 * m:+.3f}"
                         + (f" ± {100 * sig:.3f}" if sig is not None else "") + " %")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  WARNING: {n}" for n in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready summary: a and σ (Å), x(Br), ε and σ_ε (fractions), Rwp (fraction), warnings, notes."""
        return {"a_A": dict(self.a), "a_sigma_A": dict(self.a_sigma), "x_br": dict(self.x_br),
                "mismatch": {f"{p}|{r}": m for (p, r), m in self.mismatch.items()},
                "mismatch_sigma": {f"{p}|{r}": m for (p, r), m in self.mismatch_sigma.items()},
                "rwp": self.rwp, "pearson": self.pearson, "zero_shift_deg": self.zero_shift_deg,
                "displacement_deg": self.displacement_deg, "displacement_refined": self.fit_displacement,
                "fwhm_30_deg": dict(self.fwhm_deg), "wavelength_A": self.wavelength,
                "correlations": {f"{p}|{q}": r for (p, q), r in self.correlations.items()},
                "warnings": list(self.warnings), "notes": list(self.notes)}


MAX_PATTERN_POINTS = 200_000  # rows of a fitted pattern (a 0.001° step over 5–150° is 145,000)
MAX_PARAMETERS = 64  # refined parameters (4 per phase + 3 + background terms)
MAX_BACKGROUND_TERMS = 24


def _check_options(*, max_strain, fit_zero, fit_displacement, kalpha2=False, n_background, background, fwhm0, window_deg,
                   fix_scale, max_rwp) -> None:
    """refine_cubic's options, each named in its error."""
    from latticeanchor.validate import integer, one_of, real

    real("max_strain", max_strain, 0.0, 0.5, low_open=True)
    if not isinstance(fit_zero, (bool, np.bool_)):
        raise LatticeAnchorError(f"fit_zero must be True or False, got {fit_zero!r}")
    if not isinstance(kalpha2, (bool, np.bool_)):
        raise LatticeAnchorError(f"kalpha2 must be True or False, got {kalpha2!r}")
    if not (isinstance(fit_displacement, (bool, np.bool_)) or fit_displacement == "auto"):
        raise LatticeAnchorError(f"fit_displacement must be True, False or 'auto', got {fit_displacement!r}")
    integer("n_background", n_background, 0, MAX_BACKGROUND_TERMS)
    one_of("background", background, ("snip", "file", "none"))
    real("fwhm0 (degrees)", fwhm0, 0.0, 10.0, low_open=True)
    real("window_deg (degrees)", window_deg, 0.0, 90.0, low_open=True)
    real("max_rwp (percent)", max_rwp, 0.0, low_open=True)
    if fix_scale is not None and not isinstance(fix_scale, dict):
        raise LatticeAnchorError(f"fix_scale must be None or a dict, got {type(fix_scale).__name__}")


def _check_rows(pattern, max_points) -> None:
    """Refuse a pattern of more than ``max_points`` rows (the work budget), before any array is made."""
    from latticeanchor.validate import integer

    budget = integer("max_points", max_points, 1)
    if hasattr(pattern, "two_theta") and hasattr(pattern, "intensity"):
        x = pattern.two_theta
    else:
        try:
            pair = len(pattern) == 2 and not isinstance(pattern, (str, bytes, dict))
            x = pattern[0] if pair else None
        except (TypeError, KeyError, IndexError):
            x = None
        if x is None:
            raise LatticeAnchorError("pattern must be a MeasuredPattern or a pair (2θ degrees, intensity), "
                                     f"got {type(pattern).__name__}")
    try:
        n = int(np.size(x))
    except (TypeError, ValueError):
        raise LatticeAnchorError("pattern 2θ must be an array of numbers") from None
    if n > budget:
        raise LatticeAnchorError(f"pattern: {n:,} rows exceed the budget max_points {budget:,}; crop it with "
                                 "two_theta_range or rebin it, or raise max_points (xrd compare --max-rows)")


def _radiation_of(pattern, wavelength, notes=None, kalpha2: bool = False):
    """(lines Å, weights): the radiation the pattern's file states (``xrd simulate`` headers, XRDML) wins over a
    named ``wavelength`` of the same tube; an explicit different wavelength wins with a note. A name means
    what it means everywhere (``wavelengths``): 'CuKa' the single weighted-mean line, the Kα1 + Kα2 doublet
    only with ``kalpha2=True``."""
    from latticeanchor.diffraction.wavelengths import resolve_radiation, resolve_wavelength

    meta = getattr(pattern, "meta", {}) or {}
    stated = meta.get("radiation_lines")
    if stated is None and getattr(pattern, "kalpha2", None) and getattr(pattern, "kalpha2_ratio", None) \
            and meta.get("format") == "xrdml":
        stated = ((pattern.wavelength, pattern.kalpha2), (1.0, pattern.kalpha2_ratio))
    if stated is not None:
        lines, weights = (list(v) for v in stated)
        if wavelength is None or abs(resolve_wavelength(wavelength) - float(np.average(lines, weights=weights))) < 0.01:
            if notes is not None and wavelength is not None:
                notes.append(f"radiation from the file: {' + '.join(f'{v:.5f}' for v in lines)} Å "
                             f"(weights {', '.join(f'{w:g}' for w in weights)})")
            return lines, weights
        if notes is not None:
            notes.append(f"wavelength {wavelength!s} overrides the radiation stated in the file")
    if wavelength is None:
        wavelength = meta.get("radiation_name")  # the name given to read_pattern
    if wavelength is not None:
        rad = resolve_radiation(wavelength, kalpha2=kalpha2)
        return list(rad.lines), list(rad.weights)
    if getattr(pattern, "kalpha2", None) and getattr(pattern, "kalpha2_ratio", None):
        return [pattern.wavelength, pattern.kalpha2], [1.0, pattern.kalpha2_ratio]
    if getattr(pattern, "wavelength", None) is None:
        raise LatticeAnchorError("the pattern's wavelength is unknown; pass wavelength= (e.g. 'CuKa')")
    return [pattern.wavelength], [1.0]


def displacement_decision(pattern, fit_displacement="auto") -> tuple[bool, str]:
    """Whether to refine the specimen displacement D cosθ, and why (one line).

    ``fit_displacement``: True, False or "auto" — the file's geometry decides: a 2θ scan at fixed ω
    (grazing incidence, recorded in XRDML as ``meta['geometry'] == 'grazing_incidence'``) has no
    specimen-height term, so D is not refined; any other pattern is taken as Bragg–Brentano (D refined).
    ``refine_cubic`` and ``xrd compare`` both use this, so the API and the CLI agree on every file."""
    meta = getattr(pattern, "meta", {}) or {}
    if fit_displacement == "auto":
        if meta.get("geometry") == "grazing_incidence":
            return False, (f"off: the file records a 2θ scan at fixed ω = {meta.get('omega_deg', float('nan')):g}° "
                           "(grazing incidence)")
        return True, "refined (Bragg–Brentano geometry assumed)"
    if isinstance(fit_displacement, (bool, np.bool_)):
        return bool(fit_displacement), "refined (asked for)" if fit_displacement else "off (asked for)"
    raise LatticeAnchorError(f"fit_displacement must be True, False or 'auto', got {fit_displacement!r}")


def _xy(pattern, two_theta_range):
    sig = None
    if hasattr(pattern, "two_theta") and hasattr(pattern, "intensity"):
        x = np.asarray(pattern.two_theta, float)
        y = np.asarray(pattern.intensity, float)
        bg = getattr(pattern, "background", None)
        sig = getattr(pattern, "sigma", None)
    else:
        x, y = (np.asarray(v, float) for v in pattern)
        bg = None
    if x.shape != y.shape or x.ndim != 1:
        raise LatticeAnchorError("pattern 2θ and intensity must be 1-D arrays of the same length")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise LatticeAnchorError("pattern contains NaN or infinite values")
    if len(x) > 1 and np.any(np.diff(x) <= 0):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
        bg = None if bg is None else np.asarray(bg, float)[order]
        sig = None if sig is None else np.asarray(sig, float)[order]
        if np.any(np.diff(x) <= 0):
            raise LatticeAnchorError("pattern 2θ values repeat; each 2θ must appear once")
    sel = np.ones_like(x, bool)
    if two_theta_range is not None:
        try:
            lo, hi = (float(v) for v in two_theta_range)
        except (TypeError, ValueError):
            raise LatticeAnchorError(f"two_theta_range must be two numbers (MIN, MAX) in degrees, got {two_theta_range!r}") \
                from None
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise LatticeAnchorError(f"two_theta_range must be two finite numbers MIN < MAX, got {two_theta_range!r}")
        sel = (x >= lo) & (x <= hi)
    if sel.sum() < 20:
        where = (f"2θ range {float(two_theta_range[0]):g}–{float(two_theta_range[1]):g}°" if two_theta_range is not None
                 else f"the whole pattern ({x.min():g}–{x.max():g}°)" if len(x) else "the pattern (empty)")
        raise LatticeAnchorError(f"pattern: {int(sel.sum())} points in {where}; refinement needs at least 20")
    if np.ptp(y[sel]) <= 0:
        raise LatticeAnchorError("pattern is flat (every intensity equal in the fitted range): nothing to refine")
    if sig is not None:
        sig = np.asarray(sig, float)[sel]
        if not np.all(np.isfinite(sig)) or np.any(sig <= 0):
            raise LatticeAnchorError("pattern uncertainties σ must be positive and finite")
    return x[sel], y[sel], (None if bg is None else np.asarray(bg, float)[sel]), sig


def _scan_scale(model, k, net, w, s_grid, fwhm0, eta0=0.5):
    """Coarse scan of the lattice stretch s of phase k maximizing weighted correlation with net."""
    best = (-np.inf, 1.0)
    W = fwhm0**2
    sw = np.sqrt(w)
    for s in s_grid:
        prof = model.phase_profile(k, s, 0.0, W, 0.0, 0.0, eta0)
        if not prof.any():
            continue
        a = prof * sw
        b = net * sw
        c = float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-300)
        if c > best[0]:
            best = (c, s)
    return best[1]


def _snip_with_fitted_ends(x, y, model, p, window_deg):
    """SNIP background of (x, y) computed on the scan extended by ``window_deg`` at both ends with the fitted
    peaks of ``model`` at parameters ``p`` (on the end-point background level), so that reflections whose
    centres lie just outside the scan are clipped as whole peaks instead of counted as background."""
    from latticeanchor.diffraction.compare import snip_background

    step = float(np.median(np.diff(x)))
    m = max(1, int(round(window_deg / max(step, 1e-9))))
    xe = np.r_[x[0] - step * np.arange(m, 0, -1), x, x[-1] + step * np.arange(1, m + 1)]
    ext = _Model(xe, model.phases, model.lines, model.lweights, 0, model.window)
    ph, zero, disp, eta, _ = model.unpack(p)
    peaks = sum(ph[k, 1] * ext.phase_profile(k, ph[k, 0], ph[k, 2], ph[k, 3], zero, disp, eta)
                for k in range(len(model.phases)))
    n = len(x)
    ye = np.r_[y[0] - peaks[m] + peaks[:m], y, y[-1] - peaks[m + n - 1] + peaks[m + n:]]
    return np.minimum(snip_background(xe, ye, window_deg)[m:m + n], y)



def refine_cubic(pattern, phases=("alpha",), *, wavelength=None, two_theta_range=None, max_strain: float = 0.03,
                 fit_zero: bool = False, fit_displacement="auto", kalpha2: bool = False, n_background: int = 4,
                 background: str = "snip", fwhm0: float = 0.15, window_deg: float = 3.0,
                 fix_scale: dict | None = None, max_rwp: float = 15.0, max_points: int = MAX_PATTERN_POINTS,
                 max_parameters: int = MAX_PARAMETERS) -> RefinementResult:
    """Refine (pseudo-)cubic lattice constants of one or more phases.

    Parameters
    ----------
    pattern : MeasuredPattern (from :func:`read_pattern`) or (2θ degrees, intensity).
    phases : names ('PbS', 'PbSe', 'alpha', 'alpha-x1.5', 'ortho', 'delta', ...), structures, or
        (name, structure) pairs.
    wavelength : overrides the pattern's; a name means what it means everywhere ('CuKa' the weighted-mean
        single line 1.54184 Å, 'CuKa1' 1.540562 Å; see ``wavelengths``).
    kalpha2 : model a named Kα radiation as the Kα1 + Kα2 doublet (ratio 1/2); files that state their
        lines (XRDML, ``xrd simulate`` headers) are modelled with those whatever this says.
    two_theta_range : (min, max) degrees to fit.
    max_strain : relative range of the initial lattice scan (films are strained).
    fit_zero / fit_displacement : refine the zero shift z and the displacement term D cosθ. Over
        narrow 2θ ranges z, D cosθ and the lattice stretch are nearly collinear, so the default refines
        D only (specimen height is the dominant laboratory error). fit_displacement="auto" (default):
        the file's geometry decides (``displacement_decision``: a grazing-incidence / fixed-ω XRDML scan
        has no specimen-height term, so D stays 0); True / False force it.
    n_background : Chebyshev terms on top of the SNIP background ('snip') or alone ('none').
    max_rwp : percent; a larger Rwp adds a "poor fit" warning to ``warnings``.
    max_points, max_parameters : work budget: refuse (LatticeAnchorError) a fitted pattern of more rows or a
        fit of more parameters (4 per phase + 3 + n_background), before any work.

    Before least squares every phase's lattice is scanned over the allowed strain (for α phases the whole
    Vegard range too) for the best correlation with the pattern (global start). ``warnings`` names strongly
    correlated parameters (|r| > 0.95), a poor fit and lattice constants at the edge of the range.
    ``mismatch_sigma`` propagates the covariance of the two lattice constants into ε.

    Every per-phase result (``a``, ``a_sigma``, ``x_br``, ``fwhm_deg``, ``scale``, the ``mismatch`` pairs)
    is keyed by what the caller passed, in the order passed: a name string as given ('alpha-x1.5',
    'PbS', a file path), the name of a (name, structure) pair or the key of a ``{name: structure}``
    dict; a bare structure (pymatgen ``Structure`` or ASE ``Atoms``) by its reduced formula ('PbS';
    pass a pair or a dict to choose the key).

    Returns
    -------
    RefinementResult with ``a`` (name → Å), ``a_sigma`` (Å), ``x_br`` for α phases (Vegard model),
    ``mismatch`` for perovskite + rock-salt patterns, Rwp, Pearson r, and the profiles.
    """
    from scipy.optimize import least_squares

    from latticeanchor.diffraction.compare import pearson, snip_background

    if isinstance(phases, (str, tuple)) and not (isinstance(phases, tuple) and len(phases) == 2
                                                 and not isinstance(phases[0], str)):
        phases = [phases] if isinstance(phases, str) else list(phases)
    if not isinstance(phases, (str, tuple, list, dict)):
        raise LatticeAnchorError(f"phases must be a phase name, a structure or a list of them, got {phases!r}")
    phases = list(phases.items()) if isinstance(phases, dict) else list(phases)
    if not phases:
        raise LatticeAnchorError("refine_cubic needs at least one phase")
    _check_options(max_strain=max_strain, fit_zero=fit_zero, fit_displacement=fit_displacement, kalpha2=kalpha2,
                   n_background=n_background, background=background, fwhm0=fwhm0, window_deg=window_deg,
                   fix_scale=fix_scale, max_rwp=max_rwp)
    n_par = 4 * len(phases) + 3 + n_background
    if n_par > max_parameters:
        raise LatticeAnchorError(f"phases/n_background: {len(phases)} phases and {n_background} background terms are "
                                 f"{n_par} refined parameters, more than max_parameters {max_parameters}")
    _check_rows(pattern, max_points)
    x, y, file_bg, sigma = _xy(pattern, two_theta_range)
    notes: list = []
    lines, lweights = _radiation_of(pattern, wavelength, notes, kalpha2=kalpha2)
    fit_displacement, why = displacement_decision(pattern, fit_displacement)
    notes.append(f"specimen displacement: {why}")
    lam = lines[0]
    d_min = min(lines) / (2 * np.sin(np.radians(min(x.max() + 2, 179.0)) / 2)) / (1 + max(max_strain, 0.08) + 0.02)
    phs = [make_phase(p, lam, d_min) for p in phases]
    # global start: the lattice scan covers ±max_strain and, for α phases, the whole Vegard range of x
    s_range = []
    for ph in phs:
        lo_s, hi_s = 1 - max_strain, 1 + max_strain
        if ph.kind == "alpha":
            from latticeanchor.diffraction.phases import alpha_lattice_constant

            a_lo, a_hi = sorted((alpha_lattice_constant(3.0), alpha_lattice_constant(0.0)))
            lo_s = min(lo_s, (a_lo * (1 - max_strain)) / ph.a0)
            hi_s = max(hi_s, (a_hi * (1 + max_strain)) / ph.a0)
        s_range.append((lo_s, hi_s))
    names = [p.name for p in phs]
    if len(set(names)) != len(names):
        raise LatticeAnchorError(f"phase names must be distinct, got {names}")
    if background == "snip":
        bkg0 = snip_background(x, y, window_deg)
    elif background == "file" and file_bg is not None:
        bkg0 = file_bg
    elif background == "none":
        bkg0 = np.zeros_like(y)
    else:
        raise LatticeAnchorError(f"background must be 'snip', 'file' or 'none', got {background!r}")
    net = y - bkg0
    # weights: 1/σ² from the file's uncertainties, else Poisson 1/max(y, 1) (counts)
    w = 1.0 / sigma**2 if sigma is not None else 1.0 / np.maximum(y, 1.0)
    if not np.any(np.abs(net) * np.sqrt(w) > 1e-12):
        raise LatticeAnchorError("pattern has no signal above its background: nothing to refine")
    model = _Model(x, phs, lines, lweights, n_background)

    # initial values: coarse lattice scan per phase, then scales
    p0 = []
    step = max(2e-4, 0.25 * np.radians(fwhm0) / np.tan(np.radians(x.mean() / 2)))
    for k in range(len(phs)):
        s_grid = np.arange(s_range[k][0], s_range[k][1] + 1e-12, step)
        s = _scan_scale(model, k, net, w, s_grid, fwhm0)
        s_fine = np.arange(s - step, s + step + 1e-12, step / 8)
        s = _scan_scale(model, k, net, w, s_fine, fwhm0)
        p0 += [s, 0.0, 0.0, fwhm0**2]
    p0 += [0.0, 0.0, 0.5] + [0.0] * n_background
    p0 = np.array(p0, float)
    # linear scales for the initial profile
    A = np.column_stack([model.phase_profile(k, p0[4 * k], 0, p0[4 * k + 3], 0, 0, 0.5) for k in range(len(phs))])
    from scipy.optimize import nnls

    sw = np.sqrt(w)
    sc, _ = nnls(A * sw[:, None], net * sw)
    for k in range(len(phs)):
        p0[4 * k + 1] = max(sc[k], 1e-12 * max(net.max(), 1) / max(A[:, k].max(), 1e-300))

    n = len(phs)
    lb = []
    ub = []
    for k in range(n):
        lb += [s_range[k][0] - 0.005, 0.0, 0.0, 1e-6]
        ub += [s_range[k][1] + 0.005, np.inf, 1.0, 4.0]
    lb += [-1.0 if fit_zero else -1e-12, -2.0 if fit_displacement else -1e-12, 0.0] + [-np.inf] * n_background
    ub += [1.0 if fit_zero else 1e-12, 2.0 if fit_displacement else 1e-12, 1.0] + [np.inf] * n_background
    lb, ub = np.array(lb), np.array(ub)
    p0 = np.minimum(np.maximum(p0, lb), ub)
    free = np.ones(len(p0), bool)
    if not fit_zero:
        free[4 * n] = False
        p0[4 * n] = 0.0
    if not fit_displacement:
        free[4 * n + 1] = False
        p0[4 * n + 1] = 0.0

    def resid(pf):
        p = p0.copy()
        p[free] = pf
        return sw * (net - model(p))

    xs = np.abs(p0[free]) + 1e-3
    sol = least_squares(resid, p0[free], bounds=(lb[free], ub[free]), x_scale=xs, method="trf",
                        max_nfev=400 * (1 + len(p0)))
    p = p0.copy()
    p[free] = sol.x
    if background == "snip":
        # SNIP cannot tell the flank of a reflection just outside the scan from background (it keeps the end
        # points and clips little near them), so the flank went into the background and the lattice was pulled
        # to move the model's flank away. Redo SNIP on the scan extended by the fitted peaks beyond its ends, and
        # refit from the first solution.
        bkg0 = _snip_with_fitted_ends(x, y, model, p, window_deg)
        net = y - bkg0
        p0 = np.minimum(np.maximum(p, lb), ub)
        sol = least_squares(resid, p0[free], bounds=(lb[free], ub[free]), x_scale=np.abs(p0[free]) + 1e-3,
                            method="trf", max_nfev=400 * (1 + len(p0)))
        p = p0.copy()
        p[free] = sol.x
    J = sol.jac
    dof = max(1, len(net) - free.sum())
    chi2 = float(sol.fun @ sol.fun) / dof
    pnames = []
    for ph in phs:
        pnames += [f"{ph.name}:a", f"{ph.name}:scale", f"{ph.name}:U", f"{ph.name}:W"]
    pnames += ["zero", "displacement", "eta"] + [f"background{i}" for i in range(n_background)]
    fnames = [nm for nm, f in zip(pnames, free) if f]
    try:
        cov = np.linalg.pinv(J.T @ J) * chi2  # covariance from the residuals, correlations included
        sig = np.sqrt(np.maximum(np.diag(cov), 0))
    except np.linalg.LinAlgError:  # pragma: no cover
        cov = np.full((free.sum(), free.sum()), np.nan)
        sig = np.full(free.sum(), np.nan)
    sig_full = np.zeros(len(p))
    sig_full[free] = sig
    cov_full = np.zeros((len(p), len(p)))
    cov_full[np.ix_(free, free)] = cov
    warnings: list = []
    correlations = {}
    # parameter correlations from the normalized normal matrix (exact inverse; when it is singular, e.g.
    # lattice and displacement over a single peak, columns of the Jacobian that are collinear are |r| ≈ 1)
    JtJ = J.T @ J
    dn = np.sqrt(np.maximum(np.diag(JtJ), 1e-300))
    A = JtJ / np.outer(dn, dn)
    if np.linalg.cond(A) < 1e12:
        Ainv = np.linalg.inv(A)
        da = np.sqrt(np.maximum(np.diag(Ainv), 1e-300))
        corr = Ainv / np.outer(da, da)
    else:
        corr = np.where(np.abs(A) > 0.99, -np.sign(A), 0.0)
        np.fill_diagonal(corr, 1.0)
    # lattice, zero and displacement matter for a; scale/width/background correlations are reported only with them
    key_params = {i for i, nm in enumerate(fnames) if nm.endswith(":a") or nm in ("zero", "displacement")}
    for i in range(len(fnames)):
        for j in range(i + 1, len(fnames)):
            r = corr[i, j]
            if np.isfinite(r) and abs(r) > 0.95 and (i in key_params or j in key_params):
                correlations[(fnames[i], fnames[j])] = float(r)
    if correlations:
        warnings.append("strongly correlated parameters (|r| > 0.95): "
                        + ", ".join(f"{a} / {b} (r = {r:+.3f})" for (a, b), r in correlations.items())
                        + "; widen the 2θ range or fix one of them (e.g. --no-displacement)")
    total, comps, back = model(p, components=True)
    calc = total
    obs = net
    res = RefinementResult(a={}, a_sigma={}, rwp=float(np.sqrt(np.sum(w * (obs - calc) ** 2) / np.sum(w * obs**2))),
                           pearson=pearson(obs, calc), zero_shift_deg=float(p[4 * n]),
                           displacement_deg=float(p[4 * n + 1]), eta=float(p[4 * n + 2]), fwhm_deg={}, scale={},
                           two_theta=x, observed=obs + back * 0, calculated=calc,
                           components={nm: c for nm, c in zip(names, comps)}, phases=phs, wavelength=lam, params=p)
    t30 = np.tan(np.radians(15.0))
    for k, ph in enumerate(phs):
        res.a[ph.name] = float(p[4 * k] * ph.a0)
        res.a_sigma[ph.name] = float(sig_full[4 * k] * ph.a0)
        res.scale[ph.name] = float(p[4 * k + 1])
        res.fwhm_deg[ph.name] = float(np.sqrt(p[4 * k + 2] * t30**2 + p[4 * k + 3]))
        if ph.kind == "alpha":
            from latticeanchor.diffraction.phases import x_from_alpha_lattice_constant

            try:
                res.x_br[ph.name] = x_from_alpha_lattice_constant(res.a[ph.name])
            except LatticeAnchorError as exc:  # outside the Vegard range (e.g. Cl-alloyed films)
                res.notes.append(f"{ph.name}: no Br content: {exc}")
    pv = [k for k, ph in enumerate(phs) if ph.kind in ("alpha", "ortho", "delta")]
    rs = [k for k, ph in enumerate(phs) if ph.kind == "rocksalt"]
    for i in pv:
        for j in rs:
            a_, b_ = phs[i], phs[j]
            eps = (res.a[a_.name] - res.a[b_.name]) / res.a[b_.name]
            res.mismatch[(a_.name, b_.name)] = eps
            # ε = s_i a0_i / (s_j a0_j) − 1: first-order propagation with the s_i/s_j covariance
            si, sj = p[4 * i], p[4 * j]
            g = np.array([a_.a0 / (sj * b_.a0), -si * a_.a0 / (sj**2 * b_.a0)])
            c2 = cov_full[np.ix_([4 * i, 4 * j], [4 * i, 4 * j])]
            res.mismatch_sigma[(a_.name, b_.name)] = float(np.sqrt(max(g @ c2 @ g, 0.0)))
    if not np.isfinite(res.rwp):
        raise LatticeAnchorError("Rwp is undefined (no weighted signal): nothing to refine")
    if res.rwp > max_rwp / 100.0:
        warnings.append(f"poor fit: Rwp = {100 * res.rwp:.1f} % exceeds {max_rwp:g} %; the phases "
                        f"({', '.join(names)}) may be wrong or the lattice may sit in a false minimum")
    for k, ph in enumerate(phs):
        if abs(p[4 * k] - lb[4 * k]) < 1e-4 or abs(p[4 * k] - ub[4 * k]) < 1e-4:
            warnings.append(f"{ph.name}: lattice constant at the edge of the allowed strain range "
                            f"(a = {res.a[ph.name]:.4f} Å): likely a false minimum")
    res.warnings = warnings
    res.correlations = correlations
    res.fit_displacement = bool(fit_displacement)
    res.notes = notes + res.notes
    return res
