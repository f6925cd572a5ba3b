"""Cited reference data (``materials.json``) and dataset selection.

Every quantity of a material may have several literature entries; a *dataset* picks one entry per
quantity (``select``), and anything a dataset does not pick falls back to the quantity's ``default``
entry. ``default_dataset`` in the file is used when ``dataset=None``.

Units: lengths Å, temperatures K, linear thermal expansion 1/K, elastic constants GPa, energies eV.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from importlib import resources

import numpy as np

from latticeanchor.errors import LatticeAnchorError

ROCKSALT_END_MEMBERS = ("PbS", "PbSe", "PbTe")
ALPHA_END_MEMBERS = {"I": "CsPbI3_alpha", "Br": "CsPbBr3_alpha"}
ALLOY = "CsPbBrxI3-x_alpha"


@lru_cache(maxsize=1)
def _raw() -> dict:
    with resources.files("latticeanchor.data").joinpath("materials.json").open("r", encoding="utf-8") as fh:
        return json.load(fh)


def load() -> dict:
    """A deep copy of the whole data file (safe to modify)."""
    return copy.deepcopy(_raw())


def dataset_names() -> list[str]:
    """Names of the datasets in the data file."""
    return list(_raw()["datasets"])


def default_dataset() -> str:
    """The dataset used when ``dataset=None`` (see the README for why)."""
    return _raw()["default_dataset"]


def resolve_dataset(dataset: str | None) -> str:
    """Return a valid dataset name (``None`` -> the default); unknown names raise."""
    name = default_dataset() if dataset is None else dataset
    if name not in _raw()["datasets"]:
        raise LatticeAnchorError(f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}")
    return name


def materials() -> list[str]:
    """Names of the materials in the data file."""
    return list(_raw()["materials"])


def entry(material: str, quantity: str, dataset: str | None = None) -> dict:
    """The literature entry (value(s), T, source, confidence) that ``dataset`` selects.

    >>> entry("PbS", "lattice_constant", "liu2019")["value"]
    5.94
    """
    data = _raw()
    name = resolve_dataset(dataset)
    try:
        block = data["materials"][material][quantity]
    except KeyError:
        if material not in data["materials"]:
            raise LatticeAnchorError(f"unknown material {material!r}; known: {', '.join(materials())}") from None
        raise LatticeAnchorError(f"no {quantity!r} recorded for {material}") from None
    key = data["datasets"][name]["select"].get(f"{material}.{quantity}", block["default"])
    result = dict(block["entries"][key])
    result["key"] = key
    return result


def value(material: str, quantity: str, dataset: str | None = None) -> float:
    """Shortcut for ``entry(...)["value"]``."""
    return entry(material, quantity, dataset)["value"]


def lattice_constant_at(material: str, T=298.15, dataset: str | None = None):
    """Cubic lattice constant (Å) of an end member at temperature ``T`` (K).

    a(T) = a_ref · (1 + α_L (T − T_ref)), with the reference temperature of the measurement and
    the material's linear thermal-expansion coefficient α_L (1/K) from the same dataset.
    """
    lat = entry(material, "lattice_constant", dataset)
    alpha = value(material, "thermal_expansion", dataset)
    return lat["value"] * (1.0 + alpha * (np.asarray(T, dtype=float) - lat["T"]))


def elastic_constants(material: str, dataset: str | None = None) -> tuple[float, float, float]:
    """Cubic (C11, C12, C44) in GPa."""
    e = entry(material, "elastic_constants", dataset)
    return e["C11"], e["C12"], e["C44"]


def sizing_curve(core: str) -> dict:
    """First-exciton sizing-curve parameters (d in nm, E in eV) for 'PbS' or 'PbSe'."""
    curves = _raw()["sizing_curves"]
    if core not in curves:
        raise LatticeAnchorError(f"no sizing curve for {core!r}; known: {', '.join(curves)}")
    return dict(curves[core])


def shannon_radius(element: str) -> float:
    """Shannon ionic radius (Å) used for tolerance factors."""
    radii = _raw()["shannon_radii"]
    if element not in radii or element.startswith("_"):
        raise LatticeAnchorError(f"no Shannon radius for {element!r}")
    return float(radii[element])


def formal_charges() -> dict[str, int]:
    """Formal oxidation states used by charge checks (Cs+1, Pb+2, halide −1, S/Se/Te −2)."""
    return dict(_raw()["formal_charges"])


def sources(dataset: str | None = None) -> list[dict]:
    """Every entry a dataset uses, as rows (material, quantity, key, value, T, source, confidence)."""
    rows = []
    data = _raw()
    for material, block in data["materials"].items():
        for quantity, q in block.items():
            if not isinstance(q, dict) or "entries" not in q:
                continue
            e = entry(material, quantity, dataset)
            val = e.get("value", {k: e[k] for k in ("C11", "C12", "C44", "a", "b", "c") if k in e} or None)
            rows.append({"material": material, "quantity": quantity, "key": e["key"], "value": val,
                         "T": e.get("T"), "source": e["source"], "confidence": e["confidence"]})
    return rows
