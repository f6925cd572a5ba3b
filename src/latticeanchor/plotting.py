"""Plots a person would rather look at than a table (matplotlib, Agg backend, atomic writes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latticeanchor.atomic import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path) -> Path:
    """Save a figure atomically (format from the suffix) and close it."""
    plt = _pyplot()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, bbox_inches="tight", format=Path(path).suffix.lstrip(".") or "png")
    plt.close(fig)
    return Path(path)


def plot_mismatch(cores, path, T=(298.15,), dataset: str | None = None, x=None):
    """ε(x) (%) of α-CsPbBr_xI_(3−x) against each core, zero crossings marked; written to ``path``."""
    from latticeanchor import strain
    from latticeanchor.errors import LatticeAnchorError

    plt = _pyplot()
    x = np.linspace(0, 3, 301) if x is None else np.asarray(x, float)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    styles = ["-", "--", ":", "-."]
    for i, core in enumerate(cores):
        for j, temp in enumerate(np.atleast_1d(T)):
            eps = 100 * np.asarray(strain.mismatch(core, x, temp, dataset))
            line, = ax.plot(x, eps, styles[j % 4], color=f"C{i}", label=f"{core}, {temp:g} K")
            try:
                x0 = strain.zero_mismatch_x(core, temp, dataset)
            except LatticeAnchorError:
                continue
            ax.plot([x0], [0], "o", color=line.get_color())
            ax.annotate(f"x={x0:.2f} ({100 * x0 / 3:.0f}% Br)", (x0, 0), textcoords="offset points",
                        xytext=(4, 6 + 10 * i), fontsize=8, color=line.get_color())
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("x in CsPbBr$_x$I$_{3-x}$ (Br per formula unit)")
    ax.set_ylabel(r"mismatch $\varepsilon=(a_m-a_c)/a_c$ (%)")
    secondary = ax.secondary_xaxis("top", functions=(lambda v: 100 * v / 3, lambda p: 3 * p / 100))
    secondary.set_xlabel("Br content (%)")
    ax.legend(fontsize=8)
    ax.set_title(f"lattice mismatch, dataset {dataset or 'default'}", fontsize=9)
    return save(fig, path)
