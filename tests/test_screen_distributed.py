"""The screen in chunks (screen.distributed): the same ranked list and Pareto front as the serial run,
bounded chunks, partitioned Parquet holding the whole grid."""

import numpy as np
import pandas as pd
import pytest

from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import load_config, run, screen_table
from latticeanchor.screen.distributed import chunk_frame, chunks, run_chunks
from latticeanchor.screen.run import ranked_table

# 2 cores × 61 x × 11 diameters × 31 loadings × 2 T = 83 204 points (≈ 10⁵)
GRID = {"study": {"name": "dist", "top": 100},
        "grid": {"cores": ["PbS", "PbSe"], "x": {"start": 0, "stop": 3, "step": 0.05},
                 "diameter_nm": {"start": 2.5, "stop": 5.0, "step": 0.25},
                 "loading": {"start": 0, "stop": 0.3, "step": 0.01}, "temperatures": [298.15, 473.15]},
        "build": {"structures": 0}}


@pytest.fixture(scope="module")
def serial():
    return screen_table(load_config(GRID))


def test_chunks_cover_the_grid_in_serial_order_within_the_budget():
    cfg = load_config({**GRID, "study": {"name": "dist", "max_points": 5000}}, chunked=True)
    plan = chunks(cfg, chunk_points=10**6)  # study.max_points bounds each chunk
    sizes = [(stop - start) * 2 for start, stop in plan]
    assert max(sizes) <= 5000 and sum(sizes) == 83204
    assert all((stop - start) % 31 == 0 for start, stop in plan[:-1])  # whole (core, x, d): every loading
    assert all(a[1] == b[0] for a, b in zip(plan, plan[1:]))
    from latticeanchor.screen.evaluate import grid_frame

    axes = cfg["_axes"]
    full = grid_frame(cfg["grid"]["cores"], axes["x"], axes["diameter_nm"], axes["loading"], axes["temperatures"])
    start, stop = plan[3]
    pd.testing.assert_frame_equal(chunk_frame(cfg, start, stop), full.iloc[2 * start:2 * stop].reset_index(drop=True))


def test_total_budget_is_a_separate_key():
    with pytest.raises(LatticeAnchorError, match="more than the budget"):
        load_config({**GRID, "study": {"name": "dist", "max_points": 5000}})  # serial: the grid is over budget
    load_config({**GRID, "study": {"name": "dist", "max_points": 5000}}, chunked=True)  # chunked: fine
    with pytest.raises(LatticeAnchorError, match="max_total_points"):
        load_config({**GRID, "study": {"name": "dist", "max_total_points": 80000}}, chunked=True)


@pytest.mark.parametrize("batch_rows", [1, 3000, 10**9])  # merge every chunk's front, some, or only at the end
def test_serial_chunks_give_the_serial_top_100_and_front(serial, batch_rows, monkeypatch):
    from latticeanchor.screen import distributed

    monkeypatch.setattr(distributed, "FRONT_BATCH_ROWS", batch_rows)
    res = run_chunks(load_config(GRID, chunked=True), 100, chunk_points=15000)
    assert len(res["chunks"]) > 3
    pd.testing.assert_frame_equal(res["ranked"], ranked_table(serial, 100), check_categorical=False)
    assert res["n_pareto"] == int(serial["pareto"].sum()) and res["n_candidates"] == len(serial)
    best = serial.drop_duplicates(subset=["core", "T_K"])
    assert res["best"][["core", "T_K", "x", "loading_fraction"]].astype({"core": str}).values.tolist() == \
        best[["core", "T_K", "x", "loading_fraction"]].astype({"core": str}).values.tolist()


def test_dask_run_equals_the_serial_run_and_its_parts_hold_the_grid(serial, tmp_path):
    pytest.importorskip("dask.distributed")
    pytest.importorskip("pyarrow")
    from dask.distributed import Client, LocalCluster

    from latticeanchor.screen import ScreenResult
    from latticeanchor.screen.columnar import parquet_units

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        res = run(GRID, out=tmp_path / "d", quiet=True, client=client, chunk_points=20000)
    assert res.distributed and res.n_candidates == len(serial) and res.n_pareto == int(serial["pareto"].sum())
    top = ranked_table(serial, 100)
    pd.testing.assert_frame_equal(res.ranked.drop(columns=["reasons"]), top, check_categorical=False)
    ranked_csv = pd.read_csv(tmp_path / "d" / "ranked.csv")
    assert ranked_csv["rank"].tolist() == list(range(1, 101))
    np.testing.assert_allclose(ranked_csv["score"], top["score"], rtol=1e-5)
    # the parts hold every grid row, exactly (Parquet is not rounded), with units in their schema
    parts = sorted((tmp_path / "d" / "candidates").glob("part-*.parquet"))
    assert len(parts) == 5 and parquet_units(parts[0])["T_K"] == "K"
    loaded = ScreenResult.load(tmp_path / "d")
    keys = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]
    got = loaded.candidates.astype({"core": str}).sort_values(keys).reset_index(drop=True)
    want = serial.drop(columns=["rank", "pareto"]).astype({"core": str}).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    front = pd.read_csv(tmp_path / "d" / "pareto.csv")
    assert len(front) == int(serial["pareto"].sum())
