"""Parent-cell hkl labels for supercells read from files, hybrids included, and phase-name errors."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from ase.io import write

from latticeanchor.build import alpha_matrix, embed, rocksalt_core
from latticeanchor.cli import main
from latticeanchor.diffraction import bragg_pattern
from latticeanchor.diffraction.bragg import as_structure
from latticeanchor.diffraction.phases import load_structure, parent_cell


def _labels_near(pattern, two_theta, tol=0.05):
    return [f["hkl"] for x, fams in zip(pattern.x, pattern.hkls) if abs(x - two_theta) < tol for f in fams]


def test_hybrid_supercell_from_a_file_has_parent_labels(tmp_path):
    """A 5×5×5 α-CsPbBr2I cell with a 2 nm PbS dot, written and read back: 5 cells per edge, not 6 (the
    dot's dense Pb used to inflate the count from the volume per Pb), so the (100) is (1, 0, 0)."""
    hybrid = embed(rocksalt_core("PbS", 20.0), alpha_matrix(2.0, size=5, seed=1), charge_balance=True)
    path = tmp_path / "hybrid.vasp"
    write(path, hybrid, format="vasp")
    st = load_structure(str(path))
    kind, a, n = parent_cell(as_structure(st))
    a_cell = hybrid.cell.lengths()[0] / 5
    assert kind == "alpha" and n == (5, 5, 5) and a == pytest.approx(a_cell, rel=1e-9)
    pat = bragg_pattern(st, "CuKa", (10, 35))
    tt_100 = 2 * np.degrees(np.arcsin(1.54184 / (2 * a_cell)))
    assert (1, 0, 0) in _labels_near(pat, tt_100)
    # every label is a multiple of 1/5 (the supercell's reciprocal lattice in parent units)
    for fams in pat.hkls:
        for f in fams:
            assert all(Fraction(float(v)).limit_denominator(50).denominator in (1, 5) for v in f["hkl"]), f


@pytest.mark.parametrize("size", [(2, 3, 4), (8, 8, 8)])
def test_plain_supercells_are_counted_from_the_cation_sublattice(size):
    m = alpha_matrix(1.0, size=size, seed=2)
    kind, a, n = parent_cell(as_structure(m))
    assert kind == "alpha" and n == size and a == pytest.approx(m.cell.lengths()[0] / size[0], rel=1e-9)


def test_rocksalt_supercell_with_a_vacancy_keeps_its_count():
    from pymatgen.core import Lattice, Structure

    st = Structure.from_spacegroup("Fm-3m", Lattice.cubic(5.936), ["Pb", "S"], [[0, 0, 0], [0.5, 0.5, 0.5]])
    st.make_supercell((3, 3, 3))
    st.remove_sites([0, 1, 2])  # Pb vacancies change the volume per Pb, not the count of cells
    assert parent_cell(st)[2] == (3, 3, 3) and parent_cell(st)[1] == pytest.approx(5.936)


@pytest.mark.parametrize("name", ["alpha-x1.2.3", "alpha-x.."])
def test_malformed_alpha_name_is_a_one_line_error(name, tmp_path, capsys):
    assert main(["xrd", "simulate", name, "-o", str(tmp_path / "p.xy")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "alpha-x" in err and "Traceback" not in err
    assert not any(tmp_path.iterdir())
