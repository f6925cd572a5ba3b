"""Render the study-file key reference (Markdown) from ``latticeanchor.screen.config``.

Preferred source: the config module's own key table ``STUDY_KEYS`` and its Markdown renderer (any
public function of the module whose name contains ``markdown`` and that needs no argument), so the
page is exactly what the validator enforces. Until that exists, the table is generated from the
validator's ``SCHEMA`` (every key, its type and default are read from the code; the unit and valid
range column comes from ``_FALLBACK_NOTES`` below, which mirrors the checks in ``config.validate``).
"""

from __future__ import annotations

import inspect
import json
import re

# Units and valid ranges as enforced by latticeanchor.screen.config.validate (fallback only).
_FALLBACK_NOTES = {
    "study.name": "free text; names the output folder",
    "study.description": "free text",
    "study.dataset": "a dataset of `data/materials.json` (`latticeanchor.data.dataset_names()`); unset = the default "
                     "dataset",
    "study.seed": "integer; seeds every random choice (halide ordering of built structures)",
    "study.top": "integer ≥ 1; candidates printed and written",
    "grid.cores": "non-empty list of `PbS`, `PbSe` or alloys such as `PbS0.5Se0.5` (fractions sum to 1); `PbTe` has no cited sizing curve yet and is refused",
    "grid.x": "Br per formula unit of CsPbBr_xI_(3−x), in [0, 3]; range `{start, stop, step}` (stop included) or list",
    "grid.diameter_nm": "dot diameter, nm, > 0; range or list",
    "grid.loading": "dot volume fraction, ≥ 0 and below the arrangement's packing limit (0.64 random, 0.52 sc, 0.74 fcc)",
    "grid.temperatures": "K, > 0; list (or range)",
    "model.arrangement": "`random` (hard spheres), `sc` or `fcc`: dot arrangement for spacing ↔ loading",
    "model.target_gap_eV": "`[low, high]` dot band-gap window, eV, low < high",
    "score.stability": "weight ≥ 0 of the stability-model term (anchored − destabilized fraction)",
    "score.coherence": "weight ≥ 0 of the dot-coherence (grown-shell Matthews–Blakeslee) term",
    "score.selectivity": "weight ≥ 0 of the α-over-δ registry selectivity term",
    "score.alignment": "weight ≥ 0 of the type-I probability term",
    "score.gap": "weight ≥ 0 of the dot-gap window term",
    "score.tolerance": "weight ≥ 0 of the Bartel τ term",
    "score.processing": "weight ≥ 0 of the processing term (uniform films up to 15 vol%)",
    "score.mismatch": "weight ≥ 0 of the mismatch term",
    "score.loading": "weight ≥ 0 of the low-loading term",
    "score.mismatch_scale": "|ε| (fraction, > 0) at which the mismatch term falls to 1/e",
    "score.selectivity_scale": "selectivity (fraction, > 0) at which the term reaches ½(1 + tanh 1) ≈ 0.88",
    "build.structures": "integer ≥ 0; top candidates built as POSCAR + CIF",
    "build.max_cells": "integer ≥ 2; largest α supercell edge, perovskite cells",
    "build.halide_order": "`random` or `sqs` (needs the `sqs` extra)",
}


def _renderer(config):
    for name, obj in vars(config).items():
        if name.startswith("_") or "markdown" not in name.lower() or not inspect.isfunction(obj):
            continue
        if obj.__module__ != config.__name__:
            continue
        params = inspect.signature(obj).parameters.values()
        if all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
            return obj
    return None


def _fmt_default(value) -> str:
    return f"`{json.dumps(value, ensure_ascii=False)}`"


def _from_schema(config) -> str:
    type_names = {getattr(config, "RANGE", object()): "range or list", getattr(config, "NUMBER", object()): "number"}
    rows = ["| key | type | default | unit and valid range |", "|---|---|---|---|"]
    for section, fields in config.SCHEMA.items():
        for key, (kind, default) in fields.items():
            full = f"{section}.{key}"
            tname = type_names.get(kind, getattr(kind, "__name__", str(kind)))
            if default is None:
                dflt = "required" if tname == "range or list" else "unset"
            else:
                dflt = _fmt_default(default)
            rows.append(f"| `{full}` | {tname} | {dflt} | {_FALLBACK_NOTES.get(full, '—')} |")
    return "\n".join(rows) + "\n"


_CODE = re.compile(r"(`[^`]*`)")


def _escape_tags(markdown: str) -> str:
    """'<name>' outside code spans would be read as raw HTML by MyST: write it as an entity."""
    out = []
    for line in markdown.splitlines():
        parts = _CODE.split(line)
        out.append("".join(p if p.startswith("`") else re.sub(r"<(?=[A-Za-z/])", "&lt;", p) for p in parts))
    return "\n".join(out)


def render() -> str:
    from latticeanchor.screen import config

    renderer = _renderer(config) if hasattr(config, "STUDY_KEYS") else None
    if renderer is not None:
        body = _escape_tags(renderer())
        source = f"`latticeanchor.screen.config.{renderer.__name__}()` (from `STUDY_KEYS`)"
    elif hasattr(config, "SCHEMA"):
        body = _from_schema(config)
        source = "the validator's `latticeanchor.screen.config.SCHEMA` (types and defaults)"
    else:  # neither table: say so rather than invent one
        body = "The key table could not be generated: `latticeanchor.screen.config` has no `STUDY_KEYS` or `SCHEMA`."
        source = "nothing (no key table found)"
    head = f"<!-- generated at build time from {source}; do not edit -->\n\n"
    return head + body.rstrip() + "\n\nThis table is generated at build time from " + source + ".\n"
