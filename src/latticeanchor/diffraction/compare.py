"""Comparing measured and simulated patterns: background, normalization, Rwp, Pearson r, peak matching.

Background: SNIP (statistics-sensitive non-linear iterative peak clipping; Ryan et al., Nucl. Instrum.
Methods B 34, 396 (1988), DOI 10.1016/0168-583X(88)90063-8; Morháč & Matoušek, Appl. Spectrosc. 62, 91
(2008), DOI 10.1366/000370208783412762) on the log-log-sqrt (LLS) transformed intensities, with a
clipping window that shrinks from ``window_deg`` to one point: robust to noise and to broad humps,
no peak list needed. Rwp = sqrt(Σ w (y_obs − y_calc)² / Σ w y_obs²) with w = 1/σ² (Poisson σ² = max(y, 1)
by default), after the least-squares scale of y_calc (Young, *The Rietveld Method*, IUCr/OUP 1993).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latticeanchor.errors import LatticeAnchorError


def snip_background(two_theta, intensity, window_deg: float = 3.0, smooth_points: int = 3) -> np.ndarray:
    """SNIP background (same units as intensity) with the LLS transform; window in degrees 2θ."""
    x = np.asarray(two_theta, dtype=float)
    y = np.asarray(intensity, dtype=float)
    if x.shape != y.shape or y.ndim != 1 or y.size < 5:
        raise LatticeAnchorError(f"two_theta {x.shape} and intensity {y.shape}: the background needs matching 1-D "
                                 "arrays with at least 5 points")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise LatticeAnchorError("pattern contains NaN or infinite values")
    from latticeanchor.validate import integer, real

    real("window_deg (degrees)", window_deg, 0.0, 180.0, low_open=True)
    integer("smooth_points", smooth_points, 1, max(1, y.size))
    step = float(np.median(np.diff(x))) if y.size > 1 else 1.0
    m = max(1, int(round(window_deg / max(step, 1e-9))))
    ys = y.copy()
    if smooth_points > 1:
        k = np.ones(smooth_points) / smooth_points
        ys = np.convolve(np.pad(y, smooth_points // 2, mode="edge"), k, mode="valid")[: y.size]
    offset = min(0.0, ys.min())
    v = np.log(np.log(np.sqrt(ys - offset + 1.0) + 1.0) + 1.0)
    n = v.size
    for p in range(m, 0, -1):
        if 2 * p >= n:
            continue
        mid = 0.5 * (v[: n - 2 * p] + v[2 * p:])
        v[p:n - p] = np.minimum(v[p:n - p], mid)
    bkg = (np.exp(np.exp(v) - 1.0) - 1.0) ** 2 - 1.0 + offset
    return np.minimum(bkg, y)


def normalize(intensity, mode: str = "max", value: float = 100.0) -> np.ndarray:
    """Scale so the maximum (mode 'max') or the sum (mode 'area') equals ``value``."""
    from latticeanchor.validate import as_array, real

    value = real("value", value, 0.0, None, low_open=True)
    y = as_array("intensity", intensity)
    ref = {"max": np.max, "area": np.sum}.get(mode)
    if ref is None:
        raise LatticeAnchorError(f"normalize mode must be 'max' or 'area', got {mode!r}")
    r = ref(y)
    if r == 0 or not np.isfinite(r):
        raise LatticeAnchorError(f"intensity: cannot normalize {'an all-zero' if r == 0 else 'a non-finite'} pattern")
    return y * (value / r)


def best_scale(y_obs, y_calc, weights=None) -> float:
    """Least-squares scale c minimizing Σ w (y_obs − c y_calc)²."""
    w = np.ones_like(y_obs) if weights is None else weights
    den = np.sum(w * y_calc * y_calc)
    return float(np.sum(w * y_obs * y_calc) / den) if den > 0 else 0.0


def rwp(y_obs, y_calc, weights=None, rescale: bool = True) -> float:
    """Weighted-profile R factor (fraction, not %); weights default to 1/max(|y_obs|, 1)."""
    from latticeanchor.validate import as_array, real

    if not isinstance(rescale, (bool, np.bool_)):
        raise LatticeAnchorError(f"rescale must be True or False, got {rescale!r}")
    yo = as_array("y_obs", y_obs, allow_empty=True)
    yc = as_array("y_calc", y_calc, allow_empty=True)
    if yo.shape != yc.shape:
        raise LatticeAnchorError(f"Rwp needs y_obs and y_calc of the same shape, got {yo.shape} and {yc.shape}")
    if yo.size == 0:
        raise LatticeAnchorError("Rwp of empty y_obs and y_calc is undefined")
    w = 1.0 / np.maximum(np.abs(yo), 1.0) if weights is None else np.asarray(weights, dtype=float)
    if rescale:
        yc = yc * best_scale(yo, yc, w)
    den = np.sum(w * yo * yo)
    if not den > 0:
        raise LatticeAnchorError("Rwp is undefined: y_obs carries no weighted signal (Σ w y_obs² = 0)")
    return float(np.sqrt(np.sum(w * (yo - yc) ** 2) / den))


def pearson(y_obs, y_calc) -> float:
    """Pearson correlation coefficient of two profiles on the same grid."""
    from latticeanchor.validate import as_array

    a = as_array("y_obs", y_obs)
    b = as_array("y_calc", y_calc)
    if a.shape != b.shape:
        raise LatticeAnchorError(f"pearson needs y_obs and y_calc of the same shape, got {a.shape} and {b.shape}")
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


def find_peaks(two_theta, intensity, prominence: float = 0.03, min_distance_deg: float = 0.1):
    """Peak positions (degrees, parabola-refined) and heights; prominence as a fraction of the maximum."""
    from scipy.signal import find_peaks as _fp

    x = np.asarray(two_theta, dtype=float)
    y = np.asarray(intensity, dtype=float)
    step = float(np.median(np.diff(x)))
    idx, _ = _fp(y, prominence=prominence * max(y.max(), 1e-300), distance=max(1, int(min_distance_deg / step)))
    pos = x[idx].astype(float)
    ok = (idx > 0) & (idx < len(y) - 1)
    i = idx[ok]
    y0, y1, y2 = y[i - 1], y[i], y[i + 1]
    den = y0 - 2 * y1 + y2
    shift = np.where(den != 0, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    pos[ok] = x[i] + np.clip(shift, -1, 1) * step
    return pos, y[idx]


@dataclass
class PeakMatch:
    """Matched peaks: positions in degrees 2θ, heights normalized to the strongest peak (100)."""

    measured_two_theta: np.ndarray
    simulated_two_theta: np.ndarray
    measured_intensity: np.ndarray
    simulated_intensity: np.ndarray
    unmatched_measured: np.ndarray
    unmatched_simulated: np.ndarray

    @property
    def shift_deg(self) -> np.ndarray:
        return self.measured_two_theta - self.simulated_two_theta


def match_peaks(measured_pos, measured_int, simulated_pos, simulated_int, tolerance_deg: float = 0.3,
                min_simulated: float = 1.0) -> PeakMatch:
    """Greedy one-to-one matching (strongest simulated peaks first) within ``tolerance_deg``.
    Simulated peaks weaker than ``min_simulated`` % of the strongest are not required to match."""
    from latticeanchor.validate import as_array, real

    tolerance_deg = real("tolerance_deg (°2θ)", tolerance_deg, 0.0, 180.0, low_open=True)
    min_simulated = real("min_simulated (%)", min_simulated, 0.0, 100.0)
    arrays = {n: np.atleast_1d(as_array(n, v, allow_empty=True)) for n, v in (("measured_pos", measured_pos), ("measured_int", measured_int),
                                                           ("simulated_pos", simulated_pos),
                                                           ("simulated_int", simulated_int))}
    for a, b in (("measured_pos", "measured_int"), ("simulated_pos", "simulated_int")):
        if arrays[a].shape != arrays[b].shape or arrays[a].ndim != 1:
            raise LatticeAnchorError(f"{a} {arrays[a].shape} and {b} {arrays[b].shape} must be 1-D of the same length")
    mp = np.asarray(measured_pos, float)
    mi = normalize(np.asarray(measured_int, float)) if len(mp) else np.asarray([])
    sp = np.asarray(simulated_pos, float)
    si = normalize(np.asarray(simulated_int, float)) if len(sp) else np.asarray([])
    used = np.zeros(len(mp), bool)
    pairs = []
    for j in np.argsort(-si):
        if len(mp) == 0:
            break
        d = np.abs(mp - sp[j])
        d[used] = np.inf
        k = int(np.argmin(d))
        if d[k] <= tolerance_deg:
            used[k] = True
            pairs.append((k, j))
    ki = np.array([p[0] for p in pairs], int)
    ji = np.array([p[1] for p in pairs], int)
    order = np.argsort(sp[ji]) if len(ji) else np.array([], int)
    ki, ji = ki[order], ji[order]
    matched_sim = np.zeros(len(sp), bool)
    matched_sim[ji] = True
    return PeakMatch(mp[ki], sp[ji], mi[ki], si[ji], mp[~used], sp[(~matched_sim) & (si >= min_simulated)])


@dataclass
class Comparison:
    """Fit figures between a measured and a simulated pattern on the measured 2θ grid (degrees)."""

    two_theta: np.ndarray
    measured: np.ndarray  # background-subtracted
    simulated: np.ndarray  # scaled to the measured
    background: np.ndarray
    rwp: float
    pearson: float
    scale: float
    peaks: PeakMatch
    extra: dict = field(default_factory=dict)

    @property
    def difference(self) -> np.ndarray:
        return self.measured - self.simulated


def compare(measured, simulated, *, fwhm: float = 0.15, eta: float = 0.5, background: str | np.ndarray = "snip",
            window_deg: float = 3.0, two_theta_range=None, tolerance_deg: float = 0.3) -> Comparison:
    """Compare a measured pattern (MeasuredPattern or (2θ, I)) with a simulated one (pymatgen
    DiffractionPattern, or (2θ peak positions, intensities), or a profile array on the same grid)."""
    from latticeanchor.diffraction.profiles import profile
    from latticeanchor.validate import real

    fwhm = real("fwhm (°2θ)", fwhm, 0.0, 90.0, low_open=True)
    eta = real("eta (Lorentzian fraction)", eta, 0.0, 1.0)
    window_deg = real("window_deg (°2θ)", window_deg, 0.0, 180.0, low_open=True)
    tolerance_deg = real("tolerance_deg (°2θ)", tolerance_deg, 0.0, 180.0, low_open=True)
    if not isinstance(background, str) and np.ndim(background) == 0:
        raise LatticeAnchorError(f"background must be 'snip', 'none' or an array, got {background!r}")
    if hasattr(measured, "two_theta") and hasattr(measured, "intensity"):
        x = np.asarray(measured.two_theta, float)
        y = np.asarray(measured.intensity, float)
    else:
        x, y = (np.asarray(v, float) for v in measured)
    if two_theta_range is not None:
        sel = (x >= two_theta_range[0]) & (x <= two_theta_range[1])
        x, y = x[sel], y[sel]
    if isinstance(background, str):
        if background == "snip":
            bkg = snip_background(x, y, window_deg)
        elif background == "none":
            bkg = np.zeros_like(y)
        else:
            raise LatticeAnchorError(f"background must be 'snip', 'none' or an array, got {background!r}")
    else:
        bkg = np.asarray(background, float)
        if two_theta_range is not None:
            bkg = bkg[sel]
    net = y - bkg
    if hasattr(simulated, "x") and hasattr(simulated, "y"):
        sx, sy = np.asarray(simulated.x, float), np.asarray(simulated.y, float)
        calc = profile(x, sx, sy, fwhm=fwhm, eta=eta)
    elif isinstance(simulated, tuple) and len(simulated) == 2:
        sx, sy = (np.asarray(v, float) for v in simulated)
        calc = profile(x, sx, sy, fwhm=fwhm, eta=eta)
    else:
        calc = np.asarray(simulated, float)
        sx, sy = find_peaks(x, calc)
    w = 1.0 / np.maximum(y, 1.0)
    c = best_scale(net, calc, w)
    calc = calc * c
    mpos, mint = find_peaks(x, net)
    inrange = (sx >= x.min()) & (sx <= x.max())
    pm = match_peaks(mpos, mint, sx[inrange], sy[inrange], tolerance_deg)
    return Comparison(x, net, calc, bkg, rwp(net, calc, w, rescale=False), pearson(net, calc), c, pm)
