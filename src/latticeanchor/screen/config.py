"""Screening-study configuration: TOML in, a validated nested dict out.

Every problem (unknown key, wrong type, empty range, x outside [0, 3], loading ≥ the packing limit)
raises LatticeAnchorError with one line naming the key, e.g. ``grid.loading.stop: 0.7 ≥ 0.64``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import sys
from importlib import resources
from pathlib import Path

import numpy as np

from latticeanchor import data, geometry, strain
from latticeanchor.errors import LatticeAnchorError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NUMBER = (int, float)
RANGE = "range"  # {start, stop, step} table or a list of numbers

# key -> (type, default); nested tables are dicts
SCHEMA: dict = {
    "study": {"name": (str, "study"), "description": (str, ""), "dataset": (str, None), "seed": (int, 0),
              "top": (int, 10)},
    "grid": {"cores": (list, ["PbS"]), "x": (RANGE, None), "diameter_nm": (RANGE, None), "loading": (RANGE, None),
             "temperatures": (list, [298.15])},
    "model": {"arrangement": (str, "random"), "target_gap_eV": (list, [1.1, 1.3])},
    "score": {"stability": (NUMBER, 4.0), "coherence": (NUMBER, 1.0), "selectivity": (NUMBER, 0.5),
              "alignment": (NUMBER, 0.5), "gap": (NUMBER, 0.5), "tolerance": (NUMBER, 0.25),
              "processing": (NUMBER, 1.0)},
    "build": {"structures": (int, 3), "max_atoms": (int, 50000), "max_cells": (int, 0), "halide_order": (str, "random")},
}


def studies_dir():
    """Folder of the studies shipped with the package (copies of the repository's workflows/)."""
    return resources.files("latticeanchor.screen").joinpath("studies")


def load_config(source=None) -> dict:
    """Read and validate a study: a TOML path, a study name shipped with the package, a dict, or None (default)."""
    if source is None:
        source = "default"
    if isinstance(source, dict):
        raw = copy.deepcopy(source)
    else:
        path = Path(source)
        if not path.exists():
            shipped = studies_dir().joinpath(f"{source}.toml")
            if not shipped.is_file():
                raise LatticeAnchorError(f"config {source!r} is neither a file nor a shipped study "
                                         f"({', '.join(sorted(p.name[:-5] for p in studies_dir().iterdir() if p.name.endswith('.toml')))})")
            text = shipped.read_text(encoding="utf-8")
        else:
            text = path.read_text(encoding="utf-8")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise LatticeAnchorError(f"config {source}: not valid TOML: {exc}") from None
    return validate(raw)


def _type_name(t) -> str:
    return {NUMBER: "number", RANGE: "range {start, stop, step} or list"}.get(t, getattr(t, "__name__", str(t)))


def _check_type(key: str, value, kind):
    if kind is NUMBER:
        ok = isinstance(value, NUMBER) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is RANGE:
        ok = isinstance(value, (dict, list))
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise LatticeAnchorError(f"{key}: expected {_type_name(kind)}, got {type(value).__name__} {value!r}")


def expand_range(key: str, spec) -> np.ndarray:
    """{start, stop, step} (stop included) or a list -> sorted unique float array; errors name ``key``."""
    if isinstance(spec, list):
        if not spec:
            raise LatticeAnchorError(f"{key}: empty list")
        for v in spec:
            _check_type(f"{key}[]", v, NUMBER)
        values = np.asarray(spec, float)
    else:
        unknown = set(spec) - {"start", "stop", "step"}
        if unknown:
            raise LatticeAnchorError(f"{key}: unknown key {sorted(unknown)[0]!r} (use start, stop, step)")
        for part in ("start", "stop", "step"):
            if part not in spec:
                raise LatticeAnchorError(f"{key}.{part}: missing")
            _check_type(f"{key}.{part}", spec[part], NUMBER)
        start, stop, step = float(spec["start"]), float(spec["stop"]), float(spec["step"])
        if step <= 0:
            raise LatticeAnchorError(f"{key}.step: must be > 0, got {step:g}")
        if stop < start:
            raise LatticeAnchorError(f"{key}: empty range, stop {stop:g} < start {start:g}")
        n = int(np.floor((stop - start) / step + 1e-9)) + 1
        values = np.round(start + step * np.arange(n), 12)
    if not np.all(np.isfinite(values)):
        raise LatticeAnchorError(f"{key}: values must be finite")
    return np.unique(values)


def validate(raw: dict) -> dict:
    """Fill defaults, check types and physical ranges; return the validated config."""
    if not isinstance(raw, dict):
        raise LatticeAnchorError("config must be a table of tables")
    cfg: dict = {}
    for section in raw:
        if section not in SCHEMA:
            raise LatticeAnchorError(f"{section}: unknown section (known: {', '.join(SCHEMA)})")
        if not isinstance(raw[section], dict):
            raise LatticeAnchorError(f"{section}: expected a table")
    for section, fields in SCHEMA.items():
        given = raw.get(section, {})
        for key in given:
            if key not in fields:
                raise LatticeAnchorError(f"{section}.{key}: unknown key (known: {', '.join(fields)})")
        cfg[section] = {}
        for key, (kind, default) in fields.items():
            if key in given:
                _check_type(f"{section}.{key}", given[key], kind)
                cfg[section][key] = copy.deepcopy(given[key])
            elif default is None and kind is RANGE:
                raise LatticeAnchorError(f"{section}.{key}: missing (a range {{start, stop, step}} or a list)")
            else:
                cfg[section][key] = copy.deepcopy(default)

    study, grid, model, score, build = (cfg[k] for k in ("study", "grid", "model", "score", "build"))
    study["dataset"] = data.resolve_dataset(study["dataset"])
    if study["top"] < 1:
        raise LatticeAnchorError(f"study.top: must be ≥ 1, got {study['top']}")
    if not grid["cores"]:
        raise LatticeAnchorError("grid.cores: empty list")
    for core in grid["cores"]:
        if not isinstance(core, str):
            raise LatticeAnchorError(f"grid.cores: expected core names, got {core!r}")
        try:
            strain.parse_core(core)
        except LatticeAnchorError as exc:
            raise LatticeAnchorError(f"grid.cores: {exc}") from None
    x = expand_range("grid.x", grid["x"])
    if x.min() < 0 or x.max() > 3:
        raise LatticeAnchorError(f"grid.x: Br content must lie in [0, 3], got {x.min():g}..{x.max():g}")
    d = expand_range("grid.diameter_nm", grid["diameter_nm"])
    if d.min() <= 0:
        raise LatticeAnchorError(f"grid.diameter_nm: diameters must be > 0, got {d.min():g}")
    phi = expand_range("grid.loading", grid["loading"])
    if model["arrangement"] not in geometry.PACKING_LIMIT:
        raise LatticeAnchorError(f"model.arrangement: {model['arrangement']!r} is not random, sc or fcc")
    limit = geometry.PACKING_LIMIT[model["arrangement"]]
    if phi.min() < 0:
        raise LatticeAnchorError(f"grid.loading: volume fractions must be ≥ 0, got {phi.min():g}")
    if phi.max() >= limit:
        raise LatticeAnchorError(f"grid.loading: volume fraction {phi.max():g} ≥ the {model['arrangement']} packing limit {limit:.2f}")
    temps = expand_range("grid.temperatures", grid["temperatures"])
    if temps.min() <= 0:
        raise LatticeAnchorError(f"grid.temperatures: must be > 0 K, got {temps.min():g}")
    gap = model["target_gap_eV"]
    if len(gap) != 2 or not all(isinstance(g, NUMBER) for g in gap) or gap[0] >= gap[1]:
        raise LatticeAnchorError(f"model.target_gap_eV: expected [low, high] in eV, got {gap!r}")
    for key, value in score.items():
        if not np.isfinite(value) or value < 0:
            raise LatticeAnchorError(f"score.{key}: must be a finite number ≥ 0, got {value!r}")
    if sum(score.values()) <= 0:
        raise LatticeAnchorError("score: at least one weight must be > 0")
    if build["max_cells"]:
        raise LatticeAnchorError("build.max_cells was replaced by build.max_atoms (atom budget; the cell is sized "
                                 "from the candidate's loading): remove max_cells")
    if build["structures"] < 0 or build["max_atoms"] < 1:
        raise LatticeAnchorError("build.structures must be ≥ 0 and build.max_atoms ≥ 1")
    if build["halide_order"] not in ("random", "sqs"):
        raise LatticeAnchorError(f"build.halide_order: {build['halide_order']!r} is not random or sqs")
    cfg["_axes"] = {"x": x.tolist(), "diameter_nm": d.tolist(), "loading": phi.tolist(), "temperatures": temps.tolist()}
    return cfg


def config_hash(cfg: dict) -> str:
    """Stable hash of a validated config (resume only when it is unchanged)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16]
