"""Anchoring energetics of a rock-salt core in α- and δ-CsPbBr_xI_(3−x), and the MLIP Vegard curve.

Definitions (all energies from relaxations with the same calculator and settings; eV):

* Reference chemical potentials from relaxed bulk cells: μ_α(x), μ_δ(x) = E/formula unit of the
  relaxed α / δ matrix (same supercell and halide ordering seed as the hybrid's matrix); when the
  hybrid's matrix halides give a slightly different x_h (rounding of the Br count), μ is shifted
  linearly between the relaxed end members, μ(x_h) = μ(x) + (x_h − x)·[μ(3) − μ(0)]/3; and
  μ_core = E per PbS (PbSe, ...) unit of relaxed bulk rock salt.
* A hybrid of composition Cs_n Pb_(n+m) X_(3n) Y_m (Y = S/Se/Te; charge balanced, as every
  builder output must be) decomposes exactly into n matrix formula units and m core units, so the
  interface (misfit) energy is

      E_misfit(phase) = E_hybrid(phase) − n·μ_phase − m·μ_core                         [eV]

  reported per formula unit of matrix (eV/f.u., ÷ n) and per interface atom (eV/atom, ÷ N_int).
  Interface atoms: core atoms (tag 1 when the builder tags the core; else the chalcogens and the Pb
  whose anion shell within 3.8 Å holds at least as many chalcogens as halides) with a non-core atom
  within 4.6 Å in the built (unrelaxed) structure — surface sites of a rock-salt core on the
  perovskite a/2 grid see matrix atoms at a/2 or a/√2 (≤ 4.5 Å), sites one layer deeper at ≥ a.
  A charge-balanced hybrid with p = N_Pb − N_Cs − N_Y ≠ 0 (a builder that removes interface halides)
  holds p PbX2 units besides: they are subtracted with μ_PbX2 from a relaxed CdI2-type PbX2 cell
  (``pbx2_cell``, fixed experimental PbI2 cell; an approximation for Br-rich x).
* Pristine phase difference: ΔE_δα = μ_δ − μ_α (eV/f.u.), the sign of ``data.value("CsPbI3_delta",
  "energy_above_alpha")`` (−0.125 eV/f.u., PBE): negative means δ is more stable.
* Hybrid phase difference at the same core: ΔE_δα^hyb = [E_hyb(δ) − m μ_core]/n_δ −
  [E_hyb(α) − m μ_core]/n_α = ΔE_δα + E_misfit(δ)/n_δ − E_misfit(α)/n_α, and the anchoring energy
  ΔE_anchor = ΔE_δα^hyb − ΔE_δα (eV/f.u.; positive means the core stabilises α relative to δ).

Bulk cells come from ``latticeanchor.build`` (alpha_matrix, delta_matrix, rocksalt_cell). Hybrids:
``builder="build"`` or ``"auto"`` embeds a spherical ``rocksalt_core`` with ``build.embed``;
``builder="internal"`` (default) uses a *cube* core of k³ perovskite cells converted
site by site to rock salt on the shared a/2 anion–cation grid (coherent, matrix-strained:
Pb on corners and face centres, chalcogen on the halide and Cs sites, 4k³ PbY), and in δ the same
4k³-unit rock-salt cube (at the core's lattice constant) inserted after removing the k³ Cs, k³ Pb
and 3k³ halides nearest (L∞ distance) to the cell centre. Both hybrids hold the same core.
The cube-core cells fail ``build.check`` (α: the face-centre Pb of the cube's lower faces sit a/2 from
matrix Cs; δ: short contacts where the cube is inserted): they serve MLIP energetics, and the DFT
writers (``energy.dft``, ``io``) refuse them unless forced. Their ``atoms.info['latticeanchor']`` names
the builder ("alpha_hybrid", "delta_hybrid"); for DFT use ``builder="build"`` (``build.embed``).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from latticeanchor import vegard
from latticeanchor.build._common import n_bromide, parse_size, provenance, random_halides
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import br_content

__all__ = ["alpha_cell", "delta_cell", "rocksalt_cell", "pbx2_cell", "alpha_hybrid", "delta_hybrid", "composition",
           "interface_atoms", "misfit_energy", "mlip_vegard", "anchoring", "candidate_geometry",
           "INTERFACE_CUTOFF"]

HALIDES = ("I", "Br")
CHALCOGENS = ("S", "Se", "Te")
SHELL_CUTOFF = 3.8  # Å, first (cation–anion) coordination shell, used to assign Pb to the core
INTERFACE_CUTOFF = 4.6  # Å: a core atom with a non-core atom this close is an interface atom
RATTLE_SEED = 12345


# ----------------------------------------------------------------------------------------- builders
def _use_build(builder: str) -> bool:
    """True for hybrids from ``latticeanchor.build.embed`` ('build', 'auto'), False for the cube core."""
    if builder not in ("auto", "build", "internal"):
        raise LatticeAnchorError(f"builder must be 'auto', 'build' or 'internal', got {builder!r}")
    return builder != "internal"


def _substitute_br(atoms, x: float, seed: int):
    """Put round(x/3 · N_X) Br on randomly chosen (seeded) halide sites, the rest I (as the builders do)."""
    x = float(br_content(x))
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    idx = np.flatnonzero(np.isin(symbols, HALIDES))
    symbols[idx] = random_halides(len(idx), n_bromide(x, len(idx)), seed)
    atoms.set_chemical_symbols(list(symbols))
    return atoms


def alpha_cell(x, size=(1, 1, 1), a=None, T=298.15, seed=0):
    """α-CsPbBr_xI_(3−x) Pm-3m supercell (``build.alpha_matrix``, seeded random halides); a (Å) defaults
    to Vegard at T (K)."""
    from latticeanchor import build

    return build.alpha_matrix(x, size=parse_size(size), a=a, T=T, halide_order="random", seed=seed)


def delta_cell(x, size=(1, 1, 1), seed=0, T=298.15):
    """δ-CsPbBr_xI_(3−x) Pnma supercell (``build.delta_matrix``: the cited cell at T (K), scaled by
    a_α(x)/a_α(0), seeded random halides)."""
    from latticeanchor import build

    return build.delta_matrix(x, size=parse_size(size), T=T, seed=seed)


def rocksalt_cell(core="PbS", a=None, T=298.15):
    """Conventional 8-atom rock-salt cell of an end-member core (``build.rocksalt_cell``; a in Å)."""
    from latticeanchor import build

    return build.rocksalt_cell(core, a=a, T=T)


def pbx2_cell(x, size=(2, 2, 1), seed=0):
    """CdI2-type (P-3m1) PbX2 reference cell (PbI2: a = 4.557 Å, c = 6.979 Å, z_I = 0.265; Wyckoff,
    Crystal Structures vol. 1 (1963)), halides drawn (seeded) with Br fraction x/3. PbBr2 itself is
    orthorhombic (PbCl2 type): for x > 0 this is an approximation, used only for the Pb-excess
    bookkeeping of non-stoichiometric hybrids. Relax it with cell=False (no van der Waals in PBE).
    """
    from ase import Atoms

    a, c, z = 4.557, 6.979, 0.265
    unit = Atoms("PbI2", scaled_positions=[[0, 0, 0], [1 / 3, 2 / 3, z], [2 / 3, 1 / 3, 1 - z]],
                 cell=[[a, 0, 0], [-a / 2, a * 3**0.5 / 2, 0], [0, 0, c]], pbc=True)
    return _substitute_br(unit.repeat(parse_size(size)), x, seed)


def _chalcogen(core: str) -> str:
    from latticeanchor.strain import parse_core

    parts = parse_core(core)
    if len(parts) != 1:
        raise LatticeAnchorError(f"core {core!r}: the internal builder makes PbS, PbSe or PbTe cores only")
    return parts[0][0][2:]


def alpha_hybrid(core, x, n=2, k=1, T=298.15, seed=0, matrix=None):
    """Internal builder: α supercell (n, int or 3 ints) with a coherent k-cell rock-salt block (4·Πk PbY).

    k (int or 3 ints) ≤ n per axis; k_i = n_i makes the core continuous along axis i (a slab or a rod:
    a planar-interface superlattice), k_i < n_i leaves matrix between the core and its image.
    ``matrix``: an α supercell to convert (default ``alpha_cell(x, n, T=T, seed=seed)``). The Br are
    drawn (seeded) on the halide sites left after carving, round(x/3 · N_X) of them. Core atoms: tag 1.
    """
    n3, k3 = np.array(parse_size(n)), np.array(parse_size(k))
    if np.any(k3 > n3) or (np.all(k3 == n3)):
        raise LatticeAnchorError(f"need k ≤ n on every axis and k < n on one (core cells k={tuple(k3)}, supercell n={tuple(n3)})")
    y = _chalcogen(core)
    atoms = alpha_cell(x, tuple(n3), T=T, seed=seed) if matrix is None else matrix.copy()
    c0 = (n3 - k3) // 2
    u = np.round(atoms.get_scaled_positions(wrap=True) * n3 * 2) / 2  # positions in cell units, on the a/2 grid
    inside = np.all((u >= c0 - 1e-6) & (u < c0 + k3 - 1e-6), axis=1)
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    tags = np.zeros(len(atoms), dtype=int)
    conv = inside & np.isin(symbols, ["Cs", *HALIDES])
    symbols[conv] = y
    tags[inside] = 1
    atoms.set_chemical_symbols(list(symbols))
    atoms.set_tags(tags)
    _substitute_br(atoms, x, seed)  # halides drawn on the sites left, so the matrix keeps x
    cell = atoms.cell.array / n3[:, None]
    new = []
    for i in range(c0[0], c0[0] + k3[0]):
        for j in range(c0[1], c0[1] + k3[1]):
            for m in range(c0[2], c0[2] + k3[2]):
                for off in ((.5, .5, 0), (.5, 0, .5), (0, .5, .5)):
                    new.append((np.array([i, j, m]) + off) @ cell)
    from ase import Atoms

    extra = Atoms(["Pb"] * len(new), positions=new, tags=[1] * len(new))
    minfo = dict(atoms.info.get("latticeanchor") or {})
    atoms += extra
    atoms.info["latticeanchor"] = provenance("alpha_hybrid", core=core, x=float(x), n_cells=n3.tolist(),
                                             k_cells=k3.tolist(), T=float(T), seed=int(seed), strain="matrix",
                                             matrix=minfo)
    return atoms


def delta_hybrid(core, x, size=(1, 1, 1), k=1, a_core=None, T=298.15, seed=0, matrix=None):
    """Internal builder: δ supercell with a 2k×2k×2k-site rock-salt cube (4k³ PbY) inserted at the centre.

    Removes the k³ Cs, k³ Pb and 3k³ halides nearest (L∞, minimum image) to the centre so the
    composition matches ``alpha_hybrid`` with the same k. a_core (Å) defaults to the data at T.
    """
    from ase import Atoms

    k = int(k)
    y = _chalcogen(core)
    atoms = delta_cell(x, size, seed=seed, T=T) if matrix is None else matrix.copy()
    a_core = float(rocksalt_cell(core, T=T).cell[0, 0]) if a_core is None else float(a_core)
    half = a_core / 2
    grid = np.arange(2 * k) - (2 * k - 1) / 2  # site offsets in units of a/2, centred
    offsets, sym = [], []
    for i, gi in enumerate(grid):
        for j, gj in enumerate(grid):
            for m, gm in enumerate(grid):
                offsets.append(half * np.array([gi, gj, gm]))
                sym.append("Pb" if (i + j + m) % 2 == 0 else y)
    offsets = np.array(offsets)
    span = 2 * np.abs(offsets).max()  # Å, outermost core sites
    lengths = atoms.cell.lengths()
    if np.any(lengths < span + a_core - 1e-6):  # keep ≥ one core lattice constant between images
        raise LatticeAnchorError(f"δ supercell {tuple(float(v) for v in np.round(lengths, 2))} Å too small "
                                 f"for a core spanning {span:.2f} Å (needs ≥ span + a_core each way)")
    cell = atoms.cell.array
    inv = np.linalg.inv(cell)
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    groups = [(symbols == "Cs", k**3), (symbols == "Pb", k**3), (np.isin(symbols, HALIDES), 3 * k**3)]

    def carve(centre):
        d = atoms.positions[:, None, :] - (centre + offsets)[None, :, :]
        f = d @ inv
        f -= np.round(f)
        dist = np.linalg.norm(f @ cell, axis=2).min(axis=1)  # each matrix atom to its nearest core site
        remove = []
        for mask, count in groups:
            idx = np.where(mask)[0]
            remove.extend(idx[np.argsort(dist[idx], kind="stable")[:count]].tolist())
        left = np.setdiff1d(np.arange(len(atoms)), remove)
        return float(dist[left].min()), remove

    # deterministic search for the insertion point (8×8×8 trial centres) with the largest clearance
    trials = (np.stack(np.meshgrid(*[np.arange(8) / 8] * 3, indexing="ij"), -1).reshape(-1, 3) + 1 / 16) @ cell
    best = max(((carve(c), idx) for idx, c in enumerate(trials)), key=lambda t: (round(t[0][0], 6), -t[1]))
    (_, remove), centre = best[0], trials[best[1]]
    pos = centre + offsets
    keep = np.setdiff1d(np.arange(len(atoms)), remove)
    out = atoms[keep]
    _substitute_br(out, x, seed)  # halides drawn on the sites left, so the matrix keeps x
    out.set_tags(np.zeros(len(out), dtype=int))
    minfo = dict(atoms.info.get("latticeanchor") or {})
    out += Atoms(sym, positions=pos, tags=[1] * len(pos))
    out.info["latticeanchor"] = provenance("delta_hybrid", core=core, x=float(x), size=list(parse_size(size)),
                                           k_cells=[k, k, k], a_core_A=a_core, T=float(T), seed=int(seed),
                                           strain="none", matrix=minfo)
    return out


def candidate_geometry(diameter, loading, a_matrix) -> tuple[int, int]:
    """(k, n) for the internal builder: core cube of k cells with the volume of a sphere of ``diameter`` (Å),
    supercell n ≥ k+1 cells so that k³/n³ approximates the volume fraction ``loading``."""
    d, phi = float(diameter), float(loading)
    if not d > 0:
        raise LatticeAnchorError(f"diameter must be positive (Å), got {diameter!r}")
    if not 0 < phi < 1:
        raise LatticeAnchorError(f"loading must be a volume fraction in (0, 1), got {loading!r}")
    k = max(1, int(round(d * (math.pi / 6) ** (1 / 3) / float(a_matrix))))
    n = max(k + 1, int(round(k / phi ** (1 / 3))))
    return k, n


# -------------------------------------------------------------------------------------- analysis
def composition(atoms) -> dict:
    """Counts {Cs, Pb, X (halides), Y (chalcogens), n_fu, m_core, excess_Pb, charge} of a hybrid or bulk cell."""
    sym = np.array(atoms.get_chemical_symbols())
    cs, pb = int((sym == "Cs").sum()), int((sym == "Pb").sum())
    xh, ych = int(np.isin(sym, HALIDES).sum()), int(np.isin(sym, CHALCOGENS).sum())
    return {"Cs": cs, "Pb": pb, "X": xh, "Y": ych, "n_fu": cs, "m_core": ych,
            "excess_Pb": pb - cs - ych, "charge": cs + 2 * pb - xh - 2 * ych}


def _neighbors(atoms, cutoff):
    from ase.neighborlist import neighbor_list

    i, j = neighbor_list("ij", atoms, cutoff)
    return i, j


def core_mask(atoms, cutoff: float = SHELL_CUTOFF) -> np.ndarray:
    """Boolean mask of core atoms: tag 1 if the builder tagged the core, else the chalcogens and the Pb
    whose anions within ``cutoff`` Å are at least half chalcogens."""
    sym = np.array(atoms.get_chemical_symbols())
    tags = atoms.get_tags()
    if np.any(tags == 1) and np.all(tags[np.isin(sym, CHALCOGENS)] == 1):
        return tags == 1
    is_y, is_x = np.isin(sym, CHALCOGENS), np.isin(sym, HALIDES)
    i, j = _neighbors(atoms, cutoff)
    ny = np.bincount(i, weights=is_y[j], minlength=len(atoms))
    nx = np.bincount(i, weights=is_x[j], minlength=len(atoms))
    return is_y | ((sym == "Pb") & (ny > 0) & (ny >= nx))


def interface_atoms(atoms, cutoff: float = INTERFACE_CUTOFF) -> int:
    """Number of core atoms with at least one non-core atom within ``cutoff`` Å."""
    core = core_mask(atoms)
    i, j = _neighbors(atoms, cutoff)
    touching = np.zeros(len(atoms), dtype=bool)
    np.logical_or.at(touching, i, core[i] & ~core[j])
    return int(touching.sum())


def misfit_energy(e_hybrid, hybrid, mu_matrix, mu_core, n_interface=None, mu_pbx2=None) -> dict:
    """E_misfit = E_hyb − n μ_matrix − m μ_core − p μ_PbX2 (eV), per f.u. of matrix and per interface atom.

    e_hybrid: eV; hybrid: its Atoms (for the composition, and the interface count if not given);
    mu_matrix: eV per CsPbX3 formula unit; mu_core: eV per PbY unit; mu_pbx2: eV per PbX2 unit, needed
    only when the hybrid holds p = N_Pb − N_Cs − N_Y ≠ 0 (e.g. a builder that charge-balances by
    removing interface halides).
    """
    comp = composition(hybrid)
    if comp["charge"] != 0:
        raise LatticeAnchorError(f"hybrid is not charge balanced (formal charge {comp['charge']:+d}); "
                                 "misfit energies need a charge-balanced Cs_n Pb_(n+m) X_3n Y_m cell")
    p = comp["excess_Pb"]
    if p != 0 and mu_pbx2 is None:
        raise LatticeAnchorError(f"hybrid holds {p:+d} PbX2 units beyond n CsPbX3 + m PbY; pass mu_pbx2 "
                                 "(eV per PbX2, e.g. from a relaxed pbx2_cell)")
    n, m = comp["n_fu"], comp["m_core"]
    e = float(e_hybrid) - n * float(mu_matrix) - m * float(mu_core) - (p * float(mu_pbx2) if p else 0.0)
    n_int = interface_atoms(hybrid) if n_interface is None else int(n_interface)
    return {"misfit_eV": e, "misfit_eV_per_fu": e / n if n else float("nan"),
            "misfit_eV_per_interface_atom": e / n_int if n_int else float("nan"),
            "n_fu": n, "m_core": m, "excess_PbX2": p, "n_interface": n_int}


# ---------------------------------------------------------------------------------------- runners
def _relax(atoms, calculator, relax_kwargs):
    from latticeanchor.energy.relax import relax

    kw = {"fmax": 0.05, "steps": 500, "cell": True}
    kw.update(relax_kwargs or {})
    rattle = float(kw.pop("rattle", 0.0))
    if rattle > 0:  # seeded: the same displacement pattern every run
        atoms = atoms.copy()
        atoms.rattle(stdev=rattle, seed=RATTLE_SEED)
    return relax(atoms, calculator=calculator, **kw)


def pseudo_cubic_a(atoms, n_fu=None) -> float:
    """Pseudo-cubic perovskite lattice constant (V / n_fu)^(1/3) in Å."""
    n_fu = composition(atoms)["n_fu"] if n_fu is None else n_fu
    return float((atoms.get_volume() / n_fu) ** (1 / 3))


def mlip_vegard(xs=(0.0, 0.75, 1.5, 2.25, 3.0), calculator="chgnet", size=(2, 2, 2), seeds=(0,),
                T=298.15, dataset=None, relax_kwargs=None, builder="internal", fix_sites=False):
    """The potential's Vegard curve: relaxed α lattice constant (Å) over x beside the dataset's.

    Each (x, seed) α supercell (random halides) is relaxed with the cell kept cubic in shape
    (``hydrostatic=True``); a_mlip = (V/n_fu)^(1/3). End members use a 1×1×1 cell (no disorder).
    fix_sites=True keeps every atom on its ideal Pm-3m site (only the volume relaxes): the
    lattice constant of the undistorted cubic α phase, free of the octahedral tilts a 0 K relaxation
    of a disordered cell can fall into (the tilts lower the pseudo-cubic a).
    Returns a pandas DataFrame: x, x_cell (actual Br per f.u. in the cell), seed, a_mlip_A,
    a_exp_A (``vegard.lattice_constant(x, T, dataset)``), diff_A, energy_eV_per_fu, converged, steps.
    """
    import pandas as pd

    kw = {"hydrostatic": True}
    kw.update(relax_kwargs or {})
    rows = []
    for x in xs:
        x = float(br_content(x))
        end = x in (0.0, 3.0)
        for seed in ((seeds[0],) if end else seeds):
            atoms = alpha_cell(x, (1, 1, 1) if end else size, T=T, seed=seed)
            if fix_sites:
                from ase.constraints import FixAtoms

                atoms.set_constraint(FixAtoms(indices=list(range(len(atoms)))))
            res = _relax(atoms, calculator, kw)
            comp = composition(res.atoms)
            a_m = pseudo_cubic_a(res.atoms, comp["n_fu"])
            a_e = float(vegard.lattice_constant(x, T, dataset))
            rows.append({"x": x, "x_cell": 3.0 * sum(s == "Br" for s in res.atoms.get_chemical_symbols()) / comp["X"],
                         "seed": int(seed), "fix_sites": bool(fix_sites), "n_atoms": len(atoms), "a_mlip_A": a_m, "a_exp_A": a_e,
                         "diff_A": a_m - a_e, "energy_eV_per_fu": res.energy / comp["n_fu"],
                         "converged": res.converged, "steps": res.steps})
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=64)
def _bulk_cached(kind, key, calculator, relax_items):
    """Per-process cache of relaxed bulk references (string calculators only)."""
    relax_kwargs = dict(relax_items)
    if kind == "alpha":
        x, size, T, seed = key
        atoms = alpha_cell(x, size, T=T, seed=seed)
    elif kind == "delta":
        x, size, T, seed = key
        atoms = delta_cell(x, size, seed=seed, T=T)
    elif kind == "pbx2":
        x, seed = key
        relax_kwargs = dict(relax_kwargs, cell=False)
        atoms = pbx2_cell(x, seed=seed)
    else:
        core, T = key
        atoms = rocksalt_cell(core, T=T)
    return _relax(atoms, calculator, relax_kwargs)


def _bulk(kind, key, calculator, relax_kwargs):
    items = tuple(sorted((relax_kwargs or {}).items()))
    if isinstance(calculator, str):
        return _bulk_cached(kind, key, calculator, items)
    return _bulk_cached.__wrapped__(kind, key, calculator, items)


def _x_of(atoms) -> float:
    sym = np.array(atoms.get_chemical_symbols())
    n_x = np.isin(sym, HALIDES).sum()
    return float(3.0 * (sym == "Br").sum() / n_x) if n_x else 0.0


def _slope(phase, dx, T, calculator, relax_kwargs) -> float:
    """μ_phase(x + dx) − μ_phase(x) (eV/f.u.), linear between the relaxed end members (0 when dx = 0)."""
    if abs(dx) < 1e-9:
        return 0.0
    if phase == "alpha":
        lo = _bulk("alpha", (0.0, (1, 1, 1), float(T), 0), calculator, relax_kwargs)
        hi = _bulk("alpha", (3.0, (1, 1, 1), float(T), 0), calculator, relax_kwargs)
    else:
        lo = _bulk("delta", (0.0, (1, 1, 1), float(T), 0), calculator, relax_kwargs)
        hi = _bulk("delta", (3.0, (1, 1, 1), float(T), 0), calculator, relax_kwargs)
    per_fu = [r.energy / composition(r.atoms)["n_fu"] for r in (lo, hi)]
    return dx * (per_fu[1] - per_fu[0]) / 3.0


def anchoring(core="PbS", x=1.0, n=2, k=1, delta_size=(1, 2, 1), T=298.15, seed=0, calculator="chgnet",
              relax_kwargs=None, builder="internal", diameter=None, return_structures=False,
              rattle: float = 0.03) -> dict:
    """Full anchoring energetics of one candidate (core, x, core size k, α cell n, δ cell ``delta_size``).

    Relaxes bulk α (n×n×n) and δ (``delta_size``) matrices, bulk rock-salt core, and the α and δ
    hybrids holding the same core; returns a flat dict (energies in eV, eV/f.u., eV/atom; lengths Å)
    with the convergence flags of every relaxation. ``builder="build"``/``"auto"`` with ``diameter``
    (Å) uses latticeanchor.build.rocksalt_core/embed instead of the internal cube core.
    With ``return_structures=True`` the relaxed hybrids are returned under "_structures".
    rattle (Å): seeded random displacements applied to every structure (bulk references and
    hybrids alike) before relaxing, so that none stays on a symmetry-imposed saddle point: a perfect
    cubic α-CsPbI3 cell has zero forces by symmetry although the potential prefers tilted
    octahedra, while the core breaks that symmetry in the hybrid — without rattling, the tilt
    energy would be booked as a (negative) interface energy. 0 disables it.
    """
    x = float(br_content(x))
    n, k = parse_size(n), parse_size(k)
    delta_size = parse_size(delta_size)
    use_build = _use_build(builder)
    bname = "build" if use_build else "internal"
    relax_kwargs = dict(relax_kwargs or {})
    relax_kwargs.setdefault("rattle", float(rattle))
    ra = _bulk("alpha", (x, n, float(T), int(seed)), calculator, relax_kwargs)
    rd = _bulk("delta", (x, delta_size, float(T), int(seed)), calculator, relax_kwargs)
    rc = _bulk("core", (core, float(T)), calculator, relax_kwargs)
    mu_a = ra.energy / composition(ra.atoms)["n_fu"]
    mu_d = rd.energy / composition(rd.atoms)["n_fu"]
    mu_c = rc.energy / composition(rc.atoms)["m_core"]
    a_core = float(rc.atoms.get_volume() ** (1 / 3))  # conventional 8-atom cubic cell
    if use_build:
        from latticeanchor import build as mod

        if diameter is None:
            raise LatticeAnchorError("builder='build' needs the core diameter (Å)")
        dot = mod.rocksalt_core(core=core, diameter=float(diameter), shape="sphere", T=T, center="Pb")
        h_a = mod.embed(dot, alpha_cell(x, n, T=T, seed=seed), strain="matrix",
                        charge_balance=True)
        dot_d = mod.rocksalt_core(core=core, diameter=float(diameter), shape="sphere", a=a_core, center="Pb")
        h_d = mod.embed(dot_d, delta_cell(x, delta_size, seed=seed, T=T), strain="none",
                        charge_balance=True)
    else:
        h_a = alpha_hybrid(core, x, n=n, k=k, T=T, seed=seed)
        if len(set(k)) != 1:
            raise LatticeAnchorError(f"the δ hybrid needs a cubic core (k equal on all axes), got k={k}")
        h_d = delta_hybrid(core, x, size=delta_size, k=k[0], a_core=a_core, T=T, seed=seed)
    ca, cd = composition(h_a), composition(h_d)
    x_bulk_a, x_bulk_d = _x_of(ra.atoms), _x_of(rd.atoms)
    x_h_a, x_h_d = _x_of(h_a), _x_of(h_d)
    mu_a_h = mu_a + _slope("alpha", x_h_a - x_bulk_a, T, calculator, relax_kwargs)
    mu_d_h = mu_d + _slope("delta", x_h_d - x_bulk_d, T, calculator, relax_kwargs)
    if ca["m_core"] != cd["m_core"]:
        raise LatticeAnchorError(f"α and δ hybrids hold different cores ({ca['m_core']} vs {cd['m_core']} units)")
    ha = _relax(h_a, calculator, relax_kwargs)
    hd = _relax(h_d, calculator, relax_kwargs)
    mu_p = None
    if ca["excess_Pb"] or cd["excess_Pb"]:
        rp = _bulk("pbx2", (x, int(seed)), calculator, relax_kwargs)
        mu_p = rp.energy / composition(rp.atoms)["Pb"]
    ma = misfit_energy(ha.energy, h_a, mu_a_h, mu_c, mu_pbx2=mu_p)
    md = misfit_energy(hd.energy, h_d, mu_d_h, mu_c, mu_pbx2=mu_p)
    pristine = mu_d - mu_a
    def rest(e, comp):  # hybrid energy per matrix f.u. after removing the core (and any PbX2 excess)
        return (e - comp["m_core"] * mu_c - (comp["excess_Pb"] * mu_p if comp["excess_Pb"] else 0.0)) / comp["n_fu"]

    hybrid = rest(hd.energy, cd) - rest(ha.energy, ca)
    out = {
        "core": core, "x": x, "k_cells": list(k), "n_cells": list(n), "delta_size": list(delta_size), "T": float(T),
        "seed": int(seed), "builder": bname, "rattle_A": float(relax_kwargs["rattle"]),
        "n_atoms_alpha_hybrid": len(h_a), "n_atoms_delta_hybrid": len(h_d),
        "m_core": ca["m_core"], "n_fu_alpha": ca["n_fu"], "n_fu_delta": cd["n_fu"],
        "mu_alpha_eV_per_fu": mu_a, "mu_delta_eV_per_fu": mu_d, "mu_core_eV_per_unit": mu_c,
        "mu_pbx2_eV_per_unit": mu_p, "excess_PbX2_alpha": ca["excess_Pb"], "excess_PbX2_delta": cd["excess_Pb"],
        "x_bulk_alpha": x_bulk_a, "x_bulk_delta": x_bulk_d, "x_hybrid_alpha": x_h_a, "x_hybrid_delta": x_h_d,
        "mu_alpha_at_hybrid_x_eV_per_fu": mu_a_h, "mu_delta_at_hybrid_x_eV_per_fu": mu_d_h,
        "a_alpha_relaxed_A": pseudo_cubic_a(ra.atoms), "a_core_relaxed_A": a_core,
        "E_alpha_hybrid_eV": ha.energy, "E_delta_hybrid_eV": hd.energy,
        "dE_delta_alpha_pristine_eV_per_fu": pristine,
        "dE_delta_alpha_hybrid_eV_per_fu": hybrid,
        "anchoring_eV_per_fu": hybrid - pristine,
        "misfit_alpha_eV": ma["misfit_eV"], "misfit_alpha_eV_per_fu": ma["misfit_eV_per_fu"],
        "misfit_alpha_eV_per_interface_atom": ma["misfit_eV_per_interface_atom"],
        "n_interface_alpha": ma["n_interface"],
        "misfit_delta_eV": md["misfit_eV"], "misfit_delta_eV_per_fu": md["misfit_eV_per_fu"],
        "misfit_delta_eV_per_interface_atom": md["misfit_eV_per_interface_atom"],
        "n_interface_delta": md["n_interface"],
        "converged": bool(ra.converged and rd.converged and rc.converged and ha.converged and hd.converged),
        "relaxations": {"alpha_bulk": ra.record(), "delta_bulk": rd.record(), "core_bulk": rc.record(),
                        "alpha_hybrid": ha.record(), "delta_hybrid": hd.record()},
    }
    if return_structures:
        out["_structures"] = {"alpha_hybrid": ha.atoms, "delta_hybrid": hd.atoms,
                              "alpha_hybrid_initial": h_a, "delta_hybrid_initial": h_d}
    return out
