"""Plots of a screening study: ε(x), the critical-loading map (the V-shaped stability region) and
the score landscape."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor.plotting import _pyplot, plot_mismatch, save


def _nearest(values, target):
    values = np.unique(values)
    return values[np.argmin(np.abs(values - target))]


def critical_loading_map(table: pd.DataFrame, path, T: float | None = None, diameter: float | None = None):
    """Per core: x × vol% plane coloured coherent (anchored) / dislocated, with the critical-loading curve.

    The coherent region above the curve opens on both sides of the zero-mismatch composition: the
    V-shaped stability region of Liu et al. (2019).
    """
    plt = _pyplot()
    from matplotlib.colors import ListedColormap

    T = _nearest(table["T"], 298.15 if T is None else T)
    diameter = _nearest(table["diameter"], np.median(table["diameter"]) if diameter is None else diameter)
    cores = list(pd.unique(table["core"]))
    fig, axes = plt.subplots(1, len(cores), figsize=(4.2 * len(cores), 3.8), squeeze=False, sharey=True)
    for ax, core in zip(axes[0], cores):
        sub = table[(table["core"] == core) & (table["T"] == T) & (table["diameter"] == diameter)]
        grid = sub.pivot_table(index="loading", columns="x", values="coherent", aggfunc="first").astype(float)
        xs, phis = grid.columns.to_numpy(), grid.index.to_numpy()
        ax.pcolormesh(xs, 100 * phis, grid.to_numpy(), cmap=ListedColormap(["#f4a6a6", "#9fd89f"]), vmin=0, vmax=1,
                      shading="nearest")
        crit = sub.groupby("x")["critical_loading"].first()
        ax.plot(crit.index, np.clip(100 * crit.to_numpy(), 0, 100 * phis.max()), "k-", lw=1.5, label="critical loading")
        ax.set_title(f"{core}, d = {diameter / 10:g} nm, {T:g} K", fontsize=9)
        ax.set_xlabel("x (Br per formula unit)")
        ax.set_ylim(0, 100 * phis.max())
    axes[0][0].set_ylabel("dot loading (vol%)")
    axes[0][0].legend(loc="upper left", fontsize=8, title="green: anchored\nred: dislocated", title_fontsize=8)
    return save(fig, path)


def score_landscape(table: pd.DataFrame, path):
    """Per core: best score over diameter and T on the x × vol% plane."""
    plt = _pyplot()
    cores = list(pd.unique(table["core"]))
    fig, axes = plt.subplots(1, len(cores), figsize=(4.2 * len(cores), 3.8), squeeze=False, sharey=True)
    for ax, core in zip(axes[0], cores):
        sub = table[table["core"] == core]
        grid = sub.pivot_table(index="loading", columns="x", values="score", aggfunc="max")
        mesh = ax.pcolormesh(grid.columns, 100 * grid.index.to_numpy(), grid.to_numpy(), cmap="viridis", vmin=0, vmax=1,
                             shading="nearest")
        best = sub.loc[sub["score"].idxmax()]
        ax.plot(best["x"], 100 * best["loading"], "r*", ms=12, label=f"best: x={best['x']:.2f}")
        ax.set_title(core, fontsize=9)
        ax.set_xlabel("x (Br per formula unit)")
        ax.legend(fontsize=8, loc="upper right")
    axes[0][0].set_ylabel("dot loading (vol%)")
    fig.colorbar(mesh, ax=axes[0].tolist(), label="score (max over d, T)")
    return save(fig, path)


def all_plots(table: pd.DataFrame, cfg: dict, folder: Path) -> list[Path]:
    """Write the three study plots into ``folder``."""
    temps = cfg["_axes"]["temperatures"]
    return [plot_mismatch(cfg["grid"]["cores"], folder / "mismatch.png", temps, cfg["study"]["dataset"]),
            critical_loading_map(table, folder / "critical_loading_map.png"),
            score_landscape(table, folder / "score_landscape.png")]
