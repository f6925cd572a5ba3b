"""Benchmark: Debye scattering of finite clusters, 1k–100k atoms, in one run:
latticeanchor.debye_pattern (numba linear-spread histograms) vs the exact double sum, DebyeCalculator
(CPU, if importable) and debyer (if a ``debyer`` binary is on PATH).

Clusters: rock-salt PbS spheres (a = 5.936 Å) with random displacements σ = 0.05 Å (seed 0), so no
two pair distances coincide (the general, non-crystalline case). q = 0.5–6.0 Å⁻¹, step 0.01 (551 points); B = 0
(debye_waller_factors={}), as the peers.

    python benchmarks/bench_diffraction_debye.py [--sizes 1000 5000 10000 50000 100000] [--exact-max 2000] [--repeat 3]

Reports seconds (best of --repeat runs), pairs/s (N(N−1)/2 per second), ratios and the 1-minute load
average when each size ran (the peers and we share the CPU with whatever else runs); writes
benchmarks/results/bench_diffraction_debye.json.
DebyeCalculator's I(Q) is half of the textbook double sum (checked and reported).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np


def cluster(n_target: int, sigma: float = 0.05, seed: int = 0):
    from ase.build import bulk

    a = 5.936
    radius = (3 * n_target / (4 * np.pi) * a**3 / 8) ** (1 / 3)
    at = bulk("PbS", "rocksalt", a=a, cubic=True)
    m = int(2 * radius / a) + 3
    at = at.repeat((m, m, m))
    at.positions -= at.positions.mean(axis=0)
    d = np.linalg.norm(at.positions, axis=1)
    at = at[np.argsort(d, kind="stable")[:n_target]]
    at.positions += np.random.default_rng(seed).normal(0, sigma, at.positions.shape)
    at.pbc = False
    at.cell = None
    return at


def _time(fn, repeat=1):
    best = np.inf
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000, 50000, 100000])
    ap.add_argument("--exact-max", type=int, default=2000, help="largest N for the exact double sum")
    ap.add_argument("--peers-max", type=int, default=100000, help="largest N for the peers")
    ap.add_argument("--repeat", type=int, default=3,
                    help="timings per size, best kept (DebyeCalculator: this many up to --repeat-peer-max atoms, else 1)")
    ap.add_argument("--repeat-peer-max", type=int, default=50000)
    args = ap.parse_args()
    from latticeanchor.diffraction import debye_pattern
    from latticeanchor.diffraction._kernels import HAVE_NUMBA

    q = np.round(np.arange(0.5, 6.0 + 1e-9, 0.01), 10)
    debye_pattern(cluster(200), q, debye_waller_factors={})  # compile / load cached kernels
    debye_pattern(cluster(200), q, method="exact", debye_waller_factors={})

    peers = {}
    try:
        import torch
        from debyecalculator import DebyeCalculator

        torch.set_num_threads(os.cpu_count() or 1)
        dc = DebyeCalculator(qmin=0.5, qmax=6.0, qstep=0.01, biso=0.0, device="cpu")
        dc.iq(cluster(200))  # warm-up
        peers["DebyeCalculator"] = {"available": True, "version": __import__("debyecalculator").__version__
                                    if hasattr(__import__("debyecalculator"), "__version__") else "?",
                                    "torch": torch.__version__}
    except Exception as exc:  # noqa: BLE001 - report any reason
        dc = None
        peers["DebyeCalculator"] = {"available": False, "reason": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    debyer = shutil.which("debyer")
    peers["debyer"] = ({"available": True, "path": debyer} if debyer else
                       {"available": False, "reason": "no debyer binary on PATH and no source offline "
                                                      "(not on PyPI/apt here); not built"})

    rows = []
    for n in args.sizes:
        at = cluster(n)
        pairs = n * (n - 1) / 2
        t_ours, I = _time(lambda: debye_pattern(at, q, debye_waller_factors={}), repeat=args.repeat)
        row = {"atoms": n, "pairs": pairs, "ours_s": t_ours, "ours_pairs_per_s": pairs / t_ours,
               "load_avg_1min": os.getloadavg()[0]}
        if n <= args.exact_max:
            t_ex, E = _time(lambda: debye_pattern(at, q, method="exact", debye_waller_factors={}))
            row.update(exact_s=t_ex, exact_pairs_per_s=pairs / t_ex, speedup_vs_exact=t_ex / t_ours,
                       rel_l2_error_vs_exact=float(np.linalg.norm(I - E) / np.linalg.norm(E)))
        if dc is not None and n <= args.peers_max:
            t_dc, r = _time(lambda: dc.iq(at), repeat=args.repeat if n <= args.repeat_peer_max else 1)
            row.update(debyecalculator_s=t_dc, speedup_vs_debyecalculator=t_dc / t_ours,
                       debyecalculator_over_ours_median=float(np.median(r.i / np.interp(r.q, q, I))))
        rows.append(row)
        print(f"N={n:>7d}  ours {t_ours:8.3f} s  ({pairs / t_ours / 1e9:5.2f} G pairs/s)"
              + (f"  exact {row['exact_s']:8.2f} s  err {row['rel_l2_error_vs_exact']:.1e}" if "exact_s" in row else "")
              + (f"  DebyeCalculator {row['debyecalculator_s']:7.3f} s  ×{row['speedup_vs_debyecalculator']:.2f}"
                 if "debyecalculator_s" in row else "") + f"  load {row['load_avg_1min']:.2f}", flush=True)

    print()
    hdr = f"{'atoms':>7} {'ours (s)':>9} {'Gpairs/s':>9} {'exact (s)':>10} {'×exact':>8} {'rel L2 err':>10} {'DebyeCalc (s)':>13} {'×DC':>6}"
    print(hdr)
    for r in rows:
        print(f"{r['atoms']:7d} {r['ours_s']:9.3f} {r['ours_pairs_per_s'] / 1e9:9.2f} "
              f"{r.get('exact_s', float('nan')):10.2f} {r.get('speedup_vs_exact', float('nan')):8.1f} "
              f"{r.get('rel_l2_error_vs_exact', float('nan')):10.1e} {r.get('debyecalculator_s', float('nan')):13.3f} "
              f"{r.get('speedup_vs_debyecalculator', float('nan')):6.2f}")
    for name, info in peers.items():
        print(f"{name}: " + ("available" if info["available"] else f"unavailable ({info['reason']})"))
    out = Path(__file__).resolve().parent / "results" / "bench_diffraction_debye.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(), "numba": HAVE_NUMBA,
            "python": platform.python_version(), "q_points": len(q),
            "command": "python benchmarks/bench_diffraction_debye.py " + " ".join(
                ["--sizes", *map(str, args.sizes), "--exact-max", str(args.exact_max), "--repeat", str(args.repeat)]),
            "timing": "best of --repeat runs (DebyeCalculator: best of --repeat up to --repeat-peer-max atoms, else one run)"}
    from latticeanchor.atomic import write_text

    write_text(out, json.dumps({"meta": meta, "peers": peers, "rows": rows}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
