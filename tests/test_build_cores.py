import numpy as np
import pytest
import spglib
from ase.build import bulk
from scipy.spatial import ConvexHull, HalfspaceIntersection

from latticeanchor.build import rocksalt_cell, rocksalt_core
from latticeanchor.errors import LatticeAnchorError


def _brute(a, center, keep, n=8):
    """Brute-force carve from an ASE rock-salt block; center 'Pb' or 'anion'; keep(rel) -> bool mask."""
    block = bulk("PbS", "rocksalt", a=a, cubic=True).repeat(n)
    sym = np.array(block.get_chemical_symbols())
    idx = np.flatnonzero(sym == ("Pb" if center == "Pb" else "S"))
    mid = block.cell.array.sum(axis=0) / 2
    c = block.positions[idx[np.argmin(np.linalg.norm(block.positions[idx] - mid, axis=1))]]
    m = keep(block.positions - c)
    return int((sym[m] == "Pb").sum()), int((sym[m] == "S").sum())


@pytest.mark.parametrize("core", ["PbS", "PbSe"])
def test_bulk_rocksalt_is_fm3m(core):
    atoms = rocksalt_cell(core)
    assert spglib.get_symmetry_dataset((atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)).number == 225


@pytest.mark.parametrize("center", ["Pb", "anion"])
def test_sphere_matches_brute_force_carve(center):
    core = rocksalt_core("PbS", diameter=17.0, shape="sphere", center=center)
    a = core.info["latticeanchor"]["a_A"]
    n_pb, n_s = _brute(a, center, lambda r: np.linalg.norm(r, axis=1) <= 8.5 + 1e-6)
    sym = core.get_chemical_symbols()
    assert (sym.count("Pb"), sym.count("S")) == (n_pb, n_s)
    c = np.asarray(core.info["latticeanchor"]["center_position_A"])
    at_centre = np.flatnonzero(np.linalg.norm(core.positions - c, axis=1) < 1e-6)
    assert len(at_centre) == 1 and sym[at_centre[0]] == ("Pb" if center == "Pb" else "S")


def test_wulff_truncated_octahedron_matches_brute_force_and_volume():
    core = rocksalt_core("PbS", diameter=24.0, shape="wulff", center="Pb")
    info = core.info["latticeanchor"]
    normals, dists = np.asarray(info["facet_normals"]), np.asarray(info["facet_distances_A"])
    fam = np.where(np.isclose(np.abs(normals).max(axis=1), 1.0), "100", "111")
    assert set(fam) == {"100", "111"} and (fam == "100").sum() == 6 and (fam == "111").sum() == 8
    h100 = dists[fam == "100"][0]
    g = info["surface_energies_J_m2"]
    h111 = h100 * g["111"] / g["100"]
    assert np.allclose(dists[fam == "111"], h111)
    # independent half-spaces: cube normals and body diagonals
    cube = np.vstack([np.eye(3), -np.eye(3)])
    octa = np.array([[i, j, k] for i in (-1, 1) for j in (-1, 1) for k in (-1, 1)]) / np.sqrt(3)
    hs = np.vstack([np.hstack([cube, -np.full((6, 1), h100)]), np.hstack([octa, -np.full((8, 1), h111)])])
    volume = ConvexHull(HalfspaceIntersection(hs, np.zeros(3)).intersections).volume
    assert volume == pytest.approx(np.pi * 24.0**3 / 6, rel=1e-6)  # volume-equivalent diameter
    keep = lambda r: np.all(r @ cube.T <= h100 + 1e-6, axis=1) & np.all(r @ octa.T <= h111 + 1e-6, axis=1)
    n_pb, n_s = _brute(info["a_A"], "Pb", keep)
    sym = core.get_chemical_symbols()
    assert (sym.count("Pb"), sym.count("S")) == (n_pb, n_s)


def test_alloy_core_exact_counts_and_seed():
    c1 = rocksalt_core("PbS0.25Se0.75", diameter=15.0, seed=2)
    c2 = rocksalt_core("PbS0.25Se0.75", diameter=15.0, seed=3)
    sym = c1.get_chemical_symbols()
    n_an = len(sym) - sym.count("Pb")
    assert sym.count("S") == int(np.floor(0.25 * n_an + 0.5)) and sym.count("S") + sym.count("Se") == n_an
    assert c1.get_chemical_formula() == c2.get_chemical_formula() and sym != c2.get_chemical_symbols()


@pytest.mark.parametrize("kwargs,word", [({"core": "PbO"}, "core"), ({"core": "CdSe"}, "core"),
                                         ({"shape": "cube"}, "shape"), ({"diameter": -3}, "diameter"),
                                         ({"center": "Cs"}, "center"),
                                         ({"shape": "wulff", "surface_energies": {(1, 0, 0): -1}}, "surface energ")])
def test_bad_input(kwargs, word):
    with pytest.raises(LatticeAnchorError, match=word) as exc:
        rocksalt_core(**kwargs)
    assert "\n" not in str(exc.value)
