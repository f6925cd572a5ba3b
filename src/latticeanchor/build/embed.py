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
with the core) grown by ``clearance`` (Å), or when they are closer to a core atom than the chemically
acceptable distance of their element pair (``latticeanchor.build.contacts``: cation–anion ≥ max(2.8 Å,
0.85 × Shannon radius sum), Cs–chalcogen ≥ 3.3 Å, cation–cation ≥ 4.0 Å, anion–anion ≥ 3.6 Å;
``min_distance`` and ``like_charge_distance`` override the 2.8 and 4.0 Å class limits). Periodic
minimum image about the dot centre, scipy cKDTree; O(N log N). In the coherent α case every matrix
site inside the dot coincides with a core site, so exactly those are replaced and the framework runs
on through the interface; the matrix Cs at a cell's body centre a/2 ≈ 2.97 Å from a core Pb on the
shared face centre is a like-charge contact (the shortest in either bulk is rock-salt Pb–Pb a/√2).

Interface completion (``complete_interface=True``, default), deterministic, in three steps:

1. Halide shell. Every rock-salt anion site next to a core Pb (core Pb ± a/2 along x, y, z, on the
   core's own, possibly strained, lattice) that the core leaves empty gets a halide, unless a kept
   matrix halide already sits there (within 0.3 Å). Reason: a surface Pb of a carved rock-salt dot
   misses anions; in a real dot-in-perovskite solid they are supplied by the halide matrix (the PbS
   dots are halide-exchanged, their surface Pb bound to the perovskite's halides: Ning et al., Nature
   523, 324 (2015), DOI 10.1038/nature14563; Liu et al., Nature 570, 96 (2019),
   DOI 10.1038/s41586-019-1239-7). This is the builder's modelling choice, not a relaxed structure. In the
   α registry these sites are exactly the Cs sites the like-charge rule empties (Cs → halide on a
   rock-salt anion site) and the matrix X sites (kept as they are). Matrix atoms too close to a new
   shell halide (same pair table) are removed. Br is put on round(x/3 · N_shell) shell sites chosen
   with ``numpy.random.default_rng(matrix seed)``, I on the rest. Shell halides are tagged 2.
2. Under-coordinated matrix Pb. While a matrix Pb has fewer than ``min_pb_coordination`` (default 5)
   anions within 3.6 Å, the least coordinated one (ties: nearest the dot centre, then index) is
   removed with two matrix halides (a neutral PbX2 unit): first its own halide neighbours with the
   fewest other Pb neighbours, then the nearest other matrix halides. Reason: the incoherent (δ)
   interface cuts PbX6 octahedra; a Pb(II) with 2–4 halides is not a stable interface species.
   The coherent α interface has none (every matrix Pb keeps its six X sites).
3. Charge balance (``charge_balance=True``): with formal charges Cs +1, Pb +2, halide −1, S/Se/Te −2,
   let Q be the total. Q > 0: remove the Q matrix Cs nearest the dot centre (Cs removal leaves every
   Pb's anion shell intact). Q < 0: remove |Q| halides (matrix or shell) nearest the dot centre, in
   passes that keep the Pb coordination: first halides bonded to no Pb, then halides whose Pb all
   keep ≥ 6, then ≥ 5, then any. Ties are broken by atom index. Atoms are never added here. (In α
   the shell halides, each bonded to one core Pb, are nearest the centre and go first: a charge-
   balanced α hybrid then has a halide vacancy beside some face-centre core Pb, 5-coordinated.)

Tags of the result: 0 matrix, 1 core, 2 interface halide shell. Matrix atoms first (their order
kept), then the core, then the shell (removals of steps 2–3 keep this order).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from scipy.spatial import cKDTree

from latticeanchor import data
from latticeanchor.build._common import (CORE_TAG, MATRIX_TAG, SHELL_TAG, n_bromide, provenance, random_halides,
                                         scalar)
from latticeanchor.build.contacts import PB_ANION_CUTOFF_A, charge_sign, contact_limit, min_contact, pairs_within
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.convert import as_atoms
from latticeanchor.validate import flag, positive

__all__ = ["embed", "STRAIN_MODES", "charge_of"]

STRAIN_MODES = ("matrix", "core", "none")
_TOL = 1e-4  # Å, geometric tolerance for "on a site" / "inside the shape"
SHELL_REUSE_A = 0.3  # Å, a kept matrix halide this close to a shell site is the shell halide
HALIDES = ("Cl", "Br", "I")


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
    return dict(as_atoms(atoms, what).info.get("latticeanchor", {}))


def _min_image(disp: np.ndarray, cell: np.ndarray) -> np.ndarray:
    frac = disp @ np.linalg.inv(cell)
    frac -= np.round(frac)
    return frac @ cell


def embed(core, matrix, center=None, strain: str | None = None, clearance=0.0, min_distance=2.8,
          charge_balance: bool = False, like_charge_distance=4.0, complete_interface: bool = True,
          min_pb_coordination: int = 5) -> Atoms:
    """The hybrid core-in-matrix structure as periodic ASE ``Atoms`` (see the module docstring).

    core: from ``rocksalt_core``; matrix: from ``alpha_matrix`` or ``delta_matrix`` (periodic); either as
    ASE ``Atoms`` or converted to pymatgen ``Structure`` (``latticeanchor.convert.as_atoms``);
    center: fractional coordinates of the dot centre in the matrix cell (default the cell centre;
    snapped to the registry site in α); strain: 'matrix' | 'core' | 'none' (default 'matrix' for α,
    'none' otherwise); clearance: Å added to the core shape when removing matrix atoms;
    min_distance: Å, cation–anion limit (matrix atoms closer to a core atom of opposite charge are
    removed; larger element-pair limits of ``contacts.min_contact`` apply); like_charge_distance: Å,
    cation–cation limit (anion–anion: 3.6 Å); complete_interface: halide shell and PbX2 removal of
    under-coordinated matrix Pb (fewer than ``min_pb_coordination`` anions within 3.6 Å);
    charge_balance: remove interface Cs or halide until the formal charge sum is zero.
    """
    core, matrix = as_atoms(core, "core"), as_atoms(matrix, "matrix")  # ASE Atoms or pymatgen Structure
    cinfo = _info(core, "core")
    minfo = _info(matrix, "matrix")
    if cinfo.get("builder") != "rocksalt_core":
        raise LatticeAnchorError("core must come from latticeanchor.build.rocksalt_core (its shape is read from atoms.info)")
    if not np.all(matrix.pbc) or matrix.cell.rank != 3:
        raise LatticeAnchorError("matrix must be periodic in three dimensions")
    if minfo.get("A_cation") in ("MA", "FA"):
        raise LatticeAnchorError(f"embed: matrices with molecular A cations ({minfo['A_cation']}) are not supported "
                                 "yet (whole molecules would have to be removed around the dot); embed a Cs matrix")
    clearance = float(positive("clearance (Å)", scalar("clearance (Å)", clearance), allow_zero=True))
    min_distance = contact_limit("min_distance (Å)", min_distance)
    like_charge_distance = contact_limit("like_charge_distance (Å)", like_charge_distance)
    charge_balance = flag("charge_balance", charge_balance)
    complete_interface = flag("complete_interface", complete_interface)
    if isinstance(min_pb_coordination, bool) or not isinstance(min_pb_coordination, (int, np.integer)) \
            or not 1 <= min_pb_coordination <= 6:
        raise LatticeAnchorError(f"min_pb_coordination must be an integer in 1..6 (anions a kept matrix Pb needs; "
                                 f"0 would keep bare Pb), got {min_pb_coordination!r}")
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
    shell_a = float(cinfo["a_A"]) * scale / 2.0 if complete_interface else 0.0  # halide shell reach, Å
    need = 2.0 * (extent + clearance + shell_a) + max(min_distance, like_charge_distance if complete_interface else 0.0)
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
    limits = {"cation_anion": min_distance, "cation_cation": like_charge_distance}
    m_sym = np.array(matrix.get_chemical_symbols())
    c_sym = np.array(core.get_chemical_symbols())
    remove = inside | _clashes(disp, m_sym, rel, c_sym, limits)

    shell_rel = np.zeros((0, 3))
    shell_sym = np.zeros(0, dtype=str)
    n_reused = 0
    if complete_interface:
        h = float(cinfo["a_A"]) * scale / 2.0  # half the (strained) core lattice constant, Å
        shell_rel, n_reused = _shell_sites(rel, c_sym, h, disp[~remove], m_sym[~remove])
        shell_sym = _shell_halides(len(shell_rel), minfo, m_sym)
        if len(shell_rel):
            remove |= _clashes(disp, m_sym, shell_rel, shell_sym, limits)
    removed_species = _count(m_sym[remove])

    kept = matrix[~remove]
    kept.set_tags(np.full(len(kept), MATRIX_TAG, dtype=int))
    dot = Atoms(core.get_chemical_symbols(), positions=rel + c_cart, cell=cell, pbc=True)
    dot.set_tags(np.full(len(dot), CORE_TAG, dtype=int))
    hybrid = kept + dot
    if len(shell_rel):
        shell = Atoms(list(shell_sym), positions=shell_rel + c_cart, cell=cell, pbc=True)
        shell.set_tags(np.full(len(shell), SHELL_TAG, dtype=int))
        hybrid += shell
    hybrid.info = {}
    hybrid.wrap(eps=1e-9)

    pbx2 = {}
    if complete_interface:
        hybrid, pbx2 = _remove_undercoordinated(hybrid, c_cart, int(min_pb_coordination))
    balanced = {}
    if charge_balance:
        hybrid, balanced = _balance(hybrid, c_cart)
    hybrid.info["latticeanchor"] = provenance(
        "embed", matrix=minfo, core=cinfo, strain=strain, center_frac=center_frac.tolist(),
        center_position_A=c_cart.tolist(), clearance_A=clearance, min_distance_A=min_distance,
        like_charge_distance_A=like_charge_distance, complete_interface=bool(complete_interface),
        min_pb_coordination=int(min_pb_coordination),
        core_scale=scale, charge_balance=bool(charge_balance), n_matrix_removed=int(remove.sum()),
        matrix_removed=removed_species, n_shell_halides=int(len(shell_rel)), n_shell_reused_matrix_halides=n_reused,
        shell_halides=_count(shell_sym) or None, pbx2_removed=pbx2 or None,
        charge_balance_removed=balanced or None,
        formal_charge=charge_of(hybrid.get_chemical_symbols()))
    return hybrid


def _clashes(pos_a, sym_a, pos_b, sym_b, limits) -> np.ndarray:
    """Mask of atoms a closer to some atom b than ``contacts.min_contact`` of their pair (positions in one
    non-periodic frame, Å)."""
    out = np.zeros(len(pos_a), dtype=bool)
    for eb in np.unique(sym_b):
        tree = cKDTree(pos_b[sym_b == eb])
        for ea in np.unique(sym_a):
            r = min_contact(str(ea), str(eb), **limits)
            if r <= 0:
                continue
            sel = np.flatnonzero(sym_a == ea)
            d, _ = tree.query(pos_a[sel], distance_upper_bound=r)
            out[sel[d < r - 1e-9]] = True
    return out


def _shell_sites(rel, c_sym, h, m_rel, m_sym) -> tuple[np.ndarray, int]:
    """(positions relative to the dot centre of the new shell halides, number of shell sites already
    held by a kept matrix halide). Sites: core Pb ± h along each axis, not occupied by a core atom."""
    pb = rel[c_sym == "Pb"]
    steps = np.vstack([np.eye(3), -np.eye(3)]) * h
    cand = (pb[:, None, :] + steps[None]).reshape(-1, 3)
    keys = np.unique(np.round(cand / h).astype(np.int64), axis=0)
    occupied = cKDTree(rel).query(keys * h, distance_upper_bound=0.25 * h)[0] < np.inf
    sites = keys[~occupied] * h
    if len(sites) == 0:
        return sites, 0
    halide = np.isin(m_sym, list(HALIDES))
    reused = np.zeros(len(sites), dtype=bool)
    if halide.any():
        d, _ = cKDTree(m_rel[halide]).query(sites, distance_upper_bound=SHELL_REUSE_A)
        reused = d < SHELL_REUSE_A
    return sites[~reused], int(reused.sum())


def _shell_halides(n: int, minfo: dict, m_sym) -> np.ndarray:
    """Halide symbols of the n shell sites: Br on round(x/3 · n) of them (seeded), I on the rest."""
    if n == 0:
        return np.zeros(0, dtype=str)
    x = minfo.get("x")
    if x is None:
        hal = np.isin(m_sym, list(HALIDES))
        x = 3.0 * float(np.sum(m_sym == "Br")) / max(1, int(hal.sum()))
    return np.asarray(random_halides(n, n_bromide(float(x), n), int(minfo.get("seed", 0) or 0)), dtype=str)


def _pb_anion_graph(hybrid: Atoms):
    """(i, j) neighbour pairs (both directions) within the Pb coordination cutoff, anion mask, Pb mask."""
    sym = np.array(hybrid.get_chemical_symbols())
    i, j, _ = pairs_within(hybrid, PB_ANION_CUTOFF_A)
    signs = {e: charge_sign(e) for e in np.unique(sym)}
    anion = np.array([signs[s] < 0 for s in sym], dtype=bool)
    return i, j, anion, sym == "Pb"


def _remove_undercoordinated(hybrid: Atoms, c_cart: np.ndarray, min_cn: int) -> tuple[Atoms, dict]:
    """Step 2 of the module docstring: remove under-coordinated matrix Pb as neutral PbX2 units."""
    tags = hybrid.get_tags()
    i, j, anion, pb = _pb_anion_graph(hybrid)
    sym = np.array(hybrid.get_chemical_symbols())
    alive = np.ones(len(hybrid), dtype=bool)
    m_halide = (tags == MATRIX_TAG) & np.isin(sym, list(HALIDES))
    r_centre = np.linalg.norm(_min_image(hybrid.positions - c_cart, hybrid.cell.array), axis=1)
    pb_anion = pb[i] & anion[j]
    removed = []
    for _ in range(len(hybrid)):
        live = pb_anion & alive[i] & alive[j]
        cn = np.bincount(i[live], minlength=len(hybrid))
        bad = np.flatnonzero(alive & pb & (tags == MATRIX_TAG) & (cn < min_cn))
        if len(bad) == 0:
            break
        p = bad[np.lexsort((bad, np.round(r_centre[bad], 6), cn[bad]))[0]]
        alive[p] = False
        own = j[(i == p) & alive[j] & m_halide[j]]
        n_pb = np.bincount(j[live & alive[i]], minlength=len(hybrid))  # alive Pb around each anion
        others = n_pb[own]
        pick = list(own[np.lexsort((own, others))][:2])
        if len(pick) < 2:
            rest = np.flatnonzero(alive & m_halide)
            rest = rest[~np.isin(rest, pick)]
            if len(rest) < 2 - len(pick):
                raise LatticeAnchorError("interface completion: no matrix halides left to remove with an under-coordinated Pb")
            d = np.linalg.norm(_min_image(hybrid.positions[rest] - hybrid.positions[p], hybrid.cell.array), axis=1)
            pick += list(rest[np.lexsort((rest, np.round(d, 6)))][:2 - len(pick)])
        alive[pick] = False
        removed += [p, *pick]
    return hybrid[alive], _count(sym[removed]) if removed else {}


def _count(symbols) -> dict:
    uniq, cnt = np.unique(np.asarray(symbols, dtype=str), return_counts=True)
    return {str(u): int(c) for u, c in zip(uniq, cnt)}


def _balance(hybrid: Atoms, c_cart: np.ndarray) -> tuple[Atoms, dict]:
    """Step 3 of the module docstring: remove interface Cs (Q > 0) or halides (Q < 0) until Q = 0."""
    symbols = np.array(hybrid.get_chemical_symbols())
    q = charge_of(symbols)
    if q == 0:
        return hybrid, {}
    tags = hybrid.get_tags()
    n = abs(q)
    if q > 0:
        candidates = np.flatnonzero((tags == MATRIX_TAG) & (symbols == "Cs"))
        what = "Cs"
    else:
        candidates = np.flatnonzero((tags != CORE_TAG) & np.isin(symbols, list(HALIDES)))
        what = "halide"
    if len(candidates) < n:
        raise LatticeAnchorError(f"charge_balance: need to remove {n} matrix {what} but only {len(candidates)} are left")
    r = np.linalg.norm(_min_image(hybrid.positions[candidates] - c_cart, hybrid.cell.array), axis=1)
    order = candidates[np.lexsort((candidates, np.round(r, 6)))]
    if q > 0:
        drop = order[:n]
    else:  # passes that keep the Pb anion shells: bonded to no Pb, to Pb keeping ≥ 6, ≥ 5, any
        i, j, anion, pb = _pb_anion_graph(hybrid)
        link = pb[i] & anion[j]
        cn = np.bincount(i[link], minlength=len(hybrid))
        pbs_of = {}
        for a_, b_ in zip(j[link], i[link]):
            pbs_of.setdefault(int(a_), []).append(int(b_))
        chosen: list[int] = []
        taken = np.zeros(len(hybrid), dtype=bool)
        for floor in (None, 7, 6, 0):
            for h in order:
                if len(chosen) == n:
                    break
                if taken[h]:
                    continue
                mine = pbs_of.get(int(h), [])
                if floor is None:
                    ok = not mine
                else:
                    ok = all(cn[b] >= floor for b in mine)
                if ok:
                    taken[h] = True
                    chosen.append(int(h))
                    for b in mine:
                        cn[b] -= 1
        drop = np.array(chosen, dtype=int)
    mask = np.ones(len(hybrid), dtype=bool)
    mask[drop] = False
    return hybrid[mask], _count(symbols[drop])
