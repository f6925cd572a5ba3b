"""The numbers `docs/anchoring.md` quotes, recomputed from the shipped model (nothing here is fitted).

    python benchmarks/anchoring_report.py

Prints Markdown tables: the computed phase boundary T_t(x), the calibration, lifetimes of the paper's films
(3.5 nm PbS in CsPbBrI2 and CsPbBr2I at 0, 6, 13, 20 vol%) at 25 °C and after the 200 °C / 5 h anneal of
Fig. 2d,e, critical loadings at fixed x for PbS, PbS0.5Se0.5 and PbSe (O4's "more mismatch needs more dots"), and
the critical inclusion diameters.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import kinetics, phase_boundary, stability, strain

D = 35.0  # Å
FILMS = (1.0, 2.0)
LOADINGS = (0.0, 0.06, 0.13, 0.20)


def _h(v: float) -> str:
    if not np.isfinite(v):
        return "∞"
    return f"{v / 24:.3g} d" if v >= 48 else f"{v:.3g} h"


def main() -> None:
    print("## Computed phase boundary\n")
    print("| x | T_t (K) | ΔH (kJ/mol) |\n|---|---|---|")
    for x in np.arange(0, 3.01, 0.5):
        print(f"| {x:.1f} | {float(phase_boundary.transition_temperature(x)):.0f} | "
              f"{float(phase_boundary.transition_enthalpy(x)) / 1000:.2f} |")
    try:
        b = phase_boundary.boundary_x(298.15)
        print(f"\nboundary_x(298.15 K) = {b}\n")
    except Exception as exc:  # reported as it is
        print(f"\nboundary_x(298.15 K): {exc}\n")
    print("## Calibration\n")
    for k, v in kinetics.calibration().items():
        print(f"- {k}: {v}")
    print("\n## The paper's films (3.5 nm PbS)\n")
    print("| film | vol% | lifetime 25 °C | δ after 5 h at 200 °C | lifetime 200 °C |\n|---|---|---|---|---|")
    for x in FILMS:
        for phi in LOADINGS:
            life = float(stability.lifetime("PbS", x, D, phi, 298.15))
            X = float(stability.transformed_fraction("PbS", x, D, phi, 473.15, 5.0))
            life_hot = float(stability.lifetime("PbS", x, D, phi, 473.15))
            print(f"| x = {x:g} | {100 * phi:.0f} | {_h(life)} | {100 * X:.3g} % | {_h(life_hot)} |")
    print("\n## Critical loading at fixed x (six months at 25 °C; 5 h at 200 °C)\n")
    print("| x | core | ε (%) | φ_c 25 °C (vol%) | φ_c 200 °C, 5 h (vol%) | critical inclusion d (nm) |\n|---|---|---|---|---|---|")
    for x in (0.0, 0.5, 1.0, 1.5):
        for core in ("PbS0.5Se0.5", "PbS", "PbSe"):
            eps = 100 * float(strain.mismatch(core, x))
            c_rt = 100 * float(stability.critical_loading(core, x, D, 298.15))
            c_hot = 100 * float(stability.critical_loading(core, x, D, 473.15, target_h=5.0))
            d_c = float(stability.critical_inclusion_diameter(core, x)) / 10
            print(f"| {x:g} | {core} | {eps:+.2f} | {c_rt:.2f} | {c_hot:.2f} | {d_c:.3g} |")


if __name__ == "__main__":
    main()
