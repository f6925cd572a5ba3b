"""Vectorized evaluation of the analytic descriptors for every grid point of a study.

Each (core, x, diameter_nm, loading_fraction, T_K) candidate gets columns a researcher can check by hand;
every column name carries its unit (``_A`` Å, ``_nm``, ``_K``, ``_eV``, ``_GPa``, ``_fraction``):
lattice constants, mismatch ε at its T and at every study temperature, the stability model's anchored,
destabilized and stability-index values and critical loading (``latticeanchor.stability``), the
Matthews–Blakeslee coherence thickness and loading (``strain``), dot spacing, dot and matrix gaps, band
offsets with their ligand uncertainty and type-I probability, Bartel's τ and the α/δ registry selectivity.
Work is done once per distinct (core, x, T), (core, d) or (d, loading) and broadcast, so a 10⁶-point grid
costs seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor import data, electronic, geometry, stability, strain, tolerance, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import selectivity as sel

KEY_COLUMNS = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]


def grid_frame(cores, x, diameter_nm, loading, temperatures, matrices=None) -> pd.DataFrame:
    """Cartesian product of the axes as a DataFrame (diameter_nm, loading_fraction, T_K).

    matrices: matrix alloy names; when given, a leading categorical ``matrix`` column (and one block of rows per
    matrix)."""
    if matrices is not None:
        blocks = [grid_frame(cores, x, diameter_nm, loading, temperatures) for _ in matrices]
        frame = pd.concat(blocks, ignore_index=True)
        codes = np.repeat(np.arange(len(matrices)), [len(b) for b in blocks])
        frame.insert(0, "matrix", pd.Categorical.from_codes(codes, categories=list(matrices)))
        return frame
    axes = [np.arange(len(cores)), np.asarray(x, float), np.asarray(diameter_nm, float),
            np.asarray(loading, float), np.asarray(temperatures, float)]
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    return pd.DataFrame({"core": pd.Categorical.from_codes(flat[0], categories=list(cores)),
                         "x": flat[1], "diameter_nm": flat[2], "loading_fraction": flat[3], "T_K": flat[4]})


def _groups(*columns) -> tuple[np.ndarray, np.ndarray]:
    """(codes, first): integer code of each row's distinct combination of ``columns`` and the first row of each
    code. Hash-based (pandas.factorize), O(n): no sorting of the 10⁶-row columns."""
    code = np.zeros(len(columns[0]), np.int64)
    for col in columns:
        k, uniq = pd.factorize(col)
        code = code * len(uniq) + k
    codes, uniq = pd.factorize(code)
    first = np.empty(len(uniq), np.int64)
    first[codes[::-1]] = np.arange(len(codes))[::-1]
    return codes, first


def evaluate(frame: pd.DataFrame, temperatures, dataset: str | None = None, arrangement: str = "random",
             target_gap=(1.1, 1.3)) -> pd.DataFrame:
    """Add the descriptor columns to a frame with columns core, x, diameter_nm, loading_fraction, T_K.

    Everything that depends on (x, T), (x, d, T) or (x, d) is computed once per distinct combination; only the
    dot-geometry fractions are evaluated per row. dataset: a name, a materials JSON file or a
    ``data.MaterialSet`` (resolved once here and passed down). With a ``matrix`` column every matrix is
    evaluated with its own data; a term whose data are missing for a matrix or core (no α→δ data, no elastic
    constants, no sizing curve) is left empty in its columns and named in a ``not_evaluated`` column (only
    present when some term was not evaluated), never filled from another matrix.
    """
    dataset = data.resolve(dataset)
    out = frame.copy()
    n = len(out)
    x_all, dnm_all, phi_all, T_all = (out[c].to_numpy(float) for c in ("x", "diameter_nm", "loading_fraction", "T_K"))
    cols: dict[str, np.ndarray] = {}
    missing = np.full(n, "", dtype=object)

    def col(name, dtype=float):
        if name not in cols:
            cols[name] = np.full(n, np.nan) if dtype is float else np.empty(n, dtype=object)
        return cols[name]

    for name in _COLUMN_ORDER(temperatures):  # fixed column order whatever a matrix lacks
        col(name, object if name == "alignment" else float)

    def skip(rows, term):
        missing[rows] = missing[rows] + (term + ";")

    matrices = list(out["matrix"].cat.categories) if "matrix" in out else [None]
    for matrix in matrices:
        ms = dataset.with_matrix(matrix)
        in_matrix = (out["matrix"] == matrix).to_numpy() if matrix is not None else np.ones(n, bool)
        try:
            models = [stability.default_model(ms)] + stability.ensemble(ms)
        except LatticeAnchorError:
            models = None
        for core in out["core"].cat.categories:
            rows = np.flatnonzero(in_matrix & (out["core"] == core).to_numpy())
            if not len(rows):
                continue
            _evaluate_block(ms, core, rows, x_all, dnm_all, phi_all, T_all, temperatures, models, arrangement, col,
                            skip)
        rows = np.flatnonzero(in_matrix)
        if len(rows):
            col("matrix_gap_eV")[rows] = np.asarray(vegard.band_gap(x_all[rows], ms), float)
            factors = tolerance.tolerance_factors(x_all[rows], ms)
            for key, name in (("t", "tolerance_t"), ("mu", "octahedral_mu"), ("tau", "bartel_tau")):
                col(name)[rows] = np.asarray(factors[key], float)

    x, d_nm, phi = x_all, dnm_all, phi_all
    d = 10.0 * d_nm
    out["br_percent"] = 100.0 * x / 3.0
    late = ("matrix_gap_eV", "tolerance_t", "octahedral_mu", "bartel_tau")
    for name, values in cols.items():
        if name not in late:
            out[name] = values
    with np.errstate(divide="ignore"):
        spacing = np.where(phi > 0, geometry.dot_spacing(np.where(phi > 0, phi, 0.1), d, arrangement), np.inf)
    out["dot_spacing_A"] = spacing
    out["surface_spacing_A"] = spacing - d
    h = out["anchoring_length_A"].to_numpy()
    not_evaluated = np.isnan(h)
    stable_alpha = np.isinf(h)
    crit = out["critical_loading_fraction"].to_numpy()
    anchored = ~stable_alpha & (phi > 0) & (phi >= crit)
    worse = ~stable_alpha & (out["stability_index"].to_numpy() < 0)
    out["regime"] = np.select([not_evaluated, stable_alpha, phi == 0, anchored, worse],
                              ["not evaluated", "alpha stable", "no dots", "anchored", "dislocated"],
                              default="partly anchored")
    out["gap_in_window"] = (out["dot_gap_eV"] >= target_gap[0]) & (out["dot_gap_eV"] <= target_gap[1])
    out["matrix_gap_eV"] = cols["matrix_gap_eV"]
    out["alignment_margin_eV"] = np.minimum(out["vb_offset_eV"], out["cb_offset_eV"])
    out["tolerance_t"], out["octahedral_mu"], out["bartel_tau"] = (cols[k] for k in late[1:])
    if np.any(missing != ""):
        out["not_evaluated"] = [m.rstrip(";") for m in missing]
    return out


def _COLUMN_ORDER(temperatures) -> list[str]:
    return (["a_matrix_A", "a_core_A", "eps_fraction", "delta_strain_fraction", "selectivity", "mb_critical_thickness_A",
             "eshelby_eV_per_nm3"] + [f"eps_fraction_{t:g}K" for t in temperatures]
            + ["anchoring_length_A", "critical_loading_fraction", "mb_critical_loading_fraction", "dot_gap_eV",
               "vb_offset_eV", "cb_offset_eV", "type_I_probability", "ligand_uncertainty_eV", "alignment",
               "coherent_probability", "anchored_fraction", "destabilized_fraction", "stability_index",
               "stability_index_ensemble", "matrix_gap_eV", "tolerance_t", "octahedral_mu", "bartel_tau"])


def _evaluate_block(ms, core, rows, x_all, dnm_all, phi_all, T_all, temperatures, models, arrangement, col, skip):
    """Fill the columns of one (matrix, core) block; a term whose data are missing is skipped (``skip``)."""
    x, d_nm, phi, T = x_all[rows], dnm_all[rows], phi_all[rows], T_all[rows]
    d = 10.0 * d_nm  # Å for the library API
    # --- per (x, T)
    c_xt, f_xt = _groups(x, T)
    xu, Tu = x[f_xt], T[f_xt]
    eps_u = np.asarray(strain.mismatch(core, xu, Tu, ms), float)
    per_xt = {"a_matrix_A": vegard.lattice_constant(xu, Tu, ms),
              "a_core_A": strain.core_lattice_constant(core, Tu, ms), "eps_fraction": eps_u}
    try:
        per_xt.update({"delta_strain_fraction": sel.delta_strain(core, xu, Tu, ms),
                       "selectivity": sel.selectivity(core, xu, Tu, ms)})
    except LatticeAnchorError:
        skip(rows, "selectivity")
    try:
        per_xt.update({"mb_critical_thickness_A": strain.critical_thickness(eps_u, xu, Tu, ms),
                       "eshelby_eV_per_nm3": strain.eshelby_energy(core, xu, 10.0, Tu, ms)["energy_density_eV_per_nm3"]})
        coherence = True
    except LatticeAnchorError:
        coherence = False
        skip(rows, "coherence")
    for t in temperatures:
        per_xt[f"eps_fraction_{t:g}K"] = strain.mismatch(core, xu, t, ms)
    lengths = None
    if models is not None and coherence:
        lengths = [np.asarray(stability.anchoring_length(core, xu, Tu, ms, m)) * np.ones(len(xu)) for m in models]
        per_xt["anchoring_length_A"] = lengths[0]
    else:
        skip(rows, "stability")
    for name, values in per_xt.items():
        col(name)[rows] = np.asarray(values, float)[c_xt]
    # --- per (x, d, T)
    c_xdt, f_xdt = _groups(x, d, T)
    xu, du, Tu = x[f_xdt], d[f_xdt], T[f_xdt]
    if coherence:
        ratio = np.asarray(stability.coherence_ratio(core, xu, du, Tu, ms))[c_xdt]
        col("mb_critical_loading_fraction")[rows] = np.asarray(
            strain.critical_loading(core, xu, du, Tu, ms, arrangement))[c_xdt]
    if lengths is not None:
        col("critical_loading_fraction")[rows] = np.asarray(stability.critical_loading(core, xu, du, Tu, ms))[c_xdt]
    # --- per (x, d)
    c_xd, f_xd = _groups(x, d)
    xu, du = x[f_xd], d[f_xd]
    try:
        col("dot_gap_eV")[rows] = np.asarray(electronic.dot_band_gap(core, du / 10.0, ms))[c_xd]
    except LatticeAnchorError:
        skip(rows, "gap")
    try:
        align = electronic.band_alignment(core, du / 10.0, xu, ms)
        for key, name in (("vb_offset", "vb_offset_eV"), ("cb_offset", "cb_offset_eV"),
                          ("type_I_probability", "type_I_probability")):
            col(name)[rows] = np.asarray(align[key], float)[c_xd]
        col("ligand_uncertainty_eV")[rows] = align["ligand_uncertainty"]
        col("alignment", object)[rows] = np.asarray(align["classification"])[c_xd]
    except LatticeAnchorError:
        skip(rows, "alignment")
        col("alignment", object)[rows] = "not evaluated"
    # --- per row: the dot geometry of the stability model, for the default model and the ensemble
    if coherence:
        h_rows = [h[c_xt] for h in lengths] if lengths is not None else [np.full(len(rows), np.inf)]
        model = stability.combine(phi, d, h_rows[0], ratio)
        col("coherent_probability")[rows] = model["coherent_probability"]
        if lengths is not None:
            for key, name in (("anchored", "anchored_fraction"), ("destabilized", "destabilized_fraction"),
                              ("stability_index", "stability_index")):
                col(name)[rows] = model[key]
            members = [stability.combine(phi, d, h, ratio, model["coherent_probability"])["stability_index"]
                       for h in h_rows[1:]]
            col("stability_index_ensemble")[rows] = np.mean(members, axis=0)
