"""Several matrix alloys in one screen (grid.matrices / screen --matrix, issue 18) on the objective-based score:
the matrix column, terms a matrix has no data for (not evaluated: NaN, named, 0 in the score), the default study
unchanged, quick flags equal to the shipped TOML, chunks equal to the serial ranking, and the passivation optimum
at the zero-mismatch composition of every core in every matrix."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from latticeanchor import data, kinetics, strain, tolerance, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, screen_table
from latticeanchor.screen.distributed import chunk_frame, chunks, run_chunks
from latticeanchor.screen.evaluate import grid_frame
from latticeanchor.screen.run import ranked_table, reasons
from latticeanchor.screen.score import TERMS

MATRICES = ["CsPb(Br,I)3", "FAPb(Br,I)3", "MAPb(Br,I)3"]
HYBRIDS = ["FAPb(Br,I)3", "MAPb(Br,I)3"]
X_STEP = 0.05


def _study(matrices=MATRICES, **grid):
    g = {"cores": ["PbS", "PbSe"], "x": {"start": 0, "stop": 3, "step": X_STEP}, "diameter_nm": [3.0, 3.5],
         "loading": [0.0, 0.06, 0.13, 0.2], "temperatures": [298.15]}
    if matrices is not None:
        g["matrices"] = list(matrices)
    g.update(grid)
    return {"study": {"name": "mx", "top": 40}, "grid": g, "objective": {"target": "cqd-passivation"},
            "build": {"structures": 0}}


@pytest.fixture(scope="module")
def table():
    return screen_table(load_config(_study()))


@pytest.fixture(scope="module")
def default_only():
    return screen_table(load_config(_study(None)))


def test_matrix_column_present_only_when_matrices_are_given(table, default_only):
    assert "matrix" not in default_only and "not_evaluated" not in default_only
    assert list(table.columns[:3]) == ["rank", "matrix", "core"]
    assert list(table["matrix"].cat.categories) == MATRICES
    counts = table["matrix"].value_counts()
    assert all(counts[m] == len(default_only) for m in MATRICES)
    assert len(table) == 3 * len(default_only)
    # every matrix's own data: lattice constant, mismatch, matrix gap and Bartel τ of that alloy
    for m in MATRICES:
        sub = table[table["matrix"] == m]
        x, T = sub["x"].to_numpy(), sub["T_K"].to_numpy()
        np.testing.assert_allclose(sub["a_matrix_A"], vegard.lattice_constant(x, T, matrix=m), rtol=1e-12)
        for core in ("PbS", "PbSe"):
            c = sub[sub["core"] == core]
            np.testing.assert_allclose(c["eps_fraction"], strain.mismatch(core, c["x"].to_numpy(), 298.15, matrix=m),
                                       rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(sub["matrix_gap_eV"], vegard.band_gap(x, matrix=m), rtol=1e-12)
        np.testing.assert_allclose(sub["bartel_tau"], tolerance.tolerance_factors(x, matrix=m)["tau"], rtol=1e-12)
    # the three alloys differ (a value copied from CsPb(Br,I)3 would not)
    a = table[(table["x"] == 1.0)].groupby("matrix", observed=True)["a_matrix_A"].first()
    assert a.nunique() == 3


def test_terms_without_data_are_empty_named_and_earn_nothing(table):
    with pytest.raises(LatticeAnchorError, match="not evaluated"):
        kinetics.lifetime("PbS", 2.0, 35.0, 0.1, 298.15, matrix="MAPb(Br,I)3")
    cfg = load_config(_study())
    w = cfg["score"]
    for m in HYBRIDS:
        sub = table[table["matrix"] == m]
        assert (sub["not_evaluated"] == "anchoring;lifetime;selectivity").all()
        assert (sub["regime"] == "not evaluated").all()
        for column in ("lifetime_h", "lifetime_pristine_h", "anchoring_length_A", "critical_loading_fraction",
                       "anchored_fraction", "tau_pristine_h", "selectivity", "delta_strain_fraction",
                       "term_anchoring", "term_lifetime", "term_selectivity"):
            assert sub[column].isna().all(), column
        # the hybrids' elastic constants (computed, SevenNet-0) evaluate the coherence columns with their own values
        for column in ("mb_coherence_loading_fraction", "critical_inclusion_diameter_nm", "eshelby_eV_per_nm3"):
            assert np.isfinite(sub[column]).all(), column
        for term in ("matrix_gap", "passivation", "dot_gap", "tolerance", "processing"):
            assert np.isfinite(sub[f"term_{term}"]).all(), term
        # the score: Σ w·term over the evaluated terms only, divided by the whole weight (the rest earn 0)
        terms = sub[[f"term_{t}" for t in TERMS]].to_numpy(float)
        weights = np.array([w[t] for t in TERMS])
        np.testing.assert_allclose(sub["score"], np.nansum(terms * weights, axis=1) / weights.sum(), rtol=1e-12)
        # a term not evaluated is a full shortfall: anchoring (weight 2) limits unless a larger shortfall exists
        shortfall = np.where(np.isnan(terms), weights, (1 - terms) * weights)
        assert (sub["limiting_term"].to_numpy() == np.asarray(TERMS)[shortfall.argmax(axis=1)]).all()
        assert (sub["score"] <= (weights.sum() - w["anchoring"] - w["selectivity"]) / weights.sum() + 1e-12).all()
        assert "not evaluated" in reasons(sub.iloc[0])
    cs = table[table["matrix"] == "CsPb(Br,I)3"]
    assert (cs["not_evaluated"] == "").all()
    assert np.isfinite(cs[[f"term_{t}" for t in TERMS]].to_numpy(float)).all()
    assert np.isfinite(cs["lifetime_h"].to_numpy(float)).any()


def test_the_default_matrix_block_equals_the_default_only_screen(table, default_only):
    """CsPb(Br,I)3 rows of the multi-matrix screen equal the screen without grid.matrices (no value of another
    matrix enters, and the default path is unchanged)."""
    cs = table[table["matrix"] == "CsPb(Br,I)3"].drop(columns=["rank", "matrix", "not_evaluated", "pareto"])
    cs = cs.reset_index(drop=True)
    ref = default_only.drop(columns=["rank", "pareto"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(cs, ref[cs.columns], check_categorical=False)


def test_default_study_has_no_matrix_axis():
    cfg = load_config(None)
    assert cfg["grid"]["matrices"] is None and "matrices" not in cfg["_axes"]
    again = load_config({k: v for k, v in cfg.items() if not k.startswith("_")})  # a validated study validates again
    assert again["_axes"] == cfg["_axes"] and again["grid"]["matrices"] is None


def test_ranking_and_ranked_table_are_per_matrix(table):
    ranked = ranked_table(table, 40)
    assert list(ranked.columns[:3]) == ["rank", "matrix", "core"]
    assert not ranked.duplicated(subset=["matrix", "core", "x", "diameter_nm"]).any()
    # in rank order: worst-T score never increases
    assert (np.diff(table["score_worst_T"].to_numpy()) <= 1e-12).all()
    # ties broken by matrix (category order) before core: find equal-score neighbours of different matrices
    s = table["score_worst_T"].round(12).to_numpy()
    codes = table["matrix"].cat.codes.to_numpy()
    same = (s[1:] == s[:-1]) & (table["score"].round(12).to_numpy()[1:] == table["score"].round(12).to_numpy()[:-1])
    assert (codes[1:][same] >= codes[:-1][same]).all()


def test_quick_flags_equal_the_shipped_toml():
    from latticeanchor.cli import build_parser
    from latticeanchor.commands.screen import study_from_args

    args = build_parser().parse_args(["screen", "--core", "PbS,PbSe,PbTe", "--matrix", ",".join(MATRICES),
                                      "--x", "0:3:0.05", "--diameter", "2.5:5:0.5", "--loading", "0:0.3:0.02",
                                      "--T", "298.15", "--target", "cqd-passivation"])
    flags = load_config(study_from_args(args))
    toml = load_config("matrices")
    assert flags["_axes"] == toml["_axes"] and flags["_axes"]["matrices"] == MATRICES
    for section in ("grid", "model", "objective", "score"):
        if section == "grid":  # ranges as given differ in form ({start, stop, step} vs list), not in value
            assert flags["grid"]["cores"] == toml["grid"]["cores"]
            assert flags["grid"]["matrices"] == toml["grid"]["matrices"]
        else:
            assert flags[section] == toml[section], section
    assert flags["study"]["dataset"] == toml["study"]["dataset"]
    # the same grid, the same table (a small slice of the grid through both routes)
    small = ["--x", "1.5:2.5:0.25", "--diameter", "3.5", "--loading", "0,0.1"]
    a = build_parser().parse_args(["screen", "--core", "PbS,PbSe,PbTe", "--matrix", ",".join(MATRICES), "--T", "298.15",
                                   "--target", "cqd-passivation", *small])
    b = build_parser().parse_args(["screen", "matrices", *small])
    pd.testing.assert_frame_equal(screen_table(load_config(study_from_args(a))),
                                  screen_table(load_config(study_from_args(b))))


def test_distributed_chunks_hold_whole_groups_and_equal_the_serial_ranking(table):
    cfg = load_config(_study(), chunked=True)
    plan = chunks(cfg, chunk_points=400)
    assert len(plan) > 3
    assert all((stop - start) % 4 == 0 for start, stop in plan)  # every loading of a (matrix, core, x, d)
    axes = cfg["_axes"]
    full = grid_frame(cfg["grid"]["cores"], axes["x"], axes["diameter_nm"], axes["loading"], axes["temperatures"],
                      axes["matrices"])
    start, stop = plan[-2]
    pd.testing.assert_frame_equal(chunk_frame(cfg, start, stop), full.iloc[start:stop].reset_index(drop=True))
    res = run_chunks(cfg, 40, chunk_points=400)
    pd.testing.assert_frame_equal(res["ranked"], ranked_table(table, 40), check_categorical=False)
    assert res["n_pareto"] == int(table["pareto"].sum()) and res["n_candidates"] == len(table)
    best = table.drop_duplicates(subset=["matrix", "core", "T_K"])
    keys = ["matrix", "core", "T_K", "x", "diameter_nm", "loading_fraction"]
    assert res["best"][keys].astype({"matrix": str, "core": str}).values.tolist() == \
        best[keys].astype({"matrix": str, "core": str}).values.tolist()
    assert set(res["best"]["matrix"].astype(str)) == set(MATRICES)


@pytest.mark.parametrize("matrix", MATRICES + ["CsPb(Cl,Br)3"])
def test_best_passivation_sits_at_the_zero_mismatch_composition(matrix):
    t = screen_table(load_config(_study([matrix], cores=["PbS", "PbSe", "PbTe"], diameter_nm=[3.5], loading=[0.1])),
                     pareto=False)
    ms = data.dataset(None, matrix=matrix)
    for core in ("PbS", "PbSe", "PbTe"):
        sub = t[t["core"] == core]
        best_x = float(sub.loc[sub["term_passivation"].idxmax(), "x"])
        try:
            x0 = strain.zero_mismatch_x(core, 298.15, ms)
        except LatticeAnchorError:  # no ε = 0 in [0, 3]: the end with the smaller |ε|
            eps = {x: abs(float(strain.mismatch(core, x, 298.15, ms))) for x in (0.0, 3.0)}
            assert best_x == min(eps, key=eps.get), (core, matrix)
            continue
        assert abs(best_x - x0) <= X_STEP / 2 + 1e-9, (core, matrix, best_x, x0)
        assert float(sub["term_passivation"].max()) > 0.9


@pytest.mark.parametrize("matrices, needle", [
    (["CsPb(Br,I)3", "XYPb(Br,I)3"], "unknown matrix 'XYPb(Br,I)3'; known: CsPb(Br,I)3"),
    ([], "grid.matrices: empty list"),
    (["MAPb(Br,I)3", "MAPb(Br,I)3"], "listed twice"),
    ("MAPb(Br,I)3", "grid.matrices: expected list"),
])
def test_bad_matrices_are_one_line_errors(matrices, needle):
    raw = _study()
    raw["grid"]["matrices"] = matrices
    with pytest.raises(LatticeAnchorError, match=None) as err:
        load_config(raw)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_cli_unknown_matrix_exits_2_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "latticeanchor.cli", "screen", "--matrix", "CsPb(Br,I)3,Nope",
                           "--out", str(tmp_path / "o"), "--no-structures", "--no-sensitivity"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown matrix 'Nope'" in proc.stderr and "MAPb(Br,I)3" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "latticeanchor.cli", "screen", "--matrix", "CsPb(Br,I3",
                           "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert proc.returncode == 2 and "--matrix" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_panels_per_matrix_and_core_say_not_evaluated(tmp_path, monkeypatch):
    from latticeanchor.screen import plots

    figures = {}

    def capture(fig, path, tight=True):
        figures[path.name] = [(ax.get_title(), " ".join(t.get_text() for t in ax.texts)) for ax in fig.axes
                              if ax.get_title()]
        import matplotlib.pyplot as plt

        plt.close(fig)
        return path

    monkeypatch.setattr(plots, "save", capture)
    cfg = load_config(_study(x={"start": 0, "stop": 3, "step": 0.5}))
    plots.all_plots(screen_table(cfg), cfg, tmp_path)
    life = figures["lifetime_map.png"]
    assert len(life) == 6  # 3 matrices × 2 cores, one temperature
    for title, text in life:
        if title.startswith("CsPb(Br,I)3 · "):
            assert "not evaluated" not in text
        else:
            assert title.split(" · ")[0] in HYBRIDS and "lifetime not evaluated" in text
    assert len(figures["critical_loading_map.png"]) == 6  # every matrix has elastic constants: none "not evaluated"
    assert not any("not evaluated" in text for _, text in figures["critical_loading_map.png"])


def test_results_folder_round_trip_keeps_the_matrix_column(tmp_path):
    from latticeanchor.screen import run
    from latticeanchor.screen.run import ScreenResult

    res = run(_study(x=[1.0, 2.0], diameter_nm=[3.5], loading=[0.0, 0.1]), out=tmp_path / "o", quiet=True,
              build_structures=False, plots=False)
    back = ScreenResult.load(tmp_path / "o")
    assert list(back.ranked.columns[:3]) == ["rank", "matrix", "core"]
    assert set(back.candidates["matrix"]) == set(MATRICES)
    assert back.candidates["lifetime_h"][back.candidates["matrix"] != "CsPb(Br,I)3"].isna().all()
    cs = back.candidates[back.candidates["matrix"] == "CsPb(Br,I)3"].iloc[0]
    assert "not evaluated" not in reasons(cs)  # an empty not_evaluated cell reads back as NaN: nothing named
    assert len(res.best_per_core()) == len(MATRICES) * 2


def test_a_core_without_a_sizing_curve_screens_with_its_dot_gap_not_evaluated():
    """PbTe (no cited sizing curve or dot band edges in the data) screens in every matrix: its lattice terms are
    evaluated with its own a(T) and elastic constants, the dot gap and the band alignment are left empty, named in
    not_evaluated and earn 0; the PbS rows are those of a PbS-only screen (nothing borrowed either way)."""
    grid = {"x": {"start": 0, "stop": 3, "step": 0.5}, "diameter_nm": [3.0], "loading": [0.0, 0.1]}
    both = screen_table(load_config(_study(cores=["PbS", "PbTe"], **grid)))
    pbs_only = screen_table(load_config(_study(cores=["PbS"], **grid)))
    w = load_config(_study())["score"]
    te = both[both["core"] == "PbTe"]
    assert len(te) == len(pbs_only)
    for column in ("dot_gap_eV", "vb_offset_eV", "cb_offset_eV", "type_I_probability", "term_dot_gap"):
        assert te[column].isna().all(), column
    assert (te["alignment"] == "not evaluated").all() and not te["gap_in_window"].any()
    assert te["not_evaluated"].str.split(";").map(lambda t: "dot_gap" in t).all()
    for m in MATRICES:
        sub = te[te["matrix"] == m]
        np.testing.assert_allclose(sub["eps_fraction"], strain.mismatch("PbTe", sub["x"].to_numpy(), 298.15, matrix=m),
                                   rtol=1e-12)
        terms = sub[[f"term_{t}" for t in TERMS]].to_numpy(float)
        weights = np.array([w[t] for t in TERMS])
        np.testing.assert_allclose(sub["score"], np.nansum(terms * weights, axis=1) / weights.sum(), rtol=1e-12)
    cs = te[te["matrix"] == "CsPb(Br,I)3"]
    assert (cs["not_evaluated"] == "dot_gap").all() and np.isfinite(cs["critical_inclusion_diameter_nm"]).all()
    assert "no sizing curve for PbTe" in reasons(cs.iloc[0])
    keys = ["matrix", "core", "x", "diameter_nm", "loading_fraction", "T_K"]
    drop = ["rank", "pareto", "score_worst_T"]  # rank and Pareto membership depend on the other rows
    a = both[both["core"] == "PbS"].drop(columns=drop).sort_values(keys).reset_index(drop=True)
    b = pbs_only.drop(columns=drop).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b[a.columns], check_categorical=False)
    # without a matrix axis the not_evaluated column appears only when something is not evaluated
    single = screen_table(load_config(_study(None, cores=["PbTe"], **grid)))
    assert (single["not_evaluated"] == "dot_gap").all()
    assert "not_evaluated" not in screen_table(load_config(_study(None, cores=["PbS"], **grid)))
