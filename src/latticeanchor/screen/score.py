"""Score terms for a stated purpose, the weighted score and the Pareto front of a screened candidate table.

A study states what it screens *for* (``[objective] target``, or ``screen --target``); each target weights the
terms below (every term lies in [0, 1], 1 = best, and is a column ``term_<name>``; the ``[score]`` table
overrides single weights). Every target scores the **anchoring gain**, so a film that is α-stable or long-lived
without dots gains nothing, and a film without dots is not penalized for an interface it does not have.

============  =============================================================================================
anchoring     what the dots add: ln(L/L₀)/ln(L_target/L₀) clipped to [0, 1], L the lifetime with dots and L₀
              without (``latticeanchor.stability.lifetime``), at every study temperature where the pristine film
              falls short of ``objective.lifetime_target_h`` (the minimum over them); 0 where it falls short
              nowhere (the dots contribute nothing)
lifetime      log₁₀(1 + L/h)/log₁₀(1 + 87 600) clipped to [0, 1] (10 years = 1), the worst study temperature
matrix_gap    the matrix's own gap (``vegard.band_gap``, with bowing) in ``objective.matrix_gap_eV``: 1 at the
              window's low edge falling linearly to 0.9 at its high edge (lower gap preferred, a tandem top
              cell), outside exp(−distance/0.05 eV) times the edge value
passivation   exp[−ln 2 (ε/0.5 %)²]: calibrated on Liu et al. 2019 Fig. 4e (CQD PLQE peaks where |ε| < 0.2 % at
              67 % Br, 0.89 here, and is below half the peak for |ε| > 0.5 %)
dot_gap       1 inside the dot-gap window ``model.target_gap_eV``, else exp(−distance/0.1 eV)
selectivity   (1 + Q_α − Q_δ)/2, registry quality on α against the best δ coincidence (``selectivity``)
tolerance     ½[1 + tanh((4.18 − τ)/0.1)], Bartel's τ (phase stability proper is in the kinetic model)
processing    1 up to 15 vol% (uniform films, Liu et al. 2019, O8), then exp[−((φ − 0.15)/0.05)²]
============  =============================================================================================

Targets (default weights in ``TARGET_WEIGHTS``): ``tandem-top-cell`` ranks the lowest-gap matrix the dots keep
α; ``cqd-passivation`` a matrix lattice-matched to the dots (passivation) that the dots also anchor;
``lifetime`` the longest lifetime the dots give. Band alignment carries no weight: with the two laboratories'
reference offset in its uncertainty the data decide no label (``electronic.band_alignment``).

score = Σ wᵢ termᵢ / Σ wᵢ per row (one temperature). A film has to survive every study temperature, so
candidates rank by ``score_worst_T``, the lowest score of the same (core, x, diameter, loading) over the study
temperatures, then by their own score: that one key orders ``candidates.csv``, ``ranked.csv`` (one row per
(core, x, diameter) with the loading window that ties for its best score), every plot and the printed best line.
``limiting_term`` names the term with the largest weighted shortfall wᵢ(1 − termᵢ).

A multi-matrix screen (``grid.matrices``) groups a film by (matrix, core, x, diameter, loading). A term whose
model a matrix lacks (named in the table's ``not_evaluated`` column: anchoring and lifetime without the kinetic
model, selectivity without the δ coincidence table) is left empty (NaN) in its ``term_<name>`` column and
earns 0 in the score (a full shortfall for ``limiting_term``), so missing data never lift a candidate above one
whose terms were all evaluated, and no value is borrowed from another matrix.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor.tolerance import TAU_THRESHOLD

TERMS = ("anchoring", "lifetime", "matrix_gap", "passivation", "dot_gap", "selectivity", "tolerance", "processing")
TARGETS = ("tandem-top-cell", "cqd-passivation", "lifetime")
TARGET_WEIGHTS = {
    "tandem-top-cell": {"anchoring": 4.0, "matrix_gap": 2.0, "selectivity": 0.25, "processing": 1.0},
    "cqd-passivation": {"anchoring": 2.0, "passivation": 3.0, "dot_gap": 1.0, "selectivity": 0.25, "processing": 1.0},
    "lifetime": {"anchoring": 2.0, "lifetime": 4.0, "selectivity": 0.25, "processing": 1.0},
}
DEFAULT_TARGET = "tandem-top-cell"
DEFAULT_MATRIX_GAP_EV = (1.70, 1.85)
GAP_SCALE_EV = 0.1
MATRIX_GAP_SCALE_EV = 0.05
MATRIX_GAP_SLOPE = 0.1  # the term falls by this much across the window (lower gap preferred)
PASSIVATION_HALF_EPS = 0.005  # |ε| at half the PLQE peak (Liu et al. 2019, Fig. 4e)
LIFETIME_CAP_H = 87_600.0  # 10 years
TAU_SCALE = 0.1
UNIFORM_FILM_MAX_FRACTION = 0.15  # Liu et al. 2019: CQD loading below 15 vol% for uniform films (O8)
GRAIN_LOSS_SCALE_FRACTION = 0.05  # smaller grains above 20 vol% (O8): the term is 0.37 at 20 vol%


def weights_for(target: str, overrides: dict | None = None) -> dict:
    """Every term's weight for ``target`` with ``overrides`` (None values ignored) applied."""
    if target not in TARGET_WEIGHTS:
        raise ValueError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    w = {name: TARGET_WEIGHTS[target].get(name, 0.0) for name in TERMS}
    w.update({k: float(v) for k, v in (overrides or {}).items() if v is not None})
    return w


def processing_term(loading_fraction) -> np.ndarray:
    """1 up to 15 vol%, then a Gaussian fall-off (0.37 at 20 vol%, 0.02 at 25 vol%)."""
    phi = np.asarray(loading_fraction, float)
    excess = np.clip(phi - UNIFORM_FILM_MAX_FRACTION, 0.0, None)
    return np.exp(-(excess / GRAIN_LOSS_SCALE_FRACTION) ** 2)


def anchoring_gain(lifetime_h, pristine_h, target_h) -> np.ndarray:
    """Per row: ln(L/L₀)/ln(L_target/L₀) in [0, 1] where the pristine film falls short of the target, else NaN."""
    L, L0 = np.asarray(lifetime_h, float), np.asarray(pristine_h, float)
    needed = L0 < target_h
    L0s = np.where(needed, L0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.log(np.minimum(L, target_h) / L0s) / np.log(target_h / L0s)
    return np.where(needed, np.clip(np.nan_to_num(gain, nan=0.0), 0.0, 1.0), np.nan)


def matrix_gap_term(gap_eV, window=DEFAULT_MATRIX_GAP_EV) -> np.ndarray:
    g = np.asarray(gap_eV, float)
    lo, hi = window
    inside = 1.0 - MATRIX_GAP_SLOPE * np.clip((g - lo) / (hi - lo), 0.0, 1.0)
    below, above = np.clip(lo - g, 0, None), np.clip(g - hi, 0, None)
    return np.where(g < lo, np.exp(-below / MATRIX_GAP_SCALE_EV),
                    np.where(g > hi, (1.0 - MATRIX_GAP_SLOPE) * np.exp(-above / MATRIX_GAP_SCALE_EV), inside))


def terms(table: pd.DataFrame, target_gap=(1.1, 1.3), matrix_gap=DEFAULT_MATRIX_GAP_EV,
          lifetime_target_h: float = 4380.0, group_keys=("core", "x", "diameter_nm", "loading_fraction")) -> pd.DataFrame:
    """DataFrame of the score terms (columns ``term_<name>``) for every candidate.

    The anchoring and lifetime terms are film properties over every study temperature (the minimum over the
    temperatures that need anchoring / the worst temperature), so they are equal on a film's rows. With a
    ``matrix`` column a film is grouped per matrix too; terms named in ``not_evaluated`` are NaN.
    """
    if "matrix" in table and "matrix" not in group_keys:
        group_keys = ("matrix",) + tuple(group_keys)
    gap = table["dot_gap_eV"].to_numpy(float)
    distance = np.where(gap < target_gap[0], target_gap[0] - gap, np.where(gap > target_gap[1], gap - target_gap[1], 0.0))
    gain = anchoring_gain(table["lifetime_h"], table["lifetime_pristine_h"], lifetime_target_h)
    life = np.clip(np.log10(1.0 + np.minimum(table["lifetime_h"].to_numpy(float), LIFETIME_CAP_H))
                   / np.log10(1.0 + LIFETIME_CAP_H), 0.0, 1.0)
    # grouped by column names: a list of Series keys made pandas format each key Series (0.3 s a default study)
    per_row = table[list(group_keys)].assign(gain=gain, life=life)
    groups = per_row.groupby(list(group_keys), observed=True, sort=False)
    film_gain = groups["gain"].transform("min").fillna(0.0).to_numpy()  # NaN: no temperature needs the dots
    film_life = groups["life"].transform("min").to_numpy()
    eps = table["eps_fraction"].to_numpy(float)
    out = pd.DataFrame({
        "term_anchoring": film_gain,
        "term_lifetime": film_life,
        "term_matrix_gap": matrix_gap_term(table["matrix_gap_eV"].to_numpy(float), matrix_gap),
        "term_passivation": np.exp(-np.log(2.0) * (eps / PASSIVATION_HALF_EPS) ** 2),
        "term_dot_gap": np.exp(-distance / GAP_SCALE_EV),
        "term_selectivity": 0.5 * (1.0 + table["selectivity"].to_numpy(float)),
        "term_tolerance": 0.5 * (1 + np.tanh((TAU_THRESHOLD - table["bartel_tau"].to_numpy(float)) / TAU_SCALE)),
        "term_processing": processing_term(table["loading_fraction"].to_numpy(float)),
    }, index=table.index)
    if "not_evaluated" in table:  # terms without data for the row's matrix: empty, never a borrowed value
        named = table["not_evaluated"].astype(str)
        for name in TERMS:
            hit = named.str.contains(rf"(?:^|;){name}(?:;|$)", regex=True).to_numpy()
            if hit.any():
                out.loc[hit, f"term_{name}"] = np.nan
    return out


def weighted_score(term_table: pd.DataFrame, weights: dict) -> np.ndarray:
    """Σ wᵢ termᵢ / Σ wᵢ (weights of zero drop a term; a NaN term, not evaluated, counts 0)."""
    w = np.array([weights[name] for name in TERMS], float)
    if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("score weights must be finite, ≥ 0, and at least one positive")
    values = term_table[[f"term_{name}" for name in TERMS]].to_numpy(float)
    if np.isnan(values).any():  # a term not evaluated (no data for the row's matrix) earns nothing
        values = np.nan_to_num(values, nan=0.0)
    return values @ w / w.sum()


def limiting_term(term_table: pd.DataFrame, weights: dict) -> np.ndarray:
    """Name of the term with the largest weighted shortfall wᵢ(1 − termᵢ) per candidate."""
    w = np.array([weights[name] for name in TERMS], float)
    shortfall = (1.0 - term_table[[f"term_{name}" for name in TERMS]].to_numpy(float)) * w
    if np.isnan(shortfall).any():  # a term not evaluated is a full shortfall
        shortfall = np.where(np.isnan(shortfall), w, shortfall)
    # the same 8 str objects by reference: a '<U' array made pandas build one new str per row (0.1 s at 6·10⁵ rows)
    return np.asarray(TERMS, dtype=object)[np.argmax(shortfall, axis=1)]


def pareto_front(values: np.ndarray, block: int = 256) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``values`` (all objectives maximized).

    A row is dominated when another row is ≥ in every objective and > in at least one (values compared
    after rounding to 12 decimals, so rows equal to that precision are ties and never dominate each other).
    Two objectives: one sort and a running maximum, O(n log n) (``_pareto_front_2d``). More objectives:
    rows are first reduced to their distinct vectors and visited in decreasing order of their sum (no later
    vector can dominate an earlier one); the front of the first 1 024 seeds a vectorized filter that drops
    every later vector a seed dominates (most of them), and the survivors are visited in blocks, each
    checked against the front found so far and the earlier vectors of its own block (a vector dominated by
    a dominated vector is dominated by its dominator too).
    """
    values = np.asarray(values, float)
    if values.ndim != 2:
        raise ValueError(f"pareto_front: expected a 2-D array (rows × objectives), got shape {values.shape}")
    if len(values) == 0:
        return np.zeros(0, bool)
    if values.shape[1] == 1:
        rounded = np.round(values[:, 0], 12)
        return rounded == rounded.max()
    if values.shape[1] == 2:
        return _pareto_front_2d(np.round(values, 12))
    uniq, inverse = _distinct_rows(np.round(values, 12))
    # decreasing sum, then decreasing lexicographic order: a dominator is ≥ in every objective, so its
    # (monotonically rounded) sum is ≥ and, on a tie, it is lexicographically larger: it always comes first
    order = np.lexsort(np.vstack([uniq.T[::-1], uniq.sum(axis=1)]))[::-1]
    is_front = np.zeros(len(uniq), bool)
    # seeds: the front of the first vectors in that order (true front members: nothing later dominates
    # them); every later vector a seed dominates is dropped at once, in row blocks, before the block sweep
    head = order[:1024]
    front = _front_blocks(uniq, head, np.empty((uniq.shape[1], 0)), is_front, block)
    rest = order[1024:]
    if len(rest):
        alive = np.ones(len(rest), bool)
        for start in range(0, len(rest), 2048):
            alive[start:start + 2048] = ~_dominated(front, uniq[rest[start:start + 2048]])
        _front_blocks(uniq, rest[alive], front, is_front, block)
    return is_front[inverse.ravel()]


def _distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct rows, inverse) like ``np.unique(values, axis=0, return_inverse=True)`` but by hashing (pandas
    groupby), not a row sort: 0.3 s instead of 26 s for 5·10⁵ × 8 (the order of the distinct rows differs;
    ``pareto_front`` sorts them itself)."""
    frame = pd.DataFrame(values)
    inverse = frame.groupby(list(frame.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.unique(inverse, return_index=True)[1]
    return values[first], inverse


def _front_blocks(uniq: np.ndarray, order: np.ndarray, front: np.ndarray, is_front: np.ndarray,
                  block: int) -> np.ndarray:
    """Visit ``uniq[order]`` (no later vector dominates an earlier one) in blocks against ``front`` (by objective:
    objectives × members) and the block's earlier vectors; mark the non-dominated ones in ``is_front``; return the
    grown front, by objective."""
    found = [front]  # contiguous parts of the front by objective, grown per block
    for start in range(0, len(order), block):
        idx = order[start:start + block]
        cand = uniq[idx]
        dominated = np.zeros(len(idx), bool)
        for part in found:
            if part.shape[1]:
                dominated |= _dominated(part, cand)
        ge = _all_ge(np.ascontiguousarray(cand.T), cand)  # ge[i, j]: cand j ≥ cand i
        dominated |= np.tril(ge, k=-1).any(axis=1)
        keep = idx[~dominated]
        is_front[keep] = True
        found.append(np.ascontiguousarray(uniq[keep].T))
        if len(found) > 8:  # a few large contiguous parts: each comparison sweeps long rows
            found = [np.hstack(found)]
    return np.hstack(found)


def _all_ge(by_objective: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """(len(cand), m) mask: vector j (column j of ``by_objective``, objectives × m) ≥ cand i in every objective.
    One objective at a time on contiguous (len(cand), m) planes: numpy's reduction over a trailing axis of
    a few objectives (``np.all(..., axis=2)``) was 5x slower."""
    out = np.greater_equal(by_objective[0][None, :], cand[:, 0][:, None])
    tmp = np.empty_like(out)
    for k in range(1, cand.shape[1]):
        np.greater_equal(by_objective[k][None, :], cand[:, k][:, None], out=tmp)
        out &= tmp
    return out


def _dominated(by_objective: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Per row of ``cand``: whether some vector of ``by_objective`` (objectives × m) is ≥ it in every objective
    (compared in slices of columns that keep the mask planes small)."""
    hit = np.zeros(len(cand), bool)
    step = max(1, (1 << 21) // max(1, len(cand)))
    for lo in range(0, by_objective.shape[1], step):
        hit |= _all_ge(by_objective[:, lo:lo + step], cand).any(axis=1)
    return hit


def _pareto_front_2d(values: np.ndarray) -> np.ndarray:
    """Non-dominated rows of an (n, 2) array (both maximized), O(n log n).

    Sorted by the first objective, then the second, both decreasing: every row that could dominate a row
    comes before it (or is an identical row). A row is on the front when its second objective exceeds the
    running maximum of the second objective over the rows before it that differ from it; identical rows
    share one verdict (ties never dominate)."""
    a, b = values[:, 0], values[:, 1]
    order = np.lexsort((-b, -a))
    sa, sb = a[order], b[order]
    n = len(order)
    # first row of each run of identical vectors: a run shares the verdict of its first row
    new = np.ones(n, bool)
    new[1:] = (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
    run_start = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    best_before = np.full(n, -np.inf)
    best_before[1:] = np.maximum.accumulate(sb)[:-1]  # max of b over all earlier rows
    on_front_sorted = (run_start == 0) | (sb > best_before[run_start])
    mask = np.empty(n, bool)
    mask[order] = on_front_sorted[run_start]
    return mask
