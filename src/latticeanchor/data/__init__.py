"""Cited reference data (``materials.json``) and dataset selection.

Every quantity of a material may have several literature entries; a *dataset* picks one entry per
quantity (``select``), and anything a dataset does not pick falls back to the quantity's ``default``
entry. ``default_dataset`` in the file is used when ``dataset=None``.

``dataset(name_or_path)`` / ``resolve(dataset)`` give the resolved, immutable ``MaterialSet`` the models
work on (``latticeanchor.data.materialset``); the functions below accept a name, a path to a JSON file in
the format of ``materials.json``, or a ``MaterialSet`` wherever they take ``dataset``.

Units: lengths Å, temperatures K, linear thermal expansion 1/K, elastic constants GPa, energies eV.
"""

from __future__ import annotations

import numpy as np

from latticeanchor.data.materialset import (DEFAULT_MATRIX, Core, Elastic, EndMember, MaterialSet, Matrix,
                                            Polymorph, Quantity, _looks_like_path, dataset, package_raw,
                                            raw_copy, resolve)
from latticeanchor.errors import LatticeAnchorError

ROCKSALT_END_MEMBERS = ("PbS", "PbSe", "PbTe")
ALPHA_END_MEMBERS = {"I": "CsPbI3_alpha", "Br": "CsPbBr3_alpha"}
ALLOY = "CsPbBrxI3-x_alpha"


def _raw() -> dict:
    return package_raw()


def load() -> dict:
    """A deep copy of the whole data file (safe to modify)."""
    return raw_copy()


def dataset_names() -> list[str]:
    """Names of the datasets in the data file."""
    return list(_raw()["datasets"])


def default_dataset() -> str:
    """The dataset used when ``dataset=None`` (see the README for why)."""
    return _raw()["default_dataset"]


def resolve_dataset(dataset: str | None) -> str:
    """Return a valid dataset name (``None`` -> the default); unknown names raise.

    A ``MaterialSet`` or a path to a materials file gives the resolved set's name.
    """
    if dataset is None or (isinstance(dataset, str) and not _looks_like_path(dataset)):
        name = default_dataset() if dataset is None else dataset
        if name not in _raw()["datasets"]:
            raise LatticeAnchorError(f"unknown dataset {name!r}; choose one of {', '.join(dataset_names())}")
        return name
    return resolve(dataset).name


def materials() -> list[str]:
    """Names of the materials in the data file."""
    return list(_raw()["materials"])


def entry(material: str, quantity: str, dataset: str | None = None) -> dict:
    """The literature entry (value(s), T, source, confidence) that ``dataset`` selects.

    >>> entry("PbS", "lattice_constant", "liu2019")["value"]
    5.94
    """
    return resolve(dataset).entry(material, quantity)


def value(material: str, quantity: str, dataset: str | None = None) -> float:
    """Shortcut for ``entry(...)["value"]``."""
    return entry(material, quantity, dataset)["value"]


def lattice_constant_at(material: str, T=298.15, dataset: str | None = None):
    """Cubic lattice constant (Å) of an end member at temperature ``T`` (K).

    a(T) = a_ref · (1 + α_L (T − T_ref)), with the reference temperature of the measurement and
    the material's linear thermal-expansion coefficient α_L (1/K) from the same dataset.
    """
    from latticeanchor.validate import scalar_or_array, temperature

    T = temperature(T)
    ms = resolve(dataset)
    lat = ms.entry(material, "lattice_constant")
    alpha = ms.value(material, "thermal_expansion")
    return scalar_or_array(lat["value"] * (1.0 + alpha * (T - lat["T"])))


def elastic_constants(material: str, dataset: str | None = None) -> tuple[float, float, float]:
    """Cubic (C11, C12, C44) in GPa."""
    e = entry(material, "elastic_constants", dataset)
    return e["C11"], e["C12"], e["C44"]


def sizing_curve(core: str, dataset: str | None = None) -> dict:
    """First-exciton sizing-curve parameters (d in nm, E in eV) for 'PbS' or 'PbSe'."""
    curves = resolve(dataset).sizing_curves
    if not isinstance(core, str) or core not in curves:
        raise LatticeAnchorError(f"core: no sizing curve for {core!r}; known: {', '.join(curves)}")
    return dict(curves[core])


def shannon_radius(element: str, dataset: str | None = None) -> float:
    """Shannon ionic radius (Å) used for tolerance factors."""
    radii = resolve(dataset).shannon_radii
    if not isinstance(element, str) or element not in radii or element.startswith("_"):
        raise LatticeAnchorError(f"element: no Shannon radius for {element!r}")
    return float(radii[element])


def formal_charges(dataset: str | None = None) -> dict[str, int]:
    """Formal oxidation states used by charge checks (Cs+1, Pb+2, halide −1, S/Se/Te −2)."""
    return dict(resolve(dataset).formal_charges)


def sources(dataset: str | None = None) -> list[dict]:
    """Every entry a dataset uses, as rows (material, quantity, key, value, T, source, confidence)."""
    return resolve(dataset).sources()
