import json

import ase.io
import numpy as np
import pytest

from latticeanchor import __version__, io
from latticeanchor.build import alpha_matrix, embed, rocksalt_core
from latticeanchor.errors import LatticeAnchorError


@pytest.fixture(scope="module")
def hybrid():
    h = embed(rocksalt_core("PbS", 10.0), alpha_matrix(2.0, size=4, seed=7), charge_balance=True)
    assert io.check_for_dft(h).ok
    return h


@pytest.fixture(scope="module")
def charged():
    h = embed(rocksalt_core("PbS", 10.0), alpha_matrix(2.0, size=4, seed=7))
    assert io.check_for_dft(h).formal_charge != 0
    return h


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


def test_extxyz_region_array_documented_and_geometric(tmp_path, hybrid):
    from ase.neighborlist import neighbor_list

    back = ase.io.read(io.write(hybrid, tmp_path / "h.extxyz"), format="extxyz")
    region = back.arrays["region"]
    assert set(region) == set(io.REGIONS)
    assert "interface" in back.info["region_legend"] and "2 = interface halide shell" in back.info["tags_legend"]
    tags = back.get_tags()
    assert np.array_equal(region == "core", tags == 1)
    # brute force: a non-core atom is "interface" exactly when a core atom lies within 4.6 Å
    i, j = neighbor_list("ij", back, 4.6)
    touching = np.zeros(len(back), bool)
    touching[i[(tags[i] != 1) & (tags[j] == 1)]] = True
    assert np.array_equal(region == "interface", touching)
    # every shell halide (tag 2) is interface, and the interface holds more than the shell alone
    assert np.all(region[tags == 2] == "interface") and (region == "interface").sum() > (tags == 2).sum()


@pytest.mark.parametrize("name,fmt,read_kw", [("h.cif", "cif", {}), ("h.pwi", "espresso-in", {}),
                                              ("h.lmp", "lammps-data", {"atom_style": "charge", "units": "metal"})])
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
        io.write(hybrid, tmp_path / "h.cif")
    assert list(tmp_path.iterdir()) == []


def test_poscar_comment_is_short(tmp_path, hybrid):
    first = io.write(hybrid, tmp_path / "POSCAR").read_text().splitlines()[0]
    assert len(first) < 80 and first.startswith(hybrid.get_chemical_formula(mode="hill")) and " embed " in first


def test_vasp_inputs_beside_the_poscar_are_the_hand_off_files(tmp_path, hybrid):
    from latticeanchor.energy import dft

    io.write(hybrid, tmp_path / "run" / "POSCAR", vasp_inputs=True)
    io.write(hybrid, tmp_path / "x.vasp", vasp_inputs=True)
    hand_off = dft.write_vasp(hybrid, tmp_path / "dft")
    for name in ("POSCAR", "INCAR", "KPOINTS", "POTCAR.spec"):
        text = (hand_off / name).read_text()
        assert (tmp_path / "run" / name).read_text() == text
        assert (tmp_path / ("x.vasp" if name == "POSCAR" else f"x.{name}")).read_text() == text
    prov = json.loads((tmp_path / "run" / "provenance.json").read_text())
    assert prov["params"]["builder"] == "embed" and prov["params"]["matrix"]["seed"] == 7


@pytest.mark.parametrize("name,kw", [("h.pwi", {}), ("h.gpaw.py", {}), ("POSCAR", {"vasp_inputs": True})])
def test_dft_inputs_refused_for_a_failing_structure(tmp_path, charged, name, kw):
    with pytest.raises(LatticeAnchorError, match="fails build.check.*formal charge"):
        io.write(charged, tmp_path / name, **kw)
    assert list(tmp_path.iterdir()) == []
    io.write(charged, tmp_path / name, force=True, **kw)
    assert (tmp_path / name).is_file()


def test_structure_files_are_not_refused(tmp_path, charged):
    for name in ("POSCAR", "h.cif", "h.extxyz", "h.lmp"):
        assert io.write(charged, tmp_path / name).is_file()
