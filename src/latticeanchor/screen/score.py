"""Score terms, the weighted score and the Pareto front of a screened candidate table.

Every term lies in [0, 1] (1 = best) and is a column ``term_<name>`` in the results:

=============  ==========================================================================
mismatch       exp[−(ε/ε_s)²], ε_s = ``score.mismatch_scale`` (default 0.01)
coherence      1 when the loading is at or above the critical loading (anchored),
               else loading / critical loading (0 without dots or when coherence is impossible)
selectivity    ½[1 + tanh(S/S_s)], S = δ coincidence strain − |ε_α|, S_s = ``selectivity_scale``
alignment      ½[1 + tanh(m/0.1 eV)], m = type-I margin (eV)
gap            1 inside the target dot-gap window, else exp(−distance/0.1 eV)
tolerance      ½[1 + tanh((4.18 − τ)/0.05)], Bartel's τ (perovskite when τ < 4.18)
loading        1 − loading/0.64: fewer dots keep the film perovskite-dominant
=============  ==========================================================================

score = Σ wᵢ termᵢ / Σ wᵢ with the weights of the ``[score]`` table. The Pareto front is computed
on the term vector, so a candidate that no single weighting favours is still marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor.tolerance import TAU_THRESHOLD

TERMS = ("mismatch", "coherence", "selectivity", "alignment", "gap", "tolerance", "loading")
ALIGNMENT_SCALE_EV = 0.1
GAP_SCALE_EV = 0.1
TAU_SCALE = 0.05
RCP = 0.64


def terms(table: pd.DataFrame, weights: dict, target_gap=(1.1, 1.3)) -> pd.DataFrame:
    """DataFrame of the score terms (columns ``term_<name>``) for every candidate."""
    eps = table["eps"].to_numpy(float)
    phi = table["loading"].to_numpy(float)
    crit = table["critical_loading"].to_numpy(float)
    gap = table["dot_gap_eV"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        coherence = np.where(phi >= crit, 1.0, np.where(np.isfinite(crit) & (crit > 0), phi / crit, 0.0))
    coherence = np.where(phi > 0, coherence, 0.0)
    distance = np.where(gap < target_gap[0], target_gap[0] - gap, np.where(gap > target_gap[1], gap - target_gap[1], 0.0))
    return pd.DataFrame({
        "term_mismatch": np.exp(-(eps / weights["mismatch_scale"]) ** 2),
        "term_coherence": coherence,
        "term_selectivity": 0.5 * (1 + np.tanh(table["selectivity"].to_numpy(float) / weights["selectivity_scale"])),
        "term_alignment": 0.5 * (1 + np.tanh(table["alignment_margin_eV"].to_numpy(float) / ALIGNMENT_SCALE_EV)),
        "term_gap": np.exp(-distance / GAP_SCALE_EV),
        "term_tolerance": 0.5 * (1 + np.tanh((TAU_THRESHOLD - table["bartel_tau"].to_numpy(float)) / TAU_SCALE)),
        "term_loading": 1.0 - phi / RCP,
    }, index=table.index)


def weighted_score(term_table: pd.DataFrame, weights: dict) -> np.ndarray:
    """Σ wᵢ termᵢ / Σ wᵢ (weights of zero drop a term)."""
    w = np.array([weights[name] for name in TERMS], float)
    if w.sum() <= 0:
        raise ValueError("at least one score weight must be positive")
    values = term_table[[f"term_{name}" for name in TERMS]].to_numpy(float)
    return values @ w / w.sum()


def pareto_front(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (all objectives maximized).

    A row is dominated when another row is ≥ in every objective and > in at least one. Rows are
    first reduced to their distinct vectors; the sweep visits them in decreasing lexicographic order,
    so each is compared only with the front found so far.
    """
    values = np.asarray(values, float)
    uniq, inverse = np.unique(np.round(values, 12), axis=0, return_inverse=True)
    order = np.lexsort(uniq.T[::-1])[::-1]  # decreasing lexicographic: no later row can dominate an earlier one
    front: list[int] = []
    front_vals = np.empty((0, uniq.shape[1]))
    for i in order:
        v = uniq[i]
        if front_vals.shape[0] and np.any(np.all(front_vals >= v, axis=1)):
            continue
        front.append(i)
        front_vals = np.vstack([front_vals, v])
    is_front = np.zeros(len(uniq), bool)
    is_front[front] = True
    return is_front[inverse.ravel()]
