"""Rock-salt (Fm-3m) PbS / PbSe / PbTe / PbS_(1−y)Se_y nanocrystals carved from the bulk lattice.

Rock salt with Pb at the origin and conventional edge a (Å): Pb at (i, j, k)·a/2 with i + j + k even,
the anion at i + j + k odd. A Pb-centred carve (``center='Pb'``) puts a Pb at the dot centre; an
anion-centred carve (``center='anion'``) puts an anion there (the body centre (½, ½, ½)a of the cell,
i.e. the Cs site of a perovskite registered with Pb at the origin). Both are centrosymmetric.

Shapes (``diameter`` in Å):
- ``sphere``: every lattice site with |r − c| ≤ diameter/2.
- ``wulff``: the Wulff shape of the {100} and {111} surface energies (J/m²), computed with pymatgen
  ``WulffShape``, scaled so that its volume equals that of a sphere of ``diameter`` (volume-equivalent
  diameter); every site with n·(r − c) ≤ λγ_n for all facet normals n is kept. With the default
  energies it is the {100}/{111}-faceted truncated octahedron of real PbS dots.

Default surface energies (``DEFAULT_SURFACE_ENERGIES``, from ``PbS.surface_energies`` in the data file): γ{100} = 0.184 J/m², the DFT value of the
bare nonpolar {100} rock-salt lead-chalcogenide surface (Fang et al., ACS Nano 4, 211 (2010),
DOI 10.1021/nn9013406, computed for PbSe; used for PbS as well), and γ{111} = 0.21 J/m², an
ASSUMPTION for the ligand-stabilised polar {111} facet: bare {111} is higher (reconstructed Pb-{111}
0.328 J/m² in the same work, which alone would give cubes), and oleate/hydroxyl passivation lowers it
(Bealing et al., ACS Nano 6, 2118 (2012), DOI 10.1021/nn3000466; Zherebetskyy et al., Science 344,
1380 (2014), DOI 10.1126/science.1252727). The ratio γ111/γ100 = 1.14 lies between 1/√3 (octahedron)
and √3 (cube), so both facet families appear. Pass ``surface_energies`` to use other values.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from latticeanchor import data, strain
from latticeanchor.build._common import (CORE_TAG, MAX_BUILD_ATOMS, check_atom_budget, lattice_a, parse_seed,
                                         provenance, scalar)
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import CLUSTER_CORE_MIN_A, positive, temperature, dot_diameter

__all__ = ["rocksalt_core", "rocksalt_cell", "wulff_planes", "DEFAULT_SURFACE_ENERGIES", "SHAPES", "CENTERS"]

def _default_surface_energies() -> dict[tuple[int, int, int], float]:
    e = data.entry("PbS", "surface_energies")  # J/m², cited in the data file
    return {(1, 0, 0): e["gamma_100"], (1, 1, 1): e["gamma_111"]}


DEFAULT_SURFACE_ENERGIES = _default_surface_energies()
SHAPES = ("sphere", "wulff")
CENTERS = ("Pb", "anion")
VACUUM = 10.0  # Å of vacuum on each side of the bounding box of a free-standing core


def buildable(core: str) -> bool:
    """Whether the builders can place ``core``: a Pb chalcogenide (or an anion alloy of them), whose cation goes
    on the perovskite's Pb sublattice in ``embed``."""
    return all(name.startswith("Pb") for name, _ in strain.parse_core(core))


def _core_symbols(core: str) -> list[tuple[str, float]]:
    """[(anion symbol, fraction), ...] of a core name ('PbS', 'PbS0.5Se0.5', ...). The builders place the core's
    cation on Pb sites (the perovskite's Pb sublattice in ``embed``), so a rock-salt compound of another cation
    (a user's 'SnTe') is refused here in one line; the models and the screen accept it."""
    if not buildable(core):
        raise LatticeAnchorError(f"core {core!r}: the builders place Pb-chalcogenide cores only (the cation sits on "
                                 "the perovskite's Pb sublattice); the models and `screen` accept other rock-salt "
                                 "compounds of a materials file")
    return [(name[2:], frac) for name, frac in strain.parse_core(core)]


def _core_a(core: str, a, T, dataset) -> float:
    if a is None:
        return float(strain.core_lattice_constant(core, T, dataset))
    return lattice_a(a)


def rocksalt_cell(core: str = "PbS", a=None, T=298.15, dataset: str | None = None) -> Atoms:
    """Conventional 8-atom rock-salt cell (Pb at the origin) of an end-member core, a in Å (default at T, K)."""
    parts = _core_symbols(core)
    if len(parts) != 1:
        raise LatticeAnchorError(f"rocksalt_cell needs an end-member core (PbS, PbSe, PbTe), got {core!r}")
    T = float(temperature(scalar("T (K)", T)))
    a_val = _core_a(core, a, T, dataset)
    pb = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    an = pb + np.array([0.5, 0, 0])
    atoms = Atoms(["Pb"] * 4 + [parts[0][0]] * 4, scaled_positions=np.vstack([pb, an]) % 1.0,
                  cell=np.eye(3) * a_val, pbc=True)
    atoms.info["latticeanchor"] = provenance("rocksalt_cell", core=core, a_A=a_val, T_K=T, dataset=dataset)
    return atoms


def _parse_energies(surface_energies) -> dict[tuple[int, int, int], float]:
    if surface_energies is None:
        return dict(DEFAULT_SURFACE_ENERGIES)
    if not isinstance(surface_energies, dict) or not surface_energies:
        raise LatticeAnchorError("surface_energies must be a dict {(h, k, l): γ in J/m²}, e.g. {(1,0,0): 0.18, (1,1,1): 0.21}")
    out = {}
    for hkl, gamma in surface_energies.items():
        try:
            key = tuple(int(v) for v in hkl)
        except (TypeError, ValueError):
            raise LatticeAnchorError(f"surface_energies key {hkl!r} is not a Miller index (h, k, l)") from None
        if len(key) != 3 or key == (0, 0, 0):
            raise LatticeAnchorError(f"surface_energies key {hkl!r} is not a Miller index (h, k, l)")
        out[key] = float(positive(f"surface energy of {key} (J/m²)", scalar("surface energy (J/m²)", gamma)))
    return out


def wulff_planes(diameter, surface_energies=None) -> tuple[np.ndarray, np.ndarray, dict]:
    """(unit normals (m, 3), distances (m,) in Å, area fractions) of the cubic Wulff shape whose volume
    equals that of a sphere of ``diameter`` (Å). Built with pymatgen ``WulffShape`` (cubic symmetry).
    Only facets present on the Wulff shape are returned."""
    from pymatgen.analysis.wulff import WulffShape
    from pymatgen.core import Lattice

    d = float(dot_diameter(scalar("diameter (Å)", diameter), minimum=CLUSTER_CORE_MIN_A))
    energies = _parse_energies(surface_energies)
    shape = WulffShape(Lattice.cubic(1.0), list(energies), list(energies.values()))
    scale = (np.pi * d**3 / 6.0 / shape.volume) ** (1.0 / 3.0)
    on = {tuple(k) for k, v in shape.area_fraction_dict.items() if v > 1e-9}
    normals, dists = [], []
    for facet in shape.facets:
        if tuple(facet.miller) in on:
            normals.append(np.asarray(facet.normal, dtype=float) / np.linalg.norm(facet.normal))
            dists.append(facet.e_surf * scale)
    fractions = {"".join(str(i) for i in k): float(v) for k, v in shape.area_fraction_dict.items()}
    return np.array(normals), np.array(dists), fractions


def rocksalt_core(core: str = "PbS", diameter=30.0, shape: str = "sphere", a=None, T=298.15, center: str = "Pb",
                  surface_energies=None, seed: int = 0, dataset: str | None = None,
                  max_atoms: int = MAX_BUILD_ATOMS) -> Atoms:
    """A finite rock-salt nanocrystal (non-periodic ASE ``Atoms``), centred in a box with 10 Å vacuum.

    core: 'PbS', 'PbSe', 'PbTe' or an alloy 'PbS0.5Se0.5' (anions placed at random with ``seed``, exactly
    round(y·N_anion) of each minority component); diameter: Å (sphere diameter, or the
    volume-equivalent diameter of the Wulff shape); shape: 'sphere' | 'wulff'; a: lattice constant (Å),
    default the core's at T (K); center: 'Pb' | 'anion' (site at the dot centre); surface_energies:
    {(h, k, l): γ (J/m²)} for 'wulff'. Atom order: Pb then anions, each sorted by distance from the
    centre. Tags 1 (core). ``atoms.info['latticeanchor']`` records the parameters, the centre
    position (Å) and the shape (radius or facet normals and distances, Å). max_atoms: refuse (one-line
    error, before the lattice is enumerated) when the dot would hold more atoms (8 per a³ of volume).
    """
    if shape not in SHAPES:
        raise LatticeAnchorError(f"unknown shape {shape!r}; use 'sphere' or 'wulff'")
    if center not in CENTERS:
        raise LatticeAnchorError(f"unknown center {center!r}; use 'Pb' or 'anion'")
    parts = _core_symbols(core)
    d = float(dot_diameter(scalar("diameter (Å)", diameter), minimum=CLUSTER_CORE_MIN_A))
    T = float(temperature(scalar("T (K)", T)))
    seed = parse_seed(seed)
    a_val = _core_a(core, a, T, dataset)
    ratio = min(d / a_val, 1e10)  # no float overflow for absurd diameters: the count only has to exceed the budget
    check_atom_budget(int(np.ceil(8.0 * np.pi * ratio**3 / 6.0)), max_atoms, f"a {d:g} Å {core} dot")

    offset = np.zeros(3) if center == "Pb" else np.full(3, 0.5)  # centre in units of a (Pb at the origin)
    if shape == "sphere":
        normals, dists, fractions = np.zeros((0, 3)), np.zeros(0), {}
        reach = d / 2.0
    else:
        normals, dists, fractions = wulff_planes(d, surface_energies)
        reach = _max_extent(normals, dists)
    n = int(np.ceil(2.0 * reach / a_val)) + 2
    g = np.arange(-n, n + 1)  # half-lattice grid, n·a/2 ≥ reach + a (anion-centred shift included)
    ijk = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).reshape(-1, 3)
    rel = (ijk * 0.5 - offset) * a_val  # positions relative to the centre, Å
    tol = 1e-6 * a_val
    if shape == "sphere":
        keep = np.einsum("ij,ij->i", rel, rel) <= (d / 2.0 + tol) ** 2
    else:
        keep = np.all(rel @ normals.T <= dists + tol, axis=1)
    ijk, rel = ijk[keep], rel[keep]
    is_pb = (ijk.sum(axis=1) % 2) == 0
    r = np.linalg.norm(rel, axis=1)
    order = np.lexsort((rel[:, 2], rel[:, 1], rel[:, 0], np.round(r, 6), ~is_pb))
    rel, is_pb = rel[order], is_pb[order]
    n_pb = int(is_pb.sum())
    n_an = len(rel) - n_pb
    if n_pb == 0 or n_an == 0:
        raise LatticeAnchorError(f"diameter {d:g} Å is too small for a {core} core (a = {a_val:.3f} Å)")

    anions = np.full(n_an, parts[0][0], dtype=object)
    counts = {}
    if len(parts) > 1:
        rng = np.random.default_rng(seed)
        perm = rng.permutation(n_an)
        start = 0
        for k, (sym, frac) in enumerate(parts):
            cnt = n_an - start if k == len(parts) - 1 else int(np.floor(frac * n_an + 0.5))
            anions[perm[start:start + cnt]] = sym
            counts[sym] = cnt
            start += cnt
    symbols = ["Pb"] * n_pb + list(anions)

    extent = float(np.max(np.linalg.norm(rel, axis=1)))
    box = 2.0 * (extent + VACUUM)
    centre = np.full(3, box / 2.0)
    atoms = Atoms(symbols=symbols, positions=rel + centre, cell=np.eye(3) * box, pbc=False)
    atoms.set_tags(np.full(len(atoms), CORE_TAG, dtype=int))
    atoms.info["latticeanchor"] = provenance(
        "rocksalt_core", core=core, diameter_A=d, shape=shape, a_A=a_val, T_K=T, center=center,
        surface_energies_J_m2=None if shape == "sphere" else {"".join(map(str, k)): v for k, v in _parse_energies(surface_energies).items()},
        wulff_area_fractions=fractions or None, seed=seed, dataset=dataset,
        center_position_A=centre.tolist(), extent_radius_A=extent,
        radius_A=d / 2.0 if shape == "sphere" else None,
        facet_normals=normals.tolist() if shape == "wulff" else None,
        facet_distances_A=dists.tolist() if shape == "wulff" else None,
        n_Pb=n_pb, n_anion=n_an, anion_counts=counts or None)
    return atoms


def _max_extent(normals: np.ndarray, dists: np.ndarray) -> float:
    """Circumscribed radius of the convex polyhedron {r : n·r ≤ d} (Å), via its vertices."""
    from scipy.spatial import HalfspaceIntersection

    hs = HalfspaceIntersection(np.hstack([normals, -dists[:, None]]), np.zeros(3))
    return float(np.max(np.linalg.norm(hs.intersections, axis=1)))
