"""Polymorph energies of CsPbBr_xI_(3−x): α (cubic), γ (tilted Pnma perovskite) and δ (NH4CdCl3 type).

Builders (no MLIP): ``polymorph_cell(phase, x, ordering=0, seed=0)`` returns a 20-atom cell of 4
formula units (12 halide sites) in one of three polymorphs, all with the atom order Pb, X, Cs:

* ``"alpha"``: a 2×2×1 supercell of the cubic Pm-3m cell (``build.alpha.alpha_matrix``), a from
  Vegard at T (K);
* ``"gamma"``: the orthorhombic Pnma (GdFeO3-type, a⁻b⁺a⁻ tilts) perovskite of
  ``diffraction.phases.ortho_cspbbr3`` (Stoumpos et al., Cryst. Growth Des. 13, 2722 (2013) cell of
  CsPbBr3), rescaled isotropically by the Vegard ratio a_α(x, T)/a_α(3, T). Room-temperature black
  CsPbI3 is this γ phase, not cubic α (Sutton et al., ACS Energy Lett. 3, 1787 (2018),
  DOI 10.1021/acsenergylett.8b00672);
* ``"delta"``: the δ cell of ``build.delta.delta_matrix`` (Trots & Myagkota 2008 cell, Vegard-scaled).

Halide orderings: exactly round(x/3·12) Br on the 12 X sites (x = 0, 0.5, …, 3 are exact). For the
mixed compositions, ordering k is the k-th best *distinct* arrangement among ``N_DRAWS`` random ones
drawn with ``numpy.random.default_rng(seed)``, ranked by the distance of its pair correlations from
those of the random alloy: for each X–X neighbour shell (distances of the all-iodide cell grouped into
shells, every periodic image up to ``PAIR_CUTOFF_A``) the correlation Π_s = ⟨σ_iσ_j⟩ with σ = ±1 for
Br/I, target (2c − 1)² for Br fraction c, distance Σ_s |Π_s − (2c − 1)²|. Two arrangements count as
distinct when their shell correlations differ. This is the "best of N seeded random orderings"
variant of a special quasirandom structure (Zunger et al., Phys. Rev. Lett. 65, 353 (1990)); icet's
annealed SQS was not used because on a 12-site cell successive seeds mostly return the same optimum,
which would give no ordering scatter.

Relaxation and the table (needs an MLIP): ``relax_cell`` relaxes positions and cell (ASE
``FrechetCellFilter``, BFGS, fmax eV/Å, a step cap) with SevenNet-0 by default; ``run_batch`` fans the
cells out through ``energy.scale.run_candidates`` (dask with ``workers=K``, serial without), each cell a
cached, atomically written record, and writes the table after every finished cell. Regenerate the
shipped table ``latticeanchor/data/polymorph_energies.json`` with::

    python -m latticeanchor.energy.polymorphs --out polymorph_energies.json --workers 2

Energies eV/f.u., volumes Å³/f.u., forces eV/Å.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from latticeanchor import __version__
from latticeanchor.errors import LatticeAnchorError

__all__ = ["PHASES", "COMPOSITIONS", "N_FU", "polymorph_cell", "template", "ordering_symbols", "pair_correlations",
           "batch", "relax_cell", "cell_task", "run_batch", "table_from_records", "main"]

PHASES = ("alpha", "gamma", "delta")
COMPOSITIONS = (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # Br per formula unit: nBr = 0, 2, ..., 12 of 12
N_FU = 4  # formula units per cell (20 atoms, 12 halide sites)
N_DRAWS = 400  # random arrangements drawn per (phase, x, seed)
PAIR_CUTOFF_A = 8.5  # Å, X–X shells entering the correlation distance
SHELL_GAP_A = 0.15  # Å, a gap this wide between sorted X–X distances starts a new shell
DEFAULT_STEPS = 400
DEFAULT_FMAX = 0.05  # eV/Å


def _phase(phase: str) -> str:
    key = {"α": "alpha", "γ": "gamma", "δ": "delta"}.get(str(phase), str(phase).lower())
    if key not in PHASES:
        raise LatticeAnchorError(f"unknown phase {phase!r}; use one of {', '.join(PHASES)}")
    return key


def _x(x) -> float:
    from latticeanchor.build._common import scalar
    from latticeanchor.validate import br_content

    return float(br_content(scalar("x (Br per formula unit)", x)))


@lru_cache(maxsize=64)
def _template(phase: str, x: float, T: float):
    """All-iodide 20-atom cell of ``phase`` scaled for composition x at T (K); atom order Pb, X, Cs."""
    from ase import Atoms

    if phase == "alpha":
        from latticeanchor.build.alpha import alpha_matrix

        atoms = alpha_matrix(x, size=(2, 2, 1), T=T, seed=0)
    elif phase == "delta":
        from latticeanchor.build.delta import delta_matrix

        atoms = delta_matrix(x, size=(1, 1, 1), T=T, seed=0)
    else:
        from pymatgen.io.ase import AseAtomsAdaptor

        from latticeanchor import vegard
        from latticeanchor.diffraction.phases import ortho_cspbbr3

        scale = float(vegard.lattice_constant(x, T)) / float(vegard.lattice_constant(3.0, T))
        st = AseAtomsAdaptor.get_atoms(ortho_cspbbr3(scale=scale))
        order = np.argsort([{"Pb": 0, "Br": 1, "Cs": 2}[s] for s in st.get_chemical_symbols()], kind="stable")
        atoms = Atoms(symbols=[st.get_chemical_symbols()[i] for i in order], positions=st.positions[order],
                      cell=st.cell, pbc=True)
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    symbols[(symbols == "Br") | (symbols == "I")] = "I"
    atoms.set_chemical_symbols(list(symbols))
    atoms.info.clear()
    atoms.set_tags(np.zeros(len(atoms), dtype=int))
    n_fu = int(np.sum(symbols == "Pb"))
    if n_fu != N_FU or len(atoms) != 5 * N_FU:  # pragma: no cover - the builders fix the cell
        raise LatticeAnchorError(f"{phase} template has {n_fu} formula units, expected {N_FU}")
    return atoms


def template(phase: str, x=0.0, T=298.15):
    """All-iodide 20-atom cell of ``phase`` ('alpha', 'gamma', 'delta') with the x-scaled cell (Å) at T (K)."""
    from latticeanchor.validate import temperature

    return _template(_phase(phase), _x(x), float(temperature(T))).copy()


@lru_cache(maxsize=8)
def _shells(phase: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, shell) of all X–X pairs (periodic images, i ≠ j, up to PAIR_CUTOFF_A) of the x = 0 template."""
    from ase.neighborlist import neighbor_list

    atoms = _template(phase, 0.0, 298.15)
    is_x = np.array([s == "I" for s in atoms.get_chemical_symbols()])
    i, j, d = neighbor_list("ijd", atoms, PAIR_CUTOFF_A)
    keep = is_x[i] & is_x[j] & (i != j)
    i, j, d = i[keep], j[keep], d[keep]
    order = np.argsort(d)
    breaks = np.concatenate([[0], np.cumsum(np.diff(d[order]) > SHELL_GAP_A)])
    shell = np.empty(len(d), dtype=int)
    shell[order] = breaks
    xi = np.flatnonzero(is_x)
    pos = {int(a): k for k, a in enumerate(xi)}  # atom index → halide-site index
    return np.array([pos[int(a)] for a in i]), np.array([pos[int(b)] for b in j]), shell


def pair_correlations(phase: str, br_mask) -> np.ndarray:
    """Shell pair correlations Π_s = ⟨σ_iσ_j⟩ (σ = +1 Br, −1 I) of a halide arrangement (12 booleans, True = Br)."""
    i, j, shell = _shells(_phase(phase))
    sigma = np.where(np.asarray(br_mask, dtype=bool), 1.0, -1.0)
    prod = sigma[i] * sigma[j]
    return np.bincount(shell, weights=prod) / np.bincount(shell)


def ordering_symbols(phase: str, x, ordering: int = 0, seed: int = 0) -> tuple[np.ndarray, float]:
    """(symbols of the 12 X sites, correlation distance) of ordering ``ordering`` (0 = best) at x.

    End members have one ordering (distance 0). Raises when fewer distinct arrangements exist.
    """
    from latticeanchor.build._common import n_bromide, parse_seed

    phase, x, seed = _phase(phase), _x(x), parse_seed(seed)
    if int(ordering) != ordering or ordering < 0:
        raise LatticeAnchorError(f"ordering must be a non-negative integer, got {ordering!r}")
    n_x = 3 * N_FU
    n_br = n_bromide(x, n_x)
    if n_br in (0, n_x):
        if ordering != 0:
            raise LatticeAnchorError(f"x = {x:g} is an end member: it has one ordering (0), not {ordering}")
        return np.full(n_x, "Br" if n_br else "I", dtype=object), 0.0
    ranked = _ranked(phase, n_br, seed)
    if ordering >= len(ranked):
        raise LatticeAnchorError(f"only {len(ranked)} distinct orderings of {n_br} Br found for {phase} (seed {seed})")
    mask, dist = ranked[int(ordering)]
    return np.where(np.array(mask), "Br", "I").astype(object), dist


@lru_cache(maxsize=128)
def _ranked(phase: str, n_br: int, seed: int) -> list[tuple[tuple[bool, ...], float]]:
    """Distinct arrangements (by shell correlations) of n_br Br among 12 X, best first."""
    n_x = 3 * N_FU
    c = n_br / n_x
    target = (2 * c - 1) ** 2
    rng = np.random.default_rng(seed)
    seen: dict[tuple, tuple[tuple[bool, ...], float]] = {}
    for _ in range(N_DRAWS):
        mask = np.zeros(n_x, dtype=bool)
        mask[rng.choice(n_x, size=n_br, replace=False)] = True
        corr = pair_correlations(phase, mask)
        key = tuple(np.round(corr, 8))
        if key not in seen:
            seen[key] = (tuple(bool(v) for v in mask), float(np.abs(corr - target).sum()))
    return sorted(seen.values(), key=lambda item: item[1])


def polymorph_cell(phase: str, x, ordering: int = 0, seed: int = 0, T=298.15):
    """20-atom (4 f.u.) CsPbBr_xI_(3−x) cell of ``phase`` with halide ordering ``ordering`` (see the module
    docstring); cell lengths Å from Vegard at T (K). Provenance in ``atoms.info['latticeanchor']``."""
    from latticeanchor.build._common import provenance

    atoms = template(phase, x, T)
    halides, dist = ordering_symbols(phase, x, ordering, seed)
    symbols = np.array(atoms.get_chemical_symbols(), dtype=object)
    symbols[symbols == "I"] = halides
    atoms.set_chemical_symbols(list(symbols))
    atoms.info["latticeanchor"] = provenance("polymorph_cell", phase=_phase(phase), x=_x(x), ordering=int(ordering),
                                             seed=int(seed), n_fu=N_FU, correlation_distance=dist)
    return atoms


def batch(compositions=COMPOSITIONS, phases=("gamma", "delta", "alpha"), n_orderings: int = 5,
          alpha_mixed: bool = False, seed: int = 0, alpha_orderings: int | None = None) -> list[dict]:
    """The cells of one table: one per end member and phase, ``n_orderings`` per mixed composition and
    phase (α at mixed x only with ``alpha_mixed``, ``alpha_orderings`` of them, default ``n_orderings``).
    Each a dict (core = a unique cell label, x, phase, ordering, seed) in the candidate format of
    ``energy.scale.run_candidates``."""
    from latticeanchor.build._common import n_bromide

    out = []
    for phase in (_phase(p) for p in phases):
        for x in compositions:
            x = _x(x)
            n_br = n_bromide(x, 3 * N_FU)
            end = n_br in (0, 3 * N_FU)
            if phase == "alpha" and not end and not alpha_mixed:
                continue
            n = int(alpha_orderings) if phase == "alpha" and alpha_orderings is not None else int(n_orderings)
            for k in range(1 if end else n):
                out.append({"core": f"{phase}-o{k}-s{seed}", "x": x, "phase": phase, "ordering": k, "seed": int(seed)})
    # end members first (the potential's check), then mixed γ/δ (the boundary), then mixed α
    return sorted(out, key=lambda c: 0 if c["x"] in (0.0, 3.0) else (2 if c["phase"] == "alpha" else 1))


def relax_cell(atoms, calculator="sevennet", fmax: float = DEFAULT_FMAX, steps: int = DEFAULT_STEPS):
    """Relax positions and cell (FrechetCellFilter, BFGS) with ``calculator`` (one torch thread);
    returns ``energy.relax.RelaxResult``. BFGS, not FIRE: on these 20-atom cells it converges in
    ≈ 20–30 steps against ≈ 40 (γ-CsPbI3: 28 vs 37 steps, energies within 1.3 meV/f.u.)."""
    from latticeanchor.energy.relax import relax

    return relax(atoms, calculator=calculator, fmax=fmax, steps=steps, cell=True, optimizer="BFGS",
                 cell_filter="frechet", threads=1)


def cell_task(candidate: dict, settings: dict, workdir) -> dict:
    """``run_candidates`` task: build one polymorph cell, relax it, write ``relaxed.extxyz``; scalar results."""
    import time

    from latticeanchor import io

    t0 = time.perf_counter()
    atoms = polymorph_cell(candidate["phase"], candidate["x"], int(candidate["ordering"]), int(candidate["seed"]))
    res = relax_cell(atoms, calculator=settings["calculator"], fmax=float(settings["fmax"]), steps=int(settings["steps"]))
    Path(workdir).mkdir(parents=True, exist_ok=True)
    io.write(res.atoms, Path(workdir) / "relaxed.extxyz", format="extxyz")
    return {"phase": candidate["phase"], "ordering": int(candidate["ordering"]), "seed": int(candidate["seed"]),
            "n_fu": N_FU, "energy_eV_per_fu": res.energy / N_FU,
            "volume_A3_per_fu": float(res.atoms.get_volume()) / N_FU,
            "initial_volume_A3_per_fu": float(atoms.get_volume()) / N_FU,
            "max_force_eV_per_A": res.max_force, "max_stress_GPa": res.max_stress, "steps": res.steps,
            "converged": res.converged, "correlation_distance": atoms.info["latticeanchor"]["correlation_distance"],
            "relax_s": time.perf_counter() - t0}


def _potential_version(calculator: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    dist = {"sevennet": "sevenn", "chgnet": "chgnet"}.get(calculator, calculator)
    try:
        return f"{dist} {version(dist)}"
    except PackageNotFoundError:
        return f"{dist} (version unknown)"


def table_from_records(records: list[dict], settings: dict, command: str) -> dict:
    """The JSON table (metadata + one entry per finished cell) from ``run_candidates`` records."""
    name = {"sevennet": "SevenNet-0 (7net-0)", "chgnet": "CHGNet"}.get(settings["calculator"], settings["calculator"])
    cells = []
    for rec in records:
        if not rec or rec.get("status") != "ok":
            continue
        r = rec["result"]
        cells.append({"x": float(rec["candidate"]["x"]), "phase": r["phase"], "ordering": r["ordering"],
                      "seed": r["seed"], "n_fu": r["n_fu"], "energy_eV_per_fu": r["energy_eV_per_fu"],
                      "volume_A3_per_fu": r["volume_A3_per_fu"], "max_force_eV_per_A": r["max_force_eV_per_A"],
                      "steps": r["steps"], "converged": r["converged"],
                      "correlation_distance": r["correlation_distance"], "relax_s": round(float(r["relax_s"]), 1)})
    cells.sort(key=lambda c: (PHASES.index(c["phase"]), c["x"], c["ordering"]))
    failed = [f"{rec['candidate'].get('core')} x={rec['candidate'].get('x')}: {rec.get('error')}"
              for rec in records if rec and rec.get("status") == "failed"]
    return {"metadata": {
        "description": "Relaxed polymorph energies of CsPbBr_xI_(3-x), 4 formula units per cell (alpha 2x2x1 cubic, "
                       "gamma Pnma perovskite, delta NH4CdCl3 type); halide orderings: best distinct of "
                       f"{N_DRAWS} seeded random arrangements by shell pair-correlation distance from random",
        "potential": name, "potential_version": _potential_version(settings["calculator"]),
        "relaxation": "positions + cell, ASE FrechetCellFilter, BFGS", "fmax_eV_per_A": float(settings["fmax"]),
        "step_cap": int(settings["steps"]), "latticeanchor_version": __version__,
        "date": datetime.date.today().isoformat(), "command": command, "units": {
            "energy_eV_per_fu": "eV per CsPbX3 formula unit", "volume_A3_per_fu": "Å^3 per formula unit",
            "max_force_eV_per_A": "eV/Å"},
        "failed": failed}, "cells": cells}


def run_batch(out, cells: list[dict], workdir, calculator: str = "sevennet", fmax: float = DEFAULT_FMAX,
              steps: int = DEFAULT_STEPS, workers: int | None = None, command: str = "") -> dict:
    """Relax ``cells`` (from ``batch``) via ``energy.scale.run_candidates`` into ``workdir`` (cached per cell)
    and write the table to ``out`` atomically after every finished cell; returns the table."""
    from latticeanchor.atomic import check_target, write_json
    from latticeanchor.energy.scale import run_candidates

    out = check_target(out, "output table", (".json",))
    settings = {"calculator": calculator, "fmax": float(fmax), "steps": int(steps), "cell_filter": "frechet",
                "rattle": 0.0, "write_dft": False}
    done: list[dict] = []

    def progress(rec):
        done.append(rec)
        write_json(out, table_from_records(done, dict(settings), command), indent=1)
        r = rec.get("result") or {}
        print(f"[{len(done)}/{len(cells)}] {rec['candidate'].get('core')} x={rec['candidate'].get('x')}: "
              f"{rec.get('status')} E={r.get('energy_eV_per_fu', float('nan')):.4f} eV/fu steps={r.get('steps')} "
              f"{'(cached)' if rec.get('cached') else ''}", flush=True)

    df = run_candidates(cells, workdir, workers=workers, settings=settings, task=cell_task, progress=progress)
    records = []
    for path in df["workdir"]:
        if path:
            from latticeanchor.energy.scale import load_record

            records.append(load_record(path))
    table = table_from_records(records, settings, command)
    write_json(out, table, indent=1)
    return table


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m latticeanchor.energy.polymorphs",
                                description="Relax α/γ/δ CsPbBr_xI_(3−x) cells with an MLIP and write the polymorph-energy table.")
    p.add_argument("--out", required=True, help="output JSON table")
    p.add_argument("--workers", type=int, default=None, help="dask LocalCluster workers (default: serial)")
    p.add_argument("--workdir", default=None, help="per-cell cache folder (default: <out>.runs)")
    p.add_argument("--calculator", default="sevennet", choices=("sevennet", "chgnet"))
    p.add_argument("--compositions", default=",".join(f"{x:g}" for x in COMPOSITIONS), help="x values, comma-separated")
    p.add_argument("--phases", default="gamma,delta,alpha", help="comma-separated subset of alpha,gamma,delta")
    p.add_argument("--orderings", type=int, default=5, help="orderings per mixed composition and phase")
    p.add_argument("--alpha-mixed", action="store_true", help="also relax α at the mixed compositions")
    p.add_argument("--alpha-orderings", type=int, default=None, help="orderings of α per mixed composition (default --orderings)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random halide arrangements")
    p.add_argument("--fmax", type=float, default=DEFAULT_FMAX, help="force threshold, eV/Å")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="optimizer step cap")
    return p


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        from latticeanchor.atomic import check_target

        check_target(args.out, "output table", (".json",))
        if args.workers is not None and args.workers < 1:
            raise LatticeAnchorError(f"--workers must be a positive integer, got {args.workers}")
        if args.orderings < 1 or args.steps < 1 or not args.fmax > 0 or (args.alpha_orderings or 1) < 1:
            raise LatticeAnchorError("--orderings and --steps must be positive integers, --fmax positive (eV/Å)")
        try:
            xs = [float(v) for v in args.compositions.split(",") if v.strip()]
        except ValueError:
            raise LatticeAnchorError(f"--compositions must be comma-separated numbers, got {args.compositions!r}") from None
        cells = batch(xs, [p for p in args.phases.split(",") if p.strip()], args.orderings, args.alpha_mixed, args.seed,
                      args.alpha_orderings)
        for cell in cells:  # every cell must build before any relaxation starts
            polymorph_cell(cell["phase"], cell["x"], cell["ordering"], cell["seed"])
        workdir = args.workdir or str(Path(args.out).with_suffix("")) + ".runs"
        command = "python -m latticeanchor.energy.polymorphs " + " ".join(sys.argv[1:] if argv is None else argv)
        run_batch(args.out, cells, workdir, calculator=args.calculator, fmax=args.fmax, steps=args.steps,
                  workers=args.workers, command=command)
    except LatticeAnchorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
