"""Colour-blind-safe figures: no red–green or rainbow colour map and no default (tab10) colour in any
figure code of the package or the tutorials (red–green is the pair most colour-vision deficiencies
confuse); the stability map is drawn with the diverging RdBu map (ColorBrewer: colour-blind safe)."""

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


def test_stability_map_uses_the_diverging_safe_map():
    import inspect

    from latticeanchor.plotting import DIVERGING_CMAP, OKABE_ITO
    from latticeanchor.screen import plots

    assert DIVERGING_CMAP == "RdBu" and len(set(OKABE_ITO)) == 8
    assert "cmap=DIVERGING_CMAP" in inspect.getsource(plots.stability_map)
