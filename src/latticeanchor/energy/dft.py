"""DFT hand-off: VASP, Quantum ESPRESSO pw.x and GPAW inputs, one folder per candidate.

``write_dft_inputs(atoms, folder, codes=("vasp", "qe", "gpaw"), candidate=..., record=..., force=False)`` writes

    folder/vasp/{INCAR, KPOINTS, POSCAR, POTCAR.spec}   MPRelaxSet conventions, POTCAR.spec lists the
                                                        Materials Project POTCAR names (no POTCAR files)
    folder/qe/pw.in                                     vc-relax, SSSP efficiency v1.3.0 names and cutoffs
    folder/gpaw/scf.gpaw.py                             PBE PW(400 eV) SCF script (log scf.gpaw.txt)
    folder/manifest.json                                provenance (version, candidate, settings, hashes)

The file texts come from ``latticeanchor.energy.inputs``, the same writers ``latticeanchor build -o``
uses (``latticeanchor.io``), so a structure gives the same INCAR, k-mesh and pw.x input either way. All
codes share one k-point rule (``inputs.kpoint_mesh``: Γ-centred, n_i = ceil(|b_i| / kspacing), kspacing
0.25 Å⁻¹ with 2π included). Spin: ISPIN 1 / nspin 1 for a closed-shell structure (``is_closed_shell``:
every element a closed-shell ion of the formal-charge table with a zero sum and an even electron count),
spin-polarised otherwise; ``spin=True`` / ``False`` forces either.

A structure that fails ``build.check`` (``io.check_for_dft``: a formal charge, a like-charge or too-short
contact, under-coordinated Pb) is refused with a one-line error unless ``force=True``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, write_json
from latticeanchor.energy.inputs import (DEFAULT_KSPACING, SSSP_CUTOFFS_RY, SSSP_PSEUDOPOTENTIALS, gpaw_script,
                                         is_closed_shell, kpoint_mesh, pw_input, vasp_files)
from latticeanchor.errors import LatticeAnchorError

__all__ = ["is_closed_shell", "write_vasp", "write_qe", "write_gpaw", "write_dft_inputs", "SSSP_PSEUDOPOTENTIALS",
           "SSSP_ECUTWFC_RY", "kpoint_mesh", "structure_hash", "CODES"]

CODES = ("vasp", "qe", "gpaw")
SSSP_ECUTWFC_RY = {el: cut[0] for el, cut in SSSP_CUTOFFS_RY.items()}  # SSSP efficiency v1.3.0, Ry


def structure_hash(atoms) -> str:
    """sha256 (first 16 hex) of species, cell and positions rounded to 1e-6 Å — stable across runs."""
    payload = json.dumps({"symbols": atoms.get_chemical_symbols(),
                          "cell": np.round(atoms.cell.array, 6).tolist(),
                          "positions": np.round(atoms.positions, 6).tolist()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _periodic(atoms):
    if not np.all(atoms.pbc) or atoms.cell.rank != 3:
        raise LatticeAnchorError("DFT inputs need a periodic structure with a full 3D cell")


def _refuse(atoms, force):
    from latticeanchor.io import refuse_unless_checked

    _periodic(atoms)
    refuse_unless_checked(atoms, force)


def write_vasp(atoms, folder, user_incar_settings: dict | None = None, kspacing: float = DEFAULT_KSPACING,
               spin="auto", potcars: dict | None = None, force: bool = False) -> Path:
    """VASP INCAR, KPOINTS, POSCAR and POTCAR.spec for ``atoms`` in ``folder`` (created). Returns folder.

    spin: "auto" (ISPIN 1 for a closed-shell structure, ISPIN 2 with MAGMOM 0.6 μB/atom otherwise), True
    or False. ``user_incar_settings`` win (None removes a tag). kspacing in Å⁻¹ (2π included)."""
    _refuse(atoms, force)
    files = vasp_files(atoms, kspacing=kspacing, spin=spin, user_incar_settings=user_incar_settings, potcars=potcars)
    folder = Path(folder)
    # write into a temporary sibling, then rename, so a killed run leaves no half-written folder
    import shutil

    tmp = folder.with_name(f".{folder.name}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    for name, text in files.items():
        (tmp / name).write_text(text, encoding="utf-8")
    if folder.exists():
        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def write_qe(atoms, folder, pseudopotentials: dict | None = None, ecutwfc: float | None = None,
             ecutrho: float | None = None, kspacing: float = DEFAULT_KSPACING, calculation: str = "vc-relax",
             pseudo_dir: str = "./pseudo", input_data: dict | None = None, spin="auto", force: bool = False) -> Path:
    """pw.x input ``folder/pw.in`` (``inputs.pw_input``); returns its path. Cutoffs in Ry; kspacing Å⁻¹."""
    _refuse(atoms, force)
    text = pw_input(atoms, calculation=calculation, kspacing=kspacing, pseudopotentials=pseudopotentials,
                    ecutwfc=ecutwfc, ecutrho=ecutrho, pseudo_dir=pseudo_dir, spin=spin, input_data=input_data)
    path = Path(folder) / "pw.in"
    with atomic_path(path, suffix=".in") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_gpaw(atoms, folder, ecut_eV: float = 400.0, kspacing: float = DEFAULT_KSPACING, spin="auto",
               force: bool = False) -> Path:
    """GPAW PBE SCF script ``folder/scf.gpaw.py`` (log ``scf.gpaw.txt``); returns its path. ecut in eV."""
    _refuse(atoms, force)
    text = gpaw_script(atoms, ecut_eV=ecut_eV, kspacing=kspacing, spin=spin, txt="scf.gpaw.txt")
    path = Path(folder) / "scf.gpaw.py"
    with atomic_path(path, suffix=".py") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def write_dft_inputs(atoms, folder, codes=CODES, candidate: dict | None = None,
                     record: dict | None = None, vasp_kwargs: dict | None = None,
                     qe_kwargs: dict | None = None, gpaw_kwargs: dict | None = None, force: bool = False) -> Path:
    """One candidate's DFT folder: ``vasp/``, ``qe/pw.in``, ``gpaw/scf.gpaw.py`` and ``manifest.json``.

    candidate: the screening row (core, x, diameter, loading, T, ...); record: e.g. the MLIP result
    (energies, convergence) to carry along as provenance. force: write a structure that fails
    ``build.check`` (otherwise refused before anything is written). Returns the folder.
    """
    codes = tuple(codes)
    bad = [c for c in codes if c not in CODES]
    if bad or not codes:
        raise LatticeAnchorError(f"codes must be a non-empty subset of {CODES}, got {codes!r}")
    _refuse(atoms, force)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    kspacing = {}
    if "vasp" in codes:
        write_vasp(atoms, folder / "vasp", force=True, **(vasp_kwargs or {}))
        files["vasp"] = ["vasp/INCAR", "vasp/KPOINTS", "vasp/POSCAR", "vasp/POTCAR.spec"]
        kspacing["vasp"] = (vasp_kwargs or {}).get("kspacing", DEFAULT_KSPACING)
    if "qe" in codes:
        qe = write_qe(atoms, folder / "qe", force=True, **(qe_kwargs or {}))
        files["qe"] = [str(qe.relative_to(folder))]
        kspacing["qe"] = (qe_kwargs or {}).get("kspacing", DEFAULT_KSPACING)
    if "gpaw" in codes:
        gp = write_gpaw(atoms, folder / "gpaw", force=True, **(gpaw_kwargs or {}))
        files["gpaw"] = [str(gp.relative_to(folder))]
        kspacing["gpaw"] = (gpaw_kwargs or {}).get("kspacing", DEFAULT_KSPACING)
    import ase

    info = atoms.info.get("latticeanchor") or {}
    manifest = {"latticeanchor_version": __version__, "ase_version": ase.__version__,
                "formula": atoms.get_chemical_formula(), "n_atoms": len(atoms),
                "builder": info.get("builder", "unknown") if isinstance(info, dict) else "unknown",
                "structure_sha256_16": structure_hash(atoms), "candidate": candidate or {},
                "record": record or {}, "files": files, "forced_past_check": bool(force),
                "kpoint_mesh": {code: list(kpoint_mesh(atoms, k)) for code, k in kspacing.items()},
                "kspacing_per_A": kspacing,
                "vasp": {"conventions": "MPRelaxSet (ENCUT 520, EDIFFG -0.02, ISMEAR 0)", "potcar": "POTCAR.spec only"},
                "qe": {"pseudopotentials": "SSSP efficiency v1.3.0 file names and cutoffs (latticeanchor.energy.inputs)"}}
    write_json(folder / "manifest.json", manifest, indent=2, sort_keys=True, lenient=False)
    return folder
