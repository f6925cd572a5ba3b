"""The reference CIFs in structures/ are exactly what the script writes from the cited data."""

import subprocess
import sys
from pathlib import Path

import pytest
import spglib
from ase.io import read

STRUCTURES = Path(__file__).resolve().parents[1] / "structures"
EXPECTED = {"alpha-CsPbI3.cif": 221, "alpha-CsPbBr3.cif": 221, "delta-CsPbI3.cif": 62, "PbS.cif": 225, "PbSe.cif": 225}


def test_reference_cifs_regenerate_byte_identical(tmp_path):
    subprocess.run([sys.executable, str(STRUCTURES / "make_structures.py"), str(tmp_path)], check=True,
                   capture_output=True)
    for name in EXPECTED:
        assert (tmp_path / name).read_bytes() == (STRUCTURES / name).read_bytes(), name


@pytest.mark.parametrize("name,number", sorted(EXPECTED.items()))
def test_reference_cif_space_groups(name, number):
    atoms = read(STRUCTURES / name)
    cell = (atoms.cell[:], atoms.get_scaled_positions(), atoms.numbers)
    assert spglib.get_symmetry_dataset(cell, symprec=1e-3).number == number
