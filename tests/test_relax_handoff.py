"""screen --relax-top's sizes decided before the screen, and its DFT hand-off only for structures that pass
build.check (relaxations replaced by zero-step runs of a cheap Lennard-Jones stand-in: structures, file names
and records are what is tested here, not energies)."""

import json

import pytest
from ase.calculators.lj import LennardJones

from latticeanchor import io
from latticeanchor.cli import main
from latticeanchor.energy.scale import DEFAULT_SETTINGS, evaluate_candidate, plan_for_study, relax_plan
from latticeanchor.errors import LatticeAnchorError

DOT_35 = {"core": "PbS", "x": 1.0, "diameter": 35.0, "loading": 0.1, "T": 298.15}


def test_relax_plan_keeps_a_dot_that_fits_and_states_a_reduced_one():
    big = relax_plan(DOT_35, {"max_atoms": 5000})
    assert not big["dot_reduced"] and big["diameter_relaxed_A"] == 35.0 and big["tag"] == "d3.5nm"
    assert big["n_atoms_estimate"] <= 5000
    small = relax_plan(DOT_35)  # default max_atoms 400: a 3.5 nm dot needs ≈ 4,500 atoms
    assert small["dot_reduced"] and small["diameter_relaxed_A"] < 35.0
    assert small["n_atoms_estimate"] <= DEFAULT_SETTINGS["max_atoms"] and small["tag"] != "d3.5nm"
    # the next 0.5 Å step up does not fit: the plan takes the largest dot that does
    step_up = relax_plan(dict(DOT_35, diameter=small["diameter_relaxed_A"] + 0.5))
    assert step_up["dot_reduced"] and step_up["diameter_relaxed_A"] == small["diameter_relaxed_A"]
    with pytest.raises(LatticeAnchorError, match="raise --max-atoms"):
        relax_plan(DOT_35, {"max_atoms": 100})


def test_plan_for_study_covers_the_grid():
    from latticeanchor.screen.config import load_config

    cfg = load_config(None)
    plans = plan_for_study(cfg)
    assert {p["core"] for p in plans} == set(cfg["grid"]["cores"])
    assert all(p["n_atoms_estimate"] <= DEFAULT_SETTINGS["max_atoms"] for p in plans)
    assert any(p["dot_reduced"] for p in plans)  # the default grid's 2.5–5 nm dots do not fit 400 atoms


def test_relax_top_refused_before_the_screen_runs(tmp_path, capsys):
    pytest.importorskip("chgnet")
    out = tmp_path / "res"
    assert main(["screen", "--relax-top", "1", "--max-atoms", "100", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "raise --max-atoms" in err and "\n" not in err and not out.exists()


def _settings(**kw):
    s = dict(DEFAULT_SETTINGS, calculator=LennardJones(sigma=3.0, epsilon=0.001, rc=6.0), steps=0, rattle=0.0)
    s.update(kw)
    return s


def test_hand_off_writes_checked_embed_hybrid_named_by_the_dot_relaxed(tmp_path):
    cand = dict(DOT_35, diameter=6.0)
    res = evaluate_candidate(cand, _settings(), tmp_path)
    assert res["builder"] == "build" and res["diameter_relaxed_A"] == 6.0 and not res["dot_reduced"]
    assert res["dft_inputs"] == "dft-d0.6nm"
    manifest = json.loads((tmp_path / "dft-d0.6nm" / "manifest.json").read_text())
    assert manifest["builder"] == "embed" and manifest["forced_past_check"] is False
    assert sorted(manifest["files"]) == ["gpaw", "qe", "vasp"]
    for name in ("alpha_hybrid", "delta_hybrid"):
        import ase.io

        atoms = ase.io.read(tmp_path / f"{name}-d0.6nm.extxyz")
        assert json.loads(atoms.info["latticeanchor"])["builder"] == "embed"
        assert set(atoms.arrays["region"]) == {"matrix", "core", "interface"}, name


def test_hand_off_refuses_the_internal_hybrid_and_says_why(tmp_path):
    cand = dict(DOT_35, diameter=6.0)
    res = evaluate_candidate(cand, _settings(builder="internal"), tmp_path)
    assert res["dft_inputs"].startswith("refused: relaxed α hybrid fails build.check") and "like-charge" in res["dft_inputs"]
    assert not any(p.name.startswith("dft") for p in tmp_path.iterdir())
    import ase.io

    atoms = ase.io.read(tmp_path / "alpha_hybrid-d0.6nm.extxyz")
    assert json.loads(atoms.info["latticeanchor"])["builder"] == "alpha_hybrid"  # not "alpha_matrix"
    assert not io.check_for_dft(atoms).ok
