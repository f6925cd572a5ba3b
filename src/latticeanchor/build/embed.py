"""Embed a rock-salt core (``rocksalt_core``) in a perovskite matrix (``alpha_matrix`` / ``delta_matrix``).

α matrix: epitaxial, cube-on-cube. Rock-salt ⟨100⟩ ∥ perovskite ⟨100⟩; with Pb at the origin the
rock-salt cell is the perovskite PbX3 framework plus Pb at the empty face centres and the anion on
the Cs (body-centre) site. The dot centre is snapped to the matrix Pb site (Pb-centred core) or Cs
site (anion-centred core) nearest the requested centre, so every core Pb lands on a matrix Pb site or
an empty face centre, every core anion on a matrix X or Cs site. ``strain`` sets the common spacing:

- ``'matrix'`` (α default): the core takes the matrix lattice constant (core positions scaled by
  a_matrix/a_core about the dot centre): a coherent core strained to the matrix.
- ``'core'``: the whole matrix supercell (cell and atoms) is rescaled to the core's lattice constant.
- ``'none'``: each keeps its own lattice constant (incoherent; only the centre site is shared).

δ matrix (or any other periodic matrix): no coherent registry; ``strain`` must be ``'none'`` (default).
The core is centred at ``center`` without snapping.

Matrix atoms are removed when they lie inside the core's shape (sphere radius or Wulff facets, scaled
with the core) grown by ``clearance`` (Å), or closer than ``min_distance`` (Å) to any core atom
(periodic minimum image about the dot centre, scipy cKDTree; O(N log N)). In the coherent α case
every matrix site inside the dot coincides with a core site, so exactly those are replaced and the
framework runs on through the interface.

Like charges: a matrix atom closer than ``like_charge_distance`` (Å, default 3.5) to a core atom of
the same formal-charge sign is removed too. In the α registry the matrix Cs at a cell's body centre
lies a/2 ≈ 2.97 Å from a core Pb on the shared face centre: a cation–cation contact no real interface
has (the shortest like-charge distance in either bulk is rock-salt Pb–Pb, a/√2 ≈ 4.2 Å).

Charge balancing (``charge_balance=True``), deterministic rule: with formal charges Cs +1, Pb +2,
halide −1, S/Se/Te −2, let Q be the total. Q > 0: remove the Q matrix Cs atoms nearest the dot centre;
Q < 0: remove the |Q| matrix halide atoms (I or Br) nearest the dot centre. Ties are broken by atom
index. These are the interface atoms, whose removal mimics the ion vacancies of a real interface;
atoms are never added (a documented choice: additions would need new sites).

Tags of the result: 0 matrix, 1 core. Matrix atoms first (their order kept), then the core.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from scipy.spatial import cKDTree

from latticeanchor import data
from latticeanchor.build._common import CORE_TAG, MATRIX_TAG, provenance, scalar
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import positive

__all__ = ["embed", "STRAIN_MODES", "charge_of"]

STRAIN_MODES = ("matrix", "core", "none")
_TOL = 1e-4  # Å, geometric tolerance for "on a site" / "inside the shape"


def charge_of(symbols) -> int:
    """Formal charge sum (Cs +1, Pb +2, halide −1, chalcogen −2); unknown elements raise."""
    charges = data.formal_charges()
    total = 0
    for s in symbols:
        if s not in charges:
            raise LatticeAnchorError(f"no formal charge known for element {s!r}")
        total += charges[s]
    return int(total)


def _info(atoms: Atoms, what: str) -> dict:
    if not isinstance(atoms, Atoms):
        raise LatticeAnchorError(f"{what} must be an ase.Atoms, got {type(atoms).__name__}")
    return dict(atoms.info.get("latticeanchor", {}))


def _min_image(disp: np.ndarray, cell: np.ndarray) -> np.ndarray:
    frac = disp @ np.linalg.inv(cell)
    frac -= np.round(frac)
    return frac @ cell


def embed(core: Atoms, matrix: Atoms, center=None, strain: str | None = None, clearance=0.0, min_distance=2.8,
          charge_balance: bool = False, like_charge_distance=3.5) -> Atoms:
    """The hybrid core-in-matrix structure as periodic ASE ``Atoms`` (see the module docstring).

    core: from ``rocksalt_core``; matrix: from ``alpha_matrix`` or ``delta_matrix`` (periodic);
    center: fractional coordinates of the dot centre in the matrix cell (default the cell centre;
    snapped to the registry site in α); strain: 'matrix' | 'core' | 'none' (default 'matrix' for α,
    'none' otherwise); clearance: Å added to the core shape when removing matrix atoms;
    min_distance: Å, matrix atoms closer than this to a core atom are removed; like_charge_distance: Å,
    matrix atoms closer than this to a core atom of the same charge sign are removed;
    charge_balance: remove interface Cs or halide until the formal charge sum is zero.
    """
    cinfo = _info(core, "core")
    minfo = _info(matrix, "matrix")
    if cinfo.get("builder") != "rocksalt_core":
        raise LatticeAnchorError("core must come from latticeanchor.build.rocksalt_core (its shape is read from atoms.info)")
    if not np.all(matrix.pbc) or matrix.cell.rank != 3:
        raise LatticeAnchorError("matrix must be periodic in three dimensions")
    clearance = float(positive("clearance (Å)", scalar("clearance (Å)", clearance), allow_zero=True))
    min_distance = float(positive("min_distance (Å)", scalar("min_distance (Å)", min_distance), allow_zero=True))
    like_charge_distance = float(positive("like_charge_distance (Å)", scalar("like_charge_distance (Å)",
                                                                             like_charge_distance), allow_zero=True))
    phase = minfo.get("phase", "other")
    if strain is None:
        strain = "matrix" if phase == "alpha" else "none"
    if strain not in STRAIN_MODES:
        raise LatticeAnchorError(f"unknown strain {strain!r}; use 'matrix', 'core' or 'none'")
    if phase != "alpha" and strain != "none":
        raise LatticeAnchorError(f"strain={strain!r} needs a coherent (α) matrix; a {phase} matrix has no registry, use strain='none'")
    if center is None:
        center_frac = np.full(3, 0.5)
    else:
        center_frac = np.asarray([scalar("center (fractional)", c) for c in np.ravel(center)]) if np.size(center) == 3 else None
        if center_frac is None:
            raise LatticeAnchorError(f"center must be three fractional coordinates of the matrix cell, got {center!r}")

    a_core = float(cinfo["a_A"])
    rel = core.positions - np.asarray(cinfo["center_position_A"])
    matrix = matrix.copy()
    scale = 1.0
    a_grid = None
    if phase == "alpha":
        a_m = float(minfo["a_A"])
        expected = np.diag(np.array(minfo["size"], dtype=float) * a_m)
        if not np.allclose(matrix.cell.array, expected, atol=1e-6):
            raise LatticeAnchorError("matrix cell no longer matches its alpha_matrix record (was it modified?)")
        if strain == "matrix":
            scale = a_m / a_core
            a_grid = a_m
        elif strain == "core":
            matrix.set_cell(matrix.cell.array * (a_core / a_m), scale_atoms=True)
            a_grid = a_core
        else:
            a_grid = a_m
    rel = rel * scale
    cell = matrix.cell.array
    c_cart = center_frac @ cell
    if a_grid is not None:  # snap to the registry site: Pb site (Pb-centred) or Cs site (anion-centred)
        off = 0.0 if cinfo["center"] == "Pb" else 0.5
        c_cart = (np.round(c_cart / a_grid - off) + off) * a_grid

    # does the dot fit?
    heights = abs(np.linalg.det(cell)) / np.linalg.norm(np.cross(cell[[1, 2, 0]], cell[[2, 0, 1]]), axis=1)
    extent = float(cinfo["extent_radius_A"]) * scale
    need = 2.0 * (extent + clearance) + min_distance
    if need > heights.min() + _TOL:
        raise LatticeAnchorError(
            f"core diameter {cinfo['diameter_A']:g} Å (extent {2 * extent:.1f} Å plus clearance/min_distance) is larger "
            f"than the matrix (smallest cell width {heights.min():.1f} Å): increase size or reduce diameter")

    disp = _min_image(matrix.positions - c_cart, cell)
    if cinfo["shape"] == "sphere":
        inside = np.linalg.norm(disp, axis=1) <= float(cinfo["radius_A"]) * scale + clearance + _TOL
    else:
        normals = np.asarray(cinfo["facet_normals"])
        dists = np.asarray(cinfo["facet_distances_A"]) * scale
        inside = np.all(disp @ normals.T <= dists + clearance + _TOL, axis=1)
    close = np.zeros(len(matrix), dtype=bool)
    if min_distance > 0:
        d, _ = cKDTree(rel).query(disp, distance_upper_bound=min_distance)
        close = d < min_distance - 1e-9
    if like_charge_distance > 0:
        charges = data.formal_charges()
        m_sign = np.sign([charges.get(e, 0) for e in matrix.get_chemical_symbols()])
        c_sign = np.sign([charges.get(e, 0) for e in core.get_chemical_symbols()])
        for sign in (-1, 1):
            own = c_sign == sign
            if own.any():
                d, _ = cKDTree(rel[own]).query(disp, distance_upper_bound=like_charge_distance)
                close |= (m_sign == sign) & (d < like_charge_distance - 1e-9)
    remove = inside | close
    removed_species = _count(np.array(matrix.get_chemical_symbols())[remove])

    kept = matrix[~remove]
    kept.set_tags(np.full(len(kept), MATRIX_TAG, dtype=int))
    dot = Atoms(core.get_chemical_symbols(), positions=rel + c_cart, cell=cell, pbc=True)
    dot.set_tags(np.full(len(dot), CORE_TAG, dtype=int))
    hybrid = kept + dot
    hybrid.info = {}
    hybrid.wrap(eps=1e-9)

    balanced = {}
    if charge_balance:
        hybrid, balanced = _balance(hybrid, c_cart)
    hybrid.info["latticeanchor"] = provenance(
        "embed", matrix=minfo, core=cinfo, strain=strain, center_frac=center_frac.tolist(),
        center_position_A=c_cart.tolist(), clearance_A=clearance, min_distance_A=min_distance,
        like_charge_distance_A=like_charge_distance,
        core_scale=scale, charge_balance=bool(charge_balance), n_matrix_removed=int(remove.sum()),
        matrix_removed=removed_species, charge_balance_removed=balanced or None,
        formal_charge=charge_of(hybrid.get_chemical_symbols()))
    return hybrid


def _count(symbols) -> dict:
    uniq, cnt = np.unique(np.asarray(symbols, dtype=str), return_counts=True)
    return {str(u): int(c) for u, c in zip(uniq, cnt)}


def _balance(hybrid: Atoms, c_cart: np.ndarray) -> tuple[Atoms, dict]:
    symbols = np.array(hybrid.get_chemical_symbols())
    q = charge_of(symbols)
    if q == 0:
        return hybrid, {}
    matrix = hybrid.get_tags() == MATRIX_TAG
    if q > 0:
        candidates = np.flatnonzero(matrix & (symbols == "Cs"))
        what = "Cs"
    else:
        candidates = np.flatnonzero(matrix & np.isin(symbols, ["I", "Br", "Cl"]))
        what = "halide"
    n = abs(q)
    if len(candidates) < n:
        raise LatticeAnchorError(f"charge_balance: need to remove {n} matrix {what} but only {len(candidates)} are left")
    r = np.linalg.norm(_min_image(hybrid.positions[candidates] - c_cart, hybrid.cell.array), axis=1)
    order = np.lexsort((candidates, np.round(r, 6)))
    drop = candidates[order[:n]]
    mask = np.ones(len(hybrid), dtype=bool)
    mask[drop] = False
    return hybrid[mask], _count(symbols[drop])
