"""Phase stability of α-CsPbBr_xI_(3−x) anchored by embedded rock-salt dots (α→δ only).

The model, each step with its assumption (parameters and sources in ``materials.json``, block
``stability``; lengths Å, energies J/m² or J/m³, T in K):

1. **Bulk driving force.** Below the δ→α transition temperature T_t(x) the yellow δ phase is the
   stable one: Δg_v(x, T) = ΔS_v [T_t(x) − T] (J/m³ of perovskite), with the transition entropy
   ΔS_v = ΔH/(T_t V_fu) from the DSC enthalpy of CsPbI3 (Dastidar et al. 2017) taken independent of x,
   and T_t(x) interpolated linearly between cited compositions. Δg_v ≤ 0: α is stable without dots.
2. **Epitaxial stabilization** (Gorbenko, Samoilenkov, Graboy & Kaul, Chem. Mater. 14, 4026 (2002)):
   a matrix layer of thickness h on a coherent, cube-on-cube dot interface stays α while
   h (Δg_v + M ε²) < Δγ, where Δγ = γ(δ/dot, incoherent) − γ(α/dot, coherent) is the interface-energy gain
   and M ε² the biaxial elastic energy of α strained to the dot (M = C11 + C12 − 2C12²/C11, (001)).
   So matrix within h* = Δγ/(Δg_v + M ε²) of a coherent dot surface is held α. Δγ is not measured: it is
   calibrated (see ``calibration()``).
3. **Geometry.** Dots are random equilibrium hard spheres; the matrix fraction within h* of a dot surface is
   scaled-particle theory's void exclusion probability (``geometry.matrix_within``), not a mean gap.
4. **Coherence of the grown shell.** The perovskite crystallizes as a shell on each dot (Liu et al. 2019, HRTEM);
   the shell keeps a coherent interface while it is thinner than the Matthews–Blakeslee h_c(ε)
   (``strain.critical_thickness``). Shells of neighbours meet at half the surface gap, so a dot stays
   coherent when its nearest neighbour is within d + 2h_c: probability P_coh = 1 − E_P (Torquato's
   particle exclusion probability, ``geometry.nearest_neighbour_cdf``). This is the dislocated branch: at
   large misfit and few dots most dots are dislocated.
5. **Dislocated dots destabilize.** A dislocated interface loses Δγ and its misfit dislocations are
   heterogeneous nucleation sites for δ: the matrix within h* of a dislocated dot counts as destabilized.

Outputs: ``anchored_fraction`` = P_coh · A(h*) (mean field: the nearest dot of a point near a dot is
coherent with probability P_coh), ``destabilized_fraction`` = (1 − P_coh) · A(h*) and
``stability_index`` = anchored − destabilized ∈ [−1, 1], 0 for a pristine metastable film, 1 for a fully
anchored one or where α is stable anyway. For a mismatched matrix the index first falls below the pristine
value (dislocated dots) and then rises (coherent dots anchor): the V-shape of Liu et al. (O4). For a matched
matrix (h_c → ∞) it rises monotonically (O3).

``critical_loading`` is the smallest loading with anchored_fraction ≥ ``ANCHORED_THRESHOLD`` = 0.97: the
unanchored matrix then falls below the void-percolation threshold of overlapping spheres (porosity ≈ 0.03,
Rintoul, Phys. Rev. E 62, 68 (2000)), so δ nucleated in one pocket cannot grow through the film.

What it does not cover: halide segregation (the 200 °C failure of Liu et al.'s O2 is I/Br demixing, not α→δ:
the measured mixing enthalpy of CsPbI2Br is ≈ 0, so equilibrium demixing gives no driving force; its chemistry,
iodide oxidation and loss in air, is outside this model), moisture kinetics (lifetimes), and dot coarsening.
``strain.critical_loading`` remains the Matthews–Blakeslee coherence criterion alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from latticeanchor import data, geometry, strain, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, br_content, positive, scalar_or_array, temperature, dot_diameter

__all__ = ["ANCHORED_THRESHOLD", "Model", "default_model", "ensemble", "parameters", "calibration",
           "calibrate_interface_gain", "transition_temperature", "driving_force", "biaxial_modulus",
           "anchoring_length", "coherence_ratio", "coherent_probability", "combine", "components",
           "anchored_fraction", "destabilized_fraction", "stability_index", "critical_loading"]

AVOGADRO = 6.02214076e23
J_PER_M2_TO_GPA_A = 10.0  # 1 J/m² = 1 GPa·Å → h (Å) = Δγ (J/m²) · 10 / w (GPa)
ANCHORED_THRESHOLD = 0.97  # anchored fraction at the critical loading (void percolation of the unanchored matrix)


@dataclass(frozen=True)
class Model:
    """The two parameters that are not measured.

    boundary_x: Br content at which T_t = 298.15 K (the room-temperature α/δ boundary, assumed in (2, 3));
    interface_gain_J_per_m2: Δγ, calibrated on O1 for that boundary (``calibrate_interface_gain``).
    """

    boundary_x: float
    interface_gain_J_per_m2: float


@lru_cache(maxsize=1)
def parameters() -> dict:
    """The model's parameters from ``materials.json`` (block ``stability``), with their sources."""
    block = data.load()["stability"]
    return block


def default_model() -> Model:
    """The model with the data file's boundary composition and calibrated Δγ."""
    p = parameters()
    return Model(float(p["transition_temperature_K"]["x"][1]), float(p["interface_gain_J_per_m2"]["value"]))


def ensemble() -> list[Model]:
    """Models spanning the assumption's range: boundary x = 2.1, 2.5, 2.9, each with its own calibrated Δγ.

    The screen averages the stability index over them, so a candidate that is anchored only under the most
    favourable assumption ranks below one anchored under all three.
    """
    return [Model(float(bx), float(g)) for bx, g in zip(parameters()["ensemble"]["boundary_x"],
                                                       parameters()["ensemble"]["interface_gain_J_per_m2"])]


def _model(model) -> Model:
    if model is None:
        return default_model()
    if not isinstance(model, Model):
        raise LatticeAnchorError(f"model must be a latticeanchor.stability.Model, got {type(model).__name__}")
    return model


def transition_temperature(x, model: Model | None = None):
    """δ→α transition temperature T_t (K) of CsPbBr_xI_(3−x): the line through CsPbI3's 603 K (Dastidar et al.
    2017) and 298.15 K at the model's boundary composition; below 0 K means α is stable at every temperature."""
    x = br_content(x)
    pts = parameters()["transition_temperature_K"]
    x0, t0, t1 = pts["x"][0], pts["value"][0], pts["value"][1]
    x1 = _model(model).boundary_x
    return scalar_or_array(t0 + (t1 - t0) * (x - x0) / (x1 - x0))


def _formula_volume_m3(x, T, dataset):
    return np.asarray(vegard.lattice_constant(x, T, dataset)) ** 3 * 1e-30


def driving_force(x, T=298.15, dataset: str | None = None, model: Model | None = None):
    """Δg_v = g_α − g_δ (GPa = GJ/m³) of the bulk perovskite; > 0 where δ is the stable phase.

    ΔS_v [T_t(x) − T] with ΔS = ΔH_CsPbI3 / T_t(CsPbI3) per formula unit (assumed independent of x).
    """
    x, T = br_content(x), temperature(T)
    dH = float(parameters()["transition_enthalpy_J_per_mol"]["value"])
    dS = dH / float(transition_temperature(0.0, model))  # J/(mol K), CsPbI3
    per_volume = dS / (AVOGADRO * _formula_volume_m3(x, T, dataset))  # J/(m³ K)
    return scalar_or_array(per_volume * (np.asarray(transition_temperature(x, model)) - T) * 1e-9)


def biaxial_modulus(x, dataset: str | None = None):
    """(001) biaxial modulus M = C11 + C12 − 2 C12²/C11 (GPa) of α-CsPbBr_xI_(3−x), C_ij linear in y = x/3."""
    c = strain.matrix_elastic_constants(x, dataset)
    c11, c12 = c[..., 0], c[..., 1]
    return scalar_or_array(c11 + c12 - 2 * c12**2 / c11)


def anchoring_length(core: str, x, T=298.15, dataset: str | None = None, model: Model | None = None):
    """h* = Δγ/(Δg_v + M ε²) in Å: matrix thickness a coherent dot surface holds in α.

    ``inf`` where α is stable without dots (Δg_v ≤ 0). model: parameters (default: ``default_model()``).
    """
    model = _model(model)
    gain = float(positive("interface_gain (J/m²)", model.interface_gain_J_per_m2))
    dg = np.asarray(driving_force(x, T, dataset, model))
    eps = np.asarray(strain.mismatch(core, x, T, dataset))
    w = dg + np.asarray(biaxial_modulus(x, dataset)) * eps**2  # GPa
    with np.errstate(divide="ignore"):
        h = np.where(dg > 0, gain * J_PER_M2_TO_GPA_A / np.where(dg > 0, w, 1.0), np.inf)
    return scalar_or_array(h)


def _loading(loading):
    phi = as_array("loading (volume fraction)", loading)
    if np.any(phi < 0) or np.any(phi >= geometry.PACKING_LIMIT["random"]):
        bad = phi[(phi < 0) | (phi >= geometry.PACKING_LIMIT["random"])].ravel()[0]
        raise LatticeAnchorError(f"loading must be a volume fraction in [0, 0.64), got {bad:g}")
    return phi


def _coherence_ratio(core, x, diameter, T, dataset):
    """(d + 2h_c)/d: the nearest-neighbour distance, in diameters, below which a grown shell stays coherent."""
    eps = np.asarray(strain.mismatch(core, x, T, dataset))
    h_c = np.asarray(strain.critical_thickness(eps, x, T, dataset))
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(h_c), np.inf, 1.0 + 2.0 * h_c / diameter)


def _coherent(phi, ratio):
    """P_coh at loading φ for a coherence ratio (d + 2h_c)/d; inf ratio (matched) means always coherent."""
    matched = np.isinf(ratio)
    p = np.where(matched, 1.0, geometry.nearest_neighbour_cdf(phi, np.where(matched, 1.0, ratio)))
    return np.where(phi > 0, p, np.where(matched, 1.0, 0.0))


def _shell(phi, diameter, h):
    """Matrix fraction within h* (Å) of a dot surface; h* = inf (α stable) gives 0 here, handled by the caller."""
    return np.asarray(geometry.matrix_within(phi, diameter, np.where(np.isinf(h), 0.0, h)))


def coherent_probability(core: str, x, diameter, loading, T=298.15, dataset: str | None = None):
    """P_coh: probability that a dot's grown matrix shell stays coherent (nearest neighbour within d + 2h_c)."""
    d = dot_diameter(diameter)
    return scalar_or_array(_coherent(_loading(loading), _coherence_ratio(core, x, d, T, dataset)))


def coherence_ratio(core: str, x, diameter, T=298.15, dataset: str | None = None):
    """(d + 2h_c)/d: nearest-neighbour distance, in diameters, within which a dot's grown shell stays coherent."""
    return _coherence_ratio(core, x, dot_diameter(diameter), temperature(T), dataset)


def combine(loading, diameter, anchoring_length_A, ratio, coherent_probability=None) -> dict:
    """The model's outputs from its two lengths: h* (Å, ``inf`` where α is stable) and the coherence ratio.

    For callers that evaluate many loadings for few (x, d, T), such as the screen: compute the lengths once
    (``anchoring_length``, ``coherence_ratio``) and combine them per loading here. ``coherent_probability``:
    P_coh when already known for these loadings (it does not depend on the model's parameters).
    """
    h = np.asarray(anchoring_length_A, float)
    phi, d = np.asarray(loading, float), np.asarray(diameter, float)
    p = _coherent(phi, np.asarray(ratio, float)) if coherent_probability is None else np.asarray(coherent_probability, float)
    shell = _shell(phi, d, h)
    stable = np.isinf(h)
    return {"anchored": np.where(stable, 1.0, p * shell), "destabilized": np.where(stable, 0.0, (1.0 - p) * shell),
            "stability_index": np.where(stable, 1.0, (2.0 * p - 1.0) * shell), "coherent_probability": p,
            "alpha_stable": stable}


def components(core: str, x, diameter, loading, T=298.15, dataset: str | None = None, model: Model | None = None) -> dict:
    """All model outputs at once (arrays): anchored, destabilized, stability_index, coherent_probability, alpha_stable."""
    d = dot_diameter(diameter)
    phi = _loading(loading)
    return combine(phi, d, anchoring_length(core, x, T, dataset, model), _coherence_ratio(core, x, d, T, dataset))


def anchored_fraction(core: str, x, diameter, loading, T=298.15, dataset: str | None = None, model: Model | None = None):
    """Fraction (0–1) of the matrix volume held in the α phase by coherent dots.

    core: 'PbS', 'PbSe' or an alloy; x: Br per formula unit; diameter: dot diameter in Å; loading: dot volume
    fraction (0 ≤ φ < 0.64); T in K. Broadcasts. 1 where α is the stable bulk phase (nothing to anchor).
    """
    return scalar_or_array(components(core, x, diameter, loading, T, dataset, model)["anchored"])


def destabilized_fraction(core: str, x, diameter, loading, T=298.15, dataset: str | None = None, model: Model | None = None):
    """Fraction (0–1) of the matrix within h* of dislocated dots: δ nucleates there sooner than in a pristine film."""
    return scalar_or_array(components(core, x, diameter, loading, T, dataset, model)["destabilized"])


def stability_index(core: str, x, diameter, loading, T=298.15, dataset: str | None = None, model: Model | None = None):
    """anchored − destabilized ∈ [−1, 1]: 0 = pristine metastable film, < 0 worse than pristine, 1 = anchored."""
    return scalar_or_array(components(core, x, diameter, loading, T, dataset, model)["stability_index"])


def critical_loading(core: str, x, diameter, T=298.15, dataset: str | None = None, model: Model | None = None,
                     threshold: float = ANCHORED_THRESHOLD):
    """Smallest dot volume fraction at which ``anchored_fraction`` reaches ``threshold`` (default 0.97).

    0 where α is stable without dots; ``inf`` where even random close packing does not reach it. Broadcasts
    over x, diameter (Å) and T (K); bisection in log φ (relative precision 1e-9; the anchored fraction rises
    monotonically with loading).
    """
    if not 0 < threshold < 1:
        raise LatticeAnchorError(f"threshold must lie in (0, 1), got {threshold!r}")
    x, d, T = np.broadcast_arrays(br_content(x), dot_diameter(diameter), temperature(T))
    h = np.asarray(anchoring_length(core, x, T, dataset, model)) * np.ones(x.shape)
    ratio = np.asarray(_coherence_ratio(core, x, d, T, dataset)) * np.ones(x.shape)
    stable = np.isinf(h)

    def anchored(log_phi):
        phi = np.exp(log_phi)
        return _coherent(phi, ratio) * _shell(phi, d, h) >= threshold

    lo = np.full(x.shape, np.log(1e-9))
    hi = np.full(x.shape, np.log(0.6399))
    reachable, trivially = anchored(hi), anchored(lo)
    while np.max(hi - lo) > 1e-9:
        mid = 0.5 * (lo + hi)
        ok = anchored(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    phi = np.where(reachable, np.exp(hi), np.inf)
    return scalar_or_array(np.where(stable | trivially, 0.0, phi))


def calibrate_interface_gain(boundary_x: float | None = None) -> float:
    """Re-fit Δγ (J/m²) to the calibration target in ``materials.json`` (O1 of Liu et al. 2019) for a boundary x."""
    from scipy.optimize import brentq

    t = parameters()["calibration_target"]
    bx = default_model().boundary_x if boundary_x is None else float(boundary_x)

    def excess(gain):
        return critical_loading(t["core"], t["x"], t["diameter_A"], t["T_K"], t["dataset"],
                                model=Model(bx, gain)) - t["loading"]

    return float(brentq(excess, 1e-3, 5.0, xtol=1e-9))


def calibration() -> dict:
    """How Δγ was calibrated: the observation, the target and the value it reproduces (for docs and tests)."""
    p = parameters()["interface_gain_J_per_m2"]
    return {"value_J_per_m2": float(p["value"]), "fitted_to": p["fitted_to"], "source": p["source"]}
