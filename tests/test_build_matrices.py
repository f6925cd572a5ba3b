"""build.alpha_matrix for the new matrix alloys (issue 18, item 4): molecules whole, seeded, check passes."""

import numpy as np
import pytest

from latticeanchor import build, vegard
from latticeanchor.build.molecules import molecule
from latticeanchor.errors import LatticeAnchorError


@pytest.mark.parametrize("matrix,formula_per_cell", [
    ("MAPb(Br,I)3", {"Pb": 1, "C": 1, "N": 1, "H": 6}),
    ("FAPb(Br,I)3", {"Pb": 1, "C": 1, "N": 2, "H": 5}),
    ("CsPb(Cl,Br)3", {"Pb": 1, "Cs": 1}),
])
def test_every_matrix_builds_a_neutral_cell_that_check_accepts(matrix, formula_per_cell):
    at = build.alpha_matrix(1.5, 3, matrix=matrix, seed=7)
    n = 27
    comp = {s: at.get_chemical_symbols().count(s) for s in set(at.get_chemical_symbols())}
    for el, k in formula_per_cell.items():
        assert comp[el] == k * n
    first = "Cl" if matrix.startswith("CsPb(Cl") else "Br"
    assert comp[first] == int(np.floor(1.5 / 3 * 3 * n + 0.5))  # x counts the first-named halide (halves up)
    assert at.cell.lengths() == pytest.approx([3 * float(vegard.lattice_constant(1.5, matrix=matrix))] * 3)
    report = build.check(at)
    assert report.ok, str(report)
    assert report.formal_charge == 0 and report.pb_coordination == {6: n}


@pytest.mark.parametrize("name,bonds", [("MA", {("C", "N"): 1.47, ("C", "H"): 1.09, ("N", "H"): 1.03}),
                                        ("FA", {("C", "N"): 1.32, ("C", "H"): 1.09, ("N", "H"): 1.01})])
def test_molecules_keep_their_bond_lengths_at_random_orientations(name, bonds):
    symbols, pos = molecule(name)
    at = build.alpha_matrix(0.0, 2, matrix=f"{name}Pb(Br,I)3", seed=3)
    sy = np.array(at.get_chemical_symbols())
    d = at.get_all_distances(mic=True)
    for (a, b), length in bonds.items():
        # every a atom has its b partner at the bond length (intramolecular), whatever the orientation
        nearest = np.min(np.where(d[np.ix_(sy == a, sy == b)] > 0.5, d[np.ix_(sy == a, sy == b)], 9), axis=1)
        assert np.allclose(nearest, length, atol=2e-3), (a, b)
    other = build.alpha_matrix(0.0, 2, matrix=f"{name}Pb(Br,I)3", seed=4)
    assert not np.allclose(at.positions, other.positions)  # orientations follow the seed
    again = build.alpha_matrix(0.0, 2, matrix=f"{name}Pb(Br,I)3", seed=3)
    assert np.array_equal(at.positions, again.positions)


def test_check_flags_a_molecule_pushed_onto_a_halide():
    at = build.alpha_matrix(0.0, 2, matrix="MAPb(Br,I)3", seed=1)
    sy = np.array(at.get_chemical_symbols())
    i_h, i_x = int(np.flatnonzero(sy == "H")[0]), int(np.flatnonzero(sy == "I")[0])
    at.positions[i_h] = at.positions[i_x] + [0.0, 0.0, 1.5]
    report = build.check(at)
    assert not report.ok and report.n_close_pairs >= 1


def test_embed_refuses_molecular_matrices_in_one_line():
    core = build.rocksalt_core("PbS", diameter=12.0)
    with pytest.raises(LatticeAnchorError, match="molecular A cations"):
        build.embed(core, build.alpha_matrix(2.0, 4, matrix="MAPb(Br,I)3"))
