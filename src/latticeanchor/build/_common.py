"""Helpers shared by the builders: argument checks, supercell tiling, halide placement, provenance."""

from __future__ import annotations

import numpy as np

from latticeanchor import __version__
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, positive

MATRIX_TAG = 0  # atoms.get_tags(): 0 = perovskite matrix
CORE_TAG = 1  # 1 = rock-salt core
SHELL_TAG = 2  # 2 = interface halide shell added by embed (counted with the matrix in compositions)


MAX_BUILD_ATOMS = 2_000_000  # builders refuse larger structures unless max_atoms is raised (≈ 0.5 GiB with lists)
MAX_ATOMS_CEILING = 100_000_000  # no max_atoms above this: ≈ 25 GiB of Atoms and neighbour lists
LATTICE_A_MAX = 20.0  # Å: a given lattice constant above this is no rock-salt or perovskite cell (a ≈ 5.9–6.5 Å)


def check_atom_budget(n_atoms: int, max_atoms, what: str) -> None:
    """Raise a one-line error when ``n_atoms`` exceeds ``max_atoms`` (a positive integer, at most
    ``MAX_ATOMS_CEILING``)."""
    if isinstance(max_atoms, (bool, np.bool_)) or not isinstance(max_atoms, (int, np.integer)) or max_atoms < 1:
        raise LatticeAnchorError(f"max_atoms must be a positive integer, got {max_atoms!r}")
    if max_atoms > MAX_ATOMS_CEILING:
        raise LatticeAnchorError(f"max_atoms = {int(max_atoms):,} exceeds the ceiling of {MAX_ATOMS_CEILING:,} atoms "
                                 "(≈ 25 GiB of structure and neighbour lists); no builder goes beyond it")
    if n_atoms > max_atoms:
        raise LatticeAnchorError(f"{what} would hold about {n_atoms:,} atoms > max_atoms = {int(max_atoms):,}; "
                                 "reduce the size/diameter or raise max_atoms (--max-atoms)")


def parse_size(size, name: str = "size") -> tuple[int, int, int]:
    """n or (n1, n2, n3) -> a tuple of three positive ints; anything else raises."""
    if isinstance(size, (bool, np.bool_)):
        raise LatticeAnchorError(f"{name} must be a positive integer or three positive integers, got {size!r}")
    try:
        values = [size] * 3 if np.ndim(size) == 0 else list(size)
    except TypeError:
        raise LatticeAnchorError(f"{name} must be a positive integer or three positive integers, got {size!r}") from None
    if len(values) != 3:
        raise LatticeAnchorError(f"{name} must have three entries (n1, n2, n3), got {size!r}")
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            raise LatticeAnchorError(f"{name} must contain integers, got {size!r}") from None
        if not np.isfinite(f) or f != int(f) or f < 1:
            raise LatticeAnchorError(f"{name} entries must be integers ≥ 1, got {size!r}")
        out.append(int(f))
    return tuple(out)


def parse_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise LatticeAnchorError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def tile(frac: np.ndarray, size: tuple[int, int, int]) -> np.ndarray:
    """Fractional coordinates (in the supercell) of ``frac`` (unit-cell sites) repeated n1×n2×n3.

    Order: site-major (all copies of site 0 first), cells in C order (i slowest).
    """
    n1, n2, n3 = size
    grid = np.stack(np.meshgrid(np.arange(n1), np.arange(n2), np.arange(n3), indexing="ij"), axis=-1).reshape(-1, 3)
    out = (frac[:, None, :] + grid[None, :, :]) / np.array(size, dtype=float)
    return out.reshape(-1, 3)


def n_bromide(x: float, n_halide: int) -> int:
    """Exact Br count round(x/3 · N_X) (halves round up, not to even)."""
    return int(np.floor(x / 3.0 * n_halide + 0.5 + 1e-9))


def random_halides(n_halide: int, n_br: int, seed: int) -> np.ndarray:
    """Symbols for n_halide X sites with exactly n_br Br placed at random (numpy default_rng(seed))."""
    symbols = np.full(n_halide, "I", dtype=object)
    if n_br:
        idx = np.random.default_rng(seed).choice(n_halide, size=n_br, replace=False)
        symbols[idx] = "Br"
    return symbols


def provenance(builder: str, **params) -> dict:
    """The dict stored in ``atoms.info['latticeanchor']`` (JSON-safe values only)."""
    record = {"builder": builder, "version": __version__}
    record.update({k: _jsonable(v) for k, v in params.items()})
    return record


def _jsonable(v):
    from latticeanchor.data import MaterialSet

    if isinstance(v, MaterialSet):  # a resolved dataset is recorded by its name
        return v.name
    if isinstance(v, dict):
        return {str(k): _jsonable(w) for k, w in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(w) for w in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, np.ndarray):
        return _jsonable(v.tolist())
    return v


def lattice_a(value, name: str = "a (Å)") -> float:
    """A lattice constant given by the caller: one positive number of Å, at most ``LATTICE_A_MAX``."""
    a = float(positive(name, scalar(name, value)))
    if a > LATTICE_A_MAX:
        raise LatticeAnchorError(f"{name} must be at most {LATTICE_A_MAX:g} Å (the rock-salt and perovskite cells "
                                 f"built here have a ≈ 5.9–6.5 Å), got {a:g}")
    return a


def scalar(name: str, value) -> float:
    arr = as_array(name, value)
    if arr.ndim != 0:
        raise LatticeAnchorError(f"{name} must be a single number, got {value!r}")
    return float(arr)
