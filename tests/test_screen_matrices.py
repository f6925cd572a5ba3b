"""Screening several matrix alloys from one study (issue 18): matrix column, terms not evaluated, no leakage."""

import numpy as np
import pytest

from latticeanchor import strain
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, screen_table

MATRICES = ["CsPb(Br,I)3", "FAPb(Br,I)3", "MAPb(Br,I)3"]


def _cfg(matrices=None, cores=("PbS", "PbSe", "PbTe")):
    grid = {"cores": list(cores), "x": {"start": 0, "stop": 3, "step": 0.5}, "diameter_nm": [3.5],
            "loading": [0.0, 0.1], "temperatures": [298.15]}
    if matrices is not None:
        grid["matrices"] = matrices
    return {"grid": grid}


@pytest.fixture(scope="module")
def table():
    return screen_table(load_config(_cfg(MATRICES)))


def test_one_study_screens_every_core_in_every_matrix(table):
    assert list(table.columns[:3]) == ["rank", "matrix", "core"]
    assert {(m, c) for m, c in zip(table["matrix"], table["core"])} == {(m, c) for m in MATRICES
                                                                        for c in ("PbS", "PbSe", "PbTe")}
    # each matrix's mismatch is its own Vegard law, not CsPbBr_xI_(3−x)'s
    for m in MATRICES:
        sub = table[(table["matrix"] == m) & (table["core"] == "PbS")]
        assert np.allclose(sub["eps_fraction"], strain.mismatch("PbS", sub["x"].to_numpy(), 298.15, matrix=m), rtol=1e-12)


def test_the_default_matrix_rows_equal_a_single_matrix_screen(table):
    single = screen_table(load_config(_cfg()))
    ours = table[table["matrix"] == "CsPb(Br,I)3"].drop(columns=["matrix", "rank", "pareto", "not_evaluated"])
    key = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]
    a = ours.sort_values(key).reset_index(drop=True)
    b = single.sort_values(key).reset_index(drop=True)[a.columns]
    for name in ("eps_fraction", "stability_index_ensemble", "coherent_probability", "selectivity", "score"):
        assert np.array_equal(a[name].to_numpy(), b[name].to_numpy(), equal_nan=True), name


def test_terms_without_data_are_reported_not_evaluated_never_filled(table):
    hybrid = table[table["matrix"] != "CsPb(Br,I)3"]
    assert (hybrid["regime"] == "not evaluated").all()
    assert hybrid["stability_index"].isna().all() and hybrid["term_stability"].isna().all()
    assert hybrid["not_evaluated"].str.contains("stability").all()
    assert hybrid["not_evaluated"].str.contains("coherence").all()  # no elastic constants for the hybrids
    pbte = table[table["core"] == "PbTe"]
    assert pbte["dot_gap_eV"].isna().all() and pbte["not_evaluated"].str.contains("gap").all()
    cs = table[(table["matrix"] == "CsPb(Br,I)3") & (table["core"] != "PbTe")]
    assert (cs["not_evaluated"] == "").all() and np.isfinite(cs["term_stability"]).all()
    # a term not evaluated earns nothing: a hybrid row never outscores its evaluated terms' weighted sum
    assert np.isfinite(table["score"]).all()
    assert hybrid["score"].max() < cs["score"].max()


def test_unknown_or_repeated_matrices_are_refused():
    with pytest.raises(LatticeAnchorError, match="grid.matrices: unknown matrix 'CsSnI3'"):
        load_config(_cfg(["CsSnI3"]))
    with pytest.raises(LatticeAnchorError, match="listed twice"):
        load_config(_cfg(["MAPb(Br,I)3", "MAPb(Br,I)3"]))


def test_quick_flags_screen_three_matrices(tmp_path):
    import subprocess
    import sys

    import pandas as pd

    out = tmp_path / "res"
    cmd = [sys.executable, "-m", "latticeanchor.cli", "screen", "--matrix", "CsPb(Br,I)3,FAPb(Br,I)3,MAPb(Br,I)3",
           "--core", "PbS,PbSe,PbTe", "--x", "0,3", "--diameter", "3.5", "--loading", "0.1", "--T", "298.15",
           "--no-structures", "--no-sensitivity", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    ranked = pd.read_csv(out / "candidates.csv")
    assert set(ranked["matrix"]) == set(MATRICES) and set(ranked["core"]) == {"PbS", "PbSe", "PbTe"}
    bad = subprocess.run(cmd[:5] + ["CsSnI3", "--no-structures", "--out", str(tmp_path / "bad")], capture_output=True,
                         text=True, timeout=300)
    assert bad.returncode == 2 and "unknown matrix 'CsSnI3'" in bad.stderr and "Traceback" not in bad.stderr
