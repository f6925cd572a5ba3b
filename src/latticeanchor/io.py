"""Writers for DFT / MLIP codes (through ``ase.io``) and one-call ASE ↔ pymatgen conversion.

``write(atoms, path, format=None)`` writes atomically (temporary file beside the target, then rename;
nothing is left behind on error) in one of ``FORMATS``:

- ``vasp``: POSCAR, VASP 5, species grouped in alphabetical order (stable within a species), direct
  coordinates; the comment line carries the provenance (JSON, one line).
- ``cif``: ASE's CIF writer, provenance as leading ``#`` comment lines.
- ``extxyz``: extended XYZ; the comment line carries ``latticeanchor_version`` and
  ``latticeanchor`` (all builder parameters and the seed as JSON) plus the tags array.
- ``espresso-in``: Quantum ESPRESSO pw.x input (``calculation='scf'``, pseudopotential files named
  ``<El>.UPF``: edit them for your library), provenance as leading ``!`` comments.
- ``lammps-data``: LAMMPS data file (atom_style atomic, metal units, masses, species in alphabetical
  order = types 1, 2, ...), provenance on the header (comment) line.

The format is taken from the suffix when not given: .vasp/.poscar or a name POSCAR*/CONTCAR* → vasp,
.cif → cif, .xyz/.extxyz → extxyz, .pwi/.in/.pw → espresso-in, .lmp/.data/.lammps → lammps-data.
Builders store their parameters in ``atoms.info['latticeanchor']``; the same structure gives
byte-identical files (no time stamps).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from ase import Atoms

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, json_default
from latticeanchor.errors import LatticeAnchorError

__all__ = ["write", "to_structure", "from_structure", "FORMATS", "format_from_path", "provenance_line"]

FORMATS = ("vasp", "cif", "extxyz", "espresso-in", "lammps-data")
_SUFFIX = {".vasp": "vasp", ".poscar": "vasp", ".cif": "cif", ".xyz": "extxyz", ".extxyz": "extxyz",
           ".pwi": "espresso-in", ".in": "espresso-in", ".pw": "espresso-in", ".lmp": "lammps-data",
           ".data": "lammps-data", ".lammps": "lammps-data"}


def format_from_path(path) -> str:
    """The writer format implied by a file name (see the module docstring); unknown names raise."""
    p = Path(path)
    if p.name.upper().startswith(("POSCAR", "CONTCAR")):
        return "vasp"
    fmt = _SUFFIX.get(p.suffix.lower())
    if fmt is None:
        raise LatticeAnchorError(f"cannot tell the format from the file name {p.name!r}; pass format= one of {', '.join(FORMATS)}")
    return fmt


def provenance_line(atoms: Atoms) -> str:
    """One-line JSON provenance: package version plus ``atoms.info['latticeanchor']``."""
    record = {"latticeanchor_version": __version__, "params": atoms.info.get("latticeanchor", {})}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), default=json_default)


def _sorted(atoms: Atoms) -> Atoms:
    order = np.argsort(np.array(atoms.get_chemical_symbols()), kind="stable")
    return atoms[order]


def write(atoms, path, format: str | None = None) -> Path:
    """Write ``atoms`` (ASE ``Atoms`` or pymatgen ``Structure``) to ``path`` (str or Path) atomically;
    returns the path. See the module docstring."""
    from latticeanchor.convert import as_atoms

    atoms = as_atoms(atoms, "write")  # ASE Atoms or pymatgen Structure
    if len(atoms) == 0:
        raise LatticeAnchorError("write: the structure has no atoms")
    path = Path(path)
    fmt = format_from_path(path) if format is None else format
    if fmt not in FORMATS:
        raise LatticeAnchorError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if path.is_dir():
        raise LatticeAnchorError(f"output path {str(path)!r} is a directory")
    if fmt in ("vasp", "espresso-in", "lammps-data", "cif") and atoms.cell.rank < 3:
        raise LatticeAnchorError(f"format {fmt!r} needs a cell with three lattice vectors")
    prov = provenance_line(atoms)
    with atomic_path(path) as tmp:
        _WRITERS[fmt](atoms, tmp, prov)
    return path


def _write_vasp(atoms, tmp, prov):
    import ase.io

    ase.io.write(tmp, _sorted(atoms), format="vasp", direct=True, vasp5=True)
    lines = tmp.read_text(encoding="utf-8").split("\n")
    lines[0] = f"latticeanchor {__version__} {prov}"
    tmp.write_text("\n".join(lines), encoding="utf-8")


def _write_cif(atoms, tmp, prov):
    import ase.io

    srt = _sorted(atoms)
    clean = Atoms(srt.get_chemical_symbols(), positions=srt.positions, cell=srt.cell, pbc=True)
    ase.io.write(tmp, clean, format="cif")
    text = tmp.read_text(encoding="utf-8")
    tmp.write_text(f"# written by latticeanchor {__version__}\n# provenance: {prov}\n{text}", encoding="utf-8")


def _write_extxyz(atoms, tmp, prov):
    import ase.io

    out = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc,
                tags=atoms.get_tags())
    params = atoms.info.get("latticeanchor", {})
    out.info = {"latticeanchor_version": __version__,
                "latticeanchor": json.dumps(params, sort_keys=True, separators=(",", ":"), default=json_default)}
    ase.io.write(tmp, out, format="extxyz", columns=["symbols", "positions", "tags"], write_results=False)


def _write_espresso(atoms, tmp, prov):
    import ase.io

    elements = sorted(set(atoms.get_chemical_symbols()))
    clean = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True)
    ase.io.write(tmp, clean, format="espresso-in",
                 input_data={"control": {"calculation": "scf", "prefix": "latticeanchor", "pseudo_dir": "./"}},
                 pseudopotentials={el: f"{el}.UPF" for el in elements}, kpts=None)
    text = tmp.read_text(encoding="utf-8")
    tmp.write_text(f"! written by latticeanchor {__version__}\n! provenance: {prov}\n{text}", encoding="utf-8")


def _write_lammps(atoms, tmp, prov):
    from ase.io.lammpsdata import write_lammps_data

    specorder = sorted(set(atoms.get_chemical_symbols()))
    clean = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=True)
    with open(tmp, "w", encoding="utf-8") as fh:
        write_lammps_data(fh, clean, specorder=specorder, masses=True, units="metal", atom_style="atomic")
    lines = tmp.read_text(encoding="utf-8").split("\n")
    lines[0] = f"latticeanchor {__version__} {prov}"
    tmp.write_text("\n".join(lines), encoding="utf-8")


_WRITERS = {"vasp": _write_vasp, "cif": _write_cif, "extxyz": _write_extxyz, "espresso-in": _write_espresso,
            "lammps-data": _write_lammps}


def to_structure(atoms: Atoms):
    """ASE ``Atoms`` → pymatgen ``Structure`` (pymatgen ``AseAtomsAdaptor``); needs a 3D cell."""
    from pymatgen.io.ase import AseAtomsAdaptor

    if not isinstance(atoms, Atoms):
        raise LatticeAnchorError(f"to_structure needs an ase.Atoms, got {type(atoms).__name__}")
    if atoms.cell.rank < 3:
        raise LatticeAnchorError("to_structure needs a cell with three lattice vectors")
    return AseAtomsAdaptor.get_structure(atoms)


def from_structure(structure) -> Atoms:
    """pymatgen ``Structure`` (or ``Molecule``) → ASE ``Atoms`` (pymatgen ``AseAtomsAdaptor``)."""
    from pymatgen.core import IStructure, IMolecule
    from pymatgen.io.ase import AseAtomsAdaptor

    if not isinstance(structure, (IStructure, IMolecule)):
        raise LatticeAnchorError(f"from_structure needs a pymatgen Structure, got {type(structure).__name__}")
    return AseAtomsAdaptor.get_atoms(structure)
