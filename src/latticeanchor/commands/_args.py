"""Argument parsers shared by the CLI commands (numbers are checked for finiteness and size here,
before anything is allocated)."""

from __future__ import annotations

import argparse
import contextlib
import math

MAX_RANGE_POINTS = 1_000_000  # hard cap on one START:STOP:STEP axis (the command budget may be smaller)


def finite_float(text: str) -> float:
    """A finite float; 'nan', 'inf', '1e999' are argument errors."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def percent(text: str) -> float:
    """A finite percentage in (0, 100]."""
    value = finite_float(text)
    if not 0.0 < value <= 100.0:
        raise argparse.ArgumentTypeError(f"expected a percentage in (0, 100], got {text!r}")
    return value


def range_count(start: float, stop: float, step: float) -> int:
    """Number of points of start:stop:step (stop included), computed without allocating."""
    return int(math.floor((stop - start) / step + 1e-9)) + 1


def float_list(text: str, max_points: int = MAX_RANGE_POINTS) -> list[float]:
    """'0:3:0.25' -> 0, 0.25, ..., 3 (stop included); '1.5' -> [1.5]; '0,1,2' -> [0, 1, 2].

    Every number must be finite; a range of more than ``max_points`` points is refused before it
    is built."""
    text = str(text).strip()
    if not text:
        raise argparse.ArgumentTypeError("expected a number, a list 'a,b,c' or a range 'start:stop:step', got ''")
    if ":" in text:
        parts = [finite_float(p) for p in text.split(":")]
        if len(parts) != 3:
            raise argparse.ArgumentTypeError(f"range {text!r} must be start:stop:step")
        start, stop, step = parts
        if step <= 0 or stop < start:
            raise argparse.ArgumentTypeError(f"range {text!r} needs start ≤ stop and step > 0")
        n = range_count(start, stop, step)
        if n > max_points:
            raise argparse.ArgumentTypeError(f"range {text!r} has {n:.3g} points, more than the "
                                             f"{max_points:,} allowed; use a coarser step")
        return [start + step * i for i in range(n)]
    parts = text.split(",")
    if len(parts) > max_points:
        raise argparse.ArgumentTypeError(f"list of {len(parts):,} values, more than {max_points:,}")
    return [finite_float(p) for p in parts]


def float_range(text: str):
    """``float_list`` as a numpy array (kept for callers that want an array)."""
    import numpy as np

    return np.asarray(float_list(text), dtype=float)


def _integer(text: str) -> int | None:
    """``text`` as an int ('12', or a whole number in float notation such as '2e6'), else None."""
    try:
        return int(text)
    except (TypeError, ValueError):
        pass
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or value != math.floor(value) or abs(value) > 2.0 ** 53:
        return None  # above 2^53 float notation no longer names one integer
    return int(value)


def positive_int(text: str) -> int:
    """An integer ≥ 1 ('2e6' accepted)."""
    value = _integer(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def bounded_int(high: int, low: int = 1):
    """An argparse type: an integer in [low, high] (``high`` a work budget or a library's ceiling)."""
    def parse(text: str) -> int:
        value = (positive_int if low >= 1 else non_negative_int)(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"expected an integer ≤ {high:,}, got {text!r}")
        return value
    parse.__name__ = f"integer ≤ {high:,}"
    return parse


MAX_SEED = 2 ** 63 - 1  # numpy and the builders take seeds below 2^63
MAX_BUDGET = 10 ** 12  # no --max-points (grid points, table rows) above this: ~100 TB of table
MAX_ATOMS_ARG = 2_000_000  # the builders' ceiling (build.max_atoms)


def non_negative_int(text: str) -> int:
    """An integer ≥ 0 ('2e6' accepted)."""
    value = _integer(text)
    if value is None:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 0, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer ≥ 0, got {text!r}")
    return value


def core_list(text: str) -> list[str]:
    """'PbS,PbSe' -> ['PbS', 'PbSe']; empty names are refused (names are checked by the library)."""
    cores = [c.strip() for c in str(text).split(",")]
    if not cores or any(not c for c in cores):
        raise argparse.ArgumentTypeError(f"expected core names separated by commas, got {text!r}")
    return cores


def temperature(text: str) -> float:
    """An absolute temperature in K: finite, > 0 and below 5000 K (nothing here is a plasma)."""
    value = finite_float(text)
    if not 0 < value <= 5000:
        raise argparse.ArgumentTypeError(f"temperature must be in (0, 5000] K, got {text!r}")
    return value


def matrix_list(text: str) -> list[str]:
    """'CsPb(Br,I)3,MAPb(Br,I)3' -> the two names (a comma inside parentheses belongs to the name)."""
    from latticeanchor.errors import LatticeAnchorError

    names, depth, cur = [], 0, ""
    for ch in str(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            names.append(cur.strip())
            cur = ""
        else:
            cur += ch
    names.append(cur.strip())
    if depth != 0 or not all(names):
        raise LatticeAnchorError(f"--matrix: {text!r} is not a comma-separated list of matrix names such as "
                                 "\"CsPb(Br,I)3,MAPb(Br,I)3\"")
    return names


@contextlib.contextmanager
def naming(flag: str):
    """Run the block; a LatticeAnchorError from it that does not name ``flag`` comes back with ``flag`` in
    front (the library names its parameter, ``structure``, ``x_unit``; the user typed the flag)."""
    from latticeanchor.errors import LatticeAnchorError

    try:
        yield
    except LatticeAnchorError as exc:
        if flag in str(exc):
            raise
        raise LatticeAnchorError(f"{flag}: {exc}") from None
