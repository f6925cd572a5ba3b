"""DFT hand-off: VASP, pw.x and GPAW inputs read back to the same structure, with one k-point rule."""

import json

import ase.io
import numpy as np
import pytest
from pymatgen.analysis.structure_matcher import StructureMatcher
from pymatgen.io.ase import AseAtomsAdaptor
from pymatgen.io.vasp import Incar, Kpoints, Poscar

from latticeanchor import io
from latticeanchor.build import alpha_matrix, embed, rocksalt_core
from latticeanchor.energy import anchoring as anc
from latticeanchor.energy import inputs
from latticeanchor.energy.dft import kpoint_mesh, structure_hash, write_dft_inputs
from latticeanchor.errors import LatticeAnchorError

MATCH = StructureMatcher(ltol=1e-3, stol=1e-3, angle_tol=1e-2, primitive_cell=False, scale=False,
                         attempt_supercell=False)


@pytest.fixture(scope="module")
def hybrid():
    h = embed(rocksalt_core("PbS", 6.0), alpha_matrix(2.0, 3, seed=1), charge_balance=True)
    assert io.check_for_dft(h).ok
    return h


def test_vasp_qe_gpaw_inputs_round_trip(tmp_path, hybrid):
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
    assert spec == ["Br", "Cs_sv", "I", "Pb_d", "S"]  # POSCAR species order, Materials Project names
    assert not (folder / "vasp" / "POTCAR").exists()
    incar = Incar.from_file(folder / "vasp" / "INCAR")
    assert incar["ENCUT"] == 520 and incar["ISIF"] == 3 and incar["EDIFFG"] == -0.02
    assert incar["ISMEAR"] == 0 and incar["SIGMA"] == 0.05 and incar["IBRION"] == 2 and incar["PREC"] == "Accurate"
    assert incar["LREAL"] == "Auto" and incar["ISPIN"] == 1  # 129 atoms, closed shell
    assert incar["EDIFF"] == pytest.approx(5e-5 * len(hybrid), rel=1e-2)
    kp = Kpoints.from_file(folder / "vasp" / "KPOINTS")
    text = (folder / "qe" / "pw.in").read_text()
    # one k-point rule: 18.3 Å cell, 2π/18.3/0.25 = 1.37 → 2, the same mesh in KPOINTS, pw.x and GPAW
    assert tuple(kp.kpts[0]) == (2, 2, 2) and kp.style.name == "Gamma"
    assert "K_POINTS automatic\n2 2 2 0 0 0" in text
    assert '"size": (2, 2, 2)' in (folder / "gpaw" / "scf.gpaw.py").read_text()
    # SSSP efficiency v1.3.0: the largest cutoff of Cs, Pb, I, Br, S is Pb's 40 / 320 Ry
    assert "Pb.pbe-dn-kjpaw_psl.0.2.2.UPF" in text and "ecutwfc = 40.0" in text and "ecutrho = 320.0" in text
    assert "&FCP" not in text and "&RISM" not in text
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["structure_sha256_16"] == structure_hash(hybrid) and manifest["builder"] == "embed"
    assert manifest["candidate"] == {"core": "PbS", "x": 2.0} and manifest["n_atoms"] == len(hybrid)
    assert manifest["kpoint_mesh"] == {"vasp": [2, 2, 2], "qe": [2, 2, 2], "gpaw": [2, 2, 2]}


def test_build_and_hand_off_write_the_same_pw_input(tmp_path, hybrid):
    from latticeanchor.energy.dft import write_qe

    built = io.write(hybrid, tmp_path / "h.pwi").read_text().splitlines()
    handed = write_qe(hybrid, tmp_path / "qe").read_text().splitlines()
    assert built[0] == handed[0] and built[1].startswith("! provenance: ") and built[2:] == handed[1:]


def test_kpoint_mesh_density():
    atoms = anc.alpha_cell(0.0, (1, 1, 2), a=6.0)
    assert kpoint_mesh(atoms, 0.25) == (5, 5, 3)  # 2π/6 / 0.25 = 4.19 → 5; /12 → 2.09 → 3
    assert inputs.kpoints(atoms).splitlines()[3] == "5 5 3"
    big = anc.alpha_cell(0.0, (5, 5, 5), a=6.0)  # 30 Å: Γ only in both codes
    assert kpoint_mesh(big) == (1, 1, 1) and "K_POINTS gamma" in inputs.pw_input(big)
    with pytest.raises(LatticeAnchorError):
        kpoint_mesh(atoms, 0)


def test_rejects_unknown_code(tmp_path, hybrid):
    with pytest.raises(LatticeAnchorError, match="codes"):
        write_dft_inputs(hybrid, tmp_path / "c", codes=("castep",))


def test_internal_hybrid_refused_unless_forced(tmp_path):
    h = anc.alpha_hybrid("PbS", 2.0, n=2, k=1, seed=1)  # like-charge contacts: fails build.check
    assert not io.check_for_dft(h).ok
    with pytest.raises(LatticeAnchorError, match="fails build.check.*like-charge"):
        write_dft_inputs(h, tmp_path / "c")
    assert not (tmp_path / "c").exists()
    folder = write_dft_inputs(h, tmp_path / "c", force=True)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["forced_past_check"] is True and manifest["builder"] == "alpha_hybrid"


def test_closed_shell_hybrid_gets_ispin_1(tmp_path):
    h = embed(rocksalt_core("PbS", 12.0), alpha_matrix(2.0, 5, seed=1), charge_balance=True)
    incar = Incar.from_file(write_dft_inputs(h, tmp_path / "a", codes=("vasp",)) / "vasp" / "INCAR")
    assert incar["ISPIN"] == 1 and "MAGMOM" not in incar
    # a cell with a formal charge (here −6) is not closed shell: spin polarised, MAGMOM 0.6 per atom
    charged = embed(rocksalt_core("PbS", 12.0), alpha_matrix(2.0, 5, seed=1), charge_balance=False)
    folder = write_dft_inputs(charged, tmp_path / "b", codes=("vasp", "qe"), force=True)
    incar = Incar.from_file(folder / "vasp" / "INCAR")
    assert incar["ISPIN"] == 2 and incar["MAGMOM"] == [0.6] * len(charged)
    assert "nspin = 2" in (folder / "qe" / "pw.in").read_text()
