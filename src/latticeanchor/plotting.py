"""Plots a person would rather look at than a table (matplotlib, Agg backend, atomic writes)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from latticeanchor.atomic import atomic_path


#: Okabe & Ito's colour-blind-safe qualitative palette (Color Universal Design, 2008; Wong, Nat. Methods 8,
#: 441 (2011), DOI 10.1038/nmeth.1618): blue, orange, bluish green, vermillion, sky blue, reddish purple,
#: yellow, black. Every line and marker colour of the package's figures comes from here.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
#: Colour maps of the package's figures: perceptually uniform and readable with any colour-vision
#: deficiency (cividis: Nuñez et al., PLoS ONE 13, e0199239 (2018)); RdBu for signed quantities.
SEQUENTIAL_CMAP = "cividis"
DIVERGING_CMAP = "RdBu"
#: zlib level of the PNGs written here: the pixels are those of any level; the default study's five figures
#: encode in 0.15 s CPU at level 1 against 0.25 s at Pillow's default 6, for 570 kB instead of 493 kB
PNG_COMPRESS_LEVEL = 1
#: y label of the mismatch figures (Unicode, not mathtext: the first mathtext string builds a parser)
MISMATCH_LABEL = "mismatch ε = (a_matrix − a_core)/a_core (%)"


def colour_blind_safe_style() -> dict:
    """matplotlib rc settings with the Okabe–Ito cycle and cividis as the default image map; use as
    ``plt.rcParams.update(colour_blind_safe_style())`` or ``with plt.rc_context(colour_blind_safe_style())``."""
    from cycler import cycler

    return {"axes.prop_cycle": cycler(color=list(OKABE_ITO)), "image.cmap": SEQUENTIAL_CMAP}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, path, tight: bool = True) -> Path:
    """Save a figure atomically (format from the suffix) and close it; ``path`` may also be a binary file object
    (PNG written into it, e.g. an ``io.BytesIO``), returned as given.

    ``tight=True`` crops to the drawn extent (``bbox_inches="tight"``: matplotlib renders the figure twice);
    a figure laid out with ``margins`` passes ``tight=False`` and is rendered once."""
    plt = _pyplot()
    extra = {"bbox_inches": "tight"} if tight else {}
    in_memory = hasattr(path, "write")
    fmt = "png" if in_memory else Path(path).suffix.lstrip(".").lower() or "png"
    if fmt == "png":  # the same pixels, deflated at zlib level 1 instead of Pillow's 6 (see PNG_COMPRESS_LEVEL)
        extra["pil_kwargs"] = {"compress_level": PNG_COMPRESS_LEVEL}
    if in_memory:
        fig.savefig(path, dpi=150, format=fmt, **extra)
    else:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=150, format=fmt, **extra)
    plt.close(fig)
    return path if in_memory else Path(path)


def margins(fig, left: float = 0.7, right: float = 0.15, bottom: float = 0.55, top: float = 0.35,
            wspace: float = 0.08, hspace: float = 0.3) -> None:
    """Fixed figure margins in inches (room for tick labels, axis labels and titles) instead of a measured
    tight layout: the figure is rendered once. ``wspace``/``hspace``: gaps between panels, as fractions of
    a panel (matplotlib's ``subplots_adjust``)."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h, wspace=wspace,
                        hspace=hspace)


def plot_mismatch(cores, path, T=(298.15,), dataset: str | None = None, x=None):
    """ε(x) (%) of α-CsPbBr_xI_(3−x) against each core, zero crossings marked; written to ``path``."""
    from latticeanchor import strain
    from latticeanchor.errors import LatticeAnchorError

    plt = _pyplot()
    x = np.linspace(0, 3, 301) if x is None else np.asarray(x, float)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    styles = ["-", "--", ":", "-."]
    marks = []  # (x0, label, colour) of every zero crossing, labelled after all curves are drawn
    for i, core in enumerate(cores):
        for j, temp in enumerate(np.atleast_1d(T)):
            eps = 100 * np.asarray(strain.mismatch(core, x, temp, dataset))
            line, = ax.plot(x, eps, styles[j % 4], color=OKABE_ITO[i % len(OKABE_ITO)], label=f"{core}, {temp:g} K")
            try:
                x0 = strain.zero_mismatch_x(core, temp, dataset)
            except LatticeAnchorError:
                continue
            ax.plot([x0], [0], "o", color=line.get_color())
            marks.append((x0, f"x={x0:.2f} ({100 * x0 / 3:.0f}% Br)", line.get_color()))
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("x in CsPbBrₓI₃₋ₓ (Br per formula unit)")  # Unicode, not mathtext: no parser to build
    ax.set_ylabel(MISMATCH_LABEL)
    secondary = ax.secondary_xaxis("top", functions=(lambda v: 100 * v / 3, lambda p: 3 * p / 100))
    secondary.set_xlabel("Br content (%)")
    ax.legend(fontsize=8)
    label = getattr(dataset, "name", dataset) or "default"
    if getattr(dataset, "default_matrix", None) not in (None, "CsPb(Br,I)3"):
        label += f", matrix {dataset.default_matrix}"
    ax.set_title(f"lattice mismatch, dataset {label}", fontsize=9)
    margins(fig, left=0.75, right=0.9, bottom=0.6, top=0.9)
    label_zero_crossings(ax, marks)
    return save(fig, path, tight=False)


def label_zero_crossings(ax, marks, fontsize: float = 8, pad_pt: float = 2.0) -> list:
    """Annotate zero crossings ``(x0, text, colour)`` so that no two labels overlap.

    Labels are placed left to right; each goes to the first free row (rows alternate above and
    below the ε = 0 line, one text height apart) where it clears every label already placed,
    using the rendered text extents (display coordinates), not a guess of the text width."""
    fig = ax.figure
    ax.set_xlim(*ax.get_xlim())  # freeze the limits: the boxes below must stay valid
    ax.set_ylim(*ax.get_ylim())
    renderer = fig.canvas.get_renderer()  # text extents need a renderer, not a drawn figure
    height = 1.6 * fontsize  # points
    placed, texts = [], []
    for x0, text, colour in sorted(marks, key=lambda m: m[0]):
        for row in range(2 * len(marks) + 2):
            level = (row // 2 + 1) * (1 if row % 2 == 0 else -1)
            dy = 4 + (level - 1) * height if level > 0 else level * height
            ann = ax.annotate(text, (x0, 0), textcoords="offset points", xytext=(4, dy), fontsize=fontsize,
                              color=colour)
            box = ann.get_window_extent(renderer)
            box = box.from_extents(box.x0 - pad_pt, box.y0 - pad_pt, box.x1 + pad_pt, box.y1 + pad_pt)
            if not any(box.overlaps(other) for other in placed):
                placed.append(box)
                texts.append(ann)
                break
            ann.remove()
    return texts
