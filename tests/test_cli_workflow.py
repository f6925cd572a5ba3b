"""The everyday workflow: nm on the CLI, quick screens from flags, study init, the study-key table,
results as files, folder safety and byte-identical resume, dataset sensitivity, readable plots."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from latticeanchor.cli import main
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, run, screen_table
from latticeanchor.screen.config import SCHEMA, STUDY_KEYS, keys_markdown, study_template, validate

REPO = Path(__file__).resolve().parents[1]
TINY = {"study": {"name": "tiny", "top": 3, "dataset": "liu2019"},
        "grid": {"cores": ["PbS"], "x": {"start": 1.5, "stop": 2.5, "step": 0.25}, "diameter_nm": [3.0],
                 "loading": [0.05, 0.1], "temperatures": [298.15]},
        "build": {"structures": 1, "max_atoms": 5000}}


# --- units: the CLI's --diameter is in nm, the library keeps Å --------------------------------------

def test_mismatch_diameter_is_nm_and_csv_matches_the_library(tmp_path, capsys):
    from latticeanchor.commands.mismatch import table

    out = tmp_path / "m.csv"
    assert main(["mismatch", "--core", "PbS,PbSe", "--x", "0:3:1.5", "--diameter", "3.5", "--csv", str(out)]) == 0
    assert "dot diameter 3.5 nm" in capsys.readouterr().out
    csv = pd.read_csv(out)
    assert list(csv["core"]) == ["PbS"] * 3 + ["PbSe"] * 3 and (csv["diameter_nm"] == 3.5).all()
    lib = pd.DataFrame(table("PbS", [0, 1.5, 3], 298.15, 35.0) + table("PbSe", [0, 1.5, 3], 298.15, 35.0))
    for col in ("eps_fraction", "mb_critical_spacing_A", "mb_coherence_loading_fraction"):
        assert np.allclose(csv[col], lib[col], rtol=1e-12), col


def test_mismatch_csv_columns_mean_what_the_screens_mean(tmp_path):
    """One column convention: a column the mismatch CSV shares by name with the screen's candidates.csv
    holds the same number (fractions, Å), checked against the screen's own evaluation."""
    from latticeanchor.screen.evaluate import evaluate, grid_frame

    out = tmp_path / "m.csv"
    assert main(["mismatch", "--core", "PbS", "--x", "1,2", "--diameter", "3.5", "--csv", str(out)]) == 0
    csv = pd.read_csv(out)
    screen = evaluate(grid_frame(["PbS"], [1.0, 2.0], [3.5], [0.1], [298.15]), [298.15])
    shared = [c for c in csv.columns if c in screen.columns and c not in ("core", "x", "diameter_nm", "T_K")]
    assert {"eps_fraction", "a_matrix_A", "mb_critical_thickness_A", "mb_coherence_loading_fraction"} <= set(shared)
    for col in shared:
        assert np.allclose(csv[col], screen[col], rtol=1e-9), col
    assert not [c for c in csv.columns if "percent" in c]


def test_help_does_not_import_numpy():
    """`latticeanchor --help` registers command stubs only (fast start: no numpy/scipy import)."""
    code = ("import sys; from latticeanchor.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('numpy' in sys.modules, 'scipy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(REPO / "src"), "PATH": "/usr/bin:/bin"}).stdout
    assert out.strip().splitlines()[-1] == "False False"


# --- the study format is one data structure ---------------------------------------------------------

def test_study_keys_are_the_schema_and_the_docs_table():
    md = keys_markdown()
    assert {f"{s}.{k}" for s, keys in SCHEMA.items() for k in keys} == {k.dotted for k in STUDY_KEYS}
    for key in STUDY_KEYS:
        assert f"`{key.dotted}`" in md
    assert md.count("\n") == len(STUDY_KEYS) + 2


@pytest.mark.parametrize("key", [k for k in STUDY_KEYS if k.low is not None and k.kind in (int, float, (int, float))],
                         ids=lambda k: k.dotted)
def test_every_stated_lower_bound_is_enforced(key):
    """The range the docs table states is the range the validator enforces (they cannot drift)."""
    raw = json.loads(json.dumps(TINY))
    bad = key.low - 1 if key.kind is int else (key.low if key.low_open else key.low - 1e-6)
    raw.setdefault(key.section, {})[key.name] = int(bad) if key.kind is int else float(bad)
    with pytest.raises(LatticeAnchorError, match=key.dotted.replace(".", r"\.")):
        validate(raw)


def test_study_init_writes_a_loadable_commented_study(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["study", "init", "mystudy"]) == 0
    text = (tmp_path / "mystudy.toml").read_text()
    assert text.count("#") > len(STUDY_KEYS)  # every key commented
    cfg = load_config(tmp_path / "mystudy.toml")
    assert cfg["study"]["name"] == "mystudy" and cfg["_axes"]["diameter_nm"][0] == 2.5
    assert text == study_template("mystudy")
    assert main(["study", "init", "mystudy"]) == 2  # never overwritten
    assert (tmp_path / "mystudy.toml").read_text() == text


# --- quick questions without a TOML -------------------------------------------------------------------

def test_quick_screen_from_flags(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["screen", "--core", "PbSe", "--x", "0:1.5:0.5", "--diameter", "3.5", "--loading", "0.05,0.1",
                 "--T", "473.15", "--dataset", "liu2019", "--no-structures"]) == 0
    out = capsys.readouterr().out
    folders = list((tmp_path / "latticeanchor-results").iterdir())
    assert len(folders) == 1 and folders[0].name.startswith("default-")  # own folder: the default study is untouched
    ranked = pd.read_csv(folders[0] / "ranked.csv")
    assert set(ranked["core"]) == {"PbSe"} and set(ranked["T_K"]) == {473.15}
    assert (ranked["diameter_nm"] == 3.5).all()  # the CLI's --diameter and the table's column are both nm
    assert set(pd.read_csv(folders[0] / "candidates.csv")["x"]) == {0.0, 0.5, 1.0, 1.5}
    assert f"# results in {folders[0]}" in out
    line = [ln for ln in out.splitlines() if ln.startswith("# best x per dataset")]
    assert len(line) == 1 and "liu2019*" in line[0]


def test_dataset_sensitivity_matches_a_direct_screen_per_dataset():
    from latticeanchor import data
    from latticeanchor.screen.sensitivity import dataset_sensitivity, sensitivity_line

    cfg = load_config(TINY)
    table = dataset_sensitivity(cfg)
    assert list(table["dataset"]) == list(data.dataset_names())
    for _, row in table.iterrows():  # independent: the full screen with the dataset swapped, filtered after
        full = json.loads(json.dumps(TINY))
        full["study"]["dataset"] = row["dataset"]
        direct = screen_table(load_config(full))
        best = direct[direct["core"] == row["core"]].iloc[0]
        assert best["x"] == row["x"] and best["score_worst_T"] == pytest.approx(row["score"], abs=1e-12)
    # one ranking key: the study's own dataset gives the study's own top row
    own = screen_table(cfg).iloc[0]
    assert table.loc[table["is_study_dataset"], "x"].item() == own["x"]
    assert "liu2019*" in sensitivity_line(table)



@pytest.mark.parametrize("grid", [
    {"cores": ["PbS", "PbSe"], "x": {"start": 0.0, "stop": 3.0, "step": 0.5}, "diameter_nm": [3.0, 4.0],
     "loading": [0.0, 0.1, 0.2], "temperatures": [298.15, 473.15]},
    {"matrices": ["CsPb(Br,I)3", "MAPb(Br,I)3"], "cores": ["PbS", "PbSe"], "x": {"start": 0.0, "stop": 3.0, "step": 0.5},
     "diameter_nm": [3.0], "loading": [0.0, 0.1], "temperatures": [298.15]}])
def test_dataset_sensitivity_from_the_study_table_equals_the_rescreen(grid):
    """The study dataset's answer read from the study's own table (the CLI's path) is the re-screen's, other
    cores and matrices of the grid notwithstanding."""
    from latticeanchor.screen.sensitivity import dataset_sensitivity

    cfg = load_config({"study": {"name": "s", "dataset": "liu2019"}, "grid": grid})
    study = screen_table(cfg)
    pd.testing.assert_frame_equal(dataset_sensitivity(cfg, study.iloc[0], table=study),
                                  dataset_sensitivity(cfg, study.iloc[0]))

@pytest.mark.parametrize("grid", [
    {"cores": ["PbS", "PbSe"], "x": {"start": 0.0, "stop": 3.0, "step": 0.5}, "diameter_nm": [3.0, 4.0],
     "loading": [0.0, 0.1, 0.2], "temperatures": [298.15, 473.15]},
    {"matrices": ["CsPb(Br,I)3", "MAPb(Br,I)3"], "cores": ["PbS", "PbSe"], "x": {"start": 0.0, "stop": 3.0, "step": 0.5},
     "diameter_nm": [3.0], "loading": [0.0, 0.1], "temperatures": [298.15]},
    {"cores": ["PbS"], "x": [0.0, 3.0], "diameter_nm": [3.0, 5.0], "loading": [0.0], "temperatures": [473.15]}])
def test_best_row_is_the_top_of_the_ranked_table(grid):
    """The sensitivity's best row (no reordered table) is screen_table's first row, every column (ties on the
    scores included: no dots at 473 K)."""
    from latticeanchor.screen.run import best_row

    cfg = load_config({"study": {"name": "s"}, "grid": grid})
    pd.testing.assert_series_equal(best_row(cfg), screen_table(cfg, pareto=False).iloc[0])


# --- folder safety and resume ---------------------------------------------------------------------------

def _bytes(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "manifest.json"}


def test_interrupted_run_resumes_to_the_same_bytes_and_cleans_its_temporaries(tmp_path):
    ref = run(TINY, out=tmp_path / "ref", quiet=True)
    assert ref.structures
    # as if killed with kill -9: plots and structures missing, temporaries of our own left behind
    run(TINY, out=tmp_path / "cut", quiet=True, plots=False, build_structures=False)
    cut = tmp_path / "cut"
    (cut / "ranked.csv").unlink()
    stale = [cut / ".ranked.csv.ab12cd_9.csv", cut / ".manifest.json.zz99yy00.json"]
    for p in stale:
        p.write_text("half")
    foreign = cut / ".my_notes.txt"  # not ours: kept
    foreign.write_text("keep")
    run(TINY, out=cut, quiet=True)
    assert _bytes(cut) == {**_bytes(tmp_path / "ref"), ".my_notes.txt": b"keep"}
    assert not any(p.exists() for p in stale)
    manifest = json.loads((cut / "manifest.json").read_text())
    assert set(manifest["outputs"]) == set(_bytes(tmp_path / "ref")) | {"manifest.json"}


def test_a_changed_study_deletes_only_what_the_manifest_records(tmp_path):
    out = tmp_path / "o"
    run(TINY, out=out, quiet=True, plots=False)
    mine = [out / "notes.txt", out / "structures" / "my_own.vasp"]
    for p in mine:
        p.write_text("mine")
    changed = json.loads(json.dumps(TINY))
    changed["grid"]["x"] = [2.0]
    changed["build"]["structures"] = 0
    res = run(changed, out=out, quiet=True, plots=False)
    assert all(p.read_text() == "mine" for p in mine)
    assert sorted(p.name for p in (out / "structures").iterdir()) == ["my_own.vasp"]
    assert len(res.candidates) == 2 and set(pd.read_csv(out / "candidates.csv")["x"]) == {2.0}


def test_default_folder_is_under_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run(TINY, quiet=True, plots=False, build_structures=False)
    assert res.out == tmp_path / "latticeanchor-results" / "tiny"


# --- plots ---------------------------------------------------------------------------------------------

def test_zero_crossing_labels_never_overlap():
    from latticeanchor.plotting import _pyplot, label_zero_crossings

    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot([0, 3], [-5, 5])
    marks = [(x0, f"x={x0:.2f} ({100 * x0 / 3:.0f}% Br)", "k") for x0 in (0.48, 0.61, 1.29, 1.40, 1.42, 2.09, 2.20)]
    texts = label_zero_crossings(ax, marks)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    plt.close(fig)
    assert len(texts) == len(marks)
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


# --- the energy stage: an environment failure is not the candidate's result --------------------------

def _missing_extra(candidate, settings, workdir):
    raise ModuleNotFoundError("No module named 'chgnet'")


def _bad_candidate(candidate, settings, workdir):
    raise RuntimeError("this candidate cannot be built")


def test_environment_failures_are_retried_candidate_failures_are_cached(tmp_path):
    from latticeanchor.energy.scale import run_candidates

    cands = [{"core": "PbS", "x": 2.0, "diameter": 30.0, "loading": 0.1, "T": 298.15}]
    first = run_candidates(cands, tmp_path / "env", task=_missing_extra)
    again = run_candidates(cands, tmp_path / "env", task=_missing_extra)
    assert first["status"].item() == "failed" and not again["cached"].item()  # recomputed, not served from cache
    run_candidates(cands, tmp_path / "bad", task=_bad_candidate)
    assert run_candidates(cands, tmp_path / "bad", task=_bad_candidate)["cached"].item()


def test_screen_target_flag_sets_the_objective_and_its_folder(tmp_path, monkeypatch):
    from latticeanchor.cli import main

    monkeypatch.chdir(tmp_path)
    argv = ["screen", "--core", "PbS", "--x", "1,2", "--diameter", "3.5", "--loading", "0,0.13", "--T", "298.15",
            "--no-structures", "--no-sensitivity"]
    assert main(argv + ["--target", "cqd-passivation"]) == 0
    manifest = next(tmp_path.glob("latticeanchor-results/*/manifest.json"))
    saved = json.loads(manifest.read_text())["config"]
    assert saved["objective"]["target"] == "cqd-passivation" and saved["score"]["passivation"] > 0
    assert main(argv + ["--target", "solar"]) == 2  # argparse's one-line choice error, returned as the status


def test_screen_no_plots_writes_the_same_tables_and_no_figure(tmp_path):
    from latticeanchor.cli import main

    argv = ["screen", "--core", "PbS", "--x", "1,2", "--diameter", "3.5", "--loading", "0,0.13", "--T", "298.15",
            "--no-structures", "--no-sensitivity"]
    assert main(argv + ["--out", str(tmp_path / "with")]) == 0
    assert main(argv + ["--out", str(tmp_path / "without"), "--no-plots"]) == 0
    assert len(list((tmp_path / "with").glob("*.png"))) == 5 and not list((tmp_path / "without").glob("*.png"))
    for name in ("candidates.csv", "ranked.csv"):
        assert (tmp_path / "with" / name).read_bytes() == (tmp_path / "without" / name).read_bytes()
    outputs = json.loads((tmp_path / "without" / "manifest.json").read_text())["outputs"]
    assert not [o for o in outputs if o.endswith(".png")]
