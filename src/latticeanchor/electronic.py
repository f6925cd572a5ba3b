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
both dot levels, together with a ±0.4 eV offset between the two laboratories' references (method and
vacuum-level alignment differ by ≈ 0.3–0.5 eV between UPS studies; assumed). Type I needs vb_offset + δ > 0 and
cb_offset − δ > 0; ``band_alignment`` returns the probability of that over δ and a label only where the data
decide it (probability ≥ 0.95 or ≤ 0.05), else ``undetermined``. With these numbers PbS dots in CsPbBr_xI_(3−x)
come out undetermined over most of x: the label carries no weight in the screen's score, and the paper's
evidence (perovskite PL fully quenched, dot PL under matrix excitation, Liu et al. 2019) is equally explained by
Förster energy transfer, so it does not decide either.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import data, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.strain import parse_core
from latticeanchor.validate import br_content, dot_diameter_nm, scalar_or_array
from latticeanchor.validate import broadcasting

__all__ = ["dot_band_gap", "dot_band_edges", "matrix_band_edges", "band_alignment"]


def dot_band_gap(core: str, diameter_nm, dataset=None):
    """First-exciton band gap (eV) of a ``core`` dot of ``diameter_nm`` (nm) at room temperature."""
    d = dot_diameter_nm("diameter (nm)", diameter_nm)  # the nm-side guard: 35 (Å by mistake) is refused
    ms = data.resolve(dataset)
    total = 0.0
    for name, frac in parse_core(core):
        c = ms.core(name).sizing_curve
        if c is None:
            raise LatticeAnchorError(f"no sizing curve for {name!r}; known: "
                                     f"{', '.join(k for k, v in ms.cores.items() if v.sizing_curve is not None)}")
        total = total + frac * (c["E_inf"] + 1.0 / (c["a"] * d**2 + c["b"] * d + c["c"]))
    return scalar_or_array(np.asarray(total))


def dot_band_edges(core: str, diameter_nm, dataset=None) -> tuple:
    """(VBM, CBM, ligand uncertainty) in eV vs vacuum for the dot."""
    ms = data.resolve(dataset)
    gap = np.asarray(dot_band_gap(core, diameter_nm, ms))
    mid, unc = 0.0, 0.0
    for name, frac in parse_core(core):
        ref = ms.core(name).dot_band_edges
        if ref is None:
            raise LatticeAnchorError(f"no dot band edges recorded for {name!r}")
        mid += frac * (ref["vbm_ref"] + ref["gap_ref"] / 2)
        unc += frac * ref["ligand_uncertainty_eV"]
    return scalar_or_array(mid - gap / 2), scalar_or_array(mid + gap / 2), unc


def matrix_band_edges(x, dataset: str | None = None, *, matrix: str | None = None) -> tuple:
    """(VBM, CBM) in eV vs vacuum of α-CsPbBr_xI_(3−x) (or of ``matrix``, x its first-named halide)."""
    y = br_content(x) / 3.0
    ms = data.resolve(dataset, matrix)
    m = ms.matrix()
    if m.x0.vbm is None or m.x3.vbm is None:
        raise LatticeAnchorError(f"no band edges recorded for the end members of {m.name}: alignment not evaluated")
    vbm_i, vbm_br = m.x0.vbm.value, m.x3.vbm.value
    vbm = (1 - y) * vbm_i + y * vbm_br
    return scalar_or_array(vbm), scalar_or_array(vbm + np.asarray(vegard.band_gap(x, ms)))


REFERENCE_OFFSET_EV = 0.4  # half-width of the method/laboratory offset between the two level sets (assumed, ≈ 0.3–0.5 eV)
DECIDED_PROBABILITY = 0.95  # a label is given only when the data decide it at this level


def _sum_uniform_cdf(t, a, b):
    """CDF at t of δ = u + v with u ~ U(−a, a), v ~ U(−b, b) (a trapezoidal distribution), a ≥ b ≥ 0."""
    a, b = max(a, b), min(a, b)
    t = np.asarray(t, float)
    if b == 0:
        return np.clip((t + a) / (2 * a), 0.0, 1.0)
    s = t + a + b  # shift to the support [0, 2(a + b)]
    lo, mid, hi = 2 * b, 2 * a, 2 * (a + b)
    area = 4 * a * b
    out = np.where(s <= 0, 0.0,
          np.where(s <= lo, s**2 / 2,
          np.where(s <= mid, lo**2 / 2 + (s - lo) * 2 * b,
          np.where(s <= hi, area - (hi - s) ** 2 / 2, area))))
    return out / area


@broadcasting("diameter_nm", "x")
def band_alignment(core: str, diameter_nm, x, dataset: str | None = None, *, matrix: str | None = None) -> dict:
    """Type-I test of a dot in the matrix: both dot band edges inside the matrix gap.

    Returns ``vb_offset`` (dot VBM − matrix VBM), ``cb_offset`` (matrix CBM − dot CBM), ``margin`` = min of the
    two (eV; > 0 is type I at the nominal levels), ``type_I`` (nominal), ``type_I_probability`` over the rigid
    shift δ = ligand shift (uniform ±``ligand_uncertainty``) + reference offset between the two laboratories'
    level sets (uniform ±``REFERENCE_OFFSET_EV``), ``uncertainty`` (their sum, eV) and ``classification``:
    'type I' / 'type II' only where the probability is ≥ 0.95 / ≤ 0.05, else 'undetermined'. The perovskite
    (Tao et al. 2019) and dot (Brown et al. 2014) levels come from different laboratories, so the label is a
    statement about the data's resolution as much as about the pair. Where it is undetermined the paper's PL
    evidence (matrix PL quenched, dot PL under matrix excitation) is equally explained by Förster energy
    transfer from matrix to dots, which needs only spectral overlap, not a type-I offset.
    """
    ms = data.resolve(dataset, matrix)
    d_vbm, d_cbm, unc = dot_band_edges(core, diameter_nm, ms)
    m_vbm, m_cbm = matrix_band_edges(x, ms)
    vb = np.asarray(d_vbm) - np.asarray(m_vbm)
    cb = np.asarray(m_cbm) - np.asarray(d_cbm)
    margin = np.minimum(vb, cb)
    # type I for δ ∈ (−vb, cb)
    probability = np.clip(_sum_uniform_cdf(cb, unc, REFERENCE_OFFSET_EV) - _sum_uniform_cdf(-vb, unc, REFERENCE_OFFSET_EV),
                          0.0, 1.0)
    label = np.where(probability >= DECIDED_PROBABILITY, "type I",
                     np.where(probability <= 1 - DECIDED_PROBABILITY, "type II", "undetermined"))
    total = unc + REFERENCE_OFFSET_EV
    return {"vb_offset": scalar_or_array(vb), "cb_offset": scalar_or_array(cb), "margin": scalar_or_array(margin),
            "type_I": margin > 0, "robust": margin > total, "ligand_uncertainty": unc, "uncertainty": total,
            "type_I_probability": scalar_or_array(np.asarray(probability, float)),
            "classification": label if label.ndim else str(label)}
