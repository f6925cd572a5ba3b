"""Sphinx configuration for the latticeanchor documentation (Sphinx + MyST + myst-nb).

Build offline from the repository root:

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Three pages are generated at build time so they cannot drift from the code:

* ``api/generated/*.md``: one page per public module found by walking the installed package
  (a new module appears in the reference without editing the docs);
* ``_generated/study_keys.md``: the study-file keys, from ``latticeanchor.screen.config``
  (``STUDY_KEYS`` and its Markdown renderer when present, else the validator's ``SCHEMA``);
* ``_generated/cli.md``: ``--help`` of every sub-command, from ``latticeanchor.cli.build_parser``.

The tutorial notebooks in ``tutorials/`` are stored without outputs and executed by myst-nb on
every build (``nb_execution_mode = "force"``); a failing cell fails the build.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

import latticeanchor  # noqa: E402

from _ext import cli_page, study_keys  # noqa: E402

project = "latticeanchor"
author = "latticeanchor developers"
copyright = "2026, latticeanchor developers"
release = version = latticeanchor.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "_ext.plaintext_docstrings",
]

# Sources: Markdown (MyST) pages and notebooks. README.proposed.md is the lead's README draft, not a page.
exclude_patterns = ["_build", "_generated", "_ext", "README.proposed.md", "**.ipynb_checkpoints", "jupyter_execute"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks: executed on every build; an error or a cell over the timeout fails the build.
nb_execution_mode = os.environ.get("LATTICEANCHOR_NB_EXECUTION", "force")
nb_execution_timeout = 180          # s per cell; each notebook is designed to finish in < 3 min in total
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"  # Markdown outputs (tables) rendered like the pages

autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
autodoc_typehints = "signature"
# Optional heavy extras: the reference still builds when they are missing.
autodoc_mock_imports = [m for m in ("chgnet", "torch", "jobflow", "dask", "distributed", "icet", "numba")
                        if importlib.util.find_spec(m) is None]

html_theme = "alabaster"
html_title = f"latticeanchor {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "Lattice anchoring of perovskites by quantum dots", "fixed_sidebar": True}

nitpicky = False
suppress_warnings = ["myst.header"]


# ---------------------------------------------------------------------------------------------------
# API reference: one page per public module (no path component starting with "_").
def public_modules(package=latticeanchor) -> dict[str, bool]:
    """Public module name -> is a package. Found without importing the modules themselves, so a module
    that needs an absent extra (``latticeanchor.workflows`` needs jobflow) is still listed; autodoc
    imports it with the extra mocked (``autodoc_mock_imports``)."""
    names = {package.__name__: True}
    for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        names[info.name] = info.ispkg
    return dict(sorted(names.items()))


def write_if_changed(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def generate_api_pages() -> None:
    out = DOCS / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    wanted = set()
    modules = public_modules()
    for name, is_package in modules.items():
        lines = [f"# `{name}`", "", "```{eval-rst}", f".. automodule:: {name}"]
        if is_package:
            # A package page documents what the package itself defines; the objects it re-exports are
            # documented once, on the page of the submodule that defines them (no duplicates).
            lines += ["   :ignore-module-all:"]
            subs = [s for s in modules if s.rsplit(".", 1)[0] == name]
        else:
            subs = []
        lines += ["```", ""]
        if subs:
            lines += ["Modules:", ""] + [f"- [`{s}`]({s}.md)" for s in subs] + [""]
        wanted.add(f"{name}.md")
        write_if_changed(out / f"{name}.md", "\n".join(lines))
    for stale in out.glob("*.md"):
        if stale.name not in wanted:
            stale.unlink()


generate_api_pages()
write_if_changed(DOCS / "_generated" / "study_keys.md", study_keys.render())
write_if_changed(DOCS / "_generated" / "cli.md", cli_page.render())
