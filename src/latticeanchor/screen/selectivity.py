"""Anchoring selectivity: how much better a rock-salt core fits the α phase than the δ phase.

α: the interface is cube-on-cube, every core surface cell is in registry (coincidence density ρ = 1) and
the in-plane strain is |ε| (``strain.mismatch``).

δ (Pnma, no coherent registry): coincidence-site lattices of every rock-salt plane with Miller indices ≤ 1
on every δ plane with Miller indices ≤ 1, found with pymatgen's ZSL machinery (``SubstrateAnalyzer``;
Zur & McGill, J. Appl. Phys. 55, 378 (1984), DOI 10.1063/1.333084) at the reference cells. Each match is
a 2×2 map F from the film superlattice onto the substrate superlattice; its principal stretches λ₁, λ₂
(singular values of F) give the strain max|λᵢ − 1|, and ρ = (core face cell area)/(match area) is the
fraction of the core's surface cells that sit on coincidence sites. The area cap is raised until the
smallest coincidence strain stops changing (``CONVERGED_AREA_A2``: 600 Å² gives the same minimum as
900 Å²; tested); at smaller caps δ's largest face is never searched and the minimum is an artefact.

A sparse coincidence anchors weakly, so each interface is scored by its registry quality
Q = ρ · exp[−(strain/ε_s)²] with ε_s = ``STRAIN_SCALE`` (1 %): Q_α = exp[−(ε/ε_s)²] and
Q_δ = max over matches. Selectivity = Q_α − Q_δ ∈ [−1, 1]: positive when the dot favours α. The smallest
δ strain (unweighted) is kept as ``delta_strain`` for reference.

Both lattices scale isotropically with composition and temperature (the core by Vegard and expansion, the δ
cell with the α lattice constant, as the builder does), so every stretch scales by one ratio s and the
table is computed once. It ships as package data (``data/delta_coincidence.json``, regenerate with
``python -m latticeanchor.screen.selectivity``); if the reference cells in ``materials.json`` change, it is
recomputed once and cached in the user cache folder. NOTE: only δ-CsPbI3 is known; δ-CsPbBr_xI_(3−x) at
large x is hypothetical (CsPbBr3 has no δ polymorph), so selectivity at high Br is a geometric statement.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from latticeanchor import data, strain, vegard
from latticeanchor.errors import LatticeAnchorError

REFERENCE_T = 298.15  # K
REFERENCE_CORE = "PbS"
LENGTH_TOL = 0.12  # ZSL search tolerance at the reference cells (fraction)
CONVERGED_AREA_A2 = 600.0  # area cap (Å²) at which the minimum δ strain has converged
SEARCH_AREA_A2 = 900.0  # area cap of the shipped table (Å²)
STRAIN_SCALE = 0.01  # ε_s of the registry quality (fraction)
TABLE_NAME = "delta_coincidence.json"

__all__ = ["delta_matches", "delta_strain", "delta_quality", "alpha_quality", "selectivity", "compute_matches",
           "REFERENCE_T", "CONVERGED_AREA_A2", "STRAIN_SCALE"]


def _stretches(film_vectors, substrate_vectors) -> np.ndarray:
    """Principal stretches of the in-plane map film superlattice -> substrate superlattice."""
    f = np.asarray(film_vectors, float)[:2]
    s = np.asarray(substrate_vectors, float)[:2]

    def gram_basis(v):  # 2D coordinates of the two vectors in their own plane
        e1 = v[0] / np.linalg.norm(v[0])
        n = np.cross(v[0], v[1])
        e2 = np.cross(n, e1)
        e2 /= np.linalg.norm(e2)
        return np.array([[v[i] @ e1, v[i] @ e2] for i in range(2)]).T  # columns are the vectors

    F = gram_basis(s) @ np.linalg.inv(gram_basis(f))
    return np.linalg.svd(F, compute_uv=False)


def delta_reference_structure():
    """δ-CsPbI3 (Pnma) at its reference cell as a pymatgen Structure (``build.delta_matrix``)."""
    from latticeanchor.build import delta_matrix
    from latticeanchor.io import to_structure

    return to_structure(delta_matrix(0.0, size=1, T=data.entry("CsPbI3_delta", "cell")["T"]))


def _reference_cells() -> dict:
    """The reference cells the table depends on (Å), to detect a stale table."""
    cell = data.entry("CsPbI3_delta", "cell")
    return {"core": REFERENCE_CORE, "a_core_A": round(float(data.lattice_constant_at(REFERENCE_CORE, REFERENCE_T)), 8),
            "delta_abc_A": [round(float(cell[k]), 8) for k in ("a", "b", "c")]}


def compute_matches(max_area: float = SEARCH_AREA_A2) -> dict:
    """Run the ZSL search (pymatgen) at the reference cells: every match's miller indices, stretches, areas."""
    from pymatgen.analysis.interfaces.substrate_analyzer import SubstrateAnalyzer

    from latticeanchor.build import rocksalt_cell
    from latticeanchor.io import to_structure

    core = to_structure(rocksalt_cell(REFERENCE_CORE, T=REFERENCE_T))
    analyzer = SubstrateAnalyzer(film_max_miller=1, substrate_max_miller=1, max_area=max_area,
                                 max_length_tol=LENGTH_TOL, max_angle_tol=0.02)
    rows = []
    for m in analyzer.calculate(film=core, substrate=delta_reference_structure()):
        lam = _stretches(m.film_sl_vectors, m.substrate_sl_vectors)
        face = float(np.linalg.norm(np.cross(*np.asarray(m.film_vectors, float)[:2])))
        area = float(np.linalg.norm(np.cross(*np.asarray(m.film_sl_vectors, float)[:2])))
        rows.append([*map(int, m.film_miller), *map(int, m.substrate_miller), round(float(lam[0]), 10),
                     round(float(lam[1]), 10), round(area, 6), round(face, 6)])
    rows = sorted({tuple(r) for r in rows})
    return {"reference": _reference_cells(), "max_area_A2": max_area, "length_tol": LENGTH_TOL,
            "columns": ["film_h", "film_k", "film_l", "sub_h", "sub_k", "sub_l", "stretch_1", "stretch_2",
                        "match_area_A2", "film_face_area_A2"],
            "matches": [list(r) for r in rows]}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "latticeanchor"


@lru_cache(maxsize=1)
def _table() -> dict:
    """The coincidence table: shipped, cached, or computed (in that order) for the current reference cells."""
    ref = _reference_cells()
    shipped = json.loads(resources.files("latticeanchor.data").joinpath(TABLE_NAME).read_text(encoding="utf-8"))
    if shipped["reference"] == ref:
        return shipped
    digest = hashlib.sha256(json.dumps(ref, sort_keys=True).encode()).hexdigest()[:16]
    cache = _cache_dir() / f"delta_coincidence_{digest}.json"
    try:
        cached = json.loads(cache.read_text(encoding="utf-8"))
        if cached["reference"] == ref:
            return cached
    except (OSError, ValueError, KeyError):
        pass
    table = compute_matches(shipped["max_area_A2"])
    try:
        from latticeanchor.atomic import write_json

        cache.parent.mkdir(parents=True, exist_ok=True)
        write_json(cache, table, indent=None)
    except OSError:  # a read-only home still gets the answer
        pass
    return table


def delta_matches(max_area: float | None = None) -> np.ndarray:
    """(n, 4) array of [stretch_1, stretch_2, match area Å², core face area Å²] with area ≤ max_area."""
    rows = np.asarray(_table()["matches"], float).reshape(-1, 10)[:, 6:]
    if max_area is not None:
        rows = rows[rows[:, 2] <= max_area + 1e-9]
    return rows


def _ratio(core, x, T, dataset):
    ms = data.resolve(dataset)
    m = ms.matrix()
    if m.delta is None or m.delta.name != "CsPbI3_delta":
        raise LatticeAnchorError(f"no δ polymorph coincidence table for matrix {m.name}: the α/δ selectivity is not "
                                 "evaluated for it (only δ-CsPbI3 is tabulated)")
    cell_T = data.resolve(None).polymorphs["CsPbI3_delta"].cell["T"]  # the table's reference cell
    delta_scale = np.asarray(vegard.lattice_constant(x, T, ms)) / vegard.lattice_constant(0.0, cell_T, ms)
    core_scale = np.asarray(strain.core_lattice_constant(core, T, ms)) / float(
        data.resolve(None).core(REFERENCE_CORE).a(REFERENCE_T))
    return (delta_scale / core_scale)[..., None, None]


def delta_strain(core: str, x, T=298.15, dataset: str | None = None, max_area: float | None = CONVERGED_AREA_A2, *,
                 matrix: str | None = None):
    """Smallest coincidence-lattice strain (fraction) of ``core`` on δ-CsPbBr_xI_(3−x) at T (K), unweighted."""
    rows = delta_matches(max_area)
    s = _ratio(core, x, T, data.resolve(dataset, matrix))
    if rows.size == 0:
        return np.full(np.shape(s)[:-2], LENGTH_TOL)
    per_match = np.max(np.abs(s * rows[:, :2] - 1.0), axis=-1)
    return np.minimum(np.min(per_match, axis=-1), LENGTH_TOL)


def delta_quality(core: str, x, T=298.15, dataset: str | None = None, max_area: float | None = None, *,
                  matrix: str | None = None):
    """Best registry quality max ρ·exp[−(strain/ε_s)²] of ``core`` on δ (0–1; all searched matches)."""
    rows = delta_matches(max_area)
    s = _ratio(core, x, T, data.resolve(dataset, matrix))
    if rows.size == 0:
        return np.zeros(np.shape(s)[:-2])
    strains = np.max(np.abs(s * rows[:, :2] - 1.0), axis=-1)
    rho = rows[:, 3] / rows[:, 2]
    return np.max(rho * np.exp(-(strains / STRAIN_SCALE) ** 2), axis=-1)


def alpha_quality(core: str, x, T=298.15, dataset: str | None = None, *, matrix: str | None = None):
    """Registry quality exp[−(ε/ε_s)²] of the cube-on-cube α interface (ρ = 1)."""
    eps = np.asarray(strain.mismatch(core, x, T, data.resolve(dataset, matrix)))
    return np.exp(-(eps / STRAIN_SCALE) ** 2)


def selectivity(core: str, x, T=298.15, dataset: str | None = None, *, matrix: str | None = None):
    """Q_α − Q_δ ∈ [−1, 1]; larger = the dot favours α more strongly than any δ coincidence."""
    ms = data.resolve(dataset, matrix)
    return alpha_quality(core, x, T, ms) - delta_quality(core, x, T, ms)


def main(argv=None) -> None:  # pragma: no cover - maintenance entry point
    """Regenerate the shipped table: ``python -m latticeanchor.screen.selectivity [MAX_AREA]``."""
    import sys

    from latticeanchor.atomic import write_json

    args = sys.argv[1:] if argv is None else argv
    table = compute_matches(float(args[0]) if args else SEARCH_AREA_A2)
    target = Path(__file__).resolve().parents[1] / "data" / TABLE_NAME
    write_json(target, table, indent=None)
    print(f"{len(table['matches'])} matches up to {table['max_area_A2']:g} Å² -> {target}")


if __name__ == "__main__":  # pragma: no cover
    main()
