"""DFT hand-off: VASP (pymatgen input sets) and Quantum ESPRESSO pw.x inputs, one folder per candidate.

``write_dft_inputs(atoms, folder, codes=("vasp", "qe"), candidate=..., record=...)`` writes

    folder/vasp/{INCAR, KPOINTS, POSCAR, POTCAR.spec}   MPRelaxSet, ``potcar_spec=True``: POTCAR.spec
                                                        lists the POTCAR symbols, so no POTCAR files
                                                        (and no PMG_VASP_PSP_DIR) are needed
    folder/qe/pw.in                                     ase.io.write(format="espresso-in")
    folder/manifest.json                                provenance (version, candidate, settings, hashes)

VASP: ``MPRelaxSet`` (PBE, PAW, ENCUT 520 eV, reciprocal k-point density 64 Å⁻³) with
``user_incar_settings`` merged on top; pass ``vasp_set="MPScanRelaxSet"`` etc. for another set.
Spin: MPRelaxSet switches spin polarisation on (ISPIN = 2, MAGMOM 0.6 μB per atom) for every
structure. A closed-shell hybrid (``is_closed_shell``: every element a closed-shell ion of the
formal-charge table — Cs⁺, Pb²⁺, halide⁻, chalcogen²⁻ — with a zero formal-charge sum and an even
electron count) has no unpaired electrons, so ``spin="auto"`` (default) writes ISPIN = 1 and no
MAGMOM for it (half the cost, no spurious moments); anything else keeps the set's spin settings.
``spin=True`` / ``False`` forces either.

pw.x: pseudopotential file names follow SSSP efficiency v1.3 (Prandini et al., npj Comput. Mater. 4,
72 (2018), DOI 10.1038/s41524-018-0127-2; https://www.materialscloud.org/discover/sssp); put the
library in ``pseudo_dir`` or pass ``pseudopotentials={"Cs": "...", ...}``. The wavefunction cutoff
(Ry) defaults to the largest SSSP-recommended value among the species present; ecutrho = 8 × ecutwfc
(ultrasoft/PAW). K-points from a spacing (Å⁻¹, 2π included): n_i = max(1, ceil(|b_i| / kspacing)).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, write_json
from latticeanchor.errors import LatticeAnchorError

__all__ = ["is_closed_shell", "write_vasp", "write_qe", "write_dft_inputs", "SSSP_PSEUDOPOTENTIALS", "SSSP_ECUTWFC_RY",
           "kpoint_mesh", "structure_hash"]

# SSSP efficiency v1.3.0 file names and recommended wavefunction cutoffs (Ry)
SSSP_PSEUDOPOTENTIALS = {
    "Cs": "Cs_pbe_v1.uspp.F.UPF",
    "Pb": "Pb.pbe-dn-kjpaw_psl.0.2.2.UPF",
    "I": "I.pbe-n-kjpaw_psl.0.2.UPF",
    "Br": "br_pbe_v1.4.uspp.F.UPF",
    "S": "s_pbe_v1.4.uspp.F.UPF",
    "Se": "Se_pbe_v1.uspp.F.UPF",
    "Te": "Te_pbe_v1.uspp.F.UPF",
}
SSSP_ECUTWFC_RY = {"Cs": 30.0, "Pb": 40.0, "I": 35.0, "Br": 30.0, "S": 35.0, "Se": 30.0, "Te": 30.0}


def structure_hash(atoms) -> str:
    """sha256 (first 16 hex) of species, cell and positions rounded to 1e-6 Å — stable across runs."""
    payload = json.dumps({"symbols": atoms.get_chemical_symbols(),
                          "cell": np.round(atoms.cell.array, 6).tolist(),
                          "positions": np.round(atoms.positions, 6).tolist()}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def kpoint_mesh(atoms, kspacing: float = 0.25) -> tuple[int, int, int]:
    """Monkhorst–Pack mesh with spacing ``kspacing`` (Å⁻¹, 2π included) along each reciprocal vector."""
    if not kspacing > 0:
        raise LatticeAnchorError(f"kspacing must be positive (1/Å), got {kspacing!r}")
    recip = 2 * math.pi * np.linalg.norm(atoms.cell.reciprocal(), axis=1)
    return tuple(int(max(1, math.ceil(b / kspacing - 1e-9))) for b in recip)


def _structure(atoms):
    from pymatgen.io.ase import AseAtomsAdaptor

    if not np.all(atoms.pbc) or atoms.cell.rank != 3:
        raise LatticeAnchorError("DFT inputs need a periodic structure with a full 3D cell")
    return AseAtomsAdaptor.get_structure(atoms)


def is_closed_shell(atoms) -> bool:
    """True when every element has a formal charge in the data file (closed-shell ions), the formal
    charges sum to zero and the electron count is even: no unpaired electrons, ISPIN = 1 suffices."""
    from latticeanchor import data

    charges = data.formal_charges()
    symbols = atoms.get_chemical_symbols()
    if not symbols or any(s not in charges for s in symbols):
        return False
    return sum(charges[s] for s in symbols) == 0 and int(np.sum(atoms.numbers)) % 2 == 0


def write_vasp(atoms, folder, vasp_set: str = "MPRelaxSet", user_incar_settings: dict | None = None,
               user_kpoints_settings: dict | None = None, spin="auto") -> Path:
    """VASP INCAR, KPOINTS, POSCAR and POTCAR.spec for ``atoms`` in ``folder`` (created). Returns folder.

    spin: "auto" (ISPIN = 1 and no MAGMOM for a closed-shell structure, the set's default otherwise),
    True (the set's spin-polarised settings) or False (ISPIN = 1). ``user_incar_settings`` win."""
    from pymatgen.io.vasp import sets

    cls = getattr(sets, vasp_set, None)
    if cls is None:
        raise LatticeAnchorError(f"unknown pymatgen VASP input set {vasp_set!r}")
    if spin not in ("auto", True, False):
        raise LatticeAnchorError(f"spin must be 'auto', True or False, got {spin!r}")
    folder = Path(folder)
    incar = {}
    if spin is False or (spin == "auto" and is_closed_shell(atoms)):
        incar = {"ISPIN": 1, "MAGMOM": None}
    incar.update(user_incar_settings or {})
    input_set = cls(_structure(atoms), user_incar_settings=incar,
                    user_kpoints_settings=user_kpoints_settings)
    # write into a temporary sibling, then rename, so a killed run leaves no half-written folder
    tmp = folder.with_name(f".{folder.name}.tmp")
    if tmp.exists():
        import shutil

        shutil.rmtree(tmp)
    input_set.write_input(str(tmp), potcar_spec=True)
    if folder.exists():
        import shutil

        shutil.rmtree(folder)
    tmp.rename(folder)
    return folder


def write_qe(atoms, folder, pseudopotentials: dict | None = None, ecutwfc: float | None = None,
             kspacing: float = 0.25, calculation: str = "vc-relax", pseudo_dir: str = "./pseudo",
             input_data: dict | None = None) -> Path:
    """pw.x input ``folder/pw.in``; returns its path. ecutwfc in Ry; kspacing in Å⁻¹ (2π included)."""
    import ase.io

    species = sorted(set(atoms.get_chemical_symbols()))
    pseudos = dict(SSSP_PSEUDOPOTENTIALS)
    pseudos.update(pseudopotentials or {})
    missing = [s for s in species if s not in pseudos]
    if missing:
        raise LatticeAnchorError(f"no pseudopotential name for {', '.join(missing)}; pass pseudopotentials={{...}}")
    if ecutwfc is None:
        ecutwfc = max(SSSP_ECUTWFC_RY.get(s, 45.0) for s in species)
    data = {"control": {"calculation": calculation, "prefix": "latticeanchor", "pseudo_dir": pseudo_dir,
                        "outdir": "./tmp", "tprnfor": True, "tstress": True},
            "system": {"ecutwfc": float(ecutwfc), "ecutrho": 8.0 * float(ecutwfc),
                       "occupations": "smearing", "smearing": "gaussian", "degauss": 0.005},
            "electrons": {"conv_thr": 1e-8 * len(atoms), "mixing_beta": 0.4}}
    for section, values in (input_data or {}).items():
        data.setdefault(section, {}).update(values)
    path = Path(folder) / "pw.in"
    with atomic_path(path, suffix=".in") as tmp:
        ase.io.write(tmp, atoms, format="espresso-in", input_data=data,
                     pseudopotentials={s: pseudos[s] for s in species}, kpts=kpoint_mesh(atoms, kspacing))
    return path


def write_dft_inputs(atoms, folder, codes=("vasp", "qe"), candidate: dict | None = None,
                     record: dict | None = None, vasp_kwargs: dict | None = None,
                     qe_kwargs: dict | None = None) -> Path:
    """One candidate's DFT folder: ``vasp/``, ``qe/pw.in`` and ``manifest.json``. Returns the folder.

    candidate: the screening row (core, x, diameter, loading, T, ...); record: e.g. the MLIP result
    (energies, convergence) to carry along as provenance.
    """
    codes = tuple(codes)
    bad = [c for c in codes if c not in ("vasp", "qe")]
    if bad or not codes:
        raise LatticeAnchorError(f"codes must be a non-empty subset of ('vasp', 'qe'), got {codes!r}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    if "vasp" in codes:
        write_vasp(atoms, folder / "vasp", **(vasp_kwargs or {}))
        files["vasp"] = ["vasp/INCAR", "vasp/KPOINTS", "vasp/POSCAR", "vasp/POTCAR.spec"]
    if "qe" in codes:
        qe = write_qe(atoms, folder / "qe", **(qe_kwargs or {}))
        files["qe"] = [str(qe.relative_to(folder))]
    import ase
    import pymatgen.core

    manifest = {"latticeanchor_version": __version__, "ase_version": ase.__version__,
                "pymatgen_version": getattr(pymatgen.core, "__version__", "unknown"),
                "formula": atoms.get_chemical_formula(), "n_atoms": len(atoms),
                "structure_sha256_16": structure_hash(atoms), "candidate": candidate or {},
                "record": record or {}, "files": files,
                "vasp": {"input_set": (vasp_kwargs or {}).get("vasp_set", "MPRelaxSet"), "potcar": "POTCAR.spec only"},
                "qe": {"pseudopotentials": "SSSP efficiency v1.3 file names (see latticeanchor.energy.dft)",
                       "kspacing_per_A": (qe_kwargs or {}).get("kspacing", 0.25)}}
    write_json(folder / "manifest.json", manifest, indent=2, sort_keys=True, lenient=False)
    return folder
