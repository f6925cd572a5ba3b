"""The user's own materials file (issue 18, item 3): template -> edit -> the model moves by the edit alone."""

import json
import subprocess
import sys

import numpy as np
import pytest

from latticeanchor import data, strain, vegard
from latticeanchor.data.userfile import template, validate
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, screen_table


@pytest.fixture()
def mine(tmp_path):
    path = tmp_path / "my.json"
    path.write_text(json.dumps(template()), encoding="utf-8")
    return path


def test_the_template_reproduces_the_values_in_use(mine):
    ms = data.dataset(str(mine))
    x = np.linspace(0, 3, 7)
    for matrix in data.dataset().matrices:
        assert np.array_equal(vegard.lattice_constant(x, 350.0, ms, matrix=matrix),
                              vegard.lattice_constant(x, 350.0, matrix=matrix))
    assert strain.zero_mismatch_x("PbS", dataset=ms) == strain.zero_mismatch_x("PbS")
    assert {r["key"] for r in ms.sources()} == {r["key"] for r in data.sources()}


def test_editing_one_value_moves_the_model_by_the_expected_amount(mine):
    raw = json.loads(mine.read_text(encoding="utf-8"))
    entry = raw["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"]
    assert entry["value"] == 5.94
    entry.update(value=6.00, source="my own XRD, this work", confidence="checked")
    mine.write_text(json.dumps(raw), encoding="utf-8")
    a_m = vegard.lattice_constant(1.0)  # the matrix is untouched
    assert strain.mismatch("PbS", 1.0, dataset=str(mine)) == pytest.approx(a_m / 6.00 - 1.0, rel=1e-12)
    assert strain.mismatch("PbSe", 1.0, dataset=str(mine)) == strain.mismatch("PbSe", 1.0)
    # the same file in a study: the screen's ε column moves the same way
    cfg = load_config({"study": {"materials": str(mine)},
                       "grid": {"cores": ["PbS"], "x": [1.0], "diameter_nm": [3.5], "loading": [0.1],
                                "temperatures": [298.15]}})
    assert screen_table(cfg)["eps_fraction"].iloc[0] == pytest.approx(a_m / 6.00 - 1.0, rel=1e-12)


@pytest.mark.parametrize("edit,needle", [
    (lambda r: r["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"].update(value=59.4),
     "materials.PbS.lattice_constant.entries.liu2019.value: 59.4 Å is outside the valid range 2–20 Å"),
    (lambda r: r["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"].pop("source"),
     "liu2019.source: every value needs a source"),
    (lambda r: r["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"].update(colour=1),
     "liu2019.colour: unknown key"),
    (lambda r: r["materials"]["PbS"]["elastic_constants"]["entries"]["peresada1976"].update(C11="hard"),
     "C11: expected a finite number in GPa"),
    (lambda r: r["materials"]["PbS"]["lattice_constant"]["entries"]["liu2019"].update(confidence="sure"),
     "confidence: 'sure' is not one of checked"),
    (lambda r: r.update(colours={}), "colours: unknown block"),
    (lambda r: r["materials"]["PbS"].update(hardness={}), "materials.PbS.hardness: unknown quantity"),
])
def test_bad_values_are_refused_in_one_line(edit, needle):
    raw = template()
    edit(raw)
    with pytest.raises(LatticeAnchorError) as info:
        validate(raw, "my.json")
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_study_refuses_both_dataset_and_materials(mine):
    with pytest.raises(LatticeAnchorError, match="give one"):
        load_config({"study": {"materials": str(mine), "dataset": "liu2019"},
                     "grid": {"x": [1.0], "diameter_nm": [3.5], "loading": [0.1]}})


def test_cli_template_and_show_round_trip(tmp_path):
    out = tmp_path / "m.json"
    cli = [sys.executable, "-m", "latticeanchor.cli", "data"]
    done = subprocess.run(cli + ["template", "--matrix", "MAPb(Br,I)3", "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    raw = json.loads(out.read_text(encoding="utf-8"))
    assert raw["default_matrix"] == "MAPb(Br,I)3"
    raw["materials"]["MAPbI3_alpha"]["lattice_constant"]["entries"]["weber1978"]["value"] = 6.30
    out.write_text(json.dumps(raw), encoding="utf-8")
    shown = subprocess.run(cli + ["show", "--materials", str(out)], capture_output=True, text=True)
    assert shown.returncode == 0 and "MAPbI3_alpha.lattice_constant = 6.3 at 298.15 K" in shown.stdout
    assert "matrix MAPb(Br,I)3" in shown.stdout
    raw["materials"]["MAPbI3_alpha"]["lattice_constant"]["entries"]["weber1978"]["value"] = -1
    out.write_text(json.dumps(raw), encoding="utf-8")
    bad = subprocess.run(cli + ["show", "--materials", str(out)], capture_output=True, text=True)
    assert bad.returncode == 2 and "outside the valid range 2–20 Å" in bad.stderr and "Traceback" not in bad.stderr


def test_a_users_rock_salt_compound_is_a_core_of_the_models_and_the_screen(tmp_path):
    """'any rock-salt compound the user describes' (issue 18): SnTe added to the template (a, expansion, elastic
    constants, no sizing curve) is a core of strain and the screen; its dot gap is not evaluated; the builders,
    which put the cation on Pb sites, refuse it in one line and the screen builds only the Pb cores."""
    from latticeanchor.build import rocksalt_cell
    from latticeanchor.screen import run

    raw = template()
    snte = json.loads(json.dumps(raw["materials"]["PbTe"]))
    snte["lattice_constant"] = {"default": "mine", "entries": {"mine": {
        "value": 6.32, "T": 298.15, "source": "test value", "confidence": "assumed"}}}
    raw["materials"]["SnTe"] = snte
    path = tmp_path / "snte.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    a_m = vegard.lattice_constant(1.0, 298.15, str(path))
    assert strain.mismatch("SnTe", 1.0, 298.15, str(path)) == pytest.approx(a_m / 6.32 - 1.0, rel=1e-12)
    # an alloy of the new compound with PbTe's cation differs, so it is refused (no such compound in the file)
    with pytest.raises(LatticeAnchorError, match="unknown core compound 'SnS'"):
        strain.mismatch("SnS0.5Te0.5", 1.0, dataset=str(path))
    with pytest.raises(LatticeAnchorError, match="Pb-chalcogenide cores only"):
        rocksalt_cell("SnTe", dataset=str(path))
    res = run({"study": {"materials": str(path), "top": 5},
               "grid": {"cores": ["SnTe", "PbS"], "x": [1.0, 2.0], "diameter_nm": [3.0], "loading": [0.0, 0.1],
                        "temperatures": [298.15]}, "build": {"structures": 4}},
              out=tmp_path / "r", quiet=True, plots=False)
    t = res.candidates
    te = t[t["core"] == "SnTe"]
    assert te["dot_gap_eV"].isna().all() and (te["not_evaluated"] == "dot_gap").all()
    np.testing.assert_allclose(te["eps_fraction"], strain.mismatch("SnTe", te["x"].to_numpy(), 298.15, str(path)),
                               rtol=1e-12)
    built = sorted(p.name for p in (tmp_path / "r" / "structures").glob("*.vasp"))
    assert built and all("_PbS_" in name for name in built)
    # the default dataset has no SnTe: refused before any output
    with pytest.raises(LatticeAnchorError, match="grid.cores: unknown core compound 'SnTe'"):
        run({"grid": {"cores": ["SnTe"], "x": [1.0], "diameter_nm": [3.0], "loading": [0.1]}}, out=tmp_path / "none",
            quiet=True)
    assert not (tmp_path / "none").exists()
