"""Colour-blind-safe figures: no red–green or rainbow colour map and no default (tab10) colour in any
figure code of the package or the tutorials (red–green is the pair most colour-vision deficiencies
confuse); the lifetime map, read first, is drawn in cividis (Nuñez et al., PLoS ONE 13, e0199239 (2018):
perceptually uniform for normal and deuteranomalous vision)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
UNSAFE_CMAPS = {"RdYlGn", "RdGn", "PiYG", "PRGn", "jet", "rainbow", "hsv", "gist_rainbow", "nipy_spectral", "Spectral"}
CMAP = re.compile(r"cmap\s*=\s*['\"]([A-Za-z_]+)['\"]")
TAB10 = re.compile(r"color\s*=\s*['\"](C\d|r|g|red|green)['\"]")


def _sources():
    for path in sorted((REPO / "src").rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted((REPO / "docs" / "tutorials").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        yield path, "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path,text", list(_sources()), ids=lambda v: v.name if isinstance(v, Path) else "")
def test_figure_code_uses_colour_blind_safe_colours(path, text):
    assert not {m for m in CMAP.findall(text) if m.removesuffix("_r") in UNSAFE_CMAPS}, path
    assert not TAB10.findall(text), path


def test_lifetime_map_draws_log_lifetime_in_cividis(tmp_path):
    """Render the map of a small table: the mesh uses the sequential cividis map and carries log10(h)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.axes
    import numpy as np
    import pandas as pd

    from latticeanchor.plotting import OKABE_ITO, SEQUENTIAL_CMAP
    from latticeanchor.screen import plots

    assert SEQUENTIAL_CMAP == "cividis" and len(set(OKABE_ITO)) == 8
    rows = [dict(core="PbS", T_K=298.15, diameter_nm=3.5, x=x, loading_fraction=phi, lifetime_h=10.0 ** (x + 10 * phi),
                 critical_loading_fraction=0.1, regime="anchored", coherent=True)
            for x in (1.0, 1.5, 2.0) for phi in (0.0, 0.05, 0.1)]
    captured = {}
    real = matplotlib.axes.Axes.pcolormesh

    def spy(self, *args, **kwargs):
        mesh = real(self, *args, **kwargs)
        captured.setdefault("mesh", mesh)  # the first: the colour bar draws its own
        return mesh

    matplotlib.axes.Axes.pcolormesh = spy
    try:
        out = plots.lifetime_map(pd.DataFrame(rows), tmp_path / "lifetime_map.png")
    finally:
        matplotlib.axes.Axes.pcolormesh = real
    mesh = captured["mesh"]
    assert mesh.get_cmap().name == "cividis"
    values = np.asarray(mesh.get_array()).ravel()
    assert np.allclose(sorted(values), sorted(x + 10 * phi for x in (1.0, 1.5, 2.0) for phi in (0.0, 0.05, 0.1)))
    assert out.stat().st_size > 0


def test_lifetime_map_flags_single_columns_half_a_step_wide():
    """A regime flagged at one composition only (e.g. dislocated dots at x = 0) is still drawn: each flagged
    column spans half a grid step either side, and separate runs stay separate."""
    from latticeanchor.screen.plots import _column_spans

    xs = [0.0, 0.1, 0.2, 0.3, 0.4]
    import numpy as np

    assert np.allclose(_column_spans(xs, [True, False, False, False, False]), [(-0.05, 0.05)])
    assert np.allclose(_column_spans(xs, [False, True, True, False, True]), [(0.05, 0.25), (0.35, 0.45)])
    assert _column_spans(xs, [False] * 5) == []
