"""Vectorized evaluation of the analytic descriptors for every grid point of a study.

Each (core, x, diameter_nm, loading_fraction, T_K) candidate gets columns a researcher can check by hand;
every column name carries its unit (``_A`` Å, ``_nm``, ``_K``, ``_eV``, ``_GPa``, ``_fraction``):
lattice constants, mismatch ε at its T and at every study temperature, the kinetic stability model's
lifetimes with and without dots, anchored fraction and critical loading (``latticeanchor.stability``), the
Matthews–Blakeslee coherence thickness and loading (``strain``, a film criterion kept for comparison), dot spacing, dot and matrix gaps, band
offsets with their ligand uncertainty and type-I probability, Bartel's τ and the α/δ registry selectivity.
Work is done once per distinct (core, x, T), (core, d) or (d, loading) and broadcast, so a 10⁶-point grid
costs seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor import data, electronic, geometry, kinetics, stability, strain, tolerance, vegard
from latticeanchor.screen import selectivity as sel

KEY_COLUMNS = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]


def grid_frame(cores, x, diameter_nm, loading, temperatures, matrices=None) -> pd.DataFrame:
    """Cartesian product of the axes as a DataFrame (diameter_nm, loading_fraction, T_K).

    matrices: matrix alloy names (``grid.matrices``); when given, a leading categorical ``matrix`` column and one
    block of rows per matrix, in the order given (None: no matrix column, the dataset's default matrix)."""
    if matrices is not None:
        block = grid_frame(cores, x, diameter_nm, loading, temperatures)
        frame = pd.concat([block] * len(matrices), ignore_index=True)
        codes = np.repeat(np.arange(len(matrices)), len(block))
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


REGIMES = ("alpha stable", "no dots", "dislocated", "anchored", "partly anchored", "not evaluated")

# the per-grid-point columns in their fixed order (whatever a matrix lacks); eps_fraction_<T>K follow tau_pristine_h
_XT_COLUMNS = ("a_matrix_A", "a_core_A", "eps_fraction", "delta_strain_fraction", "selectivity",
               "mb_critical_thickness_A", "eshelby_eV_per_nm3", "driving_force_GPa", "critical_radius_A",
               "tau_pristine_h")
_LATE_COLUMNS = ("anchoring_length_A", "critical_inclusion_diameter_nm", "critical_loading_fraction",
                 "mb_coherence_loading_fraction", "dot_gap_eV", "vb_offset_eV", "cb_offset_eV", "type_I_probability",
                 "alignment_uncertainty_eV", "alignment", "anchored_fraction", "nucleation_fraction", "lifetime_h",
                 "lifetime_pristine_h")
# score terms a missing model leaves unevaluated (named in the not_evaluated column)
MODEL_TERMS = {"kinetics": ("anchoring", "lifetime"), "selectivity": ("selectivity",), "elastic": (),
               "optics": ("dot_gap",)}


def _probe(fn) -> str | None:
    """None when ``fn()`` runs, else the one-line reason (a LatticeAnchorError: the data lack a value)."""
    from latticeanchor.errors import LatticeAnchorError

    try:
        fn()
    except LatticeAnchorError as exc:
        return str(exc)
    return None


def missing_models(ms, core: str, params=None) -> dict[str, str]:
    """{model: reason} of the models ``ms`` (a MaterialSet with its matrix) cannot evaluate for ``core``:
    ``kinetics`` (the α→δ lifetime model: anchoring and lifetime terms), ``selectivity`` (the δ coincidence
    table), ``elastic`` (Matthews–Blakeslee, Eshelby and the critical inclusion size: elastic constants) and
    ``optics`` (the dot's sizing curve and band edges: dot gap and band alignment; PbTe has no cited sizing
    curve in the data)."""
    params = kinetics.parameters() if params is None else params
    probes = {"kinetics": lambda: kinetics.critical_radius(1.5, 298.15, ms, params),
              "selectivity": lambda: sel.selectivity(core, 1.5, 298.15, ms),
              "elastic": lambda: (strain.critical_thickness(0.01, 1.5, 298.15, ms),
                                  stability.critical_inclusion_diameter(core, 1.5, 298.15, ms)),
              "optics": lambda: electronic.dot_band_edges(core, 3.5, ms)}
    return {name: reason for name, fn in probes.items() if (reason := _probe(fn)) is not None}


def evaluate(frame: pd.DataFrame, temperatures, dataset: str | None = None, arrangement: str = "random",
             target_gap=(1.1, 1.3), lifetime_target_h: float = stability.SIX_MONTHS_H) -> pd.DataFrame:
    """Add the descriptor columns to a frame with columns core, x, diameter_nm, loading_fraction, T_K.

    Everything that depends on (x, T), (x, d, T) or (x, d) is computed once per distinct combination; only the
    dot-geometry fractions and the lifetime are evaluated per row. dataset: a name, a materials JSON file or a
    ``data.MaterialSet`` (resolved once here and passed down).

    With a ``matrix`` column (``grid_frame(..., matrices)``) every matrix is evaluated with its own data
    (``MaterialSet.with_matrix``). A model whose data a matrix lacks (``missing_models``: the α→δ kinetics
    outside CsPb(Br,I)3, the δ coincidence table, elastic constants) leaves its columns empty (NaN; regime
    ``not evaluated`` without the kinetics) and the score terms it feeds are named in a ``not_evaluated``
    column (``;``-separated, empty where every term was evaluated); a value is never taken from another
    matrix. A core without a sizing curve or dot band edges (PbTe) is screened the same way: its dot gap and
    band alignment are left empty and ``dot_gap`` is named in ``not_evaluated``. Without a matrix column the
    ``not_evaluated`` column appears only when some term is not evaluated (the default study has none).
    """
    dataset = data.resolve(dataset)
    out = frame.copy()
    n = len(out)
    x_all, dnm_all, phi_all, T_all = (out[c].to_numpy(float) for c in ("x", "diameter_nm", "loading_fraction", "T_K"))
    params = kinetics.parameters()
    cols: dict[str, np.ndarray] = {}

    def col(name, dtype=float):
        if name not in cols:
            cols[name] = np.full(n, np.nan) if dtype is float else np.empty(n, dtype=dtype)
        return cols[name]

    for name in _XT_COLUMNS + tuple(f"eps_fraction_{t:g}K" for t in temperatures) + _LATE_COLUMNS:
        col(name, object if name == "alignment" else float)
    multi = "matrix" in out
    matrices = list(out["matrix"].cat.categories) if multi else [None]
    skipped, any_skipped = np.full(n, "", dtype=object), False
    no_kinetics = np.zeros(n, bool)
    matrix_gap = np.full(n, np.nan)
    factors = {key: np.full(n, np.nan) for key in ("t", "mu", "tau")}
    for matrix in matrices:
        ms = dataset.with_matrix(matrix)
        in_matrix = (out["matrix"] == matrix).to_numpy() if multi else np.ones(n, bool)
        for core in out["core"].cat.categories:
            rows = np.flatnonzero(in_matrix & (out["core"] == core).to_numpy())
            if not len(rows):
                continue
            missing = missing_models(ms, core, params)
            _evaluate_block(ms, core, rows, x_all, dnm_all, phi_all, T_all, temperatures, arrangement,
                            lifetime_target_h, params, missing, col, cols)
            named = ";".join(t for model in MODEL_TERMS if model in missing for t in MODEL_TERMS[model])
            skipped[rows] = named
            any_skipped = any_skipped or bool(named)
            no_kinetics[rows] = "kinetics" in missing
        rows = np.flatnonzero(in_matrix)
        if len(rows):
            matrix_gap[rows] = vegard.band_gap(x_all[rows], ms)
            for key, values in tolerance.tolerance_factors(x_all[rows], ms).items():
                factors[key][rows] = values

    x, d_nm, phi = x_all, dnm_all, phi_all
    d = 10.0 * d_nm
    out["br_percent"] = 100.0 * x / 3.0
    for name, values in cols.items():
        out[name] = values
    with np.errstate(divide="ignore"):
        spacing = np.where(phi > 0, geometry.dot_spacing(np.where(phi > 0, phi, 0.1), d, arrangement), np.inf)
    out["dot_spacing_A"] = spacing
    out["surface_spacing_A"] = spacing - d
    out["coherent"] = d_nm < out["critical_inclusion_diameter_nm"].to_numpy()  # False where not evaluated (NaN)
    stable_alpha = np.isinf(out["anchoring_length_A"].to_numpy())
    life = out["lifetime_h"].to_numpy()
    # categorical (fixed categories): 10x cheaper than a string column at 10⁶ rows, the same text in every file
    codes = np.select([no_kinetics, stable_alpha, phi == 0, ~out["coherent"].to_numpy(), life >= lifetime_target_h],
                      [5, 0, 1, 2, 3], default=4)
    out["regime"] = pd.Categorical.from_codes(codes, categories=list(REGIMES))
    out["gap_in_window"] = (out["dot_gap_eV"] >= target_gap[0]) & (out["dot_gap_eV"] <= target_gap[1])
    out["matrix_gap_eV"] = matrix_gap
    out["alignment_margin_eV"] = np.minimum(out["vb_offset_eV"], out["cb_offset_eV"])
    out["tolerance_t"], out["octahedral_mu"], out["bartel_tau"] = factors["t"], factors["mu"], factors["tau"]
    if multi or any_skipped:
        out["not_evaluated"] = skipped
    return out


def _evaluate_block(ms, core, rows, x_all, dnm_all, phi_all, T_all, temperatures, arrangement, lifetime_target_h,
                    params, missing, col, cols) -> None:
    """The columns of one (matrix, core) block of rows; models named in ``missing`` are skipped (left NaN)."""
    x, d_nm, phi, T = x_all[rows], dnm_all[rows], phi_all[rows], T_all[rows]
    d = 10.0 * d_nm  # Å for the library API
    kin, select, elastic = ("kinetics" not in missing), ("selectivity" not in missing), ("elastic" not in missing)
    optics = "optics" not in missing
    # --- per (x, T)
    c_xt, f_xt = _groups(x, T)
    xu, Tu = x[f_xt], T[f_xt]
    eps_u = np.asarray(strain.mismatch(core, xu, Tu, ms), float)
    per_xt = {"a_matrix_A": vegard.lattice_constant(xu, Tu, ms),
              "a_core_A": strain.core_lattice_constant(core, Tu, ms), "eps_fraction": eps_u}
    if select:
        per_xt["delta_strain_fraction"] = sel.delta_strain(core, xu, Tu, ms)
        per_xt["selectivity"] = sel.selectivity(core, xu, Tu, ms)
    if elastic:
        per_xt["mb_critical_thickness_A"] = strain.critical_thickness(eps_u, xu, Tu, ms)
        per_xt["eshelby_eV_per_nm3"] = strain.eshelby_energy(core, xu, 10.0, Tu, ms)["energy_density_eV_per_nm3"]
    if kin:
        per_xt["driving_force_GPa"] = stability.driving_force(xu, Tu, ms)
        per_xt["critical_radius_A"] = kinetics.critical_radius(xu, Tu, ms, params)
        per_xt["tau_pristine_h"] = kinetics.time_constant(xu, Tu, ms, params)
    for t in temperatures:
        per_xt[f"eps_fraction_{t:g}K"] = strain.mismatch(core, xu, t, ms)
    for name, values in per_xt.items():
        col(name)[rows] = (np.asarray(values, float) * np.ones(len(xu)))[c_xt]
    # --- per (x, d, T)
    c_xdt, f_xdt = _groups(x, d, T)
    xu, du, Tu = x[f_xdt], d[f_xdt], T[f_xdt]
    per_xdt = {}
    if kin:
        per_xdt["anchoring_length_A"] = kinetics.anchoring_length(core, xu, du, Tu, ms, params)
    if elastic:
        per_xdt["critical_inclusion_diameter_nm"] = np.asarray(stability.critical_inclusion_diameter(core, xu, Tu, ms)) / 10.0
    if kin:
        per_xdt["critical_loading_fraction"] = kinetics.critical_loading(core, xu, du, Tu, lifetime_target_h, ms, params)
    if elastic:
        per_xdt["mb_coherence_loading_fraction"] = strain.critical_loading(core, xu, du, Tu, ms, arrangement)
    for name, values in per_xdt.items():
        col(name)[rows] = (np.asarray(values, float) * np.ones(len(xu)))[c_xdt]
    # --- per (x, d)
    if optics:
        c_xd, f_xd = _groups(x, d)
        xu, du = x[f_xd], d[f_xd]
        col("dot_gap_eV")[rows] = np.asarray(electronic.dot_band_gap(core, du / 10.0, ms))[c_xd]
        align = electronic.band_alignment(core, du / 10.0, xu, ms)
        for key, name in (("vb_offset", "vb_offset_eV"), ("cb_offset", "cb_offset_eV"),
                          ("type_I_probability", "type_I_probability")):
            col(name)[rows] = np.asarray(align[key], float)[c_xd]
        col("alignment_uncertainty_eV")[rows] = align["uncertainty"]
        col("alignment", object)[rows] = np.asarray(align["classification"])[c_xd]
    else:  # no sizing curve / dot band edges for this core: gap and offsets left empty
        col("alignment", object)[rows] = "not evaluated"
    if not kin:
        return
    # --- per row: the kinetic model's dot geometry and lifetimes
    h, r_star, tau = (cols[name][rows] for name in ("anchoring_length_A", "critical_radius_A", "tau_pristine_h"))
    free, nucleation = kinetics._fractions(phi, d, h, r_star)
    col("anchored_fraction")[rows] = np.where(np.isinf(h), 1.0, 1.0 - free)
    col("nucleation_fraction")[rows] = nucleation
    col("lifetime_h")[rows] = kinetics.combine_lifetime(tau, np.where(phi > 0, free, 1.0),
                                                      np.where(phi > 0, nucleation, 1.0), params.avrami_n,
                                                      params.lifetime_fraction)
    col("lifetime_pristine_h")[rows] = kinetics.combine_lifetime(tau, 1.0, 1.0, params.avrami_n,
                                                               params.lifetime_fraction)
