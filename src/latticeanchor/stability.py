"""Phase stability of α-CsPbBr_xI_(3−x) films anchored by embedded rock-salt dots: lifetimes against α→δ.

The public face of two models (lengths Å, loading a volume fraction, T in K, time in hours):

* the **phase boundary** (``latticeanchor.phase_boundary``): ΔH_αδ(x) from machine-learned-potential energies
  of the black (γ) and yellow (δ) polymorphs of quasirandom CsPbBr_xI_(3−x) cells, one offset fixed by CsPbI3's
  measured 14.2 kJ/mol and 603 K (Dastidar et al. 2017); ``transition_temperature`` and ``boundary_x`` are
  computed, not assumed;
* the **kinetics** (``latticeanchor.kinetics``): classical δ nucleation with an Arrhenius mobility and JMAK
  growth, calibrated on CsPbI3's measured TTT nose and the pristine CsPbBrI2 lifetime; coherent dots hold a
  spherical α shell set by the interface-energy gain against the dot's own Eshelby energy, and confine δ
  nucleation to pockets where a critical nucleus fits. Dots below ``critical_inclusion_diameter`` (prismatic
  loop energy balance, Kolesnikova & Romanov 2004) are coherent: no dislocated-dot mechanism applies to them.

What the model does not give: a V-shape in loading. With coherent dots (every colloidal dot of the paper) the
free matrix and the nucleation pockets both shrink monotonically as dots are added, so the lifetime rises
monotonically (``docs/anchoring.md`` states this against Liu et al.'s O4). It covers α→δ only, not halide
segregation (the 200 °C failure of O2), moisture chemistry or dot coarsening.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import data, inclusion, kinetics, phase_boundary
from latticeanchor.kinetics import SIX_MONTHS_H
from latticeanchor.validate import broadcasting, dot_diameter, scalar_or_array

__all__ = ["SIX_MONTHS_H", "transition_temperature", "boundary_x", "driving_force", "critical_inclusion_diameter",
           "coherent", "anchoring_length", "anchored_fraction", "transformed_fraction", "lifetime",
           "critical_loading", "parameters", "calibration"]

parameters = kinetics.parameters
calibration = kinetics.calibration


def transition_temperature(x):
    """Computed δ→α transition temperature T_t(x) in K (``phase_boundary.transition_temperature``)."""
    return phase_boundary.transition_temperature(x)


def boundary_x(T=298.15):
    """Br content x at which the black perovskite and δ have equal free energy at T (K): the α/δ boundary."""
    return phase_boundary.boundary_x(T)


@broadcasting("x", "T")
def driving_force(x, T=298.15, dataset=None, *,
        matrix: str | None = None):
    """Δg_v = g_α − g_δ in GPa (= GJ/m³); > 0 where δ is the stable phase."""
    dataset = data.resolve(dataset, matrix)
    return scalar_or_array(np.asarray(kinetics.driving_force(x, T, dataset)) * 1e-9)


@broadcasting("x", "T")
def critical_inclusion_diameter(core: str, x, T=298.15, dataset=None, *,
        matrix: str | None = None):
    """Diameter (Å) above which a dot relieves its misfit with a prismatic loop (``inclusion.critical_diameter``)."""
    dataset = data.resolve(dataset, matrix)
    return inclusion.critical_diameter(core, x, T, dataset)


@broadcasting("x", "diameter", "T")
def coherent(core: str, x, diameter, T=298.15, dataset=None, *,
        matrix: str | None = None):
    """True where a dot of ``diameter`` (Å) stays coherent with the matrix (below the critical inclusion size)."""
    dataset = data.resolve(dataset, matrix)
    d = dot_diameter(diameter)
    out = d < np.asarray(critical_inclusion_diameter(core, x, T, dataset))
    return bool(out) if np.ndim(out) == 0 else out


@broadcasting("x", "diameter", "T")
def anchoring_length(core: str, x, diameter, T=298.15, dataset=None, params=None, *,
        matrix: str | None = None):
    """h* (Å): thickness of the α shell one coherent dot holds; ``inf`` where α is stable without dots."""
    dataset = data.resolve(dataset, matrix)
    return kinetics.anchoring_length(core, x, diameter, T, dataset, params)


@broadcasting("x", "diameter", "loading", "T")
def anchored_fraction(core: str, x, diameter, loading, T=298.15, dataset=None, params=None, *,
        matrix: str | None = None):
    """Fraction (0–1) of the matrix held α by coherent dots (1 where α is stable without dots)."""
    dataset = data.resolve(dataset, matrix)
    return kinetics.free_fractions(core, x, diameter, loading, T, dataset, params)["anchored"]


@broadcasting("x", "diameter", "loading", "T", "time_h")
def transformed_fraction(core: str, x, diameter, loading, T, time_h, dataset=None, params=None, *,
        matrix: str | None = None):
    """δ fraction of the matrix after ``time_h`` hours at T (K); ``loading`` 0 is the pristine film."""
    dataset = data.resolve(dataset, matrix)
    return kinetics.transformed_fraction(core, x, diameter, loading, T, time_h, dataset, params)


@broadcasting("x", "diameter", "loading", "T")
def lifetime(core: str, x, diameter, loading, T=298.15, dataset=None, params=None, *,
        matrix: str | None = None):
    """Hours until the stated fraction (``parameters().lifetime_fraction``, 5 %) of the matrix is δ; ``inf`` if never."""
    dataset = data.resolve(dataset, matrix)
    return kinetics.lifetime(core, x, diameter, loading, T, dataset, params)


@broadcasting("x", "diameter", "T")
def critical_loading(core: str, x, diameter, T=298.15, target_h=SIX_MONTHS_H, dataset=None, params=None, *,
        matrix: str | None = None):
    """Smallest loading whose lifetime reaches ``target_h`` (default six months) at T; 0 if the pristine film does."""
    dataset = data.resolve(dataset, matrix)
    return kinetics.critical_loading(core, x, diameter, T, target_h, dataset, params)
