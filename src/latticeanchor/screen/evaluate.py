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

from latticeanchor import electronic, geometry, stability, strain, tolerance, vegard
from latticeanchor.screen import selectivity as sel

KEY_COLUMNS = ["core", "x", "diameter_nm", "loading_fraction", "T_K"]


def grid_frame(cores, x, diameter_nm, loading, temperatures) -> pd.DataFrame:
    """Cartesian product of the axes as a DataFrame (diameter_nm, loading_fraction, T_K)."""
    axes = [np.arange(len(cores)), np.asarray(x, float), np.asarray(diameter_nm, float),
            np.asarray(loading, float), np.asarray(temperatures, float)]
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    return pd.DataFrame({"core": pd.Categorical.from_codes(flat[0], categories=list(cores)),
                         "x": flat[1], "diameter_nm": flat[2], "loading_fraction": flat[3], "T_K": flat[4]})


def _unique_apply(keys: list[np.ndarray], func):
    """Evaluate ``func`` on the distinct rows of ``keys`` and broadcast back (dict of arrays)."""
    stacked = np.column_stack(keys)
    uniq, inverse = np.unique(stacked, axis=0, return_inverse=True)
    out = func(*uniq.T)
    return {k: np.asarray(v)[inverse.ravel()] for k, v in out.items()}


def evaluate(frame: pd.DataFrame, temperatures, dataset: str | None = None, arrangement: str = "random",
             target_gap=(1.1, 1.3)) -> pd.DataFrame:
    """Add the descriptor columns to a frame with columns core, x, diameter_nm, loading_fraction, T_K."""
    out = frame.copy()
    x, d_nm, phi, T = (out[c].to_numpy(float) for c in ("x", "diameter_nm", "loading_fraction", "T_K"))
    d = 10.0 * d_nm  # Å for the library API
    out["br_percent"] = 100.0 * x / 3.0
    out["a_matrix_A"] = vegard.lattice_constant(x, T, dataset)
    cols = ("a_core_A", "eps_fraction", "delta_strain_fraction", "selectivity", "dot_gap_eV", "vb_offset_eV",
            "cb_offset_eV", "ligand_uncertainty_eV", "type_I_probability", "eshelby_eV_per_nm3",
            "anchored_fraction", "destabilized_fraction", "stability_index", "critical_loading_fraction",
            "anchoring_length_A", "mb_critical_thickness_A", "mb_critical_loading_fraction", "coherent_probability", "stability_index_ensemble")
    for name in cols:
        out[name] = np.nan
    out["alignment"] = ""
    extra_T = {t: np.full(len(out), np.nan) for t in temperatures}
    for core in out["core"].cat.categories:
        rows = (out["core"] == core).to_numpy()
        if not rows.any():
            continue
        xr, Tr, dr, pr = x[rows], T[rows], d[rows], phi[rows]
        out.loc[rows, "a_core_A"] = strain.core_lattice_constant(core, Tr, dataset)
        eps = np.asarray(strain.mismatch(core, xr, Tr, dataset), float)
        out.loc[rows, "eps_fraction"] = eps
        for t in temperatures:
            extra_T[t][rows] = strain.mismatch(core, xr, t, dataset)

        def per_xT(xu, Tu):
            return {"delta": sel.delta_strain(core, xu, Tu, dataset), "sel": sel.selectivity(core, xu, Tu, dataset),
                    "h": stability.anchoring_length(core, xu, Tu, dataset),
                    "hc": strain.critical_thickness(strain.mismatch(core, xu, Tu, dataset), xu, Tu, dataset)}

        xt = _unique_apply([xr, Tr], per_xT)
        out.loc[rows, "delta_strain_fraction"] = xt["delta"]
        out.loc[rows, "selectivity"] = xt["sel"]
        out.loc[rows, "anchoring_length_A"] = xt["h"]
        out.loc[rows, "mb_critical_thickness_A"] = xt["hc"]
        out.loc[rows, "dot_gap_eV"] = electronic.dot_band_gap(core, dr / 10.0)
        align = electronic.band_alignment(core, dr / 10.0, xr, dataset)
        out.loc[rows, "vb_offset_eV"] = align["vb_offset"]
        out.loc[rows, "cb_offset_eV"] = align["cb_offset"]
        out.loc[rows, "ligand_uncertainty_eV"] = align["ligand_uncertainty"]
        out.loc[rows, "type_I_probability"] = align["type_I_probability"]
        out.loc[rows, "alignment"] = align["classification"]
        eshelby = strain.eshelby_energy(core, xr, dr, Tr, dataset)
        out.loc[rows, "eshelby_eV_per_nm3"] = eshelby["energy_density_eV_per_nm3"]
        model = stability.components(core, xr, dr, pr, Tr, dataset)
        out.loc[rows, "anchored_fraction"] = model["anchored"]
        out.loc[rows, "destabilized_fraction"] = model["destabilized"]
        out.loc[rows, "stability_index"] = model["stability_index"]
        out.loc[rows, "coherent_probability"] = model["coherent_probability"]
        members = [stability.components(core, xr, dr, pr, Tr, dataset, m)["stability_index"] for m in stability.ensemble()]
        out.loc[rows, "stability_index_ensemble"] = np.mean(members, axis=0)
        crit = _unique_apply([xr, dr, Tr], lambda xu, du, Tu: {
            "crit": stability.critical_loading(core, xu, du, Tu, dataset),
            "mb": strain.critical_loading(core, xu, du, Tu, dataset, arrangement)})
        out.loc[rows, "critical_loading_fraction"] = crit["crit"]
        out.loc[rows, "mb_critical_loading_fraction"] = crit["mb"]
    for t, values in extra_T.items():
        out[f"eps_fraction_{t:g}K"] = values
    with np.errstate(divide="ignore"):
        spacing = np.where(phi > 0, geometry.dot_spacing(np.where(phi > 0, phi, 0.1), d, arrangement), np.inf)
    out["dot_spacing_A"] = spacing
    out["surface_spacing_A"] = spacing - d
    stable_alpha = np.isinf(out["anchoring_length_A"].to_numpy())
    crit = out["critical_loading_fraction"].to_numpy()
    anchored = ~stable_alpha & (phi > 0) & (phi >= crit)
    worse = ~stable_alpha & (out["stability_index"].to_numpy() < 0)
    out["regime"] = np.select([stable_alpha, phi == 0, anchored, worse],
                              ["alpha stable", "no dots", "anchored", "dislocated"], default="partly anchored")
    out["gap_in_window"] = (out["dot_gap_eV"] >= target_gap[0]) & (out["dot_gap_eV"] <= target_gap[1])
    out["matrix_gap_eV"] = vegard.band_gap(x, dataset)
    out["alignment_margin_eV"] = np.minimum(out["vb_offset_eV"], out["cb_offset_eV"])
    factors = tolerance.tolerance_factors(x)
    out["tolerance_t"], out["octahedral_mu"], out["bartel_tau"] = factors["t"], factors["mu"], factors["tau"]
    return out
