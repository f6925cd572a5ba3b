import numpy as np
import pytest
import spglib

from latticeanchor import vegard
from latticeanchor.build import alpha_matrix
from latticeanchor.errors import LatticeAnchorError


def _sg(atoms):
    return spglib.get_symmetry_dataset((atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers),
                                       symprec=1e-3).number


@pytest.mark.parametrize("x", [0.0, 3.0])
def test_pure_alpha_is_pm3m(x):
    atoms = alpha_matrix(x, size=(2, 3, 2))  # a non-cubic supercell of the cubic crystal
    assert _sg(atoms) == 221
    halide = "I" if x == 0 else "Br"
    symbols = atoms.get_chemical_symbols()
    assert (symbols.count("Cs"), symbols.count("Pb"), symbols.count(halide), len(symbols)) == (12, 12, 36, 60)


def test_lattice_constant_and_geometry_from_vegard():
    atoms = alpha_matrix(1.0, size=2, T=350.0)
    a = vegard.lattice_constant(1.0, 350.0)
    assert np.allclose(atoms.cell.lengths(), 2 * a)
    pb = atoms.positions[atoms.numbers == 82]
    x_sites = atoms.positions[np.isin(atoms.numbers, [35, 53])]
    d = np.linalg.norm(x_sites[:, None] - pb[None], axis=-1)
    assert np.isclose(d.min(), a / 2)  # Pb–X bond = a/2
    assert alpha_matrix(1.0, size=2, a=6.0).cell.lengths()[0] == pytest.approx(12.0)


@pytest.mark.parametrize("x,size", [(2.0, 3), (1.0, 2), (0.7, (3, 2, 4))])
def test_exact_bromide_count(x, size):
    atoms = alpha_matrix(x, size=size, seed=5)
    n_cells = np.prod(np.broadcast_to(size, 3))
    sym = np.array(atoms.get_chemical_symbols())
    n_x = 3 * n_cells
    assert (sym == "Br").sum() == int(np.floor(x / 3 * n_x + 0.5))
    assert (sym == "Br").sum() + (sym == "I").sum() == n_x
    assert (sym == "Cs").sum() == (sym == "Pb").sum() == n_cells


def test_seeds():
    a1, a2, b = alpha_matrix(1.5, 3, seed=1), alpha_matrix(1.5, 3, seed=1), alpha_matrix(1.5, 3, seed=2)
    assert a1.get_chemical_symbols() == a2.get_chemical_symbols()
    assert a1.get_chemical_symbols() != b.get_chemical_symbols()
    assert a1.get_chemical_formula() == b.get_chemical_formula()
    assert np.array_equal(a1.positions, b.positions)


def test_sqs_counts_and_determinism():
    pytest.importorskip("icet")
    kw = dict(size=2, halide_order="sqs", sqs_steps=300)
    s1, s2 = alpha_matrix(1.0, seed=3, **kw), alpha_matrix(1.0, seed=3, **kw)
    assert s1.get_chemical_symbols() == s2.get_chemical_symbols()
    assert s1.get_chemical_symbols().count("Br") == 8  # round(1/3 · 24)
    assert s1.info["latticeanchor"]["halide_order"] == "sqs"


@pytest.mark.parametrize("kwargs,word", [({"x": 3.5}, "x"), ({"x": -0.1}, "x"), ({"x": 1, "size": 0}, "size"),
                                         ({"x": 1, "size": (2, 2)}, "size"), ({"x": 1, "size": -2}, "size"),
                                         ({"x": 1, "halide_order": "ordered"}, "halide_order"),
                                         ({"x": 1, "a": -5}, "a"), ({"x": 1, "seed": -1}, "seed"),
                                         ({"x": 1, "T": 0}, "T")])
def test_bad_input(kwargs, word):
    with pytest.raises(LatticeAnchorError, match=word) as exc:
        alpha_matrix(**kwargs)
    assert "\n" not in str(exc.value)
