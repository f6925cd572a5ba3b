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

from latticeanchor import electronic, geometry, strain, tolerance
from latticeanchor.screen.evaluate import evaluate, grid_frame
from latticeanchor.screen.selectivity import delta_matches, delta_strain


def per_candidate(core, x, d, phi, T):
    """The peer: one candidate at a time through the scalar API."""
    eps = strain.mismatch(core, x, T)
    h = strain.critical_thickness(eps, x, T)
    crit = geometry.volume_fraction(d + 2 * h, d)
    spacing = geometry.dot_spacing(phi, d) if phi > 0 else np.inf
    gap = electronic.dot_band_gap(core, d / 10)
    align = electronic.band_alignment(core, d / 10, x)
    tau = tolerance.tolerance_factors(x)["tau"]
    sel = delta_strain(core, x, T) - abs(eps)
    return eps, h, crit, spacing, gap, align["margin"], tau, sel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--loop-sample", type=int, default=300)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes for CI (< 20 s); results not written")
    args = ap.parse_args()
    if args.smoke:
        args.points, args.loop_sample = 2000, 20
    delta_matches("PbS")  # one-off ZSL search, shared by both paths
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
        eps, *_ = per_candidate(str(r["core"]), r["x"], r["diameter"], r["loading"], r["T"])
        assert abs(eps - r["eps"]) < 1e-12  # same numbers both ways
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
