"""Score terms, the weighted score and the Pareto front of a screened candidate table.

Every term lies in [0, 1] (1 = best) and is a column ``term_<name>`` in the results:

===========  ==============================================================================================
stability    (1 + S)/2 with S the ``stability_index`` of ``latticeanchor.stability`` (anchored − destabilized)
             averaged over ``stability.ensemble()`` (the assumed α/δ boundary x = 2.1, 2.5, 2.9): 0.5 is a
             pristine metastable film, below 0.5 dislocated dots make it worse, 1 anchored or α stable
coherence    probability that a dot keeps a coherent interface (grown-shell Matthews–Blakeslee criterion):
             dislocated interfaces are carrier traps and δ nucleation sites even where α is stable
selectivity  (1 + Q_α − Q_δ)/2, registry quality on α against the best δ coincidence (``selectivity``)
alignment    probability of type-I alignment over the dots' ligand spread (``electronic.band_alignment``)
gap          1 inside the target dot-gap window, else exp(−distance/0.1 eV)
tolerance    ½[1 + tanh((4.18 − τ)/0.1)], Bartel's τ, smooth (phase stability proper is in ``stability``)
processing   1 up to 15 vol% (uniform films, Liu et al. 2019, O8), then exp[−((φ − 0.15)/0.05)²]: grains
             shrink above 20 vol% (0.37 there)
===========  ==============================================================================================

score = Σ wᵢ termᵢ / Σ wᵢ with the weights of the ``[score]`` table, per row (one temperature); a term not
evaluated for a row (its matrix or core lacks the data: empty cells, named in ``not_evaluated``) earns 0,
so missing data never lifts a candidate above one whose terms were all evaluated. A film has to
survive every study temperature (storage and anneal), so candidates rank by ``score_worst_T``, the lowest
score of the same (core, x, diameter, loading) over the study temperatures, then by their own score. The Pareto front is computed on the
term vector, so a candidate that no single weighting favours is still marked. ``limiting_term`` names the
term with the largest weighted shortfall wᵢ(1 − termᵢ): the physical effect that decided the rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor.tolerance import TAU_THRESHOLD

TERMS = ("stability", "coherence", "selectivity", "alignment", "gap", "tolerance", "processing")
GAP_SCALE_EV = 0.1
TAU_SCALE = 0.1
UNIFORM_FILM_MAX_FRACTION = 0.15  # Liu et al. 2019: CQD loading below 15 vol% for uniform films (O8)
GRAIN_LOSS_SCALE_FRACTION = 0.05  # smaller grains above 20 vol% (O8): the term is 0.37 at 20 vol%


def processing_term(loading_fraction) -> np.ndarray:
    """1 up to 15 vol%, then a Gaussian fall-off (0.37 at 20 vol%, 0.02 at 25 vol%)."""
    phi = np.asarray(loading_fraction, float)
    excess = np.clip(phi - UNIFORM_FILM_MAX_FRACTION, 0.0, None)
    return np.exp(-(excess / GRAIN_LOSS_SCALE_FRACTION) ** 2)


def terms(table: pd.DataFrame, target_gap=(1.1, 1.3)) -> pd.DataFrame:
    """DataFrame of the score terms (columns ``term_<name>``) for every candidate."""
    gap = table["dot_gap_eV"].to_numpy(float)
    distance = np.where(gap < target_gap[0], target_gap[0] - gap, np.where(gap > target_gap[1], gap - target_gap[1], 0.0))
    return pd.DataFrame({
        "term_stability": 0.5 * (1.0 + table["stability_index_ensemble"].to_numpy(float)),
        "term_coherence": table["coherent_probability"].to_numpy(float),
        "term_selectivity": 0.5 * (1.0 + table["selectivity"].to_numpy(float)),
        "term_alignment": table["type_I_probability"].to_numpy(float),
        "term_gap": np.exp(-distance / GAP_SCALE_EV),
        "term_tolerance": 0.5 * (1 + np.tanh((TAU_THRESHOLD - table["bartel_tau"].to_numpy(float)) / TAU_SCALE)),
        "term_processing": processing_term(table["loading_fraction"].to_numpy(float)),
    }, index=table.index)


def weighted_score(term_table: pd.DataFrame, weights: dict) -> np.ndarray:
    """Σ wᵢ termᵢ / Σ wᵢ (weights of zero drop a term)."""
    w = np.array([weights[name] for name in TERMS], float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("score weights must be finite, ≥ 0, and at least one positive")
    values = term_table[[f"term_{name}" for name in TERMS]].to_numpy(float)
    if np.isnan(values).any():  # a term not evaluated (no data for the row's matrix or core) earns nothing
        values = np.nan_to_num(values, nan=0.0)
    return values @ w / w.sum()


def limiting_term(term_table: pd.DataFrame, weights: dict) -> np.ndarray:
    """Name of the term with the largest weighted shortfall wᵢ(1 − termᵢ) per candidate."""
    w = np.array([weights[name] for name in TERMS], float)
    shortfall = (1.0 - term_table[[f"term_{name}" for name in TERMS]].to_numpy(float)) * w
    shortfall = np.where(np.isnan(shortfall), w, shortfall)  # a term not evaluated is a full shortfall
    return np.asarray(TERMS)[np.argmax(shortfall, axis=1)]


def pareto_front(values: np.ndarray, block: int = 256) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (all objectives maximized).

    A row is dominated when another row is ≥ in every objective and > in at least one. Rows are first
    reduced to their distinct vectors and visited in decreasing lexicographic order (no later vector can
    dominate an earlier one), in blocks: each block is checked against the front found so far and against
    the earlier vectors of its own block (a vector dominated by a dominated vector is dominated by its
    dominator too), all vectorized.
    """
    values = np.asarray(values, float)
    uniq, inverse = np.unique(np.round(values, 12), axis=0, return_inverse=True)
    order = np.lexsort(uniq.T[::-1])[::-1]
    front = np.empty((0, uniq.shape[1]))
    is_front = np.zeros(len(uniq), bool)
    for start in range(0, len(order), block):
        idx = order[start:start + block]
        cand = uniq[idx]
        dominated = np.zeros(len(idx), bool)
        if len(front):
            dominated |= np.all(front[None, :, :] >= cand[:, None, :], axis=2).any(axis=1)
        ge = np.all(cand[None, :, :] >= cand[:, None, :], axis=2)  # ge[i, j]: cand j ≥ cand i
        dominated |= np.tril(ge, k=-1).any(axis=1)
        keep = idx[~dominated]
        is_front[keep] = True
        front = np.vstack([front, uniq[keep]])
    return is_front[inverse.ravel()]
