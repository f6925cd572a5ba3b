import json

import ase.io
import numpy as np
import pytest

from latticeanchor import __version__, io
from latticeanchor.build import alpha_matrix, embed, rocksalt_core
from latticeanchor.errors import LatticeAnchorError


@pytest.fixture(scope="module")
def hybrid():
    return embed(rocksalt_core("PbS", 10.0), alpha_matrix(2.0, size=4, seed=7))


def test_poscar_grouped_sorted_and_readable(tmp_path, hybrid):
    path = io.write(hybrid, tmp_path / "POSCAR")
    lines = path.read_text().splitlines()
    species = lines[5].split()
    assert species == sorted(species) and len(set(species)) == len(species)
    counts = dict(zip(species, map(int, lines[6].split())))
    assert counts == {s: hybrid.get_chemical_symbols().count(s) for s in species}
    back = ase.io.read(path, format="vasp")
    assert back.get_chemical_formula() == hybrid.get_chemical_formula()


def test_extxyz_provenance(tmp_path, hybrid):
    path = io.write(hybrid, tmp_path / "h.xyz")
    back = ase.io.read(path, format="extxyz")
    assert back.info["latticeanchor_version"] == __version__
    params = json.loads(back.info["latticeanchor"])
    assert params["matrix"]["seed"] == 7 and params["matrix"]["x"] == 2.0 and params["core"]["diameter_A"] == 10.0
    assert np.array_equal(back.get_tags(), hybrid.get_tags())
    assert np.allclose(back.positions, hybrid.positions)


@pytest.mark.parametrize("name,fmt,read_kw", [("h.cif", "cif", {}), ("h.pwi", "espresso-in", {}),
                                              ("h.lmp", "lammps-data", {"atom_style": "atomic", "units": "metal"})])
def test_other_formats_roundtrip(tmp_path, hybrid, name, fmt, read_kw):
    path = io.write(hybrid, tmp_path / name)
    assert f"latticeanchor {__version__}" in path.read_text()[:300]
    back = ase.io.read(path, format=fmt, **read_kw)
    assert back.get_chemical_formula() == hybrid.get_chemical_formula()
    assert np.allclose(back.cell.lengths(), hybrid.cell.lengths(), atol=1e-5)


def test_same_seed_byte_identical_other_seed_differs(tmp_path):
    core = rocksalt_core("PbS", 10.0)
    files = []
    for k, seed in enumerate((3, 3, 4)):
        files.append(io.write(embed(core, alpha_matrix(1.0, 4, seed=seed)), tmp_path / f"{k}.vasp").read_bytes())
    assert files[0] == files[1] and files[0] != files[2]


def test_pymatgen_roundtrip(hybrid):
    s = io.to_structure(hybrid)
    assert len(s) == len(hybrid) and s.composition == s.composition.__class__(hybrid.get_chemical_formula())
    back = io.from_structure(s)
    assert back.get_chemical_symbols() == hybrid.get_chemical_symbols()
    assert np.allclose(back.positions, hybrid.positions)


def test_bad_format_and_failed_write_leave_nothing(tmp_path, hybrid, monkeypatch):
    with pytest.raises(LatticeAnchorError, match="format"):
        io.write(hybrid, tmp_path / "h.unknown")
    with pytest.raises(LatticeAnchorError, match="format"):
        io.write(hybrid, tmp_path / "h.vasp", format="gaussian")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ase.io, "write", boom)
    with pytest.raises(RuntimeError):
        io.write(hybrid, tmp_path / "h.vasp")
    assert list(tmp_path.iterdir()) == []
