"""Screening loop: config validation, the paper's optimum, scoring by hand, Pareto, outputs, resume."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latticeanchor import data, geometry, strain
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, run, screen_table
from latticeanchor.screen.config import studies_dir
from latticeanchor.screen.score import pareto_front

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def default_table():
    return screen_table(load_config())


# --- config ------------------------------------------------------------------------------------

def test_shipped_studies_are_the_repository_workflows():
    for path in (REPO / "workflows").glob("*.toml"):
        assert studies_dir().joinpath(path.name).read_text() == path.read_text(), path.name
    for name in ("default", "thermal", "pbse"):
        assert load_config(name)["study"]["name"] == name


def test_default_study_spans_the_papers_design_space():
    cfg = load_config()
    axes = cfg["_axes"]
    assert {"PbS", "PbSe"} <= set(cfg["grid"]["cores"]) and any("Se" in c and "S0" in c for c in cfg["grid"]["cores"])
    assert axes["x"][0] == 0 and axes["x"][-1] == 3 and np.max(np.diff(axes["x"])) <= 0.05 + 1e-12
    assert axes["diameter_nm"][0] == 2.5 and axes["diameter_nm"][-1] == 5.0
    assert axes["loading"][0] == 0 and axes["loading"][-1] == pytest.approx(0.30)
    assert axes["temperatures"] == [298.15, 473.15]


def _cfg(**changes):
    cfg = {"grid": {"cores": ["PbS"], "x": {"start": 0, "stop": 3, "step": 0.5}, "diameter_nm": [3.0],
                    "loading": {"start": 0, "stop": 0.2, "step": 0.05}, "temperatures": [298.15]}}
    for dotted, value in changes.items():
        section, key = dotted.split("__")
        cfg.setdefault(section, {})[key] = value
    return cfg


@pytest.mark.parametrize("changes,needle", [
    ({"grid__colour": 1}, "grid.colour: unknown key"),
    ({"study__top": "ten"}, "study.top: expected int"),
    ({"grid__x": {"start": 2, "stop": 1, "step": 0.1}}, "grid.x: empty range"),
    ({"grid__x": {"start": 0, "stop": 3.5, "step": 0.5}}, "grid.x: Br content must lie in [0, 3]"),
    ({"grid__loading": [0.1, 0.64]}, "grid.loading: volume fraction 0.64"),
    ({"grid__cores": ["GaAs"]}, "grid.cores: unknown core 'GaAs'"),
    ({"score__mismatch": -1}, "score.mismatch: -1 is outside the valid range"),
    ({"study__dataset": "nope"}, "unknown dataset 'nope'"),
])
def test_bad_configs_name_the_key(changes, needle):
    with pytest.raises(LatticeAnchorError) as err:
        load_config(_cfg(**changes))
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_unknown_section_and_bad_toml(tmp_path):
    with pytest.raises(LatticeAnchorError, match="colours: unknown section"):
        load_config({**_cfg(), "colours": {}})
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\ncores = 1")
    with pytest.raises(LatticeAnchorError, match="not valid TOML"):
        load_config(bad)


def test_cli_bad_config_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[grid]\ncores = ["PbS"]\nx = {start = 0, stop = 4, step = 1}\ndiameter_nm = [3]\nloading = [0.1]\n')
    proc = subprocess.run([sys.executable, "-m", "latticeanchor.cli", "screen", str(bad), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "grid.x" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o" / "candidates.csv").exists()


# --- the paper's optimum -------------------------------------------------------------------------

def test_top_pbs_candidate_has_two_thirds_bromide(default_table):
    pbs = default_table[default_table["core"] == "PbS"]
    assert 1.8 <= pbs.iloc[0]["x"] <= 2.2
    assert default_table.iloc[0]["core"] == "PbS"
    pbs_rt = pbs[pbs["T"] == 298.15]
    assert 1.8 <= pbs_rt.iloc[0]["x"] <= 2.2


def test_best_pbse_composition_is_bromide_poorer(default_table):
    best = {c: default_table[(default_table["core"] == c) & (default_table["T"] == 298.15)].iloc[0]["x"]
            for c in ("PbS", "PbSe", "PbS0.5Se0.5")}
    assert best["PbSe"] < best["PbS0.5Se0.5"] < best["PbS"]


def test_larger_mismatch_needs_higher_critical_loading(default_table):
    sub = default_table[(default_table["core"] == "PbS") & (default_table["T"] == 298.15)
                        & (default_table["diameter"] == 35.0) & (default_table["loading"] == 0.1)]
    sub = sub[np.abs(sub["eps"]) < 0.028]  # below the Matthews-Blakeslee tangency misfit
    order = np.argsort(np.abs(sub["eps"].to_numpy()))
    crit = sub["critical_loading"].to_numpy()[order]
    assert np.all(np.diff(crit) >= 0) and crit[-1] > 100 * crit[0]


def test_anneal_moves_the_optimum_the_way_expansion_implies(default_table):
    alpha_m = data.value("CsPbI3_alpha", "thermal_expansion")
    for core in ("PbS", "PbSe"):
        best = [default_table[(default_table["core"] == core) & (default_table["T"] == T)].iloc[0]["x"]
                for T in (298.15, 473.15)]
        # the matrix expands faster than the core, so at 473 K a smaller (Br-richer) matrix matches
        assert np.sign(best[1] - best[0]) == np.sign(alpha_m - data.value(core, "thermal_expansion"))


# --- scoring by hand ---------------------------------------------------------------------------

def test_scores_of_hand_computed_candidates(default_table):
    cfg = load_config()
    w = cfg["score"]
    for core, x, d, phi, T in [("PbS", 2.0, 35.0, 0.1, 298.15), ("PbSe", 1.5, 30.0, 0.02, 473.15),
                               ("PbS0.5Se0.5", 0.0, 50.0, 0.0, 298.15)]:
        row = default_table[(default_table["core"] == core) & np.isclose(default_table["x"], x)
                            & (default_table["diameter"] == d) & np.isclose(default_table["loading"], phi)
                            & (default_table["T"] == T)].iloc[0]
        # lattice constants straight from the data file
        y = x / 3
        a_i = 6.18 * (1 + 3.3e-5 * (T - 298.15))
        a_br = 5.831 * (1 + 3.3e-5 * (T - 298.15))
        a_m = (1 - y) * a_i + y * a_br
        parts = strain.parse_core(core)
        a_c = sum(f * {"PbS": 5.9362 * (1 + 2.03e-5 * (T - 293)), "PbSe": 6.124 * (1 + 1.94e-5 * (T - 298.15))}[n]
                  for n, f in parts)
        eps = (a_m - a_c) / a_c
        assert row["eps"] == pytest.approx(eps, rel=1e-9)
        # dot gap from Moreels' sizing curves, d in nm
        dn = d / 10
        gaps = {"PbS": 0.41 + 1 / (0.0252 * dn**2 + 0.283 * dn), "PbSe": 0.278 + 1 / (0.016 * dn**2 + 0.209 * dn + 0.45)}
        gap = sum(f * gaps[n] for n, f in parts)
        assert row["dot_gap_eV"] == pytest.approx(gap, rel=1e-12)
        # Bartel tau from Shannon radii
        r_x = (1 - y) * 2.20 + y * 1.96
        tau = r_x / 1.19 - (1 - (1.88 / 1.19) / np.log(1.88 / 1.19))
        assert row["bartel_tau"] == pytest.approx(tau, rel=1e-12)
        crit = row["critical_loading"]
        coherence = 0.0 if phi == 0 else (1.0 if phi >= crit else phi / crit)
        dist = max(1.1 - gap, gap - 1.3, 0.0)
        terms = {"mismatch": np.exp(-(eps / 0.01) ** 2), "coherence": coherence,
                 "selectivity": 0.5 * (1 + np.tanh(row["selectivity"] / 0.02)),
                 "alignment": 0.5 * (1 + np.tanh(row["alignment_margin_eV"] / 0.1)),
                 "gap": np.exp(-dist / 0.1), "tolerance": 0.5 * (1 + np.tanh((4.18 - tau) / 0.05)),
                 "loading": 1 - phi / 0.64}
        expected = sum(w[k] * v for k, v in terms.items()) / sum(w[k] for k in terms)
        assert row["score"] == pytest.approx(expected, rel=1e-9)
        for k, v in terms.items():
            assert row[f"term_{k}"] == pytest.approx(v, rel=1e-9, abs=1e-12)


def test_pbs_in_cspbbr2i_is_coherent_at_ten_percent(default_table):
    row = default_table[(default_table["core"] == "PbS") & np.isclose(default_table["x"], 2.0)
                        & (default_table["diameter"] == 35.0) & np.isclose(default_table["loading"], 0.1)
                        & (default_table["T"] == 298.15)].iloc[0]
    assert row["regime"] == "anchored"
    assert row["critical_loading"] == pytest.approx(
        strain.critical_loading("PbS", 2.0, 35.0), rel=1e-9)
    assert row["dot_spacing_A"] == pytest.approx(geometry.dot_spacing(0.1, 35.0), rel=1e-12)


def test_pareto_front_matches_brute_force():
    rng = np.random.default_rng(3)
    values = np.round(rng.random((300, 3)), 1)
    mask = pareto_front(values)
    for i, v in enumerate(values):
        dominated = np.any(np.all(values >= v, axis=1) & np.any(values > v, axis=1))
        assert mask[i] == (not dominated)


def test_top_candidate_is_on_the_pareto_front(default_table):
    assert default_table.iloc[0]["pareto"]


# --- outputs and resume ---------------------------------------------------------------------------

SMALL = {"study": {"name": "small", "top": 5},
         "grid": {"cores": ["PbS", "PbSe"], "x": {"start": 0, "stop": 3, "step": 0.25}, "diameter_nm": [3.0, 4.0],
                  "loading": {"start": 0, "stop": 0.2, "step": 0.05}, "temperatures": [298.15, 473.15]},
         "build": {"structures": 0}}


def test_outputs_and_resume(tmp_path):
    out = tmp_path / "small"
    res = run(SMALL, out=out, quiet=True)
    for name in ("candidates.csv", "ranked.csv", "mismatch.png", "critical_loading_map.png",
                 "score_landscape.png", "manifest.json"):
        assert (out / name).stat().st_size > 0, name
    ranked = pd.read_csv(out / "ranked.csv")
    assert list(ranked.columns[:7]) == ["rank", "core", "x", "diameter", "loading", "T", "score"]
    assert len(ranked) == 5 and ranked["reasons"].str.contains("ε =").all()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] and manifest["config"]["study"]["name"] == "small"
    assert manifest["n_candidates"] == len(res.candidates) == 2 * 13 * 2 * 5 * 2
    assert not list(out.glob(".*"))  # no temporary files left
    # a re-run with the same config resumes: candidates.csv is not rewritten
    stamp = (out / "candidates.csv").stat().st_mtime_ns
    res2 = run(SMALL, out=out, quiet=True)
    assert (out / "candidates.csv").stat().st_mtime_ns == stamp
    assert res2.ranked["x"].tolist() == res.ranked["x"].tolist()
    # a changed config overwrites cleanly
    changed = json.loads(json.dumps(SMALL))
    changed["grid"]["cores"] = ["PbSe"]
    res3 = run(changed, out=out, quiet=True)
    assert set(pd.read_csv(out / "candidates.csv")["core"]) == {"PbSe"}
    assert len(res3.candidates) == len(res.candidates) // 2


def test_interrupted_run_is_completed(tmp_path):
    out = tmp_path / "small"
    run(SMALL, out=out, quiet=True, plots=False)
    (out / "ranked.csv").unlink()  # as if killed after the evaluation step
    run(SMALL, out=out, quiet=True)
    assert (out / "ranked.csv").exists() and (out / "score_landscape.png").exists()


def test_top_structures_are_neutral_readable_and_match_the_candidate(tmp_path):
    from ase.io import read
    from pymatgen.core import Structure

    from latticeanchor.build import check

    cfg = json.loads(json.dumps(SMALL))
    cfg["build"] = {"structures": 2, "max_cells": 7}
    res = run(cfg, out=tmp_path / "s", quiet=True, plots=False)
    vasp = sorted(p for p in res.structures if p.suffix == ".vasp")
    assert len(vasp) == 2
    for path in vasp:
        atoms = read(path, format="vasp")
        report = check(atoms).as_dict()
        assert report["formal_charge"] == 0
        assert not report["close_pairs"]
        cif = Structure.from_file(path.with_suffix(".cif"))
        assert cif.composition.reduced_formula == Structure.from_file(path).composition.reduced_formula
        rank = int(path.name.split("_")[0][4:])
        row = res.candidates[res.candidates["rank"] == rank].iloc[0]
        assert row["core"] in path.name and f"x{row['x']:.2f}" in path.name


def test_relax_top_records_a_failed_candidate_and_carries_on(tmp_path, capsys):
    pytest.importorskip("chgnet")
    from latticeanchor.cli import main

    cfg = tmp_path / "s.toml"
    cfg.write_text('[study]\nname = "s"\ntop = 2\n[grid]\ncores = ["PbS"]\nx = [1.5, 2.0]\ndiameter_nm = [3.0]\n'
                   'loading = [0.1]\n[build]\nstructures = 0\n')
    # every candidate fails: exit 1, and each failure's one-line cause is on stderr
    assert main(["screen", str(cfg), "--out", str(tmp_path / "o"), "--relax-top", "2", "--max-atoms", "10",
                 "--no-sensitivity"]) == 1
    captured = capsys.readouterr()
    assert "relaxed 2 candidates (2 failed)" in captured.out
    assert captured.err.count("max_atoms=10") >= 2 and "every relaxation failed" in captured.err
    table = pd.read_csv(tmp_path / "o" / "relax" / "results.csv")
    assert list(table["x"]) == [2.0, 1.5]  # best first, one row per distinct structure
    assert table["error"].str.contains("max_atoms=10").all()


def test_best_per_core_is_the_top_row_of_each_core_and_temperature(tmp_path):
    res = run(SMALL, out=tmp_path / "b", quiet=True, plots=False)
    best = res.best_per_core()
    assert len(best) == 2 * 2
    for _, row in best.iterrows():
        sub = res.candidates[(res.candidates["core"] == row["core"]) & (res.candidates["T"] == row["T"])]
        assert row["score"] == sub["score"].max() and row["rank"] == sub["rank"].min()
