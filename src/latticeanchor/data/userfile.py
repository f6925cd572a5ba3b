"""The user's own materials file: a template of the values in use, and its validation (one-line errors).

``template(dataset, matrix)`` returns a complete file in the format of ``materials.json`` holding exactly the
entries a dataset uses (one entry per quantity, the selected key as ``default``) and one dataset ``"mine"``
that selects nothing, so editing a value and passing the file (``data.dataset(path)``, ``--materials FILE``,
``study.materials``) moves the models by that edit alone. JSON has no comments: ``_about`` and ``_units`` keys
carry them and are ignored by the reader.

``validate(raw, where)`` checks a file before it is used: known blocks and quantities only (unknown keys are
refused), every entry with a non-empty ``source`` and a confidence tag, numbers finite and inside the ranges
below (the unit named in the message).
"""

from __future__ import annotations

import math

from latticeanchor.errors import LatticeAnchorError

CONFIDENCE = ("checked", "derived", "computed", "recalled", "assumed")
TOP_KEYS = {"_about", "_units", "default_dataset", "datasets", "materials", "default_matrix", "matrices",
            "sizing_curves", "shannon_radii", "formal_charges", "dot_band_edges", "stability", "debye_waller_B_A2"}
MATERIAL_KEYS = {"structure", "space_group", "_about"}
# quantity -> {field: (unit, low, high)} checked in every entry (other fields are allowed only if listed)
QUANTITIES = {
    "lattice_constant": {"value": ("Å", 2.0, 20.0), "T": ("K", 0.0, 3000.0)},
    "thermal_expansion": {"value": ("1/K", -1e-3, 1e-3), "T": ("K", 0.0, 3000.0)},
    "elastic_constants": {"C11": ("GPa", 0.0, 1000.0), "C12": ("GPa", -500.0, 1000.0), "C44": ("GPa", 0.0, 1000.0),
                          "T": ("K", 0.0, 3000.0)},
    "band_gap": {"value": ("eV", 0.0, 20.0), "T": ("K", 0.0, 3000.0)},
    "band_edges": {"vbm": ("eV vs vacuum", -15.0, 0.0), "cbm": ("eV vs vacuum", -15.0, 0.0)},
    "lattice_bowing": {"value": ("Å", -2.0, 2.0)},
    "band_gap_bowing": {"value": ("eV", -5.0, 5.0)},
    "band_gap_points": {"x": None, "value": None},
    "surface_energies": {"gamma_100": ("J/m²", 0.0, 10.0), "gamma_111": ("J/m²", 0.0, 10.0), "unit": None},
    "cell": {"a": ("Å", 1.0, 100.0), "b": ("Å", 1.0, 100.0), "c": ("Å", 1.0, 100.0), "T": ("K", 0.0, 3000.0)},
    "wyckoff": {"sites": None},
    "energy_above_alpha": {"value": ("eV per formula unit", -10.0, 10.0), "unit": None},
}
ENTRY_META = {"source", "confidence", "_about", "note"}


def _fail(where: str, message: str):
    raise LatticeAnchorError(f"{where}: {message}")


def _check_entry(where: str, quantity: str, entry) -> None:
    if not isinstance(entry, dict):
        _fail(where, "expected an object with the value(s), 'source' and 'confidence'")
    fields = QUANTITIES[quantity]
    for key in entry:
        if key not in fields and key not in ENTRY_META:
            _fail(f"{where}.{key}", f"unknown key (known for {quantity}: {', '.join(list(fields) + ['source', 'confidence'])})")
    source = entry.get("source")
    if not isinstance(source, str) or not source.strip():
        _fail(f"{where}.source", "every value needs a source (DOI, database id or the stated assumption)")
    if entry.get("confidence") not in CONFIDENCE:
        _fail(f"{where}.confidence", f"{entry.get('confidence')!r} is not one of {', '.join(CONFIDENCE)}")
    for key, spec in fields.items():
        if spec is None or key not in entry:
            continue
        unit, low, high = spec
        v = entry[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            _fail(f"{where}.{key}", f"expected a finite number in {unit}, got {v!r}")
        if not low <= v <= high:
            _fail(f"{where}.{key}", f"{v:g} {unit} is outside the valid range {low:g}–{high:g} {unit}")


def validate(raw, where: str = "materials file") -> dict:
    """Check a materials file (parsed JSON) and return it; the first problem raises a one-line error."""
    if not isinstance(raw, dict):
        _fail(where, "expected a JSON object with the blocks of materials.json")
    for key in raw:
        if key not in TOP_KEYS:
            _fail(f"{where}: {key}", f"unknown block (known: {', '.join(sorted(k for k in TOP_KEYS if k[0] != '_'))})")
    for key in ("materials", "datasets", "default_dataset"):
        if key not in raw:
            _fail(where, f"missing block {key!r}")
    if not isinstance(raw["materials"], dict) or not isinstance(raw["datasets"], dict):
        _fail(where, "'materials' and 'datasets' must be objects")
    for material, block in raw["materials"].items():
        if not isinstance(block, dict):
            _fail(f"{where}: materials.{material}", "expected an object of quantities")
        for quantity, q in block.items():
            at = f"{where}: materials.{material}.{quantity}"
            if quantity in MATERIAL_KEYS:
                continue
            if quantity not in QUANTITIES:
                _fail(at, f"unknown quantity (known: {', '.join(QUANTITIES)})")
            if not isinstance(q, dict) or not isinstance(q.get("entries"), dict) or not q["entries"]:
                _fail(at, "expected {'default': KEY, 'entries': {KEY: {...}}}")
            for key in q:
                if key not in ("default", "entries", "_about"):
                    _fail(f"{at}.{key}", "unknown key (known: default, entries)")
            if q.get("default") not in q["entries"]:
                _fail(f"{at}.default", f"{q.get('default')!r} is not one of its entries ({', '.join(q['entries'])})")
            for key, entry in q["entries"].items():
                _check_entry(f"{at}.entries.{key}", quantity, entry)
    if raw["default_dataset"] not in raw["datasets"]:
        _fail(f"{where}: default_dataset", f"{raw['default_dataset']!r} is not one of its datasets")
    for name, ds in raw["datasets"].items():
        if not isinstance(ds, dict) or not isinstance(ds.get("select", {}), dict):
            _fail(f"{where}: datasets.{name}", "expected {'description': ..., 'select': {MATERIAL.QUANTITY: KEY}}")
        for path, key in ds.get("select", {}).items():
            material, _, quantity = str(path).partition(".")
            entries = raw["materials"].get(material, {}).get(quantity, {}).get("entries", {})
            if key not in entries:
                _fail(f"{where}: datasets.{name}.select.{path}", f"no entry {key!r} for {path}")
    for name, m in (raw.get("matrices") or {}).items():
        if name.startswith("_"):
            continue
        for key in ("x3", "x0", "alloy"):
            if m.get(key) not in raw["materials"]:
                _fail(f"{where}: matrices.{name}.{key}", f"{m.get(key)!r} is not a material of the file")
    return raw


def template(dataset=None, matrix: str | None = None) -> dict:
    """A complete materials file of the values ``dataset`` uses (one entry per quantity), dataset ``"mine"``."""
    from latticeanchor.data.materialset import package_raw, resolve, thaw

    ms = resolve(dataset, matrix)
    raw = package_raw() if ms.file is None else None
    if raw is None:
        import json

        with open(ms.file, encoding="utf-8") as fh:
            raw = json.load(fh)
    materials: dict = {}
    for (material, quantity), e in ms.entries.items():
        block = materials.setdefault(material, {k: v for k, v in raw["materials"][material].items()
                                                if k in ("structure", "space_group")})
        entry = thaw(e)
        key = entry.pop("key")
        block[quantity] = {"default": key, "entries": {key: entry}}
    out = {"_about": f"latticeanchor materials file: the values of dataset {ms.name!r} (matrix {ms.default_matrix}). "
                     "Edit a value (and its 'source' and 'confidence'), then pass the file with --materials FILE, "
                     "study.materials = \"FILE\" or latticeanchor.data.dataset(\"FILE\").",
           "_units": "lengths Å, temperatures K, thermal expansion 1/K (linear), elastic constants GPa, energies eV; "
                     "x = content of the matrix's first-named halide per formula unit (0–3)",
           "default_dataset": "mine",
           "datasets": {"mine": {"description": f"values copied from {ms.name!r}", "select": {}}},
           "materials": materials, "default_matrix": ms.default_matrix}
    for key in ("matrices", "sizing_curves", "shannon_radii", "formal_charges", "dot_band_edges", "stability",
                "debye_waller_B_A2"):
        if key in raw:
            out[key] = raw[key]
    if "matrices" not in raw:
        from latticeanchor.data.materialset import _LEGACY_MATRICES

        out["matrices"] = _LEGACY_MATRICES
    return out
