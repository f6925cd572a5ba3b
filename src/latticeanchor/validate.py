"""Input checks shared by every module: each raises LatticeAnchorError with a one-line message."""

from __future__ import annotations

import numpy as np

from latticeanchor.errors import LatticeAnchorError

X_MIN, X_MAX = 0.0, 3.0  # Br atoms per CsPbBr_xI_(3-x) formula unit


def as_array(name: str, value, allow_empty: bool = False, allow_inf: bool = False) -> np.ndarray:
    """Float array of ``value``; NaN, inf, non-numbers (text, bool, None) and empty sequences are rejected
    by name. ``allow_inf``: +inf passes (a limit the caller defines, e.g. an infinite spacing)."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or value is None:
        raise LatticeAnchorError(f"{name} must be a number or an array of numbers, got {_short(value)}")
    try:
        raw = np.asarray(value)
        if raw.dtype.kind in "bUSOV":  # bool, text or objects inside a sequence
            raise TypeError
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise LatticeAnchorError(f"{name} must be a number or an array of numbers, got {_short(value)}") from None
    if arr.size == 0 and not allow_empty:
        raise LatticeAnchorError(f"{name} is empty: give at least one number")
    if not np.all(np.isfinite(arr) | (allow_inf & (arr == np.inf))):
        raise LatticeAnchorError(f"{name} must be finite, got {_short(value)}")
    return arr


def _short(value) -> str:
    """``repr`` of a value for a one-line message: newlines escaped, long arrays cut."""
    text = repr(value).replace("\n", " ")
    text = " ".join(text.split())
    return text if len(text) <= 80 else text[:77] + "..."


def br_content(x, name: str = "x") -> np.ndarray:
    """Validate x (Br per formula unit, 0..3); ``name``: the parameter's name in the messages."""
    arr = as_array(f"{name} (Br per formula unit)", x)
    if np.any(arr < X_MIN - 1e-12) or np.any(arr > X_MAX + 1e-12):
        bad = arr[(arr < X_MIN - 1e-12) | (arr > X_MAX + 1e-12)].ravel()[0]
        raise LatticeAnchorError(f"{name} must lie in [0, 3] (Br atoms per CsPbBr_xI_(3-x) formula unit), got {bad:g}")
    return np.clip(arr, X_MIN, X_MAX)


def positive(name: str, value, allow_zero: bool = False) -> np.ndarray:
    """Validate a strictly positive (or non-negative) quantity."""
    arr = as_array(name, value)
    bad = arr < 0 if allow_zero else arr <= 0
    if np.any(bad):
        word = "non-negative" if allow_zero else "positive"
        raise LatticeAnchorError(f"{name} must be {word}, got {arr[bad].ravel()[0]:g}")
    return arr


T_MAX_K = 5000.0  # no model here holds above this (the perovskites melt near 750 K); the CLI's bound too


def temperature(T) -> np.ndarray:
    """Validate an absolute temperature in K: positive and at most ``T_MAX_K``."""
    arr = positive("T (K)", T)
    if np.any(arr > T_MAX_K):
        raise LatticeAnchorError(f"T (K) must be at most {T_MAX_K:g} K, got {arr[arr > T_MAX_K].ravel()[0]:g}")
    return arr


def scalar_or_array(arr: np.ndarray):
    """Return a Python float for 0-d results, else the array."""
    return float(arr) if np.ndim(arr) == 0 else arr


DIAMETER_NM_RANGE = (1.0, 20.0)  # plausible quantum-dot diameters, nm (Liu et al. 2019 used 2.5-5 nm dots)
CLUSTER_CORE_MIN_A = 6.0  # Å: the smallest core the builders cut (a Pb-centred PbX6 cluster for MLIP/DFT cells)
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


# --- argument checks of the public API (each names the parameter) -------------------------------------

def real(name: str, value, low: float | None = None, high: float | None = None, low_open: bool = False,
         why: str = "", high_open: bool = False) -> float:
    """One finite real number (bool and text refused) in [low, high] (``low_open`` / ``high_open``: that bound
    excluded); ``why`` (the physical reason for the range) ends the range errors."""
    if isinstance(value, (bool, np.bool_, str, bytes)) or np.ndim(value) != 0:
        raise LatticeAnchorError(f"{name} must be a number, got {_short(value)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise LatticeAnchorError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(v):
        raise LatticeAnchorError(f"{name} must be finite, got {value!r}")
    tail = f" ({why})" if why else ""
    if low is not None and (v <= low if low_open else v < low):
        raise LatticeAnchorError(f"{name} must be {'>' if low_open else '≥'} {low:g}, got {v:g}{tail}")
    if high is not None and (v >= high if high_open else v > high):
        raise LatticeAnchorError(f"{name} must be {'<' if high_open else '≤'} {high:g}, got {v:g}{tail}")
    return v


def integer(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """One integer (Python or numpy int; bool, float and text refused) in [low, high]."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise LatticeAnchorError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise LatticeAnchorError(f"{name} must be ≥ {low}, got {v}")
    if high is not None and v > high:
        raise LatticeAnchorError(f"{name} must be ≤ {high:,}, got {v:,}")
    return v


def flag(name: str, value) -> bool:
    """A boolean switch: True or False (numpy bools too); text, numbers and None refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise LatticeAnchorError(f"{name} must be True or False, got {_short(value)}")
    return bool(value)


def one_of(name: str, value, options) -> str:
    """``value`` must be one of ``options`` (strings)."""
    if not isinstance(value, str) or value not in options:
        raise LatticeAnchorError(f"{name} must be one of {', '.join(map(str, options))}; got {value!r}")
    return value


def broadcast(**arrays) -> tuple:
    """The shape the named arrays broadcast to; arrays that do not broadcast are refused by name."""
    shapes = {name: np.shape(v) for name, v in arrays.items()}
    try:
        return np.broadcast_shapes(*shapes.values())
    except ValueError:
        listed = ", ".join(f"{n} {s}" for n, s in shapes.items())
        raise LatticeAnchorError(f"shapes do not broadcast: {listed}") from None


def within_budget(name: str, n: float, budget: float, hint: str = "") -> None:
    """Refuse work estimated at ``n`` units above ``budget`` (before anything is allocated)."""
    if not n <= budget:
        raise LatticeAnchorError(f"{name}: about {n:.3g} exceeds the budget {budget:.3g}{'; ' + hint if hint else ''}")


def broadcasting(*names: str):
    """Decorator: before the call, refuse (by name) array arguments among ``names`` whose shapes do not
    broadcast together, instead of numpy's ValueError deep inside the model."""
    import functools
    import inspect

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # Python's own message for a wrong call
            given = {n: bound.arguments[n] for n in names if bound.arguments.get(n) is not None}
            if len(given) > 1:
                shapes = {}
                for n, v in given.items():
                    try:
                        shapes[n] = np.shape(v)
                    except ValueError:  # ragged nested lists
                        raise LatticeAnchorError(f"{n} must be a number or a regular array of numbers") from None
                try:
                    np.broadcast_shapes(*shapes.values())
                except ValueError:
                    listed = ", ".join(f"{n} {s}" for n, s in shapes.items())
                    raise LatticeAnchorError(f"shapes do not broadcast: {listed}") from None
            return func(*args, **kwargs)

        return wrapper

    return decorate


MAX_DOT_DIAMETER_A = 1000.0  # 100 nm: beyond it a "dot" is bulk (no confinement) and d³ terms overflow


def at_most(name: str, value, high: float, unit: str = "") -> np.ndarray:
    """``value`` (array) finite and ≤ ``high``: sizes beyond any physical object overflow the models."""
    arr = as_array(name, value)
    if np.any(arr > high):
        raise LatticeAnchorError(f"{name} must be at most {high:g}{' ' + unit if unit else ''}, "
                                 f"got {arr[arr > high].ravel()[0]:g}")
    return arr
def dot_diameter(value, name: str = "diameter (Å)", minimum: float | None = None) -> np.ndarray:
    """Validate dot diameter(s) in Å, the library's unit: positive and ≥ ``DIAMETER_MIN_A`` (10 Å ≈ 1 nm,
    the smallest physical dot). A smaller value is almost always nm given by mistake, and the message
    says so (``stability.critical_loading("PbS", 1.0, 3.5)`` means 35 Å). Every library function taking
    a ``diameter`` in Å calls this one validator."""
    arr = at_most(name, positive(name, value), MAX_DOT_DIAMETER_A, "Å")
    low = DIAMETER_MIN_A if minimum is None else float(minimum)
    bad = arr < low
    if np.any(bad):
        v = float(arr[bad].ravel()[0])
        raise LatticeAnchorError(f"{name}: {v:g} Å is below the smallest physical dot ({low:g} Å = "
                                 f"{low / 10:g} nm) — did you give nm? {v:g} nm is {10 * v:g} Å")
    return arr
