"""Sensitivity of the stability model's headline numbers to the values still tagged `recalled`/`assumed`.

Each row perturbs one group of data-file values, re-calibrates Δγ on O1 (as the shipped model is) and prints
the critical loadings (vol%, 3.5 nm PbS) that the README quotes. The data file is not modified.

    python benchmarks/stability_sensitivity.py [--smoke]
"""

from __future__ import annotations

import argparse
import copy

import latticeanchor.data as data
from latticeanchor import stability, strain

POINTS = ((0.5, 298.15), (1.5, 298.15), (1.0, 473.15), (0.5, 473.15))


def _scale(materials, quantity, keys, factor):
    def mod(raw):
        for mat in materials:
            block = raw["materials"][mat][quantity]
            entry = block["entries"][block["default"]]
            for k in keys:
                entry[k] *= factor
    return mod


CASES = [
    ("as shipped", lambda raw: None),
    ("perovskite C_ij ×0.7 (recalled, MP PBE)", _scale(("CsPbI3_alpha", "CsPbBr3_alpha"), "elastic_constants", ("C11", "C12", "C44"), 0.7)),
    ("perovskite C_ij ×1.3", _scale(("CsPbI3_alpha", "CsPbBr3_alpha"), "elastic_constants", ("C11", "C12", "C44"), 1.3)),
    ("PbS/PbSe expansion ×0.8 (recalled)", _scale(("PbS", "PbSe"), "thermal_expansion", ("value",), 0.8)),
    ("PbS/PbSe expansion ×1.2", _scale(("PbS", "PbSe"), "thermal_expansion", ("value",), 1.2)),
    ("perovskite expansion ×0.63 (intra-phase 3.3e-5-like)", _scale(("CsPbI3_alpha", "CsPbBr3_alpha"), "thermal_expansion", ("value",), 0.63)),
]


def run_case(modify) -> tuple[float, list[float]]:
    raw = copy.deepcopy(data._raw())
    modify(raw)
    original = data._raw
    data._raw = lambda: raw
    stability.parameters.cache_clear()
    strain._vrh_cached.cache_clear()
    try:
        model = stability.Model(stability.default_model().boundary_x, 1.0)
        model = stability.Model(model.boundary_x, stability.calibrate_interface_gain(model.boundary_x))
        crit = [100 * float(stability.critical_loading("PbS", x, 35.0, T, model=model)) for x, T in POINTS]
        return model.interface_gain_J_per_m2, crit
    finally:
        data._raw = original
        stability.parameters.cache_clear()
        strain._vrh_cached.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="only the shipped case and one perturbation")
    args = ap.parse_args()
    cases = CASES[:2] if args.smoke else CASES
    head = " | ".join(f"x={x:g}, {T:g} K" for x, T in POINTS)
    print(f"| case | Δγ (J/m²) | {head} |")
    print("|---|---|" + "---|" * len(POINTS))
    for label, modify in cases:
        gain, crit = run_case(modify)
        print(f"| {label} | {gain:.3f} | " + " | ".join(f"{c:.1f}" for c in crit) + " |")


if __name__ == "__main__":
    main()
