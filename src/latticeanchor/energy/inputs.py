"""Text of DFT and MD input files: the one set of writers behind ``build -o`` (``latticeanchor.io``) and the
DFT hand-off (``energy.dft.write_dft_inputs``, used by ``screen --relax-top``).

Every function returns strings (no file system access); the callers write them atomically.

* k-points, one rule for every code: a Γ-centred Monkhorst–Pack mesh n_i = max(1, ceil(|b_i| / kspacing)),
  |b_i| the reciprocal lattice vector lengths with 2π included (Å⁻¹), ``kspacing`` default 0.25 Å⁻¹
  (a k-point density of 1/kspacing = 4 per Å⁻¹ in ASE's ``kpts={"density": ...}`` convention). A
  1×1×1 mesh is written as Γ only (pw.x ``K_POINTS gamma``); VASP ``Gamma`` and pw.x
  ``automatic n1 n2 n3 0 0 0`` are the same Γ-centred mesh.
* VASP (``vasp_files``): POSCAR (VASP 5, species grouped alphabetically, direct coordinates; comment
  line ``<formula> <builder> latticeanchor <version>``), INCAR with the Materials Project relaxation
  conventions (pymatgen ``MPRelaxSet``: PREC Accurate, ENCUT 520 eV, EDIFF 5e-5 eV per atom, LASPH,
  ALGO Fast, NSW 99, IBRION 2, ISIF 3; here with ISMEAR 0, SIGMA 0.05 eV and EDIFFG −0.02 eV/Å, and
  LREAL Auto above ``LREAL_ATOMS`` atoms), KPOINTS, POTCAR.spec (the Materials Project's recommended
  PAW PBE POTCAR names, ``VASP_POTCARS``; POTCARs are licensed and not shipped). Spin: ISPIN 1 for a
  closed-shell structure (``is_closed_shell``), else ISPIN 2 with MAGMOM 0.6 μB per atom (MPRelaxSet).
* pw.x (``pw_input``): written here, not by ASE, so no empty &FCP/&RISM namelists (pw.x 6.x stops at
  them); SSSP efficiency v1.3.0 PBE pseudopotential files and cutoffs (``SSSP_PSEUDOPOTENTIALS``,
  ``SSSP_CUTOFFS_RY``; Prandini et al., npj Comput. Mater. 4, 72 (2018), DOI 10.1038/s41524-018-0127-2;
  https://www.materialscloud.org/discover/sssp): ecutwfc and ecutrho the largest of the species present.
  The force threshold matches VASP's EDIFFG (0.02 eV/Å).
* LAMMPS (``lammps_data``): ``atom_style charge``, metal units, formal charges (``data.formal_charges``),
  one fixed type map for every file (``LAMMPS_TYPES``: Cs 1, Pb 2, I 3, Br 4, Cl 5, S 6, Se 7, Te 8),
  Masses with element comments; ``labels=True`` adds an ``Atom Type Labels`` section for LAMMPS releases
  with type labels (off by default: LAMMPS 29 Sep 2021, Debian 12's, stops at it).
* GPAW (``gpaw_script``): a self-contained Python script (imports only ase and gpaw) that builds the cell
  and runs a PBE plane-wave SCF (PW 400 eV, the same k-mesh, Fermi–Dirac 0.05 eV, txt log).
"""

from __future__ import annotations

import json
import math

import numpy as np

from latticeanchor import __version__
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import real

__all__ = ["kpoint_mesh", "is_closed_shell", "vasp_files", "poscar", "incar", "kpoints", "potcar_spec", "pw_input",
           "lammps_data", "gpaw_script", "short_title", "SSSP_PSEUDOPOTENTIALS", "SSSP_CUTOFFS_RY", "VASP_POTCARS",
           "LAMMPS_TYPES", "DEFAULT_KSPACING", "EV_PER_A_TO_RY_PER_BOHR", "LREAL_ATOMS"]

DEFAULT_KSPACING = 0.25  # Å⁻¹, 2π included
LREAL_ATOMS = 16  # VASP: real-space projection (LREAL Auto) above this many atoms, exact (.FALSE.) below
EV_PER_A_TO_RY_PER_BOHR = 0.52917721067 / 13.605693123  # 1 eV/Å in Ry/bohr
# Materials Project recommended PAW PBE POTCARs (pymatgen MPRelaxSet.yaml, "POTCAR" table)
VASP_POTCARS = {"Cs": "Cs_sv", "Pb": "Pb_d", "I": "I", "Br": "Br", "Cl": "Cl", "S": "S", "Se": "Se", "Te": "Te"}
# SSSP efficiency v1.3.0 (PBE): file name, and (ecutwfc, ecutrho) in Ry
SSSP_PSEUDOPOTENTIALS = {
    "Cs": "Cs_pbe_v1.uspp.F.UPF",
    "Pb": "Pb.pbe-dn-kjpaw_psl.0.2.2.UPF",
    "I": "I.pbe-n-kjpaw_psl.0.2.UPF",
    "Br": "br_pbe_v1.4.uspp.F.UPF",
    "Cl": "cl_pbe_v1.4.uspp.F.UPF",
    "S": "s_pbe_v1.4.uspp.F.UPF",
    "Se": "Se_pbe_v1.uspp.F.UPF",
    "Te": "Te_pbe_v1.uspp.F.UPF",
}
SSSP_CUTOFFS_RY = {"Cs": (30.0, 240.0), "Pb": (40.0, 320.0), "I": (35.0, 280.0), "Br": (30.0, 240.0),
                   "Cl": (40.0, 320.0), "S": (35.0, 280.0), "Se": (30.0, 240.0), "Te": (30.0, 240.0)}
LAMMPS_TYPES = ("Cs", "Pb", "I", "Br", "Cl", "S", "Se", "Te")  # type 1, 2, ... in every data file


MAX_KSPACING = 10.0  # 1/Å (2π included): above it every cell of a few Å is Γ only; larger values are a slip
MAX_ECUTWFC_RY, MAX_ECUTRHO_RY = 500.0, 6000.0  # SSSP precision tops out near 120 / 1000 Ry
MAX_ECUT_EV, MAX_SMEARING_EV = 5000.0, 5.0


def _check(atoms) -> None:
    from ase import Atoms

    if not isinstance(atoms, Atoms):
        raise LatticeAnchorError(f"input writers need an ase.Atoms, got {type(atoms).__name__}")
    if len(atoms) == 0:
        raise LatticeAnchorError("the structure has no atoms")
    if atoms.cell.rank != 3:
        raise LatticeAnchorError("DFT/MD inputs need a cell with three lattice vectors")


def kpoint_mesh(atoms, kspacing: float = DEFAULT_KSPACING) -> tuple[int, int, int]:
    """Γ-centred mesh n_i = max(1, ceil(|b_i| / kspacing)), |b_i| in Å⁻¹ with 2π (module docstring)."""
    _check(atoms)
    if isinstance(kspacing, bool) or not isinstance(kspacing, (int, float)) or not kspacing > 0 \
            or not math.isfinite(kspacing):
        raise LatticeAnchorError(f"kspacing must be a positive number (1/Å), got {kspacing!r}")
    if kspacing > MAX_KSPACING:
        raise LatticeAnchorError(f"kspacing (1/Å) must be ≤ {MAX_KSPACING:g} (any larger is the Γ point for every "
                                 f"cell), got {kspacing:g}")
    recip = 2 * math.pi * np.linalg.norm(atoms.cell.reciprocal(), axis=1)
    return tuple(int(max(1, math.ceil(b / kspacing - 1e-9))) for b in recip)


def is_closed_shell(atoms) -> bool:
    """True when every element has a formal charge in the data file (closed-shell ions), the formal
    charges sum to zero and the electron count is even: no unpaired electrons, ISPIN = 1 suffices."""
    from latticeanchor import data

    charges = data.formal_charges()
    symbols = atoms.get_chemical_symbols()
    if not symbols or any(s not in charges for s in symbols):
        return False
    return sum(charges[s] for s in symbols) == 0 and int(np.sum(atoms.numbers)) % 2 == 0


def builder_name(atoms) -> str:
    """The builder recorded in ``atoms.info['latticeanchor']`` ('embed', 'alpha_matrix', ...), or 'unknown'."""
    info = atoms.info.get("latticeanchor") or {}
    return str(info.get("builder", "unknown")) if isinstance(info, dict) else "unknown"


def short_title(atoms) -> str:
    """One short line: reduced-order formula, builder, package version (no JSON)."""
    return f"{atoms.get_chemical_formula(mode='hill')} {builder_name(atoms)} latticeanchor {__version__}"


def _grouped(atoms):
    order = np.argsort(np.array(atoms.get_chemical_symbols()), kind="stable")
    return atoms[order]


# ------------------------------------------------------------------------------------------------- VASP
def poscar(atoms) -> str:
    """POSCAR (VASP 5): species grouped alphabetically (stable within a species), direct coordinates."""
    _check(atoms)
    srt = _grouped(atoms)
    species = list(dict.fromkeys(srt.get_chemical_symbols()))
    counts = [srt.get_chemical_symbols().count(s) for s in species]
    lines = [short_title(atoms), "1.0"]
    lines += ["  " + " ".join(f"{v:20.12f}" for v in row) for row in srt.cell.array]
    lines += ["  " + " ".join(species), "  " + " ".join(str(c) for c in counts), "Direct"]
    frac = srt.get_scaled_positions(wrap=True)
    frac[np.abs(frac - 1.0) < 1e-12] = 0.0
    lines += [" " + " ".join(f"{v:16.12f}" for v in row) + f" {s}" for row, s in zip(frac, srt.get_chemical_symbols())]
    return "\n".join(lines) + "\n"


def _spin_polarised(atoms, spin) -> bool:
    if spin not in ("auto", True, False):
        raise LatticeAnchorError(f"spin must be 'auto', True or False, got {spin!r}")
    return bool(spin) if spin != "auto" else not is_closed_shell(atoms)


def _incar_value(v) -> str:
    if isinstance(v, bool):
        return ".TRUE." if v else ".FALSE."
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def incar(atoms, spin="auto", user_incar_settings: dict | None = None, title: str | None = None) -> str:
    """INCAR of a PBE relaxation with MPRelaxSet conventions (module docstring); ``user_incar_settings``
    win (a value None removes the tag)."""
    _check(atoms)
    n = len(atoms)
    tags = {"SYSTEM": title or short_title(atoms), "PREC": "Accurate", "ENCUT": 520, "EDIFF": f"{5e-5 * n:.2E}",
            "EDIFFG": -0.02, "ALGO": "Fast", "NELM": 100, "ISMEAR": 0, "SIGMA": 0.05, "IBRION": 2, "ISIF": 3,
            "NSW": 99, "LASPH": True, "LREAL": "Auto" if n > LREAL_ATOMS else False, "LWAVE": False,
            "LCHARG": True, "LORBIT": 11}
    if _spin_polarised(atoms, spin):
        srt = _grouped(atoms)
        species = list(dict.fromkeys(srt.get_chemical_symbols()))
        tags["ISPIN"] = 2
        tags["MAGMOM"] = " ".join(f"{srt.get_chemical_symbols().count(s)}*0.6" for s in species)
    else:
        tags["ISPIN"] = 1
    for key, value in (user_incar_settings or {}).items():
        if value is None:
            tags.pop(str(key).upper(), None)
        else:
            tags[str(key).upper()] = value
    return "".join(f"{k} = {_incar_value(v)}\n" for k, v in tags.items())


def kpoints(atoms, kspacing: float = DEFAULT_KSPACING) -> str:
    """KPOINTS: Γ-centred mesh of ``kpoint_mesh`` (Γ only when 1×1×1)."""
    mesh = kpoint_mesh(atoms, kspacing)
    label = "Gamma only" if mesh == (1, 1, 1) else f"Gamma-centred, kspacing {kspacing:g} 1/A (2pi included)"
    return f"{label}\n0\nGamma\n{mesh[0]} {mesh[1]} {mesh[2]}\n0 0 0\n"


def potcar_spec(atoms, potcars: dict | None = None) -> str:
    """POTCAR.spec: one POTCAR symbol per line, in the POSCAR's species order."""
    _check(atoms)
    names = dict(VASP_POTCARS)
    names.update(potcars or {})
    species = list(dict.fromkeys(_grouped(atoms).get_chemical_symbols()))
    missing = [s for s in species if s not in names]
    if missing:
        raise LatticeAnchorError(f"no POTCAR name for {', '.join(missing)}; pass potcars={{...}}")
    return "".join(f"{names[s]}\n" for s in species)


def vasp_files(atoms, kspacing: float = DEFAULT_KSPACING, spin="auto", user_incar_settings: dict | None = None,
               potcars: dict | None = None) -> dict[str, str]:
    """{"POSCAR", "INCAR", "KPOINTS", "POTCAR.spec"} → file text."""
    return {"POSCAR": poscar(atoms), "INCAR": incar(atoms, spin, user_incar_settings),
            "KPOINTS": kpoints(atoms, kspacing), "POTCAR.spec": potcar_spec(atoms, potcars)}


# ------------------------------------------------------------------------------------------------- pw.x
def _fortran(v) -> str:
    if isinstance(v, bool):
        return ".true." if v else ".false."
    if isinstance(v, str):
        return f"'{v}'"
    if isinstance(v, float):
        return repr(v).replace("e", "d")
    return str(v)


def pw_input(atoms, calculation: str = "vc-relax", kspacing: float = DEFAULT_KSPACING,
             pseudopotentials: dict | None = None, ecutwfc: float | None = None, ecutrho: float | None = None,
             pseudo_dir: str = "./pseudo", spin="auto", input_data: dict | None = None,
             header: str | None = None) -> str:
    """pw.x input text (module docstring). ecutwfc/ecutrho in Ry (default: SSSP, the largest of the species);
    input_data: {namelist: {key: value}} merged on top (namelists control, system, electrons, ions, cell)."""
    from ase.data import atomic_masses, atomic_numbers

    _check(atoms)
    if calculation not in ("scf", "relax", "vc-relax", "nscf", "bands"):
        raise LatticeAnchorError(f"calculation must be scf, relax, vc-relax, nscf or bands, got {calculation!r}")
    species = list(dict.fromkeys(atoms.get_chemical_symbols()))
    pseudos = dict(SSSP_PSEUDOPOTENTIALS)
    pseudos.update(pseudopotentials or {})
    missing = [s for s in species if s not in pseudos]
    if missing:
        raise LatticeAnchorError(f"no pseudopotential for {', '.join(missing)}; pass pseudopotentials={{...}}")
    no_cut = [s for s in species if s not in SSSP_CUTOFFS_RY]
    if (ecutwfc is None or ecutrho is None) and no_cut:
        raise LatticeAnchorError(f"no SSSP cutoff for {', '.join(no_cut)}; pass ecutwfc= and ecutrho= (Ry)")
    if ecutwfc is not None:
        ecutwfc = real("ecutwfc (Ry)", ecutwfc, 0.0, MAX_ECUTWFC_RY, low_open=True)
    if ecutrho is not None:
        ecutrho = real("ecutrho (Ry)", ecutrho, 0.0, MAX_ECUTRHO_RY, low_open=True)
    wfc = float(ecutwfc) if ecutwfc is not None else max(SSSP_CUTOFFS_RY[s][0] for s in species)
    rho = float(ecutrho) if ecutrho is not None else max(max(SSSP_CUTOFFS_RY[s][1] for s in species), 4 * wfc)
    if not (wfc > 0 and rho >= 4 * wfc):
        raise LatticeAnchorError(f"need ecutwfc > 0 and ecutrho ≥ 4·ecutwfc (Ry), got {wfc:g} and {rho:g}")
    n = len(atoms)
    nml = {
        "control": {"calculation": calculation, "prefix": "latticeanchor", "pseudo_dir": pseudo_dir,
                    "outdir": "./tmp", "tprnfor": True, "tstress": True,
                    "forc_conv_thr": round(0.02 * EV_PER_A_TO_RY_PER_BOHR, 8), "etot_conv_thr": 1e-5 * n},
        "system": {"ibrav": 0, "nat": n, "ntyp": len(species), "ecutwfc": wfc, "ecutrho": rho,
                   "occupations": "smearing", "smearing": "gaussian", "degauss": 0.005},
        "electrons": {"conv_thr": 1e-8 * n, "mixing_beta": 0.4},
    }
    if _spin_polarised(atoms, spin):
        nml["system"]["nspin"] = 2
        for i in range(len(species)):
            nml["system"][f"starting_magnetization({i + 1})"] = 0.1
    if calculation in ("relax", "vc-relax"):
        nml["ions"] = {"ion_dynamics": "bfgs"}
    if calculation == "vc-relax":
        nml["cell"] = {"cell_dynamics": "bfgs", "press_conv_thr": 0.5}
    for section, values in (input_data or {}).items():
        section = str(section).lower()
        if section not in ("control", "system", "electrons", "ions", "cell"):
            raise LatticeAnchorError(f"unknown pw.x namelist {section!r}")
        nml.setdefault(section, {}).update(values)
    lines = [f"! {header or short_title(atoms)}"]
    for section in ("control", "system", "electrons", "ions", "cell"):
        if section in nml:
            lines.append(f"&{section.upper()}")
            lines += [f"   {k} = {_fortran(v)}" for k, v in nml[section].items()]
            lines.append("/")
    lines.append("ATOMIC_SPECIES")
    lines += [f"{s} {atomic_masses[atomic_numbers[s]]:.4f} {pseudos[s]}" for s in species]
    lines.append("CELL_PARAMETERS angstrom")
    lines += [" ".join(f"{v:18.12f}" for v in row) for row in atoms.cell.array]
    lines.append("ATOMIC_POSITIONS angstrom")
    lines += [f"{s} " + " ".join(f"{v:18.12f}" for v in p) for s, p in zip(atoms.get_chemical_symbols(), atoms.positions)]
    mesh = kpoint_mesh(atoms, kspacing)
    lines += ["K_POINTS gamma"] if mesh == (1, 1, 1) else ["K_POINTS automatic", f"{mesh[0]} {mesh[1]} {mesh[2]} 0 0 0"]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------- LAMMPS
def _lammps_cell(cell: np.ndarray):
    """LAMMPS lower-triangular box (lx, ly, lz, xy, xz, yz) of a right-handed cell, and the rotation."""
    a, b, c = cell
    if np.linalg.det(cell) <= 0:
        raise LatticeAnchorError("LAMMPS needs a right-handed cell (positive determinant)")
    lx = np.linalg.norm(a)
    xy = b @ a / lx
    ly = math.sqrt(b @ b - xy * xy)
    xz = c @ a / lx
    yz = (b @ c - xy * xz) / ly
    lz = math.sqrt(c @ c - xz * xz - yz * yz)
    box = np.array([[lx, 0, 0], [xy, ly, 0], [xz, yz, lz]])
    return (lx, ly, lz, xy, xz, yz), box


def lammps_data(atoms, labels: bool = False, title: str | None = None) -> str:
    """LAMMPS data file (module docstring): atom_style charge, metal units (Å, e), fixed type map."""
    from ase.data import atomic_masses, atomic_numbers

    from latticeanchor import data

    _check(atoms)
    if not isinstance(labels, (bool, np.bool_)):
        raise LatticeAnchorError(f"labels must be True or False, got {labels!r}")
    symbols = atoms.get_chemical_symbols()
    unknown = sorted(set(symbols) - set(LAMMPS_TYPES))
    if unknown:
        raise LatticeAnchorError(f"no LAMMPS type for {', '.join(unknown)} (the fixed map is {', '.join(LAMMPS_TYPES)})")
    charges = data.formal_charges()
    (lx, ly, lz, xy, xz, yz), box = _lammps_cell(atoms.cell.array)
    frac = atoms.get_scaled_positions(wrap=True)
    frac[np.abs(frac - 1.0) < 1e-12] = 0.0
    pos = frac @ box
    lines = [f"{title or short_title(atoms)} (atom_style charge, units metal, formal charges)", "",
             f"{len(atoms)} atoms", f"{len(LAMMPS_TYPES)} atom types", "",
             f"0.0 {lx:.10f} xlo xhi", f"0.0 {ly:.10f} ylo yhi", f"0.0 {lz:.10f} zlo zhi"]
    if max(abs(xy), abs(xz), abs(yz)) > 1e-10:
        lines.append(f"{xy:.10f} {xz:.10f} {yz:.10f} xy xz yz")
    lines += ["", "Masses", ""]
    lines += [f"{t} {atomic_masses[atomic_numbers[s]]:.4f}  # {s}" for t, s in enumerate(LAMMPS_TYPES, 1)]
    if labels:
        lines += ["", "Atom Type Labels", ""] + [f"{t} {s}" for t, s in enumerate(LAMMPS_TYPES, 1)]
    lines += ["", "Atoms # charge", ""]
    index = {s: t for t, s in enumerate(LAMMPS_TYPES, 1)}
    lines += [f"{i} {index[s]} {charges[s]:+.1f} {p[0]:.10f} {p[1]:.10f} {p[2]:.10f}"
              for i, (s, p) in enumerate(zip(symbols, pos), 1)]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------------- GPAW
def gpaw_script(atoms, ecut_eV: float = 400.0, kspacing: float = DEFAULT_KSPACING, txt: str = "gpaw.txt",
                smearing_eV: float = 0.05, spin="auto", title: str | None = None) -> str:
    """A self-contained GPAW script (ase + gpaw only): PBE, PW(ecut_eV), the shared k-mesh; prints
    ``energy_eV <E>`` and writes the GPAW log to ``txt``. Run: ``gpaw python FILE`` (or mpirun)."""
    _check(atoms)
    if isinstance(ecut_eV, bool) or not (isinstance(ecut_eV, (int, float)) and ecut_eV > 0):
        raise LatticeAnchorError(f"ecut_eV must be a positive number (eV), got {ecut_eV!r}")
    ecut_eV = real("ecut_eV (eV)", ecut_eV, 0.0, MAX_ECUT_EV, low_open=True)
    smearing_eV = real("smearing_eV (eV)", smearing_eV, 0.0, MAX_SMEARING_EV)
    mesh = kpoint_mesh(atoms, kspacing)
    spinpol = _spin_polarised(atoms, spin)
    cell = json.dumps(np.round(atoms.cell.array, 12).tolist())
    pos = json.dumps(np.round(atoms.positions, 12).tolist())
    syms = json.dumps(atoms.get_chemical_symbols())
    magmoms = f"\natoms.set_initial_magnetic_moments([0.6] * len(atoms))" if spinpol else ""
    return f'''# {title or short_title(atoms)}
# GPAW PBE plane-wave SCF written by latticeanchor {__version__}: PW({ecut_eV:g} eV), Γ-centred k-mesh {mesh}
# (kspacing {kspacing:g} 1/Å, 2π included), Fermi-Dirac {smearing_eV:g} eV. Run: gpaw python THIS_FILE
from ase import Atoms
from gpaw import GPAW, PW, FermiDirac

symbols = {syms}
cell = {cell}  # Å
positions = {pos}  # Å
atoms = Atoms(symbols, positions=positions, cell=cell, pbc=True){magmoms}
atoms.calc = GPAW(mode=PW({ecut_eV:g}), xc="PBE", kpts={{"size": {tuple(mesh)}, "gamma": True}},
                  occupations=FermiDirac({smearing_eV:g}), spinpol={spinpol}, txt={txt!r})
energy = atoms.get_potential_energy()
print(f"energy_eV {{energy:.8f}}")
'''
