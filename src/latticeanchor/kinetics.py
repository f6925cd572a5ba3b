"""Kinetics of the α→δ conversion of CsPbBr_xI_(3−x) films, pristine and with embedded rock-salt dots.

Public entry points are re-exported by ``latticeanchor.stability`` (``transformed_fraction``, ``lifetime``,
``critical_loading``); this module holds the model. Lengths Å, T in K, time in hours, energies eV unless named.

1. **Driving force** Δg_v(x, T) = ΔH(x)/(N_A a³) · (1 − T/T_t(x)) (J/m³ of perovskite) with ΔH(x) and T_t(x)
   from the computed phase boundary (``latticeanchor.phase_boundary``); ≤ 0 means α is stable.
2. **Classical nucleation** of δ: barrier ΔG* = 16πγ_n³/(3Δg_v²), critical radius r* = 2γ_n/Δg_v, with γ_n an
   *effective* nucleation interface energy (heterogeneous nucleation at grain boundaries and surfaces is
   lumped into it). **Arrhenius mobility** exp(−Q/kT) (Q assumed from halide-migration barriers). Nucleation
   rate I ∝ exp[−(Q + ΔG*)/kT]; growth velocity v ∝ exp(−Q/kT)[1 − exp(−Δg_vΩ/kT)] (Ω the formula volume).
3. **JMAK**: X(t) = 1 − exp[−(t/τ)ⁿ] with τ⁻ⁿ = K₀ I vⁿ⁻¹ (Avrami n = 3: constant nucleation, 2D growth).
4. **Dots** (random equilibrium hard spheres of diameter d at volume fraction φ; geometry from
   ``geometry.matrix_within``, scaled-particle theory):
   * a dot below the critical inclusion size (``inclusion.critical_diameter``, prismatic-loop energy balance)
     is coherent; larger dots are dislocated and hold nothing (no dislocated-dot nucleation is modelled);
   * a coherent dot holds in α the spherical matrix shell whose conversion would cost more than it gains:
     V_shell Δg_v = πd²Δγ − W, with Δγ the α/dot-vs-δ/dot interface-energy gain and W the dot's whole
     Eshelby energy (released when the interface turns incoherent; ``inclusion.energies``). The shell's outer
     radius R + h* follows from (R + h*)³ = R³ + 3V_shell/(4π): a sphere's decaying field, not a film's Mε²;
   * δ grows only through the free matrix F = 1 − (matrix within h* of a dot), and nucleates only where a
     critical nucleus fits: N = 1 − (matrix within h* + r* of a dot) (confinement);
   * X(t) = F·{1 − exp[−(N/F)(t/τ)ⁿ]} (fraction of the matrix converted).
5. **Lifetime**: the time at which X reaches ``lifetime_fraction`` (5 %, an XRD detection limit); ``inf`` when
   the free matrix cannot reach it or no nucleus fits.

Calibration (``calibration()``; targets in ``data/kinetics.json``, each re-derived and tested):
γ_n on the CsPbI3 film TTT nose at 225 °C (J. Mater. Chem. C 2025); K₀ on the pristine CsPbBrI2 lifetime
(≈ 3 days at 25 °C in air, Liu et al. 2019 O1); Δγ as the *smallest* gain for which 13 vol% of 3.5 nm PbS gives
CsPbBrI2 > 6 months (O1 is a bound, so only a minimum follows; ``interface_gain_upper_J_per_m2`` bounds it
above). Reported, never fitted: the CsPbI3 half time at the nose and the < 1 % bounds at 150 and 280 °C, every
loading dependence, the other compositions, cores and temperatures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import numpy as np

from latticeanchor import data, geometry, inclusion, phase_boundary, strain, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, br_content, dot_diameter, positive, scalar_or_array, temperature

__all__ = ["Parameters", "parameters", "calibration", "driving_force", "nucleation_barrier", "critical_radius",
           "time_constant", "anchoring_length", "free_fractions", "transformed_fraction", "lifetime",
           "critical_loading", "SIX_MONTHS_H"]

K_B_EV = 8.617333262e-5  # eV/K
EV = 1.602176634e-19  # J
AVOGADRO = 6.02214076e23
SIX_MONTHS_H = 4380.0


@lru_cache(maxsize=1)
def _targets() -> dict:
    with resources.files("latticeanchor.data").joinpath("kinetics.json").open("r", encoding="utf-8") as fh:
        return json.load(fh)


@dataclass(frozen=True)
class Parameters:
    """The kinetic model's parameters (see the module docstring for which are calibrated or assumed).

    avrami_n: JMAK exponent; activation_eV: Arrhenius barrier Q; nucleation_gamma_J_per_m2: γ_n;
    log_prefactor: ln K₀ (K₀ in h⁻ⁿ); interface_gain_J_per_m2: Δγ; lifetime_fraction: converted fraction
    that ends a lifetime.
    """

    avrami_n: float
    activation_eV: float
    nucleation_gamma_J_per_m2: float
    log_prefactor: float
    interface_gain_J_per_m2: float
    lifetime_fraction: float


BOUNDARY_MATRIX = "CsPb(Br,I)3"  # the matrix the computed phase boundary (and so this model) covers


def _resolve(dataset, matrix):
    """Resolve once; refuse a matrix the computed α/δ boundary does not cover (the model is not evaluated)."""
    ms = data.resolve(dataset, matrix)
    if ms.default_matrix != BOUNDARY_MATRIX:
        raise LatticeAnchorError(f"no α→δ kinetics for matrix {ms.default_matrix}: the computed phase boundary covers "
                                 f"{BOUNDARY_MATRIX} only (the stability model is not evaluated for it)")
    return ms


def _formula_volume_m3(x, T, dataset):
    return np.asarray(vegard.lattice_constant(x, T, dataset), float) ** 3 * 1e-30


def driving_force(x, T=298.15, dataset=None, *, matrix: str | None = None):
    """Δg_v = g_α − g_δ in J/m³ (> 0 where δ is stable) from the computed ΔH(x) and T_t(x)."""
    dataset = _resolve(dataset, matrix)
    x, T = br_content(x), temperature(T)
    dH = np.asarray(phase_boundary.transition_enthalpy(x), float)  # J/mol
    Tt = np.asarray(phase_boundary.transition_temperature(x), float)
    return scalar_or_array(dH / (AVOGADRO * _formula_volume_m3(x, T, dataset)) * (1.0 - T / Tt))


def _p(params):
    if params is None:
        return parameters()
    if not isinstance(params, Parameters):
        raise LatticeAnchorError(f"params must be a latticeanchor.kinetics.Parameters, got {type(params).__name__}")
    return params


def nucleation_barrier(x, T=298.15, dataset=None, params: Parameters | None = None, *, matrix: str | None = None):
    """ΔG* = 16πγ_n³/(3Δg_v²) in eV; ``inf`` where α is stable."""
    dataset = _resolve(dataset, matrix)
    dg = np.asarray(driving_force(x, T, dataset), float)
    g = _p(params).nucleation_gamma_J_per_m2
    with np.errstate(divide="ignore"):
        return scalar_or_array(np.where(dg > 0, 16 * np.pi * g**3 / (3 * np.where(dg > 0, dg, 1.0) ** 2) / EV, np.inf))


def critical_radius(x, T=298.15, dataset=None, params: Parameters | None = None, *, matrix: str | None = None):
    """r* = 2γ_n/Δg_v in Å; ``inf`` where α is stable."""
    dataset = _resolve(dataset, matrix)
    dg = np.asarray(driving_force(x, T, dataset), float)
    g = _p(params).nucleation_gamma_J_per_m2
    return scalar_or_array(np.where(dg > 0, 2 * g / np.where(dg > 0, dg, 1.0) * 1e10, np.inf))


def _log_rate(x, T, dataset, p: Parameters):
    """ln(τ⁻ⁿ) in ln(h⁻ⁿ); −inf where α is stable."""
    x, T = br_content(x), temperature(T)
    dg = np.asarray(driving_force(x, T, dataset), float)
    kT = K_B_EV * T
    stable = dg <= 0
    dg_safe = np.where(stable, 1.0, dg)
    barrier = 16 * np.pi * p.nucleation_gamma_J_per_m2**3 / (3 * dg_safe**2) / EV
    growth = -np.expm1(-dg_safe * _formula_volume_m3(x, T, dataset) / (EV * kT))
    with np.errstate(divide="ignore"):
        log_rate = p.log_prefactor - (p.avrami_n * p.activation_eV + barrier) / kT + (p.avrami_n - 1) * np.log(growth)
    return np.where(stable, -np.inf, log_rate)


def time_constant(x, T=298.15, dataset=None, params: Parameters | None = None, *, matrix: str | None = None):
    """JMAK time constant τ (h) of the pristine film; ``inf`` where α is stable."""
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    with np.errstate(over="ignore"):
        return scalar_or_array(np.exp(-_log_rate(x, T, dataset, p) / p.avrami_n))


def anchoring_length(core: str, x, diameter, T=298.15, dataset=None, params: Parameters | None = None, *,
                     matrix: str | None = None):
    """h* (Å): thickness of the α shell a coherent dot of ``diameter`` (Å) holds; ``inf`` where α is stable,
    0 for a dislocated dot (above ``inclusion.critical_diameter``) or when its Eshelby energy exceeds the gain."""
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    d = dot_diameter(diameter)
    x, T = br_content(x), temperature(T)
    R = d / 2.0
    dg = np.asarray(driving_force(x, T, dataset), float)
    gain_eV = np.pi * d**2 * p.interface_gain_J_per_m2 * 1e-20 / EV  # πd²Δγ
    w = np.asarray(inclusion.energies(core, x, d, T, dataset)["total_eV"], float)
    coherent = d < np.asarray(inclusion.critical_diameter(core, x, T, dataset), float)
    net_J = np.clip(gain_eV - w, 0.0, None) * EV
    with np.errstate(divide="ignore", invalid="ignore"):
        v_shell_A3 = np.where(dg > 0, net_J / np.where(dg > 0, dg, 1.0) * 1e30, np.inf)
        h = np.cbrt(R**3 + 3.0 * v_shell_A3 / (4.0 * np.pi)) - R
    h = np.where(coherent, h, 0.0)
    return scalar_or_array(np.where(dg > 0, h, np.inf))


def _loading(loading):
    phi = as_array("loading (volume fraction)", loading)
    if np.any(phi < 0) or np.any(phi >= geometry.PACKING_LIMIT["random"]):
        bad = phi[(phi < 0) | (phi >= geometry.PACKING_LIMIT["random"])].ravel()[0]
        raise LatticeAnchorError(f"loading must be a volume fraction in [0, 0.64), got {bad:g}")
    return phi


def _fractions(phi, d, h, r_star):
    """(F, N): free matrix fraction and nucleation-accessible fraction; α-stable rows (h = inf) give (0, 0)."""
    phi, d, h, r_star = np.broadcast_arrays(phi, d, h, r_star)
    stable = np.isinf(h)
    h0 = np.where(stable, 0.0, h)
    rs = np.where(np.isfinite(r_star), r_star, 0.0)
    F = 1.0 - np.asarray(geometry.matrix_within(phi, d, h0))
    N = 1.0 - np.asarray(geometry.matrix_within(phi, d, h0 + rs))
    return np.where(stable, 0.0, F), np.where(stable, 0.0, N)


def free_fractions(core: str, x, diameter, loading, T=298.15, dataset=None, params: Parameters | None = None, *,
                   matrix: str | None = None) -> dict:
    """``free`` F (matrix that can convert), ``nucleation`` N (matrix where a critical nucleus fits), ``anchored``
    1 − F, ``anchoring_length_A`` h* and ``critical_radius_A`` r*; fractions of the matrix volume."""
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    d = dot_diameter(diameter)
    phi = _loading(loading)
    h = np.asarray(anchoring_length(core, x, d, T, dataset, p), float)
    r_star = np.asarray(critical_radius(x, T, dataset, p), float)
    F, N = _fractions(phi, d, h, r_star)
    stable = np.isinf(np.broadcast_to(h, F.shape))
    return {"free": scalar_or_array(F), "nucleation": scalar_or_array(N),
            "anchored": scalar_or_array(np.where(stable, 1.0, 1.0 - F)),
            "anchoring_length_A": scalar_or_array(h), "critical_radius_A": scalar_or_array(r_star)}


def combine_lifetime(tau_h, free, nucleation, n, fraction):
    """Lifetime (h) from τ and the two fractions: τ[(F/N)(−ln(1 − f/F))]^(1/n); ``inf`` if F ≤ f or N = 0."""
    tau, F, N = np.broadcast_arrays(np.asarray(tau_h, float), np.asarray(free, float), np.asarray(nucleation, float))
    ok = (F > fraction) & (N > 0) & np.isfinite(tau)
    Fs, Ns = np.where(ok, F, 1.0), np.where(ok, N, 1.0)
    with np.errstate(over="ignore", invalid="ignore"):
        t = tau * ((Fs / Ns) * -np.log1p(-fraction / Fs)) ** (1.0 / n)
    return np.where(ok, t, np.inf)


def transformed_fraction(core: str, x, diameter, loading, T, time_h, dataset=None, params: Parameters | None = None, *,
                         matrix: str | None = None):
    """δ fraction (0–1) of the matrix after ``time_h`` hours at T (K); loading 0 is the pristine film."""
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    t = positive("time_h", time_h, allow_zero=True)
    fr = free_fractions(core, x, diameter, loading, T, dataset, p)
    F, N = np.asarray(fr["free"]), np.asarray(fr["nucleation"])
    tau = np.asarray(time_constant(x, T, dataset, p))
    F, N, tau, t = np.broadcast_arrays(F, N, tau, t)
    Fs = np.where(F > 0, F, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        arg = (N / Fs) * (t / tau) ** p.avrami_n
    arg = np.where(np.isfinite(tau), arg, 0.0)
    return scalar_or_array(np.where(F > 0, F * -np.expm1(-arg), 0.0))


def lifetime(core: str, x, diameter, loading, T=298.15, dataset=None, params: Parameters | None = None, *,
             matrix: str | None = None):
    """Hours until ``lifetime_fraction`` of the matrix has converted to δ; ``inf`` if it never does."""
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    fr = free_fractions(core, x, diameter, loading, T, dataset, p)
    tau = np.asarray(time_constant(x, T, dataset, p))
    return scalar_or_array(combine_lifetime(tau, fr["free"], fr["nucleation"], p.avrami_n, p.lifetime_fraction))


def critical_loading(core: str, x, diameter, T=298.15, target_h=SIX_MONTHS_H, dataset=None,
                     params: Parameters | None = None, *, matrix: str | None = None):
    """Smallest loading (volume fraction) whose lifetime reaches ``target_h`` hours at T.

    0 where the pristine film already lasts that long; ``inf`` where even random close packing does not.
    Bisection in log φ (lifetime rises monotonically with loading: F and N both fall). Broadcasts.
    """
    dataset = _resolve(dataset, matrix)
    p = _p(params)
    target = float(positive("target_h", target_h))
    x, d, T = np.broadcast_arrays(br_content(x), dot_diameter(diameter), temperature(T))
    h = np.asarray(anchoring_length(core, x, d, T, dataset, p), float) * np.ones(x.shape)
    r_star = np.asarray(critical_radius(x, T, dataset, p), float) * np.ones(x.shape)
    tau = np.asarray(time_constant(x, T, dataset, p), float) * np.ones(x.shape)

    def lasts(log_phi):
        F, N = _fractions(np.exp(log_phi), d, h, r_star)
        return combine_lifetime(tau, F, N, p.avrami_n, p.lifetime_fraction) >= target

    pristine = combine_lifetime(tau, 1.0, 1.0, p.avrami_n, p.lifetime_fraction) >= target
    lo = np.full(x.shape, np.log(1e-6))
    hi = np.full(x.shape, np.log(0.6399))
    reachable = lasts(hi)
    while np.max(hi - lo) > 1e-7:
        mid = 0.5 * (lo + hi)
        ok = lasts(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    phi = np.where(reachable, np.exp(hi), np.inf)
    return scalar_or_array(np.where(pristine | np.isinf(h), 0.0, phi))


# ---------------------------------------------------------------------------------------------- calibration
def _nose_temperature(p: Parameters, x: float, dataset) -> float:
    """Temperature (K) of the fastest conversion of the pristine film (maximum of ln τ⁻ⁿ)."""
    from scipy.optimize import minimize_scalar

    Tt = float(phase_boundary.transition_temperature(x))
    res = minimize_scalar(lambda T: -float(_log_rate(x, T, dataset, p)), bounds=(0.4 * Tt, Tt - 1e-3),
                          method="bounded", options={"xatol": 1e-6})
    return float(res.x)


def calibrate(activation_eV: float | None = None, avrami_n: float | None = None, lifetime_fraction: float | None = None,
              dataset=None) -> Parameters:
    """Re-derive γ_n, K₀ and the minimal Δγ from the targets in ``data/kinetics.json`` (see the module docstring).

    The assumed parameters (Q, n, the lifetime fraction) default to the data file's; give them to see how the
    calibrated ones and every reported number move (``benchmarks/stability_sensitivity.py``).
    """
    from scipy.optimize import brentq

    t = _targets()
    Q = float(t["activation_energy_eV"]["value"]) if activation_eV is None else float(activation_eV)
    n = float(t["avrami_exponent"]["value"]) if avrami_n is None else float(avrami_n)
    f = float(t["lifetime_fraction"]["value"]) if lifetime_fraction is None else float(lifetime_fraction)
    if not (Q > 0 and n >= 1 and 0 < f < 1):
        raise LatticeAnchorError(f"calibrate: need activation_eV > 0, avrami_n ≥ 1, 0 < lifetime_fraction < 1; "
                                 f"got {Q:g}, {n:g}, {f:g}")
    dataset = _resolve(dataset, None)
    p = Parameters(n, Q, 0.01, 0.0, 0.1, f)
    nose = t["ttt_nose"]
    gamma = brentq(lambda g: _nose_temperature(replace(p, nucleation_gamma_J_per_m2=g), nose["x"], dataset)
                   - nose["T_K"], 1e-4, 0.2, xtol=1e-12)
    p = replace(p, nucleation_gamma_J_per_m2=gamma)
    pr = t["pristine_lifetime"]
    # lifetime ∝ K0^(−1/n): shift ln K0 so the pristine lifetime matches
    t0 = float(combine_lifetime(time_constant(pr["x"], pr["T_K"], dataset, p), 1.0, 1.0, p.avrami_n, p.lifetime_fraction))
    p = replace(p, log_prefactor=p.avrami_n * np.log(t0 / pr["lifetime_h"]))
    b = t["anchored_lifetime_bound"]

    def meets(gain):
        return lifetime(b["core"], b["x"], b["diameter_A"], b["loading"], b["T_K"], dataset,
                        replace(p, interface_gain_J_per_m2=gain)) >= b["min_lifetime_h"]

    lo, hi = 1e-3, 2.0  # bisection keeping the side that meets the bound (the lifetime rises steeply there)
    if meets(lo) or not meets(hi):
        raise LatticeAnchorError("kinetics: the O1 bound cannot be met with an interface gain in [0.001, 2] J/m²")
    while hi - lo > 1e-10:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if meets(mid) else (mid, hi)
    gain = hi
    return replace(p, interface_gain_J_per_m2=gain)


@lru_cache(maxsize=1)
def parameters() -> Parameters:
    """The calibrated parameters (cached; ``calibrate()`` with the data file's targets and assumptions)."""
    return calibrate()


def upper_parameters() -> Parameters:
    """The calibrated parameters with Δγ at its plausible upper bound (the other end of what O1 allows)."""
    return replace(parameters(), interface_gain_J_per_m2=float(_targets()["interface_gain_upper_J_per_m2"]["value"]))


def calibration() -> dict:
    """What was fitted to what, with the values (for docs, tests and the note)."""
    t, p = _targets(), parameters()
    return {"nucleation_gamma_J_per_m2": p.nucleation_gamma_J_per_m2, "fitted_to_nose": t["ttt_nose"]["source"],
            "log_prefactor": p.log_prefactor, "fitted_to_pristine": t["pristine_lifetime"]["source"],
            "interface_gain_J_per_m2": p.interface_gain_J_per_m2,
            "fitted_to_bound": t["anchored_lifetime_bound"]["source"],
            "activation_eV": p.activation_eV, "avrami_n": p.avrami_n, "lifetime_fraction": p.lifetime_fraction}
