"""Benchmark: Debye patterns of whole hybrid grains on a lattice (FFT pair counts, O(N log N)) against the
off-lattice pair kernel (numba linear-spread histograms, O(N²)), in one run.

Grains: cubic blocks of α-CsPbBr1.5I1.5 (random halides, seed 1) with coherent PbS dots (strain='matrix',
so every atom sits on the a/2 grid), built by latticeanchor.build; treated as finite clusters.
q = 0.5–6.0 Å⁻¹, 1101 points, room-temperature Debye–Waller factors.

    python benchmarks/bench_diffraction_lattice.py            # 50k, 500k (both methods), 1M (lattice)
    python benchmarks/bench_diffraction_lattice.py --smoke    # 2k, 10k (both), 30k (lattice): < 20 s

Reports per size: atoms, lattice seconds (wall and process CPU), pair-kernel seconds, ratio, the relative
difference of the two I(q), the pair-count check (lattice counts spread on the pair kernel's grid versus the
kernel's histogram: first moments and cumulative counts), the lattice method's memory estimate, the resident
set's rise during the lattice step (sampled) and the process's peak, and the 1-minute load average (the machine
is shared). DebyeCalculator: compared when importable (it is not installed in this environment; it needs
torch). Writes benchmarks/results/bench_diffraction_lattice.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import threading
import time
from pathlib import Path

import numpy as np


def grain(n_target: int, seed: int = 1, x: float = 1.5):
    """A cubic α block with ≈ n_target atoms around a coherent PbS dot (6 nm, smaller in small blocks)."""
    from latticeanchor.build import alpha_matrix, embed, rocksalt_core

    n = max(3, int(round((n_target / 5) ** (1 / 3))))
    m = alpha_matrix(x, size=(n, n, n), seed=seed)
    return embed(rocksalt_core("PbS", diameter=min(60.0, 0.5 * n * 5.9)), m)


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def _rss_bytes() -> int:
    """Resident set size of this process now (Linux /proc; 0 elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def _rss_rise(fn):
    """(result of fn(), rise of the resident set over its value before the call, bytes), sampled every 2 ms by a
    thread: the memory of this step alone (``ru_maxrss`` is the process's peak over every earlier step too)."""
    base = _rss_bytes()
    peak, done = [base], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _rss_bytes())
            done.wait(0.002)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        out = fn()
    finally:
        done.set()
        thread.join()
    return out, max(peak[0], _rss_bytes()) - base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    ap.add_argument("--sizes", type=int, nargs="+", default=None, help="atoms per grain (both methods)")
    ap.add_argument("--lattice-only", type=int, nargs="+", default=None, help="sizes for the lattice method only")
    ap.add_argument("--counts-max", type=int, default=600_000,
                    help="largest grain whose pair counts are also checked bin by bin (runs the pair kernel again)")
    args = ap.parse_args()
    both = args.sizes or ([2000, 10000] if args.smoke else [50_000, 500_000])
    only = args.lattice_only or ([30_000] if args.smoke else [1_000_000])

    from latticeanchor.diffraction import debye_lattice
    from latticeanchor.diffraction.debye import debye_pattern, pair_histograms

    q = np.linspace(0.5, 6.0, 1101)
    # warm the compiled kernels outside the timings
    g0 = grain(500)
    debye_pattern(g0, q, method="histogram")
    debye_pattern(g0, q, method="lattice")
    rows = []
    try:
        import debyecalculator  # noqa: F401

        peer = {"available": True}
    except Exception as exc:  # not installed here
        peer = {"available": False, "reason": f"{type(exc).__name__}: {exc}".splitlines()[0]}
    for n, with_pair in [(s, True) for s in both] + [(s, False) for s in only]:
        at = grain(n)
        grid = debye_lattice.find_grid(at, 1e-3, strict=True)
        mem_est = debye_lattice.estimate_memory_bytes(grid["shape"], len(set(grid["symbols"].tolist())))
        (tl, cl, I_lat), rise = _rss_rise(lambda: _timed(lambda: debye_pattern(at, q, method="lattice")))
        row = {"atoms": len(at), "grid": [int(v) for v in grid["shape"]],
               "padded": list(debye_lattice.padded_shape(grid["shape"])),
               "lattice_s": round(tl, 3), "lattice_cpu_s": round(cl, 3),
               "lattice_memory_estimate_GB": round(mem_est / 1e9, 3), "lattice_rss_rise_GB": round(rise / 1e9, 3),
               "load_1min": os.getloadavg()[0]}
        if with_pair:
            tp, cp, I_pair = _timed(lambda: debye_pattern(at, q, method="histogram"))
            row.update({"pair_kernel_s": round(tp, 3), "pair_kernel_cpu_s": round(cp, 3),
                        "speedup": round(tp / tl, 2),
                        "I_max_rel_diff": float(np.max(np.abs(I_lat - I_pair) / np.abs(I_pair))),
                        "I_max_diff_rel_to_peak": float(np.max(np.abs(I_lat - I_pair)) / np.max(np.abs(I_pair)))})
        if with_pair and len(at) <= args.counts_max:
            dr = 0.0126 / q.max()
            els, pairs, r, H, _ = debye_lattice.lattice_pair_counts(grid=grid)
            _, _, rgrid, Hk, _ = pair_histograms(at, dr)
            spread = debye_lattice.linear_spread(r, H, dr, Hk.shape[0] - 2)
            cum_a, cum_b = np.cumsum(spread, axis=0), np.cumsum(Hk, axis=0)
            row.update({"pairs_equal": bool(np.array_equal(H.sum(axis=0), np.rint(Hk.sum(axis=0)))),
                        "first_moment_rel_diff": float(np.max(np.abs(rgrid @ spread - rgrid @ Hk) / (rgrid @ Hk))),
                        "cumulative_max_rel_diff": float(np.max(np.abs(cum_a - cum_b)) / cum_b[-1].max())})
        row["peak_rss_GB"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6, 3)
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = {"benchmark": "debye lattice (FFT pair counts) vs pair kernel", "machine": platform.processor() or platform.machine(),
           "cpus": os.cpu_count(), "q_points": len(q), "debyecalculator": peer, "rows": rows}
    path = Path(__file__).resolve().parent / "results" / ("bench_diffraction_lattice_smoke.json" if args.smoke
                                                           else "bench_diffraction_lattice.json")
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{'atoms':>9} {'lattice s':>10} {'pair s':>9} {'ratio':>7} {'I rel diff':>11} {'mem est GB':>10} "
          f"{'rise GB':>8} {'RSS GB':>7}")
    for r in rows:
        print(f"{r['atoms']:9d} {r['lattice_s']:10.2f} {r.get('pair_kernel_s', float('nan')):9.2f} "
              f"{r.get('speedup', float('nan')):7.1f} {r.get('I_max_rel_diff', float('nan')):11.2e} "
              f"{r['lattice_memory_estimate_GB']:10.2f} {r['lattice_rss_rise_GB']:8.2f} {r['peak_rss_GB']:7.2f}")
    print("mem est: the lattice method's estimate before allocating; rise: the resident set's rise during the lattice "
          "step (sampled); RSS: the process's peak so far (every earlier size and the grain's build included)")
    print(f"DebyeCalculator: {'compared' if peer['available'] else 'not available (' + peer['reason'] + ')'}")


if __name__ == "__main__":
    main()
