import numpy as np
import spglib
from ase.neighborlist import neighbor_list

from latticeanchor import data, vegard
from latticeanchor.build import delta_matrix
from latticeanchor.io import to_structure


def test_pure_delta_is_pnma_with_sane_bonds():
    atoms = delta_matrix(0.0, size=(1, 2, 1))
    ds = spglib.get_symmetry_dataset((atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers), symprec=1e-3)
    assert ds.number == 62
    assert atoms.get_chemical_formula() == "Cs8I24Pb8"
    i, j, d = neighbor_list("ijd", atoms, 4.5)
    pb_i = (atoms.numbers[i] == 82) & (atoms.numbers[j] == 53) & (d < 3.6)
    assert np.all((d[pb_i] > 3.0) & (d[pb_i] < 3.5))  # physics-notes pitfall: Pb–I 3.0–3.5 Å
    assert np.all(np.bincount(i[pb_i], minlength=len(atoms))[atoms.numbers == 82] == 6)  # PbI6 octahedra
    assert d[(atoms.numbers[i] == 55) & (atoms.numbers[j] == 53)].min() > 3.7


def test_cell_from_data_and_composition_scaling():
    cell = data.entry("CsPbI3_delta", "cell")
    a0 = delta_matrix(0.0, T=cell["T"]).cell.lengths()
    assert np.allclose(a0, [cell["a"], cell["b"], cell["c"]])
    a2 = delta_matrix(2.0, T=cell["T"]).cell.lengths()
    ratio = vegard.lattice_constant(2.0, cell["T"]) / vegard.lattice_constant(0.0, cell["T"])
    assert np.allclose(a2 / a0, ratio)
    atoms = delta_matrix(1.0, size=(2, 1, 1), seed=4)
    assert atoms.get_chemical_symbols().count("Br") == 8  # round(1/3 · 24)


def test_powder_pattern_is_delta_not_alpha():
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    pattern = XRDCalculator("CuKa").get_pattern(to_structure(delta_matrix(0.0)), two_theta_range=(5, 20))
    tt, inten = np.asarray(pattern.x), np.asarray(pattern.y)
    for peak in (9.8, 13.1):
        near = np.abs(tt - peak) < 0.3
        assert near.any() and inten[near].max() > 50  # strong (scaled to 100)
    assert not np.any((tt > 13.6) & (tt < 14.6) & (inten > 1.0))  # no α (100) near 14°
