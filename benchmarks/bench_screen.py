"""Screening throughput: the vectorized analytic evaluation of a 10⁶-point grid against a per-candidate
loop over the same library calls (the peer), in the same run. Prints points/s and the ratio and
writes benchmarks/results/screen.json.

    python benchmarks/bench_screen.py [--points 1000000] [--loop-sample 300] [--smoke]

``--smoke``: a few thousand points and a 20-candidate loop sample (CI; nothing written).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from latticeanchor import electronic, geometry, stability, strain, tolerance
from latticeanchor.screen.evaluate import evaluate, grid_frame
from latticeanchor.screen.selectivity import delta_matches, delta_strain, selectivity


def per_candidate(core, x, d, phi, T):
    """The peer: one candidate at a time through the scalar API (d in Å)."""
    eps = strain.mismatch(core, x, T)
    h = strain.critical_thickness(eps, x, T)
    crit_mb = strain.critical_loading(core, x, d, T)
    spacing = geometry.dot_spacing(phi, d) if phi > 0 else np.inf
    gap = electronic.dot_band_gap(core, d / 10)
    align = electronic.band_alignment(core, d / 10, x)
    tau = tolerance.tolerance_factors(x)["tau"]
    sel = selectivity(core, x, T)
    delta = delta_strain(core, x, T)
    anchored = stability.anchored_fraction(core, x, d, phi, T)
    life = stability.lifetime(core, x, d, phi, T)
    crit = stability.critical_loading(core, x, d, T)
    return eps, h, crit_mb, spacing, gap, align["margin"], tau, sel, delta, anchored, life, crit


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--loop-sample", type=int, default=300)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes for CI (< 20 s); results not written")
    args = ap.parse_args()
    if args.smoke:
        args.points, args.loop_sample = 2000, 20
    delta_matches()  # load the shipped δ coincidence table, shared by both paths
    n_x = 101
    n_phi = 31
    n_T = 2
    n_d = max(1, int(round(args.points / (3 * n_x * n_phi * n_T))))
    frame = grid_frame(["PbS", "PbSe", "PbS0.5Se0.5"], np.linspace(0, 3, n_x), np.linspace(2.5, 5.0, n_d),
                       np.linspace(0, 0.3, n_phi), [298.15, 473.15])
    t = time.perf_counter()
    table = evaluate(frame, [298.15, 473.15])
    t_vec = time.perf_counter() - t
    rng = np.random.default_rng(0)
    sample = table.iloc[rng.choice(len(table), size=args.loop_sample, replace=False)]
    t = time.perf_counter()
    for _, r in sample.iterrows():
        res = per_candidate(str(r["core"]), r["x"], 10 * r["diameter_nm"], r["loading_fraction"], r["T_K"])
        # same numbers both ways
        assert abs(res[0] - r["eps_fraction"]) < 1e-12 and abs(res[7] - r["selectivity"]) < 1e-12
        assert abs(res[9] - r["anchored_fraction"]) < 1e-9
        assert res[10] == r["lifetime_h"] or abs(res[10] - r["lifetime_h"]) < 1e-9 * res[10]
        assert abs(res[11] - r["critical_loading_fraction"]) <= 1e-6 * max(res[11], 1e-9) or res[11] == r["critical_loading_fraction"]
    t_loop = time.perf_counter() - t
    vec_rate, loop_rate = len(table) / t_vec, args.loop_sample / t_loop
    result = {"points": len(table), "vectorized_s": t_vec, "vectorized_points_per_s": vec_rate,
              "loop_points_per_s": loop_rate, "speedup": vec_rate / loop_rate}
    print(f"vectorized: {len(table):,} points in {t_vec:.2f} s = {vec_rate:,.0f} points/s")
    print(f"per-candidate loop: {loop_rate:,.0f} points/s (sample of {args.loop_sample})")
    print(f"ratio vectorized/loop: {vec_rate / loop_rate:,.0f}x")
    if args.smoke:
        return
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "screen.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
