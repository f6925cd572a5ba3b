"""A resolved, immutable set of materials: every value the models need, picked once from a data file.

``resolve(dataset)`` turns a dataset name (``None`` = the file's default), a path to a user JSON file in
the format of ``materials.json`` (its ``default_dataset`` is used), or an existing ``MaterialSet`` into a
``MaterialSet``. Names and files are resolved once per process (files again when they change on disk);
a ``MaterialSet`` is returned as is, so models resolve at their entry and pass the object down.

Every record carries the ``source`` and ``confidence`` of its value and the ``key`` of the literature
entry the dataset selected. Units: lengths Å, temperatures K, linear thermal expansion 1/K, elastic
constants GPa, energies eV.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import numpy as np

from latticeanchor.errors import LatticeAnchorError

__all__ = ["Quantity", "Elastic", "EndMember", "Core", "Polymorph", "Matrix", "MaterialSet", "resolve",
           "dataset", "freeze", "thaw", "DEFAULT_MATRIX"]

DEFAULT_MATRIX = "CsPb(Br,I)3"
# The matrix of files without a ``matrices`` block (the package's own format before matrices became data).
_LEGACY_MATRICES = {DEFAULT_MATRIX: {"x3": "CsPbBr3_alpha", "x0": "CsPbI3_alpha", "alloy": "CsPbBrxI3-x_alpha",
                                      "halides": ["Br", "I"], "A": "Cs", "B": "Pb", "delta": "CsPbI3_delta",
                                      "stability": "stability"}}


def freeze(obj):
    """Deep read-only copy: dicts become ``MappingProxyType``, lists tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(freeze(v) for v in obj)
    return obj


def thaw(obj):
    """Inverse of ``freeze``: plain dicts and lists (a fresh copy, safe to modify)."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [thaw(v) for v in obj]
    return obj


@dataclass(frozen=True, eq=False)
class Quantity:
    """One scalar value with its reference temperature T (K, ``None`` when not recorded) and provenance."""

    value: float
    T: float | None
    source: str
    confidence: str
    key: str


@dataclass(frozen=True, eq=False)
class Elastic:
    """Cubic elastic constants C11, C12, C44 (GPa) with provenance."""

    C11: float
    C12: float
    C44: float
    T: float | None
    source: str
    confidence: str
    key: str

    @property
    def tensor(self) -> tuple[float, float, float]:
        """(C11, C12, C44) in GPa."""
        return self.C11, self.C12, self.C44


def _a_at(lattice: Quantity, expansion: Quantity, T):
    """a(T) = a_ref · (1 + α_L (T − T_ref)) in Å (the data file's definition)."""
    return lattice.value * (1.0 + expansion.value * (np.asarray(T, dtype=float) - lattice.T))


@dataclass(frozen=True, eq=False)
class EndMember:
    """A cubic (pseudo-cubic) perovskite end member: a(T) in Å, elastic constants, gap (eV), band edges (eV)."""

    name: str
    lattice_constant: Quantity
    thermal_expansion: Quantity
    elastic: Elastic | None
    band_gap: Quantity | None
    vbm: Quantity | None  # valence-band maximum vs vacuum (−ionization energy), eV

    def a(self, T=298.15):
        """Lattice constant (Å) at T (K)."""
        return _a_at(self.lattice_constant, self.thermal_expansion, T)


@dataclass(frozen=True, eq=False)
class Core:
    """A rock-salt core compound: a(T) in Å, elastic constants, dot sizing curve and band edges (if known)."""

    name: str
    lattice_constant: Quantity
    thermal_expansion: Quantity
    elastic: Elastic | None
    band_gap: Quantity | None
    sizing_curve: Mapping | None  # E(d) = E_inf + 1/(a d² + b d + c), d in nm, E in eV
    dot_band_edges: Mapping | None  # gap_ref, vbm_ref, ligand_uncertainty_eV (eV)

    def a(self, T=298.15):
        """Lattice constant (Å) at T (K)."""
        return _a_at(self.lattice_constant, self.thermal_expansion, T)


@dataclass(frozen=True, eq=False)
class Polymorph:
    """A non-perovskite (or non-cubic) polymorph: its cell (Å, at T K), site list and expansion when recorded."""

    name: str
    cell: Mapping
    wyckoff: Mapping | None
    thermal_expansion: Quantity | None


@dataclass(frozen=True, eq=False)
class Matrix:
    """A halide-perovskite alloy ABX_xY_(3−x): x is the content of the first-named halide per formula unit.

    ``x3`` is the end member at x = 3 (pure first halide), ``x0`` at x = 0. ``delta`` the competing
    non-perovskite polymorph and ``stability`` the stability-model block, ``None`` where the data have none.
    """

    name: str
    x3: EndMember
    x0: EndMember
    halides: tuple[str, str]
    A: str
    B: str
    lattice_bowing: Quantity
    band_gap_bowing: Quantity | None
    delta: Polymorph | None
    stability: Mapping | None


@dataclass(frozen=True, eq=False)
class MaterialSet:
    """Every value the models use, resolved from one dataset of one data file (immutable).

    ``entry(material, quantity)`` gives the selected literature entry as a dict (like ``data.entry``);
    the typed records are ``matrices``, ``cores`` and ``polymorphs``; the remaining blocks of the file
    (``stability``, ``sizing_curves``, ``dot_band_edges``, ``shannon_radii``, ``formal_charges``,
    ``debye_waller``) are read-only mappings.
    """

    name: str
    file: str | None
    description: str
    entries: Mapping  # {(material, quantity): read-only entry incl. 'key'}
    matrices: Mapping
    cores: Mapping
    polymorphs: Mapping
    stability: Mapping
    sizing_curves: Mapping
    dot_band_edges: Mapping
    shannon_radii: Mapping
    formal_charges: Mapping
    debye_waller: Mapping
    default_matrix: str = DEFAULT_MATRIX

    def entry(self, material: str, quantity: str) -> dict:
        """The selected entry (value(s), T, source, confidence, key) as a fresh dict."""
        try:
            return thaw(self.entries[(material, quantity)])
        except KeyError:
            if not any(m == material for m, _ in self.entries):
                known = ", ".join(dict.fromkeys(m for m, _ in self.entries))
                raise LatticeAnchorError(f"unknown material {material!r}; known: {known}") from None
            raise LatticeAnchorError(f"quantity: no {quantity!r} recorded for {material}") from None

    def value(self, material: str, quantity: str):
        """``entry(...)["value"]``."""
        return self.entry(material, quantity)["value"]

    def matrix(self, name: str | None = None) -> Matrix:
        """The matrix alloy ``name`` (default: ``default_matrix``)."""
        key = self.default_matrix if name is None else name
        if key not in self.matrices:
            raise LatticeAnchorError(f"unknown matrix {key!r}; known: {', '.join(self.matrices)}")
        return self.matrices[key]

    def with_matrix(self, name: str | None) -> "MaterialSet":
        """This set with ``name`` as the matrix the models use (``None``: unchanged); cached per set."""
        if name is None or name == self.default_matrix:
            return self
        return _with_matrix(self, _matrix_name(self, name))

    def core(self, name: str) -> Core:
        """The rock-salt end member ``name`` (e.g. 'PbS')."""
        if name not in self.cores:
            raise LatticeAnchorError(f"unknown core compound {name!r} in dataset {self.name!r}; known: "
                                     f"{', '.join(self.cores)}")
        return self.cores[name]

    def sources(self) -> list[dict]:
        """Every entry the set uses, as rows (material, quantity, key, value, T, source, confidence)."""
        rows = []
        for (material, quantity), e in self.entries.items():
            val = e.get("value", {k: e[k] for k in ("C11", "C12", "C44", "a", "b", "c") if k in e} or None)
            rows.append({"material": material, "quantity": quantity, "key": e["key"], "value": thaw(val),
                         "T": e.get("T"), "source": e["source"], "confidence": e["confidence"]})
        return rows


# --------------------------------------------------------------------------- construction


def _quantity(entries, material, quantity, required=True) -> Quantity | None:
    e = entries.get((material, quantity))
    if e is None:
        if required:
            raise LatticeAnchorError(f"quantity: no {quantity!r} recorded for {material}")
        return None
    return Quantity(e["value"], e.get("T"), e["source"], e["confidence"], e["key"])


def _elastic(entries, material) -> Elastic | None:
    e = entries.get((material, "elastic_constants"))
    if e is None:
        return None
    return Elastic(e["C11"], e["C12"], e["C44"], e.get("T"), e["source"], e["confidence"], e["key"])


def _end_member(entries, name) -> EndMember:
    vbm = entries.get((name, "band_edges"))
    return EndMember(name, _quantity(entries, name, "lattice_constant"), _quantity(entries, name, "thermal_expansion"),
                     _elastic(entries, name), _quantity(entries, name, "band_gap", False),
                     None if vbm is None else Quantity(vbm["vbm"], vbm.get("T"), vbm["source"], vbm["confidence"],
                                                      vbm["key"]))


def _build(raw: dict, name: str, file: str | None) -> MaterialSet:
    try:
        select = raw["datasets"][name]["select"]
        description = raw["datasets"][name].get("description", "")
        entries = {}
        for material, block in raw["materials"].items():
            for quantity, q in block.items():
                if not isinstance(q, dict) or "entries" not in q:
                    continue
                key = select.get(f"{material}.{quantity}", q["default"])
                e = dict(q["entries"][key])
                e["key"] = key
                entries[(material, quantity)] = freeze(e)
        curves = raw.get("sizing_curves", {})
        edges = raw.get("dot_band_edges", {})
        cores = {}
        for material, block in raw["materials"].items():
            if block.get("structure") == "rocksalt":
                cores[material] = Core(material, _quantity(entries, material, "lattice_constant"),
                                       _quantity(entries, material, "thermal_expansion"), _elastic(entries, material),
                                       _quantity(entries, material, "band_gap", False),
                                       freeze(curves[material]) if material in curves else None,
                                       freeze(edges[material]) if material in edges else None)
        polymorphs = {}
        for material, block in raw["materials"].items():
            if (material, "cell") in entries:
                wyck = entries.get((material, "wyckoff"))
                polymorphs[material] = Polymorph(material, entries[(material, "cell")], wyck,
                                                 _quantity(entries, material, "thermal_expansion", False))
        matrices = {}
        for mname, m in raw.get("matrices", _LEGACY_MATRICES).items():
            if mname.startswith("_"):
                continue
            block = raw.get(m["stability"]) if m.get("stability") else None
            matrices[mname] = Matrix(mname, _end_member(entries, m["x3"]), _end_member(entries, m["x0"]),
                                     tuple(m["halides"]), m["A"], m["B"],
                                     _quantity(entries, m["alloy"], "lattice_bowing"),
                                     _quantity(entries, m["alloy"], "band_gap_bowing", False),
                                     polymorphs.get(m["delta"]) if m.get("delta") else None,
                                     freeze(block) if block is not None else None)
        stability = freeze(raw.get("stability", {}))
    except LatticeAnchorError as exc:
        where = f" in {file}" if file else ""
        raise LatticeAnchorError(f"dataset {name!r}{where}: {exc}") from None
    except (KeyError, TypeError, AttributeError) as exc:
        where = f"{file}: " if file else ""
        raise LatticeAnchorError(f"{where}dataset {name!r} is incomplete: missing or malformed {exc}") from None
    label = name if file is None else f"{file}:{name}"
    return MaterialSet(label, file, description, MappingProxyType(entries), MappingProxyType(matrices),
                       MappingProxyType(cores), MappingProxyType(polymorphs), stability, freeze(curves),
                       freeze(edges), freeze(raw.get("shannon_radii", {})), freeze(raw.get("formal_charges", {})),
                       freeze(raw.get("debye_waller_B_A2", {})),
                       raw.get("default_matrix", DEFAULT_MATRIX))


@lru_cache(maxsize=1)
def package_raw() -> dict:
    """The package's ``materials.json`` (parsed once; do not modify, ``data.load()`` gives a copy)."""
    with resources.files("latticeanchor.data").joinpath("materials.json").open("r", encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=32)
def _package_set(name: str) -> MaterialSet:
    return _build(package_raw(), name, None)


def _read_file(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
    except OSError as exc:
        raise LatticeAnchorError(f"cannot read materials file {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise LatticeAnchorError(f"materials file {path} is not valid JSON: {exc}") from None
    from latticeanchor.data.userfile import validate

    return validate(raw, f"materials file {path}")


@lru_cache(maxsize=16)
def _file_set(path: str, mtime_ns: int, size: int) -> MaterialSet:
    raw = _read_file(Path(path))
    name = raw.get("default_dataset")
    if name not in raw["datasets"]:
        raise LatticeAnchorError(f"materials file {path}: default_dataset {name!r} is not one of its datasets")
    return _build(raw, name, path)


def _looks_like_path(name: str) -> bool:
    return name.endswith(".json") or os.sep in name or (os.altsep is not None and os.altsep in name)


def resolve(dataset=None, matrix: str | None = None) -> MaterialSet:
    """A ``MaterialSet`` from a dataset name (``None``: the default), a path to a JSON file, or a ``MaterialSet``.

    matrix: the halide-perovskite alloy the models use, e.g. ``"MAPb(Br,I)3"`` (``None``: the set's own,
    ``"CsPb(Br,I)3"`` for the package data). Cheap for a ``MaterialSet`` (returned as is) and for names and
    files already resolved in this process.
    """
    if matrix is not None:
        return resolve(dataset).with_matrix(matrix)
    if isinstance(dataset, MaterialSet):
        return dataset
    if dataset is None:
        return _package_set(package_raw()["default_dataset"])
    if isinstance(dataset, os.PathLike) or (isinstance(dataset, str) and _looks_like_path(dataset)):
        path = Path(dataset).expanduser().resolve()
        try:
            st = path.stat()
        except OSError:
            raise LatticeAnchorError(f"materials file {dataset} does not exist") from None
        return _file_set(str(path), st.st_mtime_ns, st.st_size)
    if not isinstance(dataset, str):
        raise LatticeAnchorError(f"dataset must be a name, a path to a materials JSON file or a MaterialSet, "
                                 f"got {type(dataset).__name__}")
    if dataset not in package_raw()["datasets"]:
        raise LatticeAnchorError(f"unknown dataset {dataset!r}; choose one of {', '.join(package_raw()['datasets'])}"
                                 " or give a path to a materials JSON file")
    return _package_set(dataset)


def dataset(name_or_path=None, matrix: str | None = None) -> MaterialSet:
    """The immutable resolved material set of a dataset name, a user JSON file, or ``None`` (the default).

    matrix: the matrix alloy the models use with this set (default: the file's ``default_matrix``).
    """
    return resolve(name_or_path, matrix)


def _matrix_name(ms: MaterialSet, name) -> str:
    if not isinstance(name, str) or name not in ms.matrices:
        raise LatticeAnchorError(f"unknown matrix {name!r}; known: {', '.join(ms.matrices)} (x = content of the "
                                 "first-named halide per formula unit)")
    return name


@lru_cache(maxsize=64)
def _with_matrix(ms: MaterialSet, name: str) -> MaterialSet:
    return replace(ms, default_matrix=name)


def raw_copy() -> dict:
    """A deep copy of the package data file."""
    return copy.deepcopy(package_raw())

