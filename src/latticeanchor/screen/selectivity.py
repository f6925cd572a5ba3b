"""Anchoring selectivity: how much worse a rock-salt core fits the δ phase than the α phase.

For α the interface is cube-on-cube and the in-plane strain is |ε| (``strain.mismatch``). For δ
(Pnma, no coherent registry) we search coincidence-site lattices of rock-salt low-index planes
(Miller indices ≤ 1) on δ low-index planes with pymatgen's ZSL machinery (``SubstrateAnalyzer``;
Zur & McGill, J. Appl. Phys. 55, 378 (1984), DOI 10.1063/1.333084) once, at the reference cells,
with a generous length tolerance. Each match is a 2×2 deformation F from the film superlattice onto
the substrate superlattice; its principal stretches λ₁, λ₂ (singular values of F) give the strain
max|λᵢ − 1|. Both lattices then scale isotropically (the core with composition and temperature, the
δ cell with the α lattice constant, as the builder does), so a match's stretches scale by the ratio
s of the two scale factors and the smallest δ strain at any (x, T) is min over matches of
max|s λᵢ − 1|, which is exact and vectorized. Selectivity = δ strain − |ε_α| (fraction): positive
when the core anchors α better than δ.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from latticeanchor import data, strain, vegard

REFERENCE_T = 298.15  # K
LENGTH_TOL = 0.12  # ZSL search tolerance at the reference cells (fraction)


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


@lru_cache(maxsize=8)
def delta_matches(core_end_member: str = "PbS") -> np.ndarray:
    """(n_matches, 2) principal stretches of rock-salt planes on δ planes at the reference cells."""
    from pymatgen.analysis.interfaces.substrate_analyzer import SubstrateAnalyzer

    from latticeanchor.build import rocksalt_cell
    from latticeanchor.io import to_structure

    core = to_structure(rocksalt_cell(core_end_member, T=REFERENCE_T))
    analyzer = SubstrateAnalyzer(film_max_miller=1, substrate_max_miller=1, max_area=160,
                                 max_length_tol=LENGTH_TOL, max_angle_tol=0.02)
    stretches = [_stretches(m.film_sl_vectors, m.substrate_sl_vectors)
                 for m in analyzer.calculate(film=core, substrate=delta_reference_structure())]
    if not stretches:
        return np.empty((0, 2))
    return np.unique(np.round(np.array(stretches), 10), axis=0)


def delta_strain(core: str, x, T=298.15, dataset: str | None = None):
    """Smallest coincidence-lattice strain (fraction) of ``core`` on δ-CsPbBr_xI_(3−x) at T (K).

    Where no match lies within the search tolerance, the tolerance itself (a lower bound) is returned.
    """
    ref_core = "PbS"
    stretches = delta_matches(ref_core)
    cell_T = data.entry("CsPbI3_delta", "cell")["T"]
    delta_scale = np.asarray(vegard.lattice_constant(x, T, dataset)) / vegard.lattice_constant(0.0, cell_T, dataset)
    core_scale = np.asarray(strain.core_lattice_constant(core, T, dataset)) / float(data.lattice_constant_at(ref_core, REFERENCE_T))
    s = (delta_scale / core_scale)[..., None, None]
    if stretches.size == 0:
        return np.full(np.shape(s)[:-2], LENGTH_TOL)
    per_match = np.max(np.abs(s * stretches - 1.0), axis=-1)
    return np.minimum(np.min(per_match, axis=-1), LENGTH_TOL)


def selectivity(core: str, x, T=298.15, dataset: str | None = None):
    """δ coincidence strain minus |ε_α| (fraction); larger = the dot favours α more strongly."""
    return delta_strain(core, x, T, dataset) - np.abs(np.asarray(strain.mismatch(core, x, T, dataset)))
