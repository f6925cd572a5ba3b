"""How much the screen's top answer depends on the reference dataset (lattice constants, expansion).

``dataset_sensitivity(cfg, top, table=...)`` re-runs the in-memory scoring (``screen.run.best_row``: the top
row of ``screen_table``, no files) once per dataset of ``latticeanchor.data``, restricted to the top candidate's core (and matrix, in a multi-matrix study; every x,
diameter, loading and temperature of the study is kept, so the ranking key is the study's own,
``score_worst_T``), and returns the best candidate of each dataset. ``sensitivity_line`` turns it into the one line ``latticeanchor screen`` prints.
"""

from __future__ import annotations

import copy

import pandas as pd

from latticeanchor import data
from latticeanchor.screen.run import COL_CORE, COL_LOADING, COL_SCORE, COL_T, COL_X, best_row, screen_table


def dataset_sensitivity(cfg: dict, top: pd.Series | dict | None = None, datasets=None,
                        table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Best candidate per dataset for the top candidate's core (ranked by the study's key over all its T).

    cfg: a validated study (``screen.load_config``); top: the study's top row (default: computed
    with the study's own dataset); table: the study's own scored table (``screen_table(cfg)``, rank order),
    whose first row of the top candidate's core is the study dataset's answer (a row's scores do not depend on
    the other cores of the grid), so that dataset is not screened again. Returns one row per dataset: dataset,
    core, T (K), best x (Br per formula unit), its loading (volume fraction) and score, and ``is_study_dataset``.
    """
    datasets = list(data.dataset_names() if datasets is None else datasets)
    if top is None:
        table = screen_table(cfg) if table is None else table
        top = table.iloc[0]
    core = str(top[COL_CORE])
    rows = []
    for name in datasets:
        sub = copy.deepcopy(cfg)
        sub["study"]["dataset"] = data.resolve_dataset(name)
        sub["grid"]["cores"] = [core]
        if "matrices" in sub["_axes"]:  # a multi-matrix study: the top candidate's matrix alone
            sub["grid"]["matrices"] = sub["_axes"]["matrices"] = [str(top["matrix"])]
        if table is not None and sub["study"]["dataset"] == cfg["study"]["dataset"]:
            own = table["core"].astype(str) == core
            if "matrix" in table:
                own &= table["matrix"].astype(str) == str(top["matrix"])
            best = table[own].iloc[0]  # the study's table is in rank order
        else:
            best = best_row(sub)  # the top of the ranking alone: no Pareto front, no reordered table
        rows.append({"dataset": sub["study"]["dataset"], "core": core, "T": float(best[COL_T]), "x": float(best[COL_X]),
                     "loading": float(best[COL_LOADING]), "score": float(best["score_worst_T"]),
                     "is_study_dataset": sub["study"]["dataset"] == cfg["study"]["dataset"]})
    return pd.DataFrame(rows)


def sensitivity_line(table: pd.DataFrame) -> str:
    """One line: best x per dataset and the spread (max − min, in x and in % Br)."""
    if table.empty:
        return "# dataset sensitivity: no datasets"
    core = table["core"].iloc[0]
    parts = [f"{r['dataset']}{'*' if r['is_study_dataset'] else ''} {r['x']:.2f}" for _, r in table.iterrows()]
    spread = float(table["x"].max() - table["x"].min())
    return (f"# best x per dataset ({core}, same ranking key as ranked.csv; * = this study's): {', '.join(parts)}; "
            f"spread {spread:.2f} in x ({100 * spread / 3:.0f} % Br)")
