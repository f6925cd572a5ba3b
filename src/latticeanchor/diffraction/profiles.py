"""Peak shapes and axis conversions.

Axes: q = 4π sinθ/λ (Å⁻¹), d = λ/(2 sinθ) = 2π/q (Å), 2θ in degrees.
Peak shapes (unit area, FWHM in degrees 2θ): Gaussian, Lorentzian, pseudo-Voigt
η·L + (1−η)·G. Instrumental widths by Caglioti, Paoletti & Ricci, Nucl. Instrum. 3, 223 (1958),
DOI 10.1016/0369-643X(58)90029-X: FWHM² = U tan²θ + V tanθ + W (degrees²). Size broadening by the
Scherrer equation FWHM = Kλ/(L cosθ) (radians; P. Scherrer 1918; Langford & Wilson, J. Appl. Cryst. 11,
102 (1978), DOI 10.1107/S0021889878012844), with L the crystallite size in Å and K = 0.9.
Gaussian and Lorentzian widths combine into one pseudo-Voigt by Thompson, Cox & Hastings,
J. Appl. Cryst. 20, 79 (1987), DOI 10.1107/S0021889887087090.
"""

from __future__ import annotations

import numpy as np

from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, positive
from latticeanchor.validate import broadcasting

_LN2 = np.log(2.0)


def _lam(wavelength) -> float:
    from latticeanchor.diffraction.wavelengths import resolve_wavelength

    return resolve_wavelength(wavelength)


def _two_theta(value, positive_only: bool = False) -> np.ndarray:
    """2θ in degrees within [0, 180] (or (0, 180] where 2θ = 0 would divide by zero)."""
    tt = positive("2θ (degrees)", value) if positive_only else as_array("2θ (degrees)", value)
    if np.any(tt < 0) or np.any(tt > 180):
        bad = tt[(tt < 0) | (tt > 180)].ravel()[0]
        raise LatticeAnchorError(f"2θ (degrees) must lie in [0, 180], got {bad:g}")
    return tt


def _width(name: str, fwhm) -> np.ndarray:
    return positive(name, fwhm)


def _eta(eta) -> np.ndarray:
    """The Lorentzian fraction η of a pseudo-Voigt: numbers in [0, 1]."""
    e = as_array("eta (Lorentzian fraction)", eta)
    if np.any(e < 0) or np.any(e > 1):
        raise LatticeAnchorError(f"eta (Lorentzian fraction) must lie in [0, 1], got {e[(e < 0) | (e > 1)].ravel()[0]:g}")
    return e


def two_theta_to_q(two_theta_deg, wavelength) -> np.ndarray:
    """2θ (degrees) → q (Å⁻¹) for a wavelength (Å or name)."""
    tt = _two_theta(two_theta_deg)
    return 4 * np.pi * np.sin(np.radians(tt) / 2) / _lam(wavelength)


def q_to_two_theta(q, wavelength) -> np.ndarray:
    """q (Å⁻¹) → 2θ (degrees); q must be in [0, 4π/λ]."""
    q = as_array("q (Å⁻¹)", q)
    lam = _lam(wavelength)
    if np.any(q < 0):
        raise LatticeAnchorError(f"q (Å⁻¹) must be non-negative, got {np.min(q):g}")
    arg = q * lam / (4 * np.pi)
    if np.any(arg > 1 + 1e-12):
        raise LatticeAnchorError(f"q = {np.max(q):g} Å⁻¹ exceeds 4π/λ = {4 * np.pi / lam:.4g} Å⁻¹ (unreachable at λ = {lam:g} Å)")
    return np.degrees(2 * np.arcsin(np.clip(arg, 0, 1)))


def two_theta_to_d(two_theta_deg, wavelength) -> np.ndarray:
    """2θ (degrees) → d spacing (Å)."""
    tt = _two_theta(two_theta_deg, positive_only=True)
    return _lam(wavelength) / (2 * np.sin(np.radians(tt) / 2))


def d_to_two_theta(d, wavelength) -> np.ndarray:
    """d spacing (Å) → 2θ (degrees)."""
    d = positive("d (Å)", d)
    return q_to_two_theta(2 * np.pi / d, wavelength)


def q_to_d(q) -> np.ndarray:
    """q (Å⁻¹) → d (Å) = 2π/q."""
    return 2 * np.pi / positive("q (Å⁻¹)", q)


def d_to_q(d) -> np.ndarray:
    """d (Å) → q (Å⁻¹) = 2π/d."""
    return 2 * np.pi / positive("d (Å)", d)


def _gaussian(x, center, fwhm):
    """The Gaussian of checked arrays (``profile`` checks once, then calls this per peak)."""
    sigma = fwhm / (2 * np.sqrt(2 * _LN2))
    return np.exp(-0.5 * ((x - center) / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi))


def _lorentzian(x, center, fwhm):
    g = fwhm / 2
    return g / (np.pi * ((x - center) ** 2 + g**2))


def _checked(x, center, fwhm):
    """x and center finite numbers (x a non-empty grid), fwhm positive: as arrays."""
    return as_array("x", x), as_array("center", center), _width("fwhm", fwhm)


@broadcasting("x", "center", "fwhm")
def gaussian(x, center, fwhm):
    """Unit-area Gaussian of full width at half maximum ``fwhm`` (same unit as x)."""
    return _gaussian(*_checked(x, center, fwhm))


@broadcasting("x", "center", "fwhm")
def lorentzian(x, center, fwhm):
    """Unit-area Lorentzian of full width at half maximum ``fwhm``."""
    return _lorentzian(*_checked(x, center, fwhm))


@broadcasting("x", "center", "fwhm", "eta")
def pseudo_voigt(x, center, fwhm, eta):
    """Unit-area pseudo-Voigt η·Lorentzian + (1 − η)·Gaussian with common FWHM; 0 ≤ η ≤ 1."""
    e = _eta(eta)
    x, center, fwhm = _checked(x, center, fwhm)
    return e * _lorentzian(x, center, fwhm) + (1 - e) * _gaussian(x, center, fwhm)


def caglioti_fwhm(two_theta_deg, U=0.0, V=0.0, W=0.01):
    """Instrumental FWHM (degrees 2θ) = sqrt(U tan²θ + V tanθ + W); U, V, W in degrees²."""
    t = np.tan(np.radians(_two_theta(two_theta_deg)) / 2)
    U, V, W = (as_array(n, v) for n, v in (("U (degrees²)", U), ("V (degrees²)", V), ("W (degrees²)", W)))
    val = U * t**2 + V * t + W
    if np.any(val <= 0):
        raise LatticeAnchorError(f"Caglioti U, V, W give FWHM² = {np.min(val):g} degrees² ≤ 0 (W must be > 0, "
                                 "U tan²θ + V tanθ + W > 0 over the range)")
    return np.sqrt(val)


def scherrer_fwhm(two_theta_deg, size_angstrom, wavelength, K: float = 0.9):
    """Size-broadening FWHM (degrees 2θ) = Kλ/(L cosθ) for crystallite size L (Å)."""
    from latticeanchor.validate import real

    K = real("K (Scherrer constant)", K, 0.0, 2.0, low_open=True)
    L = positive("crystallite size (Å)", size_angstrom)
    tt = as_array("2θ (degrees)", two_theta_deg)
    if np.any((tt <= 0) | (tt >= 180)):
        raise LatticeAnchorError(f"2θ (degrees) must lie in (0, 180), got {tt[(tt <= 0) | (tt >= 180)].ravel()[0]:g}")
    th = np.radians(tt) / 2
    return np.degrees(K * _lam(wavelength) / (L * np.cos(th)))


def scherrer_size(two_theta_deg, fwhm_deg, wavelength, K: float = 0.9):
    """Crystallite size (Å) from a size-broadening FWHM (degrees 2θ)."""
    b = np.radians(positive("FWHM (degrees)", fwhm_deg))
    th = np.radians(as_array("2θ (degrees)", two_theta_deg)) / 2
    return K * _lam(wavelength) / (b * np.cos(th))


def tch_pseudo_voigt(fwhm_gauss, fwhm_lorentz):
    """Thompson–Cox–Hastings: (FWHM, η) of the pseudo-Voigt matching a Voigt with the given Gaussian
    and Lorentzian FWHMs (same unit)."""
    G = np.asarray(fwhm_gauss, dtype=float)
    L = np.asarray(fwhm_lorentz, dtype=float)
    f = (G**5 + 2.69269 * G**4 * L + 2.42843 * G**3 * L**2 + 4.47163 * G**2 * L**3 + 0.07842 * G * L**4 + L**5) ** 0.2
    r = np.divide(L, f, out=np.zeros_like(f), where=f > 0)
    eta = 1.36603 * r - 0.47719 * r**2 + 0.11116 * r**3
    return f, np.clip(eta, 0, 1)


def profile(two_theta_grid, peak_two_theta, peak_intensity, *, shape: str = "pseudo-voigt", fwhm=None,
            eta: float = 0.5, U: float = 0.0, V: float = 0.0, W: float = 0.01, size_angstrom=None,
            wavelength=None, window_fwhm: float = 40.0) -> np.ndarray:
    """Continuous pattern on ``two_theta_grid`` (degrees) from peaks (2θ in degrees, integrated
    intensities). Width: ``fwhm`` (degrees, scalar or per peak) if given, else the Caglioti width
    (U, V, W) combined with Scherrer size broadening (``size_angstrom``, needs ``wavelength``) through
    Thompson–Cox–Hastings. ``shape``: 'gaussian', 'lorentzian' or 'pseudo-voigt' (η mixing)."""
    x = as_array("2θ grid (degrees)", two_theta_grid)
    pos = np.atleast_1d(as_array("peak 2θ (degrees)", peak_two_theta))
    amp = np.atleast_1d(positive("peak intensity", peak_intensity, allow_zero=True))
    eta = _eta(eta)  # the caller's η (replaced below by the Thompson–Cox–Hastings one for size broadening)
    if pos.shape != amp.shape:
        raise LatticeAnchorError("peak positions and intensities must have the same length")
    if fwhm is None:
        g = caglioti_fwhm(pos, U, V, W)
        if size_angstrom is not None:
            if wavelength is None:
                raise LatticeAnchorError("size broadening needs the wavelength")
            lor = scherrer_fwhm(pos, size_angstrom, wavelength)
            w, eta_arr = tch_pseudo_voigt(g, lor)
            if shape == "pseudo-voigt":
                eta = eta_arr
        else:
            w = g
    else:
        w = np.broadcast_to(positive("FWHM (degrees)", fwhm), pos.shape).astype(float)
    eta = np.broadcast_to(np.asarray(eta, dtype=float), pos.shape)
    if shape not in ("gaussian", "lorentzian", "pseudo-voigt", "pseudovoigt", "pv"):
        raise LatticeAnchorError(f"shape must be 'gaussian', 'lorentzian' or 'pseudo-voigt', got {shape!r}")
    out = np.zeros_like(x, dtype=float)
    order = np.argsort(x)
    xs = x[order]
    for p, a, ww, ee in zip(pos, amp, w, eta):  # everything checked above: the unchecked kernels per peak
        lo, hi = np.searchsorted(xs, [p - window_fwhm * ww, p + window_fwhm * ww])
        seg = xs[lo:hi]
        if shape == "gaussian":
            val = _gaussian(seg, p, ww)
        elif shape == "lorentzian":
            val = _lorentzian(seg, p, ww)
        else:
            val = ee * _lorentzian(seg, p, ww) + (1 - ee) * _gaussian(seg, p, ww)
        out[order[lo:hi]] += a * val
    return out
