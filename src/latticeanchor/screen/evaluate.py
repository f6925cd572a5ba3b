"""Vectorized evaluation of the analytic descriptors for every grid point of a study.

Each (core, x, diameter, loading, T) candidate gets columns a researcher can check by hand:
lattice constants (Å), mismatch ε (fraction) at its T and at every study temperature, the
Matthews–Blakeslee critical thickness (Å), dot spacing at the loading (Å, centre-to-centre and
surface-to-surface), critical spacing (Å) and loading (volume fraction), the coherent/dislocated
regime, dot and matrix band gaps (eV), band offsets (eV), tolerance/octahedral factors and the
anchoring selectivity (fraction). Work is done once per distinct (core, x, T), (core, d) or
(d, loading) and broadcast, so a 10⁶-point grid costs seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from latticeanchor import electronic, geometry, strain, tolerance, vegard
from latticeanchor.screen import selectivity as sel

def grid_frame(cores, x, diameter_nm, loading, temperatures) -> pd.DataFrame:
    """Cartesian product of the axes as a DataFrame (diameter in Å, loading as a fraction, T in K)."""
    axes = [np.arange(len(cores)), np.asarray(x, float), np.asarray(diameter_nm, float) * 10.0,
            np.asarray(loading, float), np.asarray(temperatures, float)]
    mesh = np.meshgrid(*axes, indexing="ij")
    flat = [m.ravel() for m in mesh]
    return pd.DataFrame({"core": pd.Categorical.from_codes(flat[0], categories=list(cores)),
                         "x": flat[1], "diameter": flat[2], "loading": flat[3], "T": flat[4]})


def evaluate(frame: pd.DataFrame, temperatures, dataset: str | None = None, arrangement: str = "random",
             target_gap=(1.1, 1.3)) -> pd.DataFrame:
    """Add the descriptor columns to a frame with columns core, x, diameter (Å), loading, T (K)."""
    out = frame.copy()
    x, d, phi, T = (out[c].to_numpy(float) for c in ("x", "diameter", "loading", "T"))
    out["br_percent"] = 100.0 * x / 3.0
    out["a_matrix_A"] = vegard.lattice_constant(x, T, dataset)
    out["a_core_A"] = np.nan
    for name in ("eps", "delta_strain", "dot_gap_eV", "vb_offset_eV", "cb_offset_eV", "K_core_GPa",
                 "eshelby_eV_per_nm3"):
        out[name] = np.nan
    extra_T = {t: np.full(len(out), np.nan) for t in temperatures}
    for core in out["core"].cat.categories:
        rows = (out["core"] == core).to_numpy()
        out.loc[rows, "a_core_A"] = strain.core_lattice_constant(core, T[rows], dataset)
        out.loc[rows, "eps"] = strain.mismatch(core, x[rows], T[rows], dataset)
        for t in temperatures:
            extra_T[t][rows] = strain.mismatch(core, x[rows], t, dataset)
        out.loc[rows, "delta_strain"] = sel.delta_strain(core, x[rows], T[rows], dataset)
        out.loc[rows, "dot_gap_eV"] = electronic.dot_band_gap(core, d[rows] / 10.0)
        align = electronic.band_alignment(core, d[rows] / 10.0, x[rows], dataset)
        out.loc[rows, "vb_offset_eV"] = align["vb_offset"]
        out.loc[rows, "cb_offset_eV"] = align["cb_offset"]
        out.loc[rows, "ligand_uncertainty_eV"] = align["ligand_uncertainty"]
        eshelby = strain.eshelby_energy(core, x[rows], d[rows], T[rows], dataset)
        out.loc[rows, "K_core_GPa"] = eshelby["K_core_GPa"]
        out.loc[rows, "eshelby_eV_per_nm3"] = eshelby["energy_density_eV_per_nm3"]
    for t, values in extra_T.items():
        out[f"eps_{t:g}K"] = values
    eps = out["eps"].to_numpy()
    out["critical_thickness_A"] = strain.critical_thickness(eps, x, T, dataset)
    with np.errstate(divide="ignore"):
        spacing = np.where(phi > 0, geometry.dot_spacing(np.where(phi > 0, phi, 0.1), d, arrangement), np.inf)
    out["dot_spacing_A"] = spacing
    out["surface_spacing_A"] = spacing - d
    out["critical_spacing_A"] = d + 2.0 * out["critical_thickness_A"].to_numpy()
    out["critical_loading"] = geometry.volume_fraction(out["critical_spacing_A"].to_numpy(), d, arrangement)
    coherent = (phi > 0) & (phi >= out["critical_loading"].to_numpy())
    out["coherent"] = coherent
    out["regime"] = np.where(phi == 0, "no dots", np.where(coherent, "anchored", "dislocated"))
    out["gap_in_window"] = (out["dot_gap_eV"] >= target_gap[0]) & (out["dot_gap_eV"] <= target_gap[1])
    out["matrix_gap_eV"] = vegard.band_gap(x, dataset)
    out["alignment_margin_eV"] = np.minimum(out["vb_offset_eV"], out["cb_offset_eV"])
    out["type_I"] = out["alignment_margin_eV"] > 0
    out["alignment_robust"] = out["alignment_margin_eV"] > out["ligand_uncertainty_eV"]
    factors = tolerance.tolerance_factors(x)
    out["tolerance_t"], out["octahedral_mu"], out["bartel_tau"] = factors["t"], factors["mu"], factors["tau"]
    out["selectivity"] = out["delta_strain"] - np.abs(eps)
    return out
