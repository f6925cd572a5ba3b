"""Plots of a screening study: the lifetime map (read it first), ε(x), the Matthews–Blakeslee coherence map,
the score landscape and the score against x."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor.data import DEFAULT_MATRIX
from latticeanchor.plotting import MISMATCH_LABEL, OKABE_ITO, SEQUENTIAL_CMAP, _pyplot, margins, plot_mismatch, save

# Films of Liu et al., Nature 570, 96 (2019) marked on the lifetime map: PbS dots, (x, vol%)
PAPER_FILMS = [(1.0, v) for v in (0, 6, 13, 20)] + [(2.0, v) for v in (0, 6, 13, 20)]
PAPER_DIAMETER_NM = 3.5
#: panel titles at the top edge (y = 1): none of these panels has ticks or labels above it, so matplotlib's
#: automatic title placement, which measures every tick label of the axes at draw time, would put them there too
TITLE = {"fontsize": 9, "y": 1.0}


def _nearest(values, target):
    values = np.unique(values)
    return values[np.argmin(np.abs(values - target))]


def _column_spans(xs, mask):
    """(lo, hi) x spans of the runs of True in ``mask`` over the grid ``xs``, each column half a step wide on
    either side (so a single flagged column is drawn, and spans meet the pcolormesh cells)."""
    xs, mask = np.asarray(xs, float), np.asarray(mask, bool)
    if xs.size == 0 or not mask.any():
        return []
    half = 0.5 * (np.min(np.diff(xs)) if xs.size > 1 else 1.0)
    spans, start = [], None
    for i, flag in enumerate(mask):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == mask.size - 1):
            stop = i if flag else i - 1
            spans.append((xs[start] - half, xs[stop] + half))
            start = None
    return spans


def _loading_x_grid(sub: pd.DataFrame, values, agg: str = "first"):
    """(x values, loadings (fractions), (n_loading, n_x) array) of ``values`` (a column name or an array aligned
    with ``sub``) on the loading × x plane: per cell the first (``agg="first"``, table order) or the largest
    (``"max"``) non-NaN value; rows and columns with no value dropped. ``DataFrame.pivot_table(index=
    "loading_fraction", columns="x", aggfunc=agg)`` by array indexing (12 pivot tables were 0.09 s of the plots)."""
    v = np.asarray(sub[values] if isinstance(values, str) else values, float)
    xs, ix = np.unique(sub["x"].to_numpy(float), return_inverse=True)
    phis, ip = np.unique(sub["loading_fraction"].to_numpy(float), return_inverse=True)
    ok = ~np.isnan(v)
    cell = (ip * len(xs) + ix)[ok]
    grid = np.full(len(phis) * len(xs), np.nan)
    if agg == "first":
        first_cell, first_row = np.unique(cell, return_index=True)
        grid[first_cell] = v[ok][first_row]
    elif agg == "max":
        grid[np.unique(cell)] = -np.inf
        np.maximum.at(grid, cell, v[ok])
    else:
        raise ValueError(f"agg: 'first' or 'max', not {agg!r}")
    grid = grid.reshape(len(phis), len(xs))
    rows, cols = ~np.isnan(grid).all(axis=1), ~np.isnan(grid).all(axis=0)
    return xs[cols], phis[rows], grid[rows][:, cols]


def _panels(table: pd.DataFrame, order) -> list:
    """Panel labels: ``order`` when given (a multi-matrix study: matrix-major), else the cores in rank order."""
    return list(order) if order is not None else list(pd.unique(table["core"]))


def lifetime_map(table: pd.DataFrame, path, diameter_nm: float | None = None, order=None):
    """Per core (rows) and study temperature (columns): log₁₀ lifetime (h) on the x × vol% plane (cividis).

    The black line is the critical loading (lifetime reaches the study's target); hatched: α stable without
    dots (the dots add nothing); grey: dislocated dots (above the critical inclusion size); the legend sits below
    the panels. PbS films of Liu et al. (CsPbBrI2 and CsPbBr2I at 0, 6, 13, 20 vol%) are marked on the PbS panels.
    With a matrix column
    (``all_plots``: panel label 'matrix · core') a panel whose matrix has no kinetic model reads "not evaluated".
    """
    plt = _pyplot()
    diameter_nm = _nearest(table["diameter_nm"], PAPER_DIAMETER_NM if diameter_nm is None else diameter_nm)
    cores = _panels(table, order)
    temps = sorted(pd.unique(table["T_K"]))
    fig, axes = plt.subplots(len(cores), len(temps), figsize=(4.3 * len(temps) + 1.2, 3.6 * len(cores)),
                             squeeze=False, sharex=True, sharey=True)
    mesh = None
    vmax = np.log10(87_600.0)  # 10 years
    for i, core in enumerate(cores):
        for j, T in enumerate(temps):
            ax = axes[i][j]
            sub = table[(table["core"] == core) & (table["T_K"] == T) & (table["diameter_nm"] == diameter_nm)]
            if not np.isfinite(sub["lifetime_h"].to_numpy(float)).any():  # no kinetic model for this matrix
                _not_evaluated(ax, "lifetime not evaluated\n(no α→δ kinetic model for this matrix)")
                ax.set_title(f"{core}, d = {diameter_nm:g} nm, {T:g} K", **TITLE)
                if i == len(cores) - 1:
                    ax.set_xlabel("x (first-named halide per formula unit)")
                continue
            xs, phis, grid = _loading_x_grid(sub, "lifetime_h")
            phis = 100 * phis
            with np.errstate(divide="ignore"):
                values = np.log10(np.minimum(grid, 10**vmax))
            mesh = ax.pcolormesh(xs, phis, values, cmap=SEQUENTIAL_CMAP, vmin=-1, vmax=vmax, shading="nearest")
            per_x = sub.groupby("x").first()
            crit = 100 * per_x["critical_loading_fraction"].to_numpy()
            stable = per_x["regime"].to_numpy() == "alpha stable"
            ax.plot(per_x.index, np.where(stable | ~np.isfinite(crit), np.nan, np.clip(crit, 0, phis.max())), "k-",
                    lw=1.5, label="critical loading (target lifetime)")
            for k, (lo, hi) in enumerate(_column_spans(per_x.index, stable)):
                ax.axvspan(lo, hi, facecolor="none", edgecolor="0.2", hatch="//", lw=0,
                           label="α stable without dots" if k == 0 else None)
            dislocated = ~per_x["coherent"].to_numpy(bool)
            for k, (lo, hi) in enumerate(_column_spans(per_x.index, dislocated)):
                ax.axvspan(lo, hi, facecolor="0.6", alpha=0.6, lw=0, label="dislocated dots" if k == 0 else None)
            if core in ("PbS", f"{DEFAULT_MATRIX} · PbS"):
                fx, fv = zip(*PAPER_FILMS)
                ax.scatter(fx, fv, marker="o", s=28, facecolor="white", edgecolor="black", zorder=5,
                           label="Liu et al. films")
            ax.set_title(f"{core}, d = {diameter_nm:g} nm, {T:g} K", **TITLE)
            ax.set_ylim(0, phis.max())
            if i == len(cores) - 1:
                ax.set_xlabel("x (Br per formula unit)")
            if j == 0:
                ax.set_ylabel("dot loading (vol%)")
    if mesh is None:  # no panel has the kinetic model
        return save(fig, path)
    handles = {}
    for ax in (a for row in axes for a in row):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(lab, h)
    ncol = 4 if len(temps) > 1 else 2
    margins(fig, left=0.7, right=1.0, bottom=0.75 + 0.2 * int(np.ceil(len(handles) / ncol)), top=0.35, wspace=0.1,
            hspace=0.3)  # fixed margins: rendered once
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=ncol, fontsize=8, frameon=False)
    fig.colorbar(mesh, ax=[a for row in axes for a in row], fraction=0.12 / len(temps), shrink=min(1.0, 2.5 / len(cores)),
                 label="log₁₀ lifetime / h (5 % δ; ≥ 10 years at top)")
    return save(fig, path, tight=False)


def _not_evaluated(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])


def critical_loading_map(table: pd.DataFrame, path, T: float | None = None, diameter_nm: float | None = None,
                         order=None):
    """Per core: the Matthews–Blakeslee coherence criterion alone (``strain.critical_loading``) on x × vol%.

    Above the curve the matrix between neighbouring dots is thinner than 2 h_c (coherent); below it misfit
    dislocations are expected. A film criterion kept for comparison, not the stability model (``lifetime_map``).
    """
    plt = _pyplot()
    from matplotlib.colors import ListedColormap

    T = _nearest(table["T_K"], 298.15 if T is None else T)
    diameter_nm = _nearest(table["diameter_nm"], PAPER_DIAMETER_NM if diameter_nm is None else diameter_nm)
    cores = _panels(table, order)
    fig, axes = plt.subplots(1, len(cores), figsize=(4.2 * len(cores), 3.8), squeeze=False, sharey=True)
    margins(fig, left=0.65, right=0.25, bottom=0.55, top=0.3)
    for ax, core in zip(axes[0], cores):
        sub = table[(table["core"] == core) & (table["T_K"] == T) & (table["diameter_nm"] == diameter_nm)]
        if not np.isfinite(sub["mb_coherence_loading_fraction"].to_numpy(float)).any():
            _not_evaluated(ax, "coherence not evaluated\n(no elastic constants for this matrix)")
            ax.set_title(f"{core}, d = {diameter_nm:g} nm, {T:g} K", **TITLE)
            continue
        coherent = (sub["loading_fraction"] >= sub["mb_coherence_loading_fraction"]) & (sub["loading_fraction"] > 0)
        xs, phis, grid = _loading_x_grid(sub, coherent.to_numpy(float))
        ax.pcolormesh(xs, 100 * phis, grid, cmap=ListedColormap([OKABE_ITO[1], OKABE_ITO[4]]),
                      vmin=0, vmax=1, shading="nearest")
        crit = sub.groupby("x")["mb_coherence_loading_fraction"].first()
        ax.plot(crit.index, np.clip(100 * crit.to_numpy(), 0, 100 * phis.max()), "k-", lw=1.5, label="MB critical loading")
        ax.set_title(f"{core}, d = {diameter_nm:g} nm, {T:g} K", **TITLE)
        ax.set_xlabel("x (Br per formula unit)")
        ax.set_ylim(0, 100 * phis.max())
    axes[0][0].set_ylabel("dot loading (vol%)")
    axes[0][0].legend(loc="upper left", fontsize=8, title="blue: coherent\norange: dislocated", title_fontsize=8)
    return save(fig, path, tight=False)


def score_landscape(table: pd.DataFrame, path, order=None):
    """Per core: best score over diameter and T on the x × vol% plane."""
    plt = _pyplot()
    cores = _panels(table, order)
    fig, axes = plt.subplots(1, len(cores), figsize=(4.2 * len(cores), 3.8), squeeze=False, sharey=True)
    margins(fig, left=0.65, right=0.75, bottom=0.55, top=0.3)
    mesh = None
    for ax, core in zip(axes[0], cores):
        sub = table[table["core"] == core]
        xs, phis, grid = _loading_x_grid(sub, "score_worst_T", "max")
        mesh = ax.pcolormesh(xs, 100 * phis, grid, cmap=SEQUENTIAL_CMAP, vmin=0,
                             vmax=1, shading="nearest")
        best = sub.iloc[0]  # the table is in rank order (score_worst_T)
        ax.plot(best["x"], 100 * best["loading_fraction"], "*", color="#D55E00", ms=12, label=f"best: x={best['x']:.2f}")
        ax.set_title(core, **TITLE)
        ax.set_xlabel("x (Br per formula unit)")
        ax.legend(fontsize=8, loc="upper right")
    axes[0][0].set_ylabel("dot loading (vol%)")
    fig.colorbar(mesh, ax=axes[0].tolist(), label="worst-temperature score (max over d)", fraction=0.04, pad=0.02)
    return save(fig, path, tight=False)


def score_vs_x(table: pd.DataFrame, path):
    """Worst-temperature score against x for every core at the best candidate's diameter (max over loading)."""
    plt = _pyplot()
    best = table.iloc[0]  # rank order: the ranking key of ranked.csv and the printed best line
    sub = table[(table["diameter_nm"] == best["diameter_nm"]) & (table["T_K"] == best["T_K"])]
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    margins(fig, left=0.7, right=0.25, bottom=0.55, top=0.3)
    for core in pd.unique(sub["core"]):
        curve = sub[sub["core"] == core].groupby("x")["score_worst_T"].max()
        ax.plot(curve.index, curve.to_numpy(), lw=1.6, label=str(core))
    ax.axvline(best["x"], color="0.5", ls=":", lw=1)
    ax.set_xlabel("x (Br per formula unit)")
    ax.set_ylabel("best worst-T score over loading")
    ax.set_title(f"d = {best['diameter_nm']:g} nm, {best['T_K']:g} K (the best candidate's)", **TITLE)
    ax.legend(fontsize=8)
    return save(fig, path, tight=False)


def mismatch_by_matrix(cores, matrices, path, T=298.15, dataset=None):
    """ε(x) (%) of every core in every matrix at T (K): one colour per core, one line style per matrix; the
    zero crossings (``strain.zero_mismatch_x``) marked."""
    from latticeanchor import data, strain
    from latticeanchor.errors import LatticeAnchorError

    plt = _pyplot()
    x = np.linspace(0, 3, 301)
    fig, ax = plt.subplots(figsize=(6.8, 4.4))
    styles = ["-", "--", ":", "-."]
    for j, matrix in enumerate(matrices):
        ms = data.dataset(dataset, matrix=matrix)
        for i, core in enumerate(cores):
            eps = 100 * np.asarray(strain.mismatch(core, x, T, ms))
            line, = ax.plot(x, eps, styles[j % 4], color=OKABE_ITO[i % len(OKABE_ITO)], label=f"{core} in {matrix}")
            try:
                ax.plot([strain.zero_mismatch_x(core, T, ms)], [0], "o", color=line.get_color())
            except LatticeAnchorError:
                pass
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("x (first-named halide per formula unit)")
    ax.set_ylabel(MISMATCH_LABEL)
    ax.set_title(f"{T:g} K", **TITLE)
    ax.legend(fontsize=7, ncol=2)
    return save(fig, path)


#: the table columns the study plots read (``table_plots``): what a plotting process is sent
PLOT_COLUMNS = ("matrix", "core", "x", "diameter_nm", "loading_fraction", "T_K", "lifetime_h", "critical_loading_fraction",
                "regime", "coherent", "mb_coherence_loading_fraction", "score_worst_T")


def mismatch_plot(cfg: dict, path):
    """The study's ε(x) figure (``mismatch.png``): it needs the config only, not the table. ``path``: a file path or
    a binary file object (``plotting.save``). With grid.matrices, every core in every matrix (``mismatch_by_matrix``)."""
    temps = cfg["_axes"]["temperatures"]
    matrices = cfg["_axes"].get("matrices")
    if matrices is not None:
        return mismatch_by_matrix(cfg["grid"]["cores"], matrices, path, temps[0], cfg["study"]["dataset"])
    return plot_mismatch(cfg["grid"]["cores"], path, temps, cfg["study"]["dataset"])


def table_plots(table: pd.DataFrame, cfg: dict, folder: Path) -> list[Path]:
    """The study plots drawn from the scored table (rank order; the ``PLOT_COLUMNS`` suffice) into ``folder``:
    lifetime map, critical-loading map, score landscape, score against x. With a matrix column every per-core
    panel is one per (matrix, core), labelled 'matrix · core'."""
    matrices = cfg["_axes"].get("matrices")
    order = None
    if matrices is not None:
        labels = table["matrix"].astype(str) + " · " + table["core"].astype(str)
        order = [f"{m} · {c}" for m in matrices for c in cfg["grid"]["cores"]]
        table = table.assign(core=pd.Categorical(labels, categories=order))
    return [lifetime_map(table, folder / "lifetime_map.png", order=order),
            critical_loading_map(table, folder / "critical_loading_map.png", order=order),
            score_landscape(table, folder / "score_landscape.png", order=order),
            score_vs_x(table, folder / "score_vs_x.png")]


def all_plots(table: pd.DataFrame, cfg: dict, folder: Path) -> list[Path]:
    """Write the study plots into ``folder``: ``table_plots`` and ``mismatch_plot`` (lifetime map, mismatch,
    critical-loading map, score landscape, score against x)."""
    folder = Path(folder)
    drawn = table_plots(table, cfg, folder)
    return [drawn[0], mismatch_plot(cfg, folder / "mismatch.png"), *drawn[1:]]
