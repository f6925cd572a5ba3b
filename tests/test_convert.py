"""ASE Atoms and pymatgen Structure alike at the entry of build.check, build.embed and io.write, and
RefinementResult keyed by what the caller passed."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.core import Lattice, Structure
from pymatgen.io.ase import AseAtomsAdaptor

from latticeanchor import io
from latticeanchor.build import alpha_matrix, check, embed, rocksalt_core
from latticeanchor.convert import as_atoms
from latticeanchor.errors import LatticeAnchorError


@pytest.fixture(scope="module")
def parts():
    core, matrix = rocksalt_core("PbS", 12.0), alpha_matrix(2.0, size=4, seed=7)
    return core, matrix, embed(core, matrix)


def test_embed_takes_pymatgen_structures_and_builds_the_same_hybrid(parts):
    core, matrix, hybrid = parts
    from_pmg = embed(AseAtomsAdaptor.get_molecule(core), AseAtomsAdaptor.get_structure(matrix))
    assert from_pmg.get_chemical_symbols() == hybrid.get_chemical_symbols()
    assert np.allclose(from_pmg.positions, hybrid.positions, atol=1e-9)
    assert np.array_equal(from_pmg.get_tags(), hybrid.get_tags())


def test_check_gives_the_same_report_for_atoms_and_structure(parts):
    hybrid = parts[2]
    assert str(check(AseAtomsAdaptor.get_structure(hybrid))) == str(check(hybrid))


def test_write_gives_the_same_file_for_atoms_and_structure(parts, tmp_path):
    hybrid = parts[2]
    for suffix in (".vasp", ".extxyz", ".cif"):
        a, b = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
        io.write(hybrid, a)
        io.write(AseAtomsAdaptor.get_structure(hybrid), b)
        assert a.read_bytes() == b.read_bytes(), suffix


def test_other_inputs_are_one_line_errors():
    with pytest.raises(LatticeAnchorError, match="ase.Atoms or a pymatgen Structure, got list"):
        check([1, 2, 3])
    disordered = Structure(Lattice.cubic(6.0), [{"Br": 0.5, "I": 0.5}], [[0, 0, 0]])
    with pytest.raises(LatticeAnchorError, match="disordered") as exc:
        as_atoms(disordered, "write")
    assert "\n" not in str(exc.value)


def test_refinement_results_are_keyed_by_what_the_caller_passed():
    from latticeanchor.diffraction import bragg_pattern, named_phase, profile, refine_cubic

    grid = np.arange(20.0, 70.0, 0.02)
    pbs = named_phase("PbS")
    pat = bragg_pattern(pbs, "CuKa", (15, 75))
    y = profile(grid, pat.x, pat.y, fwhm=0.12) + 1.0
    for phases, key in ((["PbS"], "PbS"), ([("my dots", pbs)], "my dots"), ({"dots": pbs}, "dots"),
                        ([pbs], "PbS"), ([AseAtomsAdaptor.get_atoms(pbs)], "PbS")):
        res = refine_cubic((grid, y), phases, wavelength="CuKa", fit_displacement=False)
        assert list(res.a) == [key] == list(res.a_sigma) == list(res.fwhm_deg)
        assert res.a[key] == pytest.approx(pbs.lattice.a, abs=1e-3)
