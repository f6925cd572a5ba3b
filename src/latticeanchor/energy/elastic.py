"""Cubic elastic constants C11, C12, C44 (GPa) from stress–strain with ions relaxed (any ASE calculator).

``elastic_tensor(atoms, calculator, strain=0.005)`` applies the six Voigt strains ±``strain`` to a relaxed
cell, relaxes the ions at each fixed strained cell (BFGS, ``fmax``) and takes the central difference of the
stress: C_ij = (σ_i(+δ) − σ_i(−δ)) / 2δ (Voigt, engineering shear strains). ``cubic_average`` reduces the
6×6 tensor to the three cubic constants (mean of the equivalent entries), which is what a cell with a
molecular A cation at one fixed orientation needs: its static tensor is not cubic, the orientation average of
the dynamically disordered cubic phase is.

``python -m latticeanchor.energy.elastic`` computes the α end members of the hybrid matrices (MAPbI3,
MAPbBr3, FAPbI3, FAPbBr3, cubic 1 × 1 × 1 cells at ``--seeds`` molecule orientations, median over the Born-stable ones), cubic CsPbCl3,
and the CsPbI3/CsPbBr3 cubic cells as the potential's check against PBE, with SevenNet-0, and prints a JSON
table (``--out`` writes it with its settings: ``data/elastic_computed.json``). Assumptions: 0 K
static lattice at the potential's own cubic volume (volume relaxed, shape kept), no thermal softening and
no orientational dynamics beyond the average over seeds; measured constants of these crystals (Ferreira et
al., Phys. Rev. Lett. 121, 085502 (2018): a very soft C44) could not be read here, so the values are tagged
``computed`` in the data file.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from latticeanchor.errors import LatticeAnchorError

__all__ = ["elastic_tensor", "cubic_average", "born_stable", "summarize", "compute_end_members"]

HYBRIDS = {"MAPbI3_alpha": ("MAPb(Br,I)3", 0.0), "MAPbBr3_alpha": ("MAPb(Br,I)3", 3.0),
           "FAPbI3_alpha": ("FAPb(Br,I)3", 0.0), "FAPbBr3_alpha": ("FAPb(Br,I)3", 3.0)}
# all-inorganic cells (one orientation: no molecule): CsPbCl3 has no elastic constants in the file; CsPbI3 and
# CsPbBr3 are the potential's check against the file's PBE values
INORGANIC = {"CsPbCl3_alpha": ("CsPb(Cl,Br)3", 3.0), "CsPbI3_alpha": ("CsPb(Br,I)3", 0.0),
             "CsPbBr3_alpha": ("CsPb(Br,I)3", 3.0)}


def _voigt_strain(k: int, delta: float) -> np.ndarray:
    """Symmetric strain tensor of Voigt component k (0–5) of size delta (engineering shear for k ≥ 3)."""
    e = np.zeros((3, 3))
    if k < 3:
        e[k, k] = delta
    else:
        i, j = {3: (1, 2), 4: (0, 2), 5: (0, 1)}[k]
        e[i, j] = e[j, i] = delta / 2.0
    return e


def _stress_voigt(atoms) -> np.ndarray:
    """Stress in Voigt order (xx, yy, zz, yz, xz, xy), GPa, tension positive (ASE's sign)."""
    from latticeanchor.energy.relax import EV_A3_TO_GPA

    return np.asarray(atoms.get_stress(voigt=True)) * EV_A3_TO_GPA


def _relax_ions(atoms, fmax: float, steps: int) -> bool:
    from ase.optimize import BFGS

    opt = BFGS(atoms, logfile=None)
    opt.run(fmax=fmax, steps=steps)
    return bool(np.sqrt((atoms.get_forces() ** 2).sum(axis=1).max()) <= fmax)


def _check_strain(strain) -> None:
    if not 0 < strain <= 0.02:
        raise LatticeAnchorError(f"strain must lie in (0, 0.02] (a small finite difference), got {strain!r}")


def elastic_tensor(atoms, calculator, strain: float = 0.005, fmax: float = 0.005, steps: int = 300) -> dict:
    """6×6 elastic tensor (GPa) of ``atoms`` (a relaxed periodic cell, not modified) by central stress
    differences at ±``strain`` with the ions relaxed (``fmax`` eV/Å). Returns ``C`` (6×6 array, symmetrized),
    ``asymmetry`` (max |C − Cᵀ| / max |C| before symmetrizing: the finite-difference noise) and ``converged``."""
    _check_strain(strain)
    if len(atoms) == 0 or not np.all(atoms.pbc):
        raise LatticeAnchorError("elastic_tensor needs a periodic, non-empty cell")
    C = np.zeros((6, 6))
    converged = True
    cell0 = np.asarray(atoms.cell)
    for k in range(6):
        stresses = []
        for sign in (1.0, -1.0):
            work = atoms.copy()
            work.calc = calculator
            work.set_cell(cell0 @ (np.eye(3) + _voigt_strain(k, sign * strain)), scale_atoms=True)
            converged &= _relax_ions(work, fmax, steps)
            stresses.append(_stress_voigt(work))
        C[:, k] = (stresses[0] - stresses[1]) / (2.0 * strain)
    asym = float(np.abs(C - C.T).max() / np.abs(C).max())
    return {"C": 0.5 * (C + C.T), "asymmetry": asym, "converged": bool(converged)}


def cubic_average(C) -> tuple[float, float, float]:
    """(C11, C12, C44) in GPa: means of the cubically equivalent entries of a 6×6 tensor."""
    C = np.asarray(C, float)
    if C.shape != (6, 6):
        raise LatticeAnchorError(f"C must be a 6×6 Voigt tensor, got shape {C.shape}")
    return (float(np.mean([C[0, 0], C[1, 1], C[2, 2]])), float(np.mean([C[0, 1], C[0, 2], C[1, 2]])),
            float(np.mean([C[3, 3], C[4, 4], C[5, 5]])))


def _relaxed_cubic(matrix: str, x: float, seed: int, calculator):
    """A 1 × 1 × 1 α cell of ``matrix`` at x, volume relaxed with the shape kept cubic, then the ions."""
    from latticeanchor.build import alpha_matrix
    from latticeanchor.energy.relax import relax

    cell = alpha_matrix(x, 1, seed=seed, matrix=matrix)
    res = relax(cell, calculator=calculator, fmax=0.005, steps=400, cell=True, hydrostatic=True, optimizer="BFGS")
    return res.atoms, res.converged


def born_stable(c11: float, c12: float, c44: float) -> bool:
    """Born stability of a cubic crystal: C11 > |C12|, C11 + 2 C12 > 0, C44 > 0 (GPa)."""
    return bool(c11 > abs(c12) and c11 + 2 * c12 > 0 and c44 > 0)


def summarize(per_seed: list[dict]) -> dict:
    """Median C11, C12, C44 (GPa) and a (Å) over the Born-stable seeds of ``per_seed``.

    A seed whose finite-difference tensor fails Born stability did not measure one elastic state: in a
    1 × 1 × 1 hybrid cell the molecule can reorient between the +δ and −δ relaxations of a strain (a large
    ``asymmetry`` of the tensor, C11 < C12 for two of five MAPbBr3 orientations). Such seeds are listed but left
    out of the median (a rule chosen after the first MAPbBr3 results, on that physical ground, not to move a
    value towards any target); the median, not the mean, because the kept seeds still scatter."""
    kept = [r for r in per_seed if r["born_stable"]]
    if not kept:
        raise LatticeAnchorError("no Born-stable seed: no elastic constants")
    out = {key: round(float(np.median([r[key] for r in kept])), 1) for key in ("C11", "C12", "C44")}
    out.update({"a_A": round(float(np.median([r["a_A"] for r in kept])), 3), "born_stable_seeds": len(kept),
                "seeds": len(per_seed),
                "range_GPa": {key: [min(r[key] for r in kept), max(r[key] for r in kept)] for key in ("C11", "C12", "C44")},
                "per_seed": per_seed})
    return out


def compute_end_members(names=None, seeds=(0, 1, 2, 3, 4), calculator="sevennet", strain: float = 0.005) -> dict:
    """{end member: ``summarize`` of its seeds} (hybrids: ``seeds`` molecule orientations; inorganic: one)."""
    from latticeanchor.energy.relax import get_calculator

    known = {**HYBRIDS, **INORGANIC}
    names = list(names or known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise LatticeAnchorError(f"unknown end member(s) {', '.join(map(repr, unknown))}; known: {', '.join(known)}")
    _check_strain(strain)  # before the potential is loaded and the first cell relaxed
    calc = get_calculator(calculator, threads=1)
    table = {}
    for name in names:
        matrix, x = known[name]
        runs = []
        for seed in seeds if name in HYBRIDS else (0,):
            atoms, ok = _relaxed_cubic(matrix, x, seed, calc)
            res = elastic_tensor(atoms, calc, strain=strain)
            c11, c12, c44 = cubic_average(res["C"])
            runs.append({"seed": int(seed), "C11": round(c11, 2), "C12": round(c12, 2), "C44": round(c44, 2),
                         "a_A": round(float(atoms.cell.lengths()[0]), 4), "converged": bool(ok and res["converged"]),
                         "asymmetry": round(res["asymmetry"], 3), "born_stable": born_stable(c11, c12, c44)})
            print(f"{name} seed {seed}: {runs[-1]}", file=sys.stderr, flush=True)
        table[name] = summarize(runs)
    return table


def write_table(path, table: dict, argv, calculator: str = "sevennet", strain: float = 0.005):
    """Write ``table`` (``compute_end_members``) with the command and settings that made it (atomic JSON)."""
    from latticeanchor import atomic
    from latticeanchor.energy.polymorphs import _potential_version

    return atomic.write_json(path, {
        "_about": "Cubic elastic constants (GPa) computed here: stress-strain, ±strain Voigt components, ions "
                  "relaxed at each strained cell, volume relaxed with the shape kept cubic; hybrids averaged "
                  "over seeded molecule orientations of a 1x1x1 cell (median over the Born-stable seeds, every seed "
                  "listed); "
                  "CsPbCl3 one cubic cell; CsPbI3/CsPbBr3 are the potential's check against PBE "
                  "(Materials Project). 0 K, static.",
        "command": "python -m latticeanchor.energy.elastic " + " ".join(argv),
        "potential_version": _potential_version(calculator), "strain": strain, "end_members": table})


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m latticeanchor.energy.elastic", description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="molecule orientations per hybrid end member")
    p.add_argument("--calculator", default="sevennet")
    p.add_argument("--strain", type=float, default=0.005)
    p.add_argument("--only", nargs="*", help="end members (default: all)")
    p.add_argument("--out", help="write the table with its settings to this JSON file (the package's "
                   "data/elastic_computed.json is regenerated this way)")
    args = p.parse_args(argv)
    if not 1 <= args.seeds <= 100:
        p.error(f"--seeds must be an integer in [1, 100], got {args.seeds}")
    try:
        if args.out:
            from latticeanchor import atomic

            atomic.check_target(args.out, "--out", suffixes=(".json",))
        table = compute_end_members(args.only, tuple(range(args.seeds)), args.calculator, args.strain)
    except LatticeAnchorError as exc:
        print(f"latticeanchor: error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        write_table(args.out, table, argv if argv is not None else sys.argv[1:], args.calculator, args.strain)
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
