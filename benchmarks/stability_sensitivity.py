"""Sensitivity of the kinetic stability model's headline numbers to its assumed parameters.

Each row changes one assumed value (Arrhenius barrier Q, Avrami exponent n, the converted fraction that ends a
lifetime), re-calibrates γ_n, K₀ and the minimal Δγ on the same three targets as the shipped model
(``kinetics.calibrate``), and prints what the docs quote: the fitted values, the *reported* CsPbI3 half time at
the TTT nose (measured 17 min), pristine lifetimes and critical loadings (3.5 nm PbS, six-month target). The last
row keeps the shipped calibration but puts Δγ at its plausible upper bound (O1 is a bound: it fixes a minimum).

    python benchmarks/stability_sensitivity.py [--smoke]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np

from latticeanchor import kinetics, stability

D = 35.0  # Å
CRIT_POINTS = ((0.5, 298.15), (1.5, 298.15), (0.5, 473.15))
CASES = [("as shipped", {}), ("Q = 0.3 eV", {"activation_eV": 0.3}), ("Q = 0.7 eV", {"activation_eV": 0.7}),
         ("n = 2", {"avrami_n": 2.0}), ("n = 4", {"avrami_n": 4.0}),
         ("lifetime at 2 % δ", {"lifetime_fraction": 0.02}), ("lifetime at 10 % δ", {"lifetime_fraction": 0.10})]


def row(name: str, p: kinetics.Parameters) -> dict:
    nose = kinetics._targets()["ttt_nose"]
    t_half_min = 60 * float(kinetics.time_constant(0.0, nose["T_K"], params=p)) * np.log(2) ** (1 / p.avrami_n)
    out = {"case": name, "dgamma_J_m2": p.interface_gain_J_per_m2, "gamma_n_J_m2": p.nucleation_gamma_J_per_m2,
           "t_half_nose_min": t_half_min,
           "pristine_x0_h": float(stability.lifetime("PbS", 0.0, D, 0.0, params=p)),
           "pristine_x2_h": float(stability.lifetime("PbS", 2.0, D, 0.0, params=p))}
    for x, T in CRIT_POINTS:
        out[f"phi_c_x{x:g}_{T:g}K_vol%"] = 100 * float(stability.critical_loading("PbS", x, D, T, params=p))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--smoke", action="store_true", help="the shipped case and one perturbation only")
    args = ap.parse_args()
    cases = CASES[:2] if args.smoke else CASES
    rows = [row(name, kinetics.calibrate(**kw)) for name, kw in cases]
    upper = replace(kinetics.parameters(), interface_gain_J_per_m2=kinetics.upper_parameters().interface_gain_J_per_m2)
    rows.append(row("Δγ at its upper bound (not re-fitted)", upper))
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(f"{r[k]:.4g}" if isinstance(r[k], float) else str(r[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
