"""The black/δ phase boundary of CsPbBr_xI_(3−x), computed from MLIP polymorph energies (models layer).

Reads the shipped table ``latticeanchor/data/polymorph_energies.json`` (relaxed 4-f.u. cells, see
``latticeanchor.energy.polymorphs``; this module never runs a potential).

* ΔE_b−δ(x) (eV/f.u.), b = γ (default: the room-temperature black phase, Sutton et al., ACS Energy
  Lett. 3, 1787 (2018)) or α (cubic): per composition the mean over halide orderings of E_b − E_δ,
  then a least-squares quadratic in y = x/3 through these means, ΔE(x) = c0 + c1·y + c2·y² (a
  quadratic: the regular-solution form of two alloys' mixing energies). Its standard error propagates
  the ordering scatter (standard error of each composition's mean; the ordered end members have none).
  With fewer than four compositions (α is relaxed at the end members only) the fit is linear in y.
* ΔH_b−δ(x) = ΔH_I + N_A·[ΔE(x) − ΔE(0)] (J/mol), ΔH_I = 14.2 kJ/mol the δ → black enthalpy of CsPbI3
  measured by DSC (Dastidar et al., J. Phys. Chem. Lett. 8, 1278 (2017), DOI 10.1021/acs.jpclett.7b00134).
  The ideal mixing entropy −R·3[y ln y + (1−y) ln(1−y)] per f.u. is the same in both phases at equal x
  (same halide sublattice), so it cancels in Δg; so does the mixing enthalpy common to both.
* ΔS = ΔH_I / T_I with T_I = 603 K (≈ 330 °C, where Dastidar et al. form the black phase), held fixed for
  all x: T_t(x) = ΔH(x)/ΔS, and Δg(x, T) = ΔH(x) − T·ΔS (black stable where Δg < 0, i.e. T > T_t).
* ``boundary_x(T)``: the x where Δg = 0; δ is stable on the I side of it.

Known limitation (physics notes; Liang, Klarbring & Walsh, Chem. Mater. 37, 9392 (2025)): universal
MLIPs and PBE put δ-CsPbBr3 (which is not observed) nearly level with γ, so with a constant ΔS the Br end
sits near room temperature; the Br side may need an x-dependent (vibrational/anharmonic) entropy.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, br_content, scalar_or_array, temperature

__all__ = ["DH_CSPBI3_J_PER_MOL", "T_CSPBI3_K", "DS_J_PER_MOL_K", "AVOGADRO", "EV_J", "load_table", "composition_means",
           "energy_difference", "energy_difference_fit", "transition_enthalpy", "transition_temperature", "delta_g",
           "boundary_x", "Boundary", "table"]

DH_CSPBI3_J_PER_MOL = 14.2e3  # δ → black CsPbI3, DSC, Dastidar et al. 2017 (± 0.5 kJ/mol)
T_CSPBI3_K = 603.0  # K, ≈ 330 °C black-phase formation of CsPbI3, Dastidar et al. 2017
DS_J_PER_MOL_K = DH_CSPBI3_J_PER_MOL / T_CSPBI3_K  # J/(mol K), held fixed for all x
AVOGADRO = 6.02214076e23  # 1/mol (exact, SI 2019)
EV_J = 1.602176634e-19  # J per eV (exact)
BLACK_PHASES = ("gamma", "alpha")
TABLE = "polymorph_energies.json"


@lru_cache(maxsize=1)
def load_table() -> dict:
    """The shipped polymorph-energy table (metadata + cells); see ``energy.polymorphs``."""
    try:
        with resources.files("latticeanchor.data").joinpath(TABLE).open("r", encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError) as exc:  # pragma: no cover - a broken installation
        raise LatticeAnchorError(f"cannot read the polymorph-energy table {TABLE}: {exc}") from None


def _phase(phase: str) -> str:
    key = {"γ": "gamma", "α": "alpha"}.get(str(phase), str(phase).lower())
    if key not in BLACK_PHASES:
        raise LatticeAnchorError(f"phase must be 'gamma' or 'alpha' (the black phase compared with δ), got {phase!r}")
    return key


@lru_cache(maxsize=4)
def composition_means(phase: str = "gamma") -> tuple[tuple[float, float, float, float, int], ...]:
    """Per composition with both phases computed: (x, mean ΔE_b−δ eV/f.u., its standard error eV/f.u.,
    the ordering standard deviation of ΔE eV/f.u. (√(s_b² + s_δ²), 0 for single cells), n orderings (min))."""
    phase = _phase(phase)
    cells = [c for c in load_table()["cells"] if c.get("converged", True)]
    out = []
    for x in sorted({c["x"] for c in cells}):
        e = {p: np.array([c["energy_eV_per_fu"] for c in cells if c["x"] == x and c["phase"] == p]) for p in (phase, "delta")}
        if not (len(e[phase]) and len(e["delta"])):
            continue
        sd = {p: float(np.std(v, ddof=1)) if len(v) > 1 else 0.0 for p, v in e.items()}
        se = math.sqrt(sum(sd[p] ** 2 / len(e[p]) for p in e))
        out.append((float(x), float(e[phase].mean() - e["delta"].mean()), se,
                    math.sqrt(sd[phase] ** 2 + sd["delta"] ** 2), int(min(len(v) for v in e.values()))))
    if len(out) < 2:
        raise LatticeAnchorError(f"the polymorph table has {len(out)} compositions with both {phase} and δ; need ≥ 2")
    return tuple(out)


@dataclass(frozen=True)
class Fit:
    """ΔE(x) = Σ_k coef[k]·y^k, y = x/3 (eV/f.u.); cov the coefficients' covariance (eV²/f.u.²)."""

    phase: str
    coef: np.ndarray
    cov: np.ndarray
    x: np.ndarray  # compositions fitted
    mean: np.ndarray  # eV/f.u., ordering means
    se: np.ndarray  # eV/f.u., standard errors of the means
    sd: np.ndarray  # eV/f.u., ordering scatter (standard deviation)
    residuals: np.ndarray  # eV/f.u., mean − fit

    def basis(self, x) -> np.ndarray:
        y = np.asarray(x, dtype=float) / 3.0
        return np.stack([y**k for k in range(len(self.coef))], axis=-1)

    def __call__(self, x) -> np.ndarray:
        return self.basis(x) @ self.coef

    def slope(self, x) -> np.ndarray:
        """dΔE/dx in eV/f.u. per Br."""
        y = np.asarray(x, dtype=float) / 3.0
        return sum(k * self.coef[k] * y ** (k - 1) for k in range(1, len(self.coef))) / 3.0


@lru_cache(maxsize=4)
def energy_difference_fit(phase: str = "gamma") -> Fit:
    """Least-squares fit of the ordering means of ΔE_b−δ (quadratic in y = x/3; linear below 4 compositions)."""
    phase = _phase(phase)
    rows = np.array(composition_means(phase), dtype=float)
    x, mean, se, sd = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    degree = 2 if len(x) >= 4 else 1
    A = np.stack([(x / 3.0) ** k for k in range(degree + 1)], axis=-1)
    pinv = np.linalg.pinv(A)  # (AᵀA)⁻¹Aᵀ
    coef = pinv @ mean
    cov = pinv @ np.diag(se**2) @ pinv.T
    return Fit(phase, coef, cov, x, mean, se, sd, mean - A @ coef)


def energy_difference(x, phase: str = "gamma", return_se: bool = False):
    """ΔE_b−δ(x) = E_black − E_δ in eV per formula unit (b = 'gamma' or 'alpha'), from the fit; with
    ``return_se`` also its standard error (eV/f.u.) from the ordering scatter. Broadcasts over x."""
    if not isinstance(return_se, (bool, np.bool_)):
        raise LatticeAnchorError(f"return_se must be True or False, got {return_se!r}")
    xs = br_content(x)
    fit = energy_difference_fit(_phase(phase))
    value = fit(xs)
    if not return_se:
        return scalar_or_array(value)
    b = fit.basis(xs)
    se = np.sqrt(np.einsum("...i,ij,...j->...", b, fit.cov, b))
    return scalar_or_array(value), scalar_or_array(se)


def transition_enthalpy(x, phase: str = "gamma"):
    """ΔH_b−δ(x) = 14.2 kJ/mol + N_A·[ΔE(x) − ΔE(0)], J/mol (the measured CsPbI3 value as offset)."""
    xs = br_content(x)
    fit = energy_difference_fit(_phase(phase))
    return scalar_or_array(DH_CSPBI3_J_PER_MOL + AVOGADRO * EV_J * (fit(xs) - fit(np.zeros(1))[0]))


def transition_temperature(x, phase: str = "gamma"):
    """T_t(x) = ΔH(x)/ΔS in K, ΔS = 14.2 kJ/mol / 603 K; T_t(0) = 603 K by construction. Broadcasts."""
    return scalar_or_array(np.asarray(transition_enthalpy(x, phase)) / DS_J_PER_MOL_K)


def delta_g(x, T, phase: str = "gamma"):
    """Δg = G_black − G_δ = ΔH(x) − T·ΔS in J/mol (> 0: δ stable). x and T (K) broadcast."""
    T = temperature(T)
    return scalar_or_array(np.asarray(transition_enthalpy(x, phase)) - T * DS_J_PER_MOL_K)


class Boundary(NamedTuple):
    """x (Br per f.u.) where Δg = 0 at T; sigma_ordering its standard error from the ordering scatter;
    x_alpha the same with cubic α as the black phase (None when it does not cross in [0, 3]);
    spread = |x − x_alpha| (the black-polymorph choice); δ is stable for x < x."""

    x: float
    sigma_ordering: float
    x_alpha: float | None
    spread: float | None
    T: float


def _crossing(T: float, phase: str) -> float | None:
    grid = np.linspace(0.0, 3.0, 3001)
    g = np.asarray(delta_g(grid, T, phase))
    sign = np.flatnonzero(np.sign(g[:-1]) * np.sign(g[1:]) <= 0)
    if g[0] == 0.0:
        return 0.0
    if not len(sign):
        return None
    from scipy.optimize import brentq

    k = int(sign[0])
    if g[k + 1] == 0.0:
        return float(grid[k + 1])
    return float(brentq(lambda v: float(delta_g(v, T, phase)), grid[k], grid[k + 1], xtol=1e-10))


def boundary_x(T=298.15, phase: str = "gamma", missing: str = "raise") -> Boundary:
    """The composition x where the black phase and δ have equal Gibbs energy at T (K), with its uncertainty.

    sigma_ordering = σ[ΔE(x_b) − ΔE(0)] / |dΔE/dx| (delta method, the fit covariance from the ordering
    scatter). When Δg does not change sign in [0, 3]: ``missing="raise"`` (default) raises
    LatticeAnchorError naming the phase stable at every x; ``missing="inf"`` returns x = +inf when δ is
    stable everywhere and −inf when the black phase is (sigma_ordering nan).
    """
    T = float(temperature(as_array("T (K)", T)))
    if np.ndim(T):  # pragma: no cover - as_array of a scalar
        raise LatticeAnchorError("boundary_x takes one temperature")
    if missing not in ("raise", "inf"):
        raise LatticeAnchorError(f"missing must be 'raise' or 'inf', got {missing!r}")
    phase = _phase(phase)
    other = "alpha" if phase == "gamma" else "gamma"
    try:
        x_other = _crossing(T, other)
    except LatticeAnchorError:  # no cells for the other black phase
        x_other = None
    xb = _crossing(T, phase)
    if xb is None:
        g0 = float(delta_g(0.0, T, phase))
        stable = "δ" if g0 > 0 else phase
        if missing == "raise":
            raise LatticeAnchorError(
                f"no {phase}/δ boundary in x = 0–3 at T = {T:g} K: {stable} is stable at every composition "
                f"(T_t runs {float(transition_temperature(0.0, phase)):.0f}–{float(transition_temperature(3.0, phase)):.0f} K)")
        return Boundary(math.inf if g0 > 0 else -math.inf, math.nan, x_other, None, T)
    fit = energy_difference_fit(phase)
    d = fit.basis(np.array([xb]))[0] - fit.basis(np.zeros(1))[0]
    sigma_diff = math.sqrt(max(float(d @ fit.cov @ d), 0.0))
    slope = abs(float(fit.slope(np.array([xb]))[0]))
    sigma = sigma_diff / slope if slope > 0 else math.inf
    return Boundary(xb, sigma, x_other, None if x_other is None else abs(xb - x_other), T)


def table(xs=(0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)) -> list[dict]:
    """Rows for the docs: x, ordering mean ± s.e. of ΔE_γ−δ (eV/f.u.), the fit, ΔE_α−δ where computed,
    ΔH (kJ/mol) and T_t (K) from the γ fit (and from α)."""
    xs = br_content(xs)
    means = {round(r[0], 6): r for r in composition_means("gamma")}
    try:
        alpha = {round(r[0], 6): r for r in composition_means("alpha")}
    except LatticeAnchorError:
        alpha = {}
    rows = []
    for x in np.atleast_1d(xs):
        x = float(x)
        m = means.get(round(x, 6))
        a = alpha.get(round(x, 6))
        fit, se = energy_difference(x, "gamma", return_se=True)
        rows.append({"x": x, "dE_gamma_delta_eV_per_fu": None if m is None else m[1],
                     "dE_gamma_delta_se_eV_per_fu": None if m is None else m[2],
                     "n_orderings": None if m is None else m[4], "dE_fit_eV_per_fu": fit, "dE_fit_se_eV_per_fu": se,
                     "dE_alpha_delta_eV_per_fu": None if a is None else a[1],
                     "dH_kJ_per_mol": float(transition_enthalpy(x)) / 1e3, "T_t_K": float(transition_temperature(x)),
                     "T_t_alpha_K": float(transition_temperature(x, "alpha")) if alpha else None})
    return rows
