"""Input checks shared by every module: each raises LatticeAnchorError with a one-line message."""

from __future__ import annotations

import numpy as np

from latticeanchor.errors import LatticeAnchorError

X_MIN, X_MAX = 0.0, 3.0  # Br atoms per CsPbBr_xI_(3-x) formula unit


def as_array(name: str, value) -> np.ndarray:
    """Float array of ``value``; NaN, inf and non-numbers are rejected by name."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise LatticeAnchorError(f"{name} must be a number or an array of numbers, got {value!r}") from None
    if not np.all(np.isfinite(arr)):
        raise LatticeAnchorError(f"{name} must be finite, got {value!r}")
    return arr


def br_content(x) -> np.ndarray:
    """Validate x (Br per formula unit, 0..3)."""
    arr = as_array("x (Br per formula unit)", x)
    if np.any(arr < X_MIN - 1e-12) or np.any(arr > X_MAX + 1e-12):
        bad = arr[(arr < X_MIN - 1e-12) | (arr > X_MAX + 1e-12)].ravel()[0]
        raise LatticeAnchorError(f"x must lie in [0, 3] (Br atoms per CsPbBr_xI_(3-x) formula unit), got {bad:g}")
    return np.clip(arr, X_MIN, X_MAX)


def positive(name: str, value, allow_zero: bool = False) -> np.ndarray:
    """Validate a strictly positive (or non-negative) quantity."""
    arr = as_array(name, value)
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        word = "non-negative" if allow_zero else "positive"
        raise LatticeAnchorError(f"{name} must be {word}, got {arr[bad].ravel()[0]:g}")
    return arr


def temperature(T) -> np.ndarray:
    """Validate an absolute temperature in K."""
    return positive("T (K)", T)


def scalar_or_array(arr: np.ndarray):
    """Return a Python float for 0-d results, else the array."""
    return float(arr) if np.ndim(arr) == 0 else arr


DIAMETER_NM_RANGE = (1.0, 20.0)  # plausible quantum-dot diameters, nm (Liu et al. 2019 used 2.5-5 nm dots)
DIAMETER_MIN_A = 10.0  # Å: the smallest physical dot, ≈ 1 nm (below it a "dot" is a molecular cluster)


def dot_diameter_nm(name: str, value) -> np.ndarray:
    """Validate dot diameter(s) in nm against ``DIAMETER_NM_RANGE``; the message points at the Å/nm mix-up."""
    arr = as_array(name, value)
    lo, hi = DIAMETER_NM_RANGE
    bad = (arr < lo) | (arr > hi)
    if np.any(bad):
        v = float(arr[bad].ravel()[0])
        hint = (f" — did you give Å? {v:g} Å is {v / 10:g} nm" if v > hi else
                f" — did you give µm? {v:g} µm is {1000 * v:g} nm" if 0 < v < lo / 100 else "")
        raise LatticeAnchorError(f"{name}: {v:g} nm is outside the plausible dot size {lo:g}-{hi:g} nm{hint}")
    return arr


def dot_diameter(value, name: str = "diameter (Å)") -> np.ndarray:
    """Validate dot diameter(s) in Å, the library's unit: positive and ≥ ``DIAMETER_MIN_A`` (10 Å ≈ 1 nm,
    the smallest physical dot). A smaller value is almost always nm given by mistake, and the message
    says so (``stability.critical_loading("PbS", 1.0, 3.5)`` means 35 Å). Every library function taking
    a ``diameter`` in Å calls this one validator."""
    arr = positive(name, value)
    bad = arr < DIAMETER_MIN_A
    if np.any(bad):
        v = float(arr[bad].ravel()[0])
        raise LatticeAnchorError(f"{name}: {v:g} Å is below the smallest physical dot ({DIAMETER_MIN_A:g} Å = "
                                 f"{DIAMETER_MIN_A / 10:g} nm) — did you give nm? {v:g} nm is {10 * v:g} Å")
    return arr
