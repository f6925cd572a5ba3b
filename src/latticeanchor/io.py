"""Structure files and DFT/MD inputs (the text comes from ``latticeanchor.energy.inputs``, the same writers as
the DFT hand-off ``energy.dft.write_dft_inputs``) and one-call ASE ↔ pymatgen conversion.

``write(atoms, path, format=None, force=False, vasp_inputs=False)`` writes atomically (temporary file
beside the target, then rename; nothing is left behind on error) in one of ``FORMATS``:

- ``vasp``: POSCAR, VASP 5, species grouped in alphabetical order (stable within a species), direct
  coordinates; comment line ``<formula> <builder> latticeanchor <version>``. With ``vasp_inputs=True``
  (``latticeanchor build`` does this) also INCAR, KPOINTS, POTCAR.spec and the provenance JSON beside it
  (``vasp_companions``: POSCAR → INCAR, KPOINTS, POTCAR.spec, provenance.json; x.vasp → x.INCAR,
  x.KPOINTS, x.POTCAR.spec, x.provenance.json; rename x.* to the VASP names in the run folder).
- ``cif``: ASE's CIF writer, provenance as leading ``#`` comment lines.
- ``extxyz``: extended XYZ with per-atom ``tags`` (0 matrix, 1 core, 2 embed's interface halide shell) and
  ``region`` (``matrix`` / ``core`` / ``interface``, see ``REGION_LEGEND``), both explained in the comment
  line (``region_legend``, ``tags_legend``), plus ``latticeanchor_version`` and ``latticeanchor`` (all
  builder parameters and the seed as JSON).
- ``espresso-in``: pw.x input (``energy.inputs.pw_input``: vc-relax, SSSP names and cutoffs, k-mesh),
  provenance as a ``!`` comment line.
- ``lammps-data``: LAMMPS data file (``energy.inputs.lammps_data``: atom_style charge with formal charges,
  fixed type map Cs 1, Pb 2, I 3, Br 4, Cl 5, S 6, Se 7, Te 8, metal units, masses).
- ``gpaw``: a GPAW PBE SCF script (``energy.inputs.gpaw_script``; its log is ``gpaw_log_name(path)``).

DFT inputs (``espresso-in``, ``gpaw``, ``vasp`` with ``vasp_inputs=True``) are refused for a structure that
fails ``build.check`` (``check_for_dft``) unless ``force=True``: a charged cell or a like-charge contact
costs a DFT run and gives nothing.

The format is taken from the suffix when not given: .vasp/.poscar or a name POSCAR*/CONTCAR* → vasp,
.cif → cif, .xyz/.extxyz → extxyz, .pwi/.in/.pw → espresso-in, .lmp/.data/.lammps → lammps-data,
.py (e.g. x.gpaw.py) → gpaw. Builders store their parameters in ``atoms.info['latticeanchor']``; the
same structure gives byte-identical files (no time stamps).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from ase import Atoms

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, json_default
from latticeanchor.errors import LatticeAnchorError

__all__ = ["write", "to_structure", "from_structure", "FORMATS", "DFT_FORMATS", "format_from_path", "provenance_line",
           "check_for_dft", "vasp_companions", "regions", "gpaw_log_name", "REGIONS", "REGION_LEGEND", "TAGS_LEGEND"]

FORMATS = ("vasp", "cif", "extxyz", "espresso-in", "lammps-data", "gpaw")
DFT_FORMATS = ("espresso-in", "gpaw")  # plus vasp with vasp_inputs=True
_SUFFIX = {".vasp": "vasp", ".poscar": "vasp", ".cif": "cif", ".xyz": "extxyz", ".extxyz": "extxyz",
           ".pwi": "espresso-in", ".in": "espresso-in", ".pw": "espresso-in", ".lmp": "lammps-data",
           ".data": "lammps-data", ".lammps": "lammps-data", ".py": "gpaw"}


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


def check_for_dft(atoms: Atoms):
    """``build.check`` with the criteria ``latticeanchor build`` reports: ≥ 95 % of Pb five-fold for a
    coherent (strained) α hybrid, ≥ 90 % otherwise. Returns the ``CheckReport``."""
    from latticeanchor.build import check

    info = atoms.info.get("latticeanchor") or {}
    coherent = isinstance(info, dict) and info.get("strain") not in (None, "none")
    return check(atoms, min_pb5_fraction=0.95 if coherent else 0.90)


def refuse_unless_checked(atoms: Atoms, force: bool = False, report=None, what: str = "DFT inputs") -> None:
    """Raise a one-line error when ``atoms`` fails ``check_for_dft`` (or the given ``report``) and not ``force``."""
    if force:
        return
    report = check_for_dft(atoms) if report is None else report
    if not report.ok:
        raise LatticeAnchorError(f"{what} refused: the structure fails build.check ({'; '.join(report.failures)}); "
                                 "pass force=True (--force) to write them anyway")


def vasp_companions(path) -> dict[str, Path]:
    """The INCAR, KPOINTS, POTCAR.spec and provenance paths written beside a POSCAR ``path`` (module docstring)."""
    path = Path(path)
    if path.name.upper() == "POSCAR":
        return {n: path.with_name(n) for n in ("INCAR", "KPOINTS", "POTCAR.spec", "provenance.json")}
    stem = path.name[:-len(path.suffix)] if path.suffix else path.name
    return {n: path.with_name(f"{stem}.{n}") for n in ("INCAR", "KPOINTS", "POTCAR.spec", "provenance.json")}


def _sorted(atoms: Atoms) -> Atoms:
    order = np.argsort(np.array(atoms.get_chemical_symbols()), kind="stable")
    return atoms[order]


def write(atoms, path, format: str | None = None, force: bool = False, vasp_inputs: bool = False,
          report=None) -> Path:
    """Write ``atoms`` to ``path`` (str or Path) atomically; returns the path. See the module docstring.

    force: write DFT inputs of a structure that fails ``build.check``; vasp_inputs: with format vasp, also
    INCAR, KPOINTS, POTCAR.spec and provenance.json; report: a ``CheckReport`` already computed for atoms."""
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
    if fmt in ("vasp", "espresso-in", "lammps-data", "cif", "gpaw") and atoms.cell.rank < 3:
        raise LatticeAnchorError(f"format {fmt!r} needs a cell with three lattice vectors")
    if fmt in DFT_FORMATS or (fmt == "vasp" and vasp_inputs):
        refuse_unless_checked(atoms, force, report, what=f"{fmt} inputs")
    prov = provenance_line(atoms)
    texts = {}
    if fmt == "vasp" and vasp_inputs:
        from latticeanchor.energy import inputs

        files = inputs.vasp_files(atoms)
        side = vasp_companions(path)
        texts = {side[n]: files[n] for n in ("INCAR", "KPOINTS", "POTCAR.spec")}
        texts[side["provenance.json"]] = json.dumps(json.loads(prov), indent=1, sort_keys=True) + "\n"
    with atomic_path(path) as tmp:
        _WRITERS[fmt](atoms, tmp, prov, path)
    for target, text in texts.items():
        with atomic_path(target) as tmp:
            tmp.write_text(text, encoding="utf-8")
    return path


def _write_vasp(atoms, tmp, prov, path):
    from latticeanchor.energy import inputs

    tmp.write_text(inputs.poscar(atoms), encoding="utf-8")


def _write_cif(atoms, tmp, prov, path):
    import ase.io

    srt = _sorted(atoms)
    clean = Atoms(srt.get_chemical_symbols(), positions=srt.positions, cell=srt.cell, pbc=True)
    ase.io.write(tmp, clean, format="cif")
    text = tmp.read_text(encoding="utf-8")
    tmp.write_text(f"# written by latticeanchor {__version__}\n# provenance: {prov}\n{text}", encoding="utf-8")


REGIONS = ("matrix", "core", "interface")
REGION_LEGEND = ("region: core = rock-salt dot atoms (tag 1); interface = non-core atoms (matrix or embed's "
                 "halide shell) with a core atom within 4.6 A (build.check.INTERFACE_CUTOFF_A); matrix = the rest")
TAGS_LEGEND = "tags: 0 = perovskite matrix, 1 = rock-salt core, 2 = interface halide shell added by build.embed"


def regions(atoms: Atoms) -> np.ndarray:
    """Per-atom region strings (``REGIONS``; see ``REGION_LEGEND``) from the builder tags and the geometry."""
    from latticeanchor.build._common import CORE_TAG
    from latticeanchor.build.check import INTERFACE_CUTOFF_A
    from latticeanchor.build.contacts import pairs_within

    tags = atoms.get_tags()
    core = tags == CORE_TAG
    out = np.full(len(atoms), "matrix", dtype=object)
    out[core] = "core"
    if core.any() and (~core).any():
        i, j, _ = pairs_within(atoms, INTERFACE_CUTOFF_A)
        touch = np.unique(i[~core[i] & core[j]])
        out[touch] = "interface"
    return out.astype(str)


def _write_extxyz(atoms, tmp, prov, path):
    import ase.io

    out = Atoms(atoms.get_chemical_symbols(), positions=atoms.positions, cell=atoms.cell, pbc=atoms.pbc,
                tags=atoms.get_tags())
    out.new_array("region", regions(atoms))
    params = atoms.info.get("latticeanchor", {})
    out.info = {"latticeanchor_version": __version__,
                "latticeanchor": json.dumps(params, sort_keys=True, separators=(",", ":"), default=json_default),
                "region_legend": REGION_LEGEND, "tags_legend": TAGS_LEGEND}
    ase.io.write(tmp, out, format="extxyz", columns=["symbols", "positions", "tags", "region"], write_results=False)


def _write_espresso(atoms, tmp, prov, path):
    from latticeanchor.energy import inputs

    text = inputs.pw_input(atoms)
    tmp.write_text(text.replace("\n", f"\n! provenance: {prov}\n", 1), encoding="utf-8")


def _write_lammps(atoms, tmp, prov, path):
    from latticeanchor.energy import inputs

    tmp.write_text(inputs.lammps_data(atoms), encoding="utf-8")


def gpaw_log_name(path) -> str:
    """The GPAW text log a script written to ``path`` names: x.gpaw.py → x.gpaw.txt, run.py → run.txt."""
    name = Path(path).name
    return (name[:-3] if name.endswith(".py") else name) + ".txt"


def _write_gpaw(atoms, tmp, prov, path):
    from latticeanchor.energy import inputs

    text = inputs.gpaw_script(atoms, txt=gpaw_log_name(path))
    tmp.write_text(text.replace("\nfrom ase import", f"\n# provenance: {prov}\nfrom ase import", 1), encoding="utf-8")


_WRITERS = {"vasp": _write_vasp, "cif": _write_cif, "extxyz": _write_extxyz, "espresso-in": _write_espresso,
            "lammps-data": _write_lammps, "gpaw": _write_gpaw}


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
