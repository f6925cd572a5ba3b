"""How much the screen's top answer depends on the reference dataset (lattice constants, expansion).

``dataset_sensitivity(cfg, top)`` re-runs the in-memory scoring (``screen.run.screen_table``, no
files) once per dataset of ``latticeanchor.data``, restricted to the top candidate's core and
temperature (every x, diameter and loading of the study is kept), and returns the best candidate
of each dataset. ``sensitivity_line`` turns it into the one line ``latticeanchor screen`` prints.
"""

from __future__ import annotations

import copy

import pandas as pd

from latticeanchor import data
from latticeanchor.screen.run import COL_CORE, COL_LOADING, COL_SCORE, COL_T, COL_X, screen_table


def dataset_sensitivity(cfg: dict, top: pd.Series | dict | None = None, datasets=None) -> pd.DataFrame:
    """Best candidate per dataset for the top candidate's core and T.

    cfg: a validated study (``screen.load_config``); top: the study's top row (default: computed
    with the study's own dataset). Returns one row per dataset: dataset, core, T (K), best x (Br per
    formula unit), its loading (volume fraction) and score, and ``is_study_dataset``.
    """
    datasets = list(data.dataset_names() if datasets is None else datasets)
    if top is None:
        top = screen_table(cfg).iloc[0]
    core, T = str(top[COL_CORE]), float(top[COL_T])
    rows = []
    for name in datasets:
        sub = copy.deepcopy(cfg)
        sub["study"]["dataset"] = data.resolve_dataset(name)
        sub["grid"]["cores"] = [core]
        if "matrix" in getattr(top, "index", top):
            sub["grid"]["matrices"] = [str(top["matrix"])]
            sub["_axes"]["matrices"] = [str(top["matrix"])]
        sub["_axes"]["temperatures"] = [T]  # ranked at this temperature alone (no worst-T over the others)
        best = screen_table(sub).iloc[0]
        rows.append({"dataset": sub["study"]["dataset"], "core": core, "T": T, "x": float(best[COL_X]),
                     "loading": float(best[COL_LOADING]), "score": float(best[COL_SCORE]),
                     "is_study_dataset": sub["study"]["dataset"] == cfg["study"]["dataset"]})
    return pd.DataFrame(rows)


def sensitivity_line(table: pd.DataFrame) -> str:
    """One line: best x per dataset and the spread (max − min, in x and in % Br)."""
    if table.empty:
        return "# dataset sensitivity: no datasets"
    core, T = table["core"].iloc[0], table["T"].iloc[0]
    parts = [f"{r['dataset']}{'*' if r['is_study_dataset'] else ''} {r['x']:.2f}" for _, r in table.iterrows()]
    spread = float(table["x"].max() - table["x"].min())
    return (f"# best x per dataset ({core}, {T:g} K; * = this study's): {', '.join(parts)}; "
            f"spread {spread:.2f} in x ({100 * spread / 3:.0f} % Br)")
