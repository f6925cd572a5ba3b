"""DFT hand-off: VASP (pymatgen) and pw.x (ASE) inputs read back to the same structure."""

import json

import ase.io
import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.vasp import Incar, Kpoints, Poscar

from latticeanchor.energy import anchoring as anc
from latticeanchor.energy.dft import kpoint_mesh, structure_hash, write_dft_inputs
from latticeanchor.errors import LatticeAnchorError

MATCH = StructureMatcher(ltol=1e-3, stol=1e-3, angle_tol=1e-2, primitive_cell=False, scale=False,
                         attempt_supercell=False)


@pytest.fixture(scope="module")
def hybrid():
    return anc.alpha_hybrid("PbS", 2.0, n=2, k=1, seed=1)


def test_vasp_and_qe_inputs_round_trip(tmp_path, hybrid):
    folder = write_dft_inputs(hybrid, tmp_path / "cand", candidate={"core": "PbS", "x": 2.0},
                              record={"E": -1.0})
    ref = AseAtomsAdaptor.get_structure(hybrid)
    poscar = Poscar.from_file(folder / "vasp" / "POSCAR").structure
    assert MATCH.fit(ref, poscar)
    assert np.allclose(poscar.lattice.matrix, hybrid.cell.array, atol=1e-6)
    pw = ase.io.read(folder / "qe" / "pw.in", format="espresso-in")
    assert MATCH.fit(ref, AseAtomsAdaptor.get_structure(pw))
    assert pw.get_chemical_symbols() == hybrid.get_chemical_symbols()
    assert np.allclose(pw.positions, hybrid.positions, atol=1e-6)
    spec = (folder / "vasp" / "POTCAR.spec").read_text().split()
    assert set(spec) == {"Cs_sv", "Pb_d", "I", "Br", "S"}
    assert not (folder / "vasp" / "POTCAR").exists()
    incar = Incar.from_file(folder / "vasp" / "INCAR")
    assert incar["ENCUT"] == 520 and incar["ISIF"] == 3
    Kpoints.from_file(folder / "vasp" / "KPOINTS")
    text = (folder / "qe" / "pw.in").read_text()
    assert "Pb.pbe-dn-kjpaw_psl.0.2.2.UPF" in text and "ecutwfc" in text
    assert "K_POINTS automatic" in text and "3 3 3" in text  # 12.1 Å cell, 0.25 Å⁻¹ spacing
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["structure_sha256_16"] == structure_hash(hybrid)
    assert manifest["candidate"] == {"core": "PbS", "x": 2.0} and manifest["n_atoms"] == len(hybrid)


def test_kpoint_mesh_density():
    atoms = anc.alpha_cell(0.0, (1, 1, 2), a=6.0)
    assert kpoint_mesh(atoms, 0.25) == (5, 5, 3)  # 2π/6 / 0.25 = 4.19 → 5; /12 → 2.09 → 3
    with pytest.raises(LatticeAnchorError):
        kpoint_mesh(atoms, 0)


def test_rejects_unknown_code(tmp_path, hybrid):
    with pytest.raises(LatticeAnchorError, match="codes"):
        write_dft_inputs(hybrid, tmp_path / "c", codes=("castep",))


def test_closed_shell_hybrid_gets_ispin_1(tmp_path):
    from latticeanchor.build import alpha_matrix, embed, rocksalt_core

    h = embed(rocksalt_core("PbS", 12.0), alpha_matrix(2.0, 5, seed=1), charge_balance=True)
    incar = Incar.from_file(write_dft_inputs(h, tmp_path / "a", codes=("vasp",)) / "vasp" / "INCAR")
    assert incar["ISPIN"] == 1 and "MAGMOM" not in incar
    # a cell with a formal charge (here −6) is not closed shell: the set's spin polarisation stays
    charged = embed(rocksalt_core("PbS", 12.0), alpha_matrix(2.0, 5, seed=1), charge_balance=False)
    incar = Incar.from_file(write_dft_inputs(charged, tmp_path / "b", codes=("vasp",)) / "vasp" / "INCAR")
    assert incar["ISPIN"] == 2 and "MAGMOM" in incar
