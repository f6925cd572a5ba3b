"""The cited data file: every value has a source, datasets resolve, paper numbers reproduce."""

import re

import pytest

from latticeanchor import data
from latticeanchor.errors import LatticeAnchorError

CITATION = re.compile(r"DOI 10\.\d{4,9}/\S+|mp-\d+|COD \d+|ICDD PDF \d\d-\d{4}|https://j\.ioffe\.ru/articles/\d+")


def _all_entries():
    for material, block in data.load()["materials"].items():
        for quantity, q in block.items():
            if isinstance(q, dict) and "entries" in q:
                for key, e in q["entries"].items():
                    yield material, quantity, key, e


def test_every_value_has_a_citation_and_confidence():
    entries = list(_all_entries())
    assert len(entries) > 30
    for material, quantity, key, e in entries:
        assert CITATION.search(e["source"]), f"{material}.{quantity}.{key} lacks a DOI or database id"
        assert e["confidence"] in {"checked", "derived", "computed", "recalled", "assumed"}
    raw = data.load()
    for name, curve in raw["sizing_curves"].items():
        assert CITATION.search(curve["source"]), name
    for name in ("PbS", "PbSe"):
        assert CITATION.search(raw["dot_band_edges"][name]["source"])


def test_required_materials_and_quantities_present():
    for material in ("PbS", "PbSe", "PbTe", "CsPbI3_alpha", "CsPbBr3_alpha"):
        for quantity in ("lattice_constant", "thermal_expansion", "elastic_constants", "band_gap"):
            e = data.entry(material, quantity)
            assert "T" in e or quantity == "band_gap"
    assert data.entry("CsPbI3_delta", "cell")["a"] == pytest.approx(10.458)


def test_dataset_selections_point_to_existing_entries():
    raw = data.load()
    for name, ds in raw["datasets"].items():
        for path, key in ds["select"].items():
            material, quantity = path.split(".")
            assert key in raw["materials"][material][quantity]["entries"], (name, path)
    assert raw["default_dataset"] in raw["datasets"]


def test_liu2019_dataset_is_the_papers_numbers():
    assert data.value("PbS", "lattice_constant", "liu2019") == 5.94
    assert data.value("PbSe", "lattice_constant", "liu2019") == 6.12
    # Fig. 1b range recorded as its own dataset
    assert data.value("CsPbI3_alpha", "lattice_constant", "liu2019_fig1b") == 6.21
    assert data.value("CsPbBr3_alpha", "lattice_constant", "liu2019_fig1b") == 5.85


def test_pseudocubic_csbr3_is_derived_from_the_orthorhombic_cell():
    # Stoumpos 2013 RT orthorhombic cell, Z = 4 formula units
    a_pc = (8.244 * 11.735 * 8.198 / 4) ** (1 / 3)
    assert data.value("CsPbBr3_alpha", "lattice_constant", "rt_films") == pytest.approx(a_pc, abs=5e-4)


def test_apparent_expansion_links_the_files_own_cells():
    # black CsPbI3: RT film 6.18 Å carried to 634 K is Trots & Myagkota's cubic 6.2894 Å
    assert data.lattice_constant_at("CsPbI3_alpha", 634.0, "rt_films") == pytest.approx(6.2894, abs=1e-3)
    # CsPbBr3: RT pseudo-cubic 5.831 Å carried to 403 K is Stoumpos' cubic 5.874 Å
    assert data.lattice_constant_at("CsPbBr3_alpha", 403.0, "rt_films") == pytest.approx(5.874, abs=1e-3)
    # and the high-temperature dataset carried back to RT returns the film values (to second order in αΔT)
    assert data.lattice_constant_at("CsPbI3_alpha", 298.15, "cubic_hightemp") == pytest.approx(6.18, abs=3e-3)
    assert data.lattice_constant_at("CsPbBr3_alpha", 298.15, "cubic_hightemp") == pytest.approx(5.831, abs=1e-3)


def test_default_dataset_reproduces_the_papers_xrd_mismatch():
    # Liu et al. 2019: synchrotron XRD, CsPbBrI2 ≈ +1 % and CsPbBr2I ≈ 0 against PbS at room temperature
    from latticeanchor import strain

    assert data.default_dataset() == "liu2019"
    assert strain.mismatch("PbS", 1.0) == pytest.approx(0.01, abs=0.002)
    assert abs(strain.mismatch("PbS", 2.0)) <= 0.002


def test_unknown_dataset_and_material_raise_clear_errors():
    with pytest.raises(LatticeAnchorError, match="unknown dataset 'nope'"):
        data.entry("PbS", "lattice_constant", "nope")
    with pytest.raises(LatticeAnchorError, match="unknown material"):
        data.entry("GaAs", "lattice_constant")


def test_sources_table_lists_every_quantity_of_a_dataset():
    rows = data.sources("liu2019")
    keys = {(r["material"], r["quantity"]): r["key"] for r in rows}
    assert keys[("PbS", "lattice_constant")] == "liu2019"
    assert keys[("CsPbI3_alpha", "lattice_constant")] == "liu2019_xrd"


# --- the resolved MaterialSet (issue 18, item 1)

import dataclasses
import json

import numpy as np


def test_dataset_is_resolved_once_and_immutable():
    ms = data.dataset()
    assert isinstance(ms, data.MaterialSet)
    assert data.resolve(ms) is ms
    assert data.dataset("liu2019") is ms  # the default, resolved once per process
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.name = "other"
    with pytest.raises(TypeError):
        ms.stability["interface_gain_J_per_m2"] = {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        ms.cores["PbS"].lattice_constant.value = 6.0
    # the entry handed out is a copy: changing it changes nothing in the set
    e = ms.entry("PbS", "lattice_constant")
    e["value"] = 1.0
    assert ms.entry("PbS", "lattice_constant")["value"] == 5.94


def test_material_set_records_carry_the_selected_entries_with_sources():
    for name in data.dataset_names():
        ms = data.dataset(name)
        m = ms.matrix()
        assert m.name == "CsPb(Br,I)3" and m.halides == ("Br", "I")
        for member, material in ((m.x0, "CsPbI3_alpha"), (m.x3, "CsPbBr3_alpha")):
            e = data.entry(material, "lattice_constant", name)
            assert (member.lattice_constant.value, member.lattice_constant.T, member.lattice_constant.key) == (
                e["value"], e["T"], e["key"])
            assert CITATION.search(member.lattice_constant.source) and member.elastic.source
            assert member.a(e["T"]) == pytest.approx(e["value"], rel=1e-15)
        for core in ("PbS", "PbSe", "PbTe"):
            c = ms.core(core)
            assert c.a(298.15) == data.lattice_constant_at(core, 298.15, name)
            assert c.elastic.tensor == data.elastic_constants(core, name)
            assert c.lattice_constant.confidence in {"checked", "derived", "computed", "recalled", "assumed"}
        assert ms.polymorphs["CsPbI3_delta"].cell["a"] == pytest.approx(10.458)


def test_models_give_identical_numbers_for_a_name_and_its_material_set():
    from latticeanchor import electronic, stability, strain, vegard
    from latticeanchor.screen import selectivity

    x = np.linspace(0.0, 3.0, 7)
    for name in data.dataset_names():
        ms = data.dataset(name)
        assert np.array_equal(vegard.lattice_constant(x, 350.0, name), vegard.lattice_constant(x, 350.0, ms))
        assert np.array_equal(strain.mismatch("PbS0.5Se0.5", x, 298.15, name), strain.mismatch("PbS0.5Se0.5", x, 298.15, ms))
        assert np.array_equal(stability.lifetime("PbS", x, 35.0, 0.1, 298.15, name),
                              stability.lifetime("PbS", x, 35.0, 0.1, 298.15, ms))
        assert np.array_equal(electronic.band_alignment("PbS", 3.5, x, name)["margin"],
                              electronic.band_alignment("PbS", 3.5, x, ms)["margin"])
        assert np.array_equal(selectivity.selectivity("PbSe", x, 298.15, name), selectivity.selectivity("PbSe", x, 298.15, ms))


def test_a_user_materials_file_moves_the_model_by_the_expected_amount(tmp_path):
    from latticeanchor import strain

    raw = data.load()
    raw["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"]["value"] = 6.00  # was 5.94 Å
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    ms = data.dataset(str(path))
    assert ms.file == str(path.resolve()) and ms.core("PbS").lattice_constant.value == 6.00
    a_m = strain.mismatch("PbS", 1.0) * 5.94 + 5.94  # the matrix is untouched
    assert strain.mismatch("PbS", 1.0, dataset=str(path)) == pytest.approx(a_m / 6.00 - 1.0, rel=1e-12)
    assert strain.mismatch("PbS", 1.0, dataset=path) == strain.mismatch("PbS", 1.0, dataset=ms)
    assert strain.mismatch("PbSe", 1.0, dataset=ms) == strain.mismatch("PbSe", 1.0)


def test_bad_materials_files_fail_in_one_line(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LatticeAnchorError, match="not valid JSON"):
        data.dataset(str(bad))
    with pytest.raises(LatticeAnchorError, match="does not exist"):
        data.dataset(str(tmp_path / "missing.json"))
    raw = data.load()
    del raw["materials"]["CsPbI3_alpha"]["thermal_expansion"]
    bad.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(LatticeAnchorError, match="thermal_expansion") as info:
        data.dataset(str(bad))
    assert "\n" not in str(info.value)
    with pytest.raises(LatticeAnchorError, match="MaterialSet"):
        data.resolve(3.5)
