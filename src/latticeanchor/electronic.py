"""Dot band gaps (sizing curves) and band alignment of dots in α-CsPbBr_xI_(3−x). Energies in eV.

* Dot gap: E(d) = E_inf + 1/(a d² + b d + c), d in nm (PbS: Moreels et al., ACS Nano 3, 3023 (2009),
  DOI 10.1021/nn900863a; PbSe: Moreels et al., Chem. Mater. 19, 6101 (2007), DOI 10.1021/cm071410q).
  Alloy cores PbS(1−y)Se(y): gap interpolated linearly in y (assumption; no bowing data used).
* Dot band edges: the mid-gap energy of the reference dot (``dot_band_edges`` in the data file) is
  kept and the gap opens symmetrically with confinement. Ligands shift levels rigidly by up to
  0.9 eV (Brown et al., ACS Nano 8, 5863 (2014)); that spread is returned as an uncertainty.
* Matrix band edges: VBM (−ionization energy) linear in the Br fraction between the end members (Tao et al., Nat. Commun.
  10, 2560 (2019)), CBM = VBM + E_g(x) from ``vegard.band_gap`` (with its bowing).

One stated method on both sides: VBM from UPS (ionization energy vs vacuum) and CBM = VBM + the optical gap;
the IPES electron affinities of Tao et al. are not mixed in (they differ from VBM + optical gap by ≤ 0.06 eV for
the end members). The two sides still come from different laboratories (Tao; Brown et al.): the dots' ligand
spread (±0.45 eV rigid shift) is the dominant uncertainty and is propagated as a uniform rigid shift δ of
both dot levels. Type I needs vb_offset + δ > 0 and cb_offset − δ > 0; ``band_alignment`` returns the
probability of that over δ and a classification: ``type I`` / ``type II`` when every / no δ in the spread
gives type I, else ``undetermined``. With these numbers PbS dots in CsPbBr_xI_(3−x) come out type II
(x ≲ 1) or undetermined: the paper's evidence (perovskite PL fully quenched, dot PL under matrix excitation,
Liu et al. 2019) is also explained by hole transfer plus Förster energy transfer, so it does not decide.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import data, vegard
from latticeanchor.strain import parse_core
from latticeanchor.validate import br_content, dot_diameter_nm, scalar_or_array

__all__ = ["dot_band_gap", "dot_band_edges", "matrix_band_edges", "band_alignment"]


def dot_band_gap(core: str, diameter_nm):
    """First-exciton band gap (eV) of a ``core`` dot of ``diameter_nm`` (nm) at room temperature."""
    d = dot_diameter_nm("diameter (nm)", diameter_nm)  # the nm-side guard: 35 (Å by mistake) is refused
    total = 0.0
    for name, frac in parse_core(core):
        c = data.sizing_curve(name)
        total = total + frac * (c["E_inf"] + 1.0 / (c["a"] * d**2 + c["b"] * d + c["c"]))
    return scalar_or_array(np.asarray(total))


def dot_band_edges(core: str, diameter_nm) -> tuple:
    """(VBM, CBM, ligand uncertainty) in eV vs vacuum for the dot."""
    gap = np.asarray(dot_band_gap(core, diameter_nm))
    mid, unc = 0.0, 0.0
    for name, frac in parse_core(core):
        ref = data.load()["dot_band_edges"][name]
        mid += frac * (ref["vbm_ref"] + ref["gap_ref"] / 2)
        unc += frac * ref["ligand_uncertainty_eV"]
    return scalar_or_array(mid - gap / 2), scalar_or_array(mid + gap / 2), unc


def matrix_band_edges(x, dataset: str | None = None) -> tuple:
    """(VBM, CBM) in eV vs vacuum of α-CsPbBr_xI_(3−x)."""
    y = br_content(x) / 3.0
    vbm_i = data.entry(data.ALPHA_END_MEMBERS["I"], "band_edges", dataset)["vbm"]
    vbm_br = data.entry(data.ALPHA_END_MEMBERS["Br"], "band_edges", dataset)["vbm"]
    vbm = (1 - y) * vbm_i + y * vbm_br
    return scalar_or_array(vbm), scalar_or_array(vbm + np.asarray(vegard.band_gap(x, dataset)))


def band_alignment(core: str, diameter_nm, x, dataset: str | None = None) -> dict:
    """Type-I test of a dot in the matrix: both dot band edges inside the matrix gap.

    Returns ``vb_offset`` (dot VBM − matrix VBM), ``cb_offset`` (matrix CBM − dot CBM), ``margin`` =
    min of the two (eV; > 0 is type I at the nominal levels), ``type_I`` (nominal, bool), ``robust`` (margin
    larger than the ligand uncertainty), ``type_I_probability`` (over the uniform ligand shift) and
    ``classification`` ('type I', 'type II' or 'undetermined').
    """
    d_vbm, d_cbm, unc = dot_band_edges(core, diameter_nm)
    m_vbm, m_cbm = matrix_band_edges(x, dataset)
    vb = np.asarray(d_vbm) - np.asarray(m_vbm)
    cb = np.asarray(m_cbm) - np.asarray(d_cbm)
    margin = np.minimum(vb, cb)
    # rigid ligand shift δ ∈ [−unc, unc] (uniform): type I for δ ∈ (−vb, cb)
    lo, hi = np.maximum(-vb, -unc), np.minimum(cb, unc)
    probability = np.clip(hi - lo, 0.0, None) / (2 * unc) if unc > 0 else (margin > 0).astype(float)
    label = np.where(probability >= 1.0 - 1e-12, "type I", np.where(probability <= 1e-12, "type II", "undetermined"))
    return {"vb_offset": scalar_or_array(vb), "cb_offset": scalar_or_array(cb), "margin": scalar_or_array(margin),
            "type_I": margin > 0, "robust": margin > unc, "ligand_uncertainty": unc,
            "type_I_probability": scalar_or_array(np.asarray(probability, float)),
            "classification": label if label.ndim else str(label)}
