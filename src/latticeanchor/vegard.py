"""Vegard's law (with bowing) for α-CsPbBr_xI_(3−x) and the other matrix alloys: lattice constant (Å), band gap (eV).

``matrix=`` names the alloy (``"CsPb(Br,I)3"``, the default, ``"CsPb(Cl,Br)3"``, ``"MAPb(Br,I)3"``,
``"FAPb(Br,I)3"``; ``data.dataset().matrices``); x is the content of its first-named halide per formula
unit, 0–3 (Br for CsPb(Br,I)3: a_I is then the x = 0 end member, a_Br the x = 3 one). With y = x/3,

    a(x, T) = (1 − y)·a_I(T) + y·a_Br(T) − b_a·y(1 − y)        [Å]
    E_g(x)  = (1 − y)·E_I + y·E_Br − b_g·y(1 − y)               [eV]

End members a_I(T), a_Br(T) come from the selected dataset of ``latticeanchor.data`` and carry their
own thermal expansion from their reference temperatures (``data.EndMember.a``). ``dataset``: a name, a
materials JSON file or a resolved ``data.MaterialSet``. Vegard,
Z. Phys. 5, 17 (1921), DOI 10.1007/BF01349680.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from latticeanchor import data
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, br_content, scalar_or_array, temperature
from latticeanchor.validate import broadcasting

__all__ = ["lattice_constant", "band_gap", "fit", "x_from_lattice_constant", "VegardFit", "end_members"]


def end_members(T=298.15, dataset: str | None = None, *, matrix: str | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """(a at x = 0, a at x = 3, bowing) in Å at temperature T (K) for ``dataset`` (name, materials file or
    ``MaterialSet``); for CsPb(Br,I)3 that is (a_I, a_Br, bowing)."""
    T = temperature(T)
    m = data.resolve(dataset, matrix).matrix()
    return m.x0.a(T), m.x3.a(T), m.lattice_bowing.value


@broadcasting("x", "T")
def lattice_constant(x, T=298.15, dataset: str | None = None, *, matrix: str | None = None):
    """Cubic (pseudo-cubic) lattice constant of α-CsPbBr_xI_(3−x) (or of ``matrix``) in Å.

    x: Br atoms (first-named halide) per formula unit in [0, 3]; T: temperature in K (broadcast against x).
    """
    y = br_content(x) / 3.0
    a_i, a_br, bowing = end_members(T, data.resolve(dataset, matrix))
    return scalar_or_array((1.0 - y) * a_i + y * a_br - bowing * y * (1.0 - y))


def band_gap(x, dataset: str | None = None, *, matrix: str | None = None):
    """Band gap (eV, room temperature) of α-CsPbBr_xI_(3−x) (or of ``matrix``) with the dataset's bowing parameter."""
    y = br_content(x) / 3.0
    m = data.resolve(dataset, matrix).matrix()
    if m.x0.band_gap is None or m.x3.band_gap is None or m.band_gap_bowing is None:
        raise LatticeAnchorError(f"no band gaps recorded for the end members of {m.name}")
    e_i, e_br, bowing = m.x0.band_gap.value, m.x3.band_gap.value, m.band_gap_bowing.value
    return scalar_or_array((1.0 - y) * e_i + y * e_br - bowing * y * (1.0 - y))


@broadcasting("a", "T")
def x_from_lattice_constant(a, T=298.15, dataset: str | None = None, *, matrix: str | None = None):
    """Invert ``lattice_constant``: the Br content x in [0, 3] for a measured a (Å) at T (K).

    Raises LatticeAnchorError when a lies outside the range the dataset's alloy spans.
    """
    a = as_array("a (Å)", a)
    dataset = data.resolve(dataset, matrix)
    a_i, a_br, bowing = end_members(T, dataset)
    a_i, a_br, a = np.broadcast_arrays(a_i, a_br, a)
    # b y² + (a_Br − a_I − b) y + (a_I − a) = 0
    lin = a_br - a_i - bowing
    if abs(bowing) < 1e-12:
        y = (a - a_i) / lin
    else:
        disc = lin**2 - 4 * bowing * (a_i - a)
        if np.any(disc < 0):
            raise LatticeAnchorError(f"a = {a.ravel()[0]:.4f} Å is not reached by the dataset's Vegard law")
        root = np.sqrt(disc)
        y1, y2 = (-lin + root) / (2 * bowing), (-lin - root) / (2 * bowing)
        y = np.where((y1 >= -1e-9) & (y1 <= 1 + 1e-9), y1, y2)
    if np.any(y < -1e-9) or np.any(y > 1 + 1e-9):
        lo, hi = np.min(np.minimum(a_i, a_br)), np.max(np.maximum(a_i, a_br))
        raise LatticeAnchorError(
            f"a = {np.ravel(a)[0]:.4f} Å lies outside the {_label(dataset)} range {lo:.4f}–{hi:.4f} Å of this dataset")
    return scalar_or_array(3.0 * np.clip(y, 0.0, 1.0))


def _label(ms) -> str:
    name = ms.matrix().name
    return "α-CsPbBr_xI_(3−x)" if name == data.DEFAULT_MATRIX else f"α-{name}"


@dataclass(frozen=True)
class VegardFit:
    """Result of ``fit``: end members (Å or eV, whatever was fitted), bowing, their standard errors."""

    a_I: float
    a_Br: float
    bowing: float
    sigma: tuple[float, float, float]
    rmse: float
    n_points: int

    def __call__(self, x):
        y = br_content(x) / 3.0
        return scalar_or_array((1 - y) * self.a_I + y * self.a_Br - self.bowing * y * (1 - y))


def fit(x_values, a_values, bowing: bool = True) -> VegardFit:
    """Least-squares end members (and bowing) through measured points (x, a).

    Works for lattice constants (Å) or band gaps (eV). With ``bowing=True`` at least three distinct
    x are needed, otherwise two. Standard errors from the residual variance (zero for an exact fit).
    """
    if not isinstance(bowing, (bool, np.bool_)):
        raise LatticeAnchorError(f"bowing must be True or False, got {bowing!r}")
    x = br_content(x_values, "x_values").ravel()
    a = as_array("a_values", a_values).ravel()
    if x.size != a.size:
        raise LatticeAnchorError(f"x_values and a_values differ in length ({x.size} vs {a.size})")
    n_par = 3 if bowing else 2
    if np.unique(x).size < n_par:
        raise LatticeAnchorError(f"x_values: fit needs at least {n_par} distinct x values (bowing={bowing}), "
                                 f"got {np.unique(x).size}")
    y = x / 3.0
    design = np.column_stack([1 - y, y, -y * (1 - y)])[:, :n_par]
    coef, *_ = np.linalg.lstsq(design, a, rcond=None)
    resid = a - design @ coef
    dof = x.size - n_par
    s2 = float(resid @ resid) / dof if dof > 0 else 0.0
    cov = s2 * np.linalg.inv(design.T @ design)
    sig = np.sqrt(np.clip(np.diag(cov), 0, None))
    coef = np.append(coef, 0.0) if not bowing else coef
    sig = np.append(sig, 0.0) if not bowing else sig
    return VegardFit(float(coef[0]), float(coef[1]), float(coef[2]), tuple(float(s) for s in sig),
                     float(np.sqrt(np.mean(resid**2))), int(x.size))
