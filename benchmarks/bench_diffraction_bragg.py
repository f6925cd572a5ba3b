"""Benchmark: latticeanchor.diffraction.bragg_pattern vs pymatgen XRDCalculator on a 2 560-atom
CsPbBr3 supercell (8×8×8 cubic cells, random Gaussian displacements σ = 0.1 Å, seed 0), Cu Kα, 2θ 0–90°.

    python benchmarks/bench_diffraction_bragg.py [--cells 8] [--repeat 3]

Prints a table and writes benchmarks/results/bench_diffraction_bragg.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np


def supercell(n: int, sigma: float = 0.1, seed: int = 0):
    from pymatgen.core import Lattice, Structure

    st = Structure(Lattice.cubic(5.874), ["Cs", "Pb", "Br", "Br", "Br"],
                   [[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]])
    st.make_supercell([n, n, n])
    rng = np.random.default_rng(seed)
    return Structure(st.lattice, st.species, st.cart_coords + rng.normal(0, sigma, (len(st), 3)),
                     coords_are_cartesian=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes for CI: 2 cells, one repeat")
    args = ap.parse_args()
    if args.smoke:
        args.cells, args.repeat = 2, 1
    from pymatgen.analysis.diffraction.xrd import XRDCalculator

    from latticeanchor.diffraction import bragg_pattern

    st = supercell(args.cells)
    bragg_pattern(supercell(2), two_theta=(0, 90))  # warm-up (imports)
    ours = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        p = bragg_pattern(st, "CuKa", (0, 90))
        ours.append(time.perf_counter() - t)
    t = time.perf_counter()
    ref = XRDCalculator("CuKa").get_pattern(st, two_theta_range=(0, 90))
    t_pmg = time.perf_counter() - t
    same_n = len(ref.x) == len(p.x)
    dx = float(np.max(np.abs(np.asarray(ref.x) - np.asarray(p.x)))) if same_n else float("nan")
    dy = float(np.max(np.abs(np.asarray(ref.y) - np.asarray(p.y)))) if same_n else float("nan")
    best = min(ours)
    row = {"atoms": len(st), "peaks": len(p.x), "pymatgen_s": t_pmg, "latticeanchor_s_best": best,
           "latticeanchor_s_all": ours, "speedup": t_pmg / best, "max_abs_d2theta_deg": dx,
           "max_abs_dI_percent_of_max": dy, "same_peak_count": same_n}
    print(f"{'atoms':>6} {'peaks':>6} {'pymatgen (s)':>13} {'ours (s)':>9} {'speed-up':>9} {'max|Δ2θ|°':>10} {'max|ΔI| %':>10}")
    print(f"{row['atoms']:6d} {row['peaks']:6d} {t_pmg:13.2f} {best:9.3f} {t_pmg / best:8.1f}× {dx:10.2e} {dy:10.2e}")
    out = Path(__file__).resolve().parent / "results" / "bench_diffraction_bragg.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "command": "python benchmarks/bench_diffraction_bragg.py"}
    from latticeanchor.atomic import write_text

    write_text(out, json.dumps({"meta": meta, "result": row}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
