"""Benchmark: latticeanchor.diffraction.bragg_pattern (FFT / NUFFT structure factors) against pymatgen's
XRDCalculator and against the package's own exact structure-factor sum, side by side in one run.

Structures: α-CsPbBrI2 supercells (a = 6.0 Å, n×n×n cells, Br/I on the halide sites at random, seed 0):
"grid" as built (on the half-cell grid: the FFT path, exact) and "relaxed" with Gaussian displacements
σ = 0.1 Å (seed 1; the NUFFT path). Cu Kα (1.54184 Å), 2θ 0–90°, no Debye–Waller damping (B = 0, as
pymatgen's default), so the peaks must equal pymatgen's. Every case runs in a fresh process (imports
warmed on a tiny cell first); CPU time (all threads) and wall time are measured, with the peak RSS.
pymatgen is measured up to ``--pymatgen-max`` atoms only (it takes minutes at 5 000), the exact path up to
``--exact-max``. The largest size runs at 2θ ≤ ``--big-two-theta-max`` when the full range would not fit
in memory, and its structure-factor stage alone (reflection_list) also over the full range.

    python benchmarks/bench_diffraction_bragg.py [--sizes 2560 5000 20480 1000000] [--plot docs/_static/bench_bragg.png]
    python benchmarks/bench_diffraction_bragg.py --smoke

Prints a table (ratios against pymatgen and the exact sum) and writes benchmarks/results/bench_diffraction_bragg.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

A_CELL = 6.0  # Å
LAMBDA = 1.54184  # Å, pymatgen's 'CuKa'


def supercell_arrays(n: int, sigma: float = 0.0):
    """(lattice matrix Å, symbols, Cartesian positions Å) of an n×n×n α-CsPbBrI2 supercell."""
    base = np.array([[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]])
    sym = np.array(["Cs", "Pb", "I", "I", "I"])
    ijk = np.stack(np.meshgrid(np.arange(n), np.arange(n), np.arange(n), indexing="ij"), -1).reshape(-1, 1, 3)
    frac = ((ijk + base[None]) / n).reshape(-1, 3)
    syms = np.tile(sym, n**3)
    rng = np.random.default_rng(0)
    hal = np.flatnonzero(syms == "I")
    syms[rng.choice(hal, size=len(hal) // 3, replace=False)] = "Br"
    lat = np.eye(3) * A_CELL * n
    cart = frac @ lat
    if sigma:
        cart = cart + np.random.default_rng(1).normal(0, sigma, cart.shape)
    return lat, syms, cart


def structure(n: int, sigma: float):
    from pymatgen.core import Lattice, Structure

    lat, syms, cart = supercell_arrays(n, sigma)
    return Structure(Lattice(lat), syms.tolist(), cart, coords_are_cartesian=True)


def worker(spec: dict) -> dict:
    """One timed case in this process: engine 'ours' | 'exact' | 'pymatgen' | 'sf' (structure factors only)."""
    from latticeanchor.diffraction import bragg_pattern
    from latticeanchor.diffraction.bragg import reflection_list

    budget = dict(max_reflections=1e12, max_memory_bytes=spec.get("memory", 6e9))
    bragg_pattern(structure(2, spec["sigma"]), LAMBDA, (0, 90), debye_waller_factors={})  # warm imports
    st = structure(spec["n"], spec["sigma"])
    tt = (0.0, spec["tmax"])
    c0, w0 = time.process_time(), time.perf_counter()
    if spec["engine"] == "pymatgen":
        from pymatgen.analysis.diffraction.xrd import XRDCalculator

        p = XRDCalculator(LAMBDA).get_pattern(st, two_theta_range=tt)
    elif spec["engine"] == "sf":
        hkl, g, f2 = reflection_list(st, LAMBDA, tt, debye_waller_factors={}, **budget)
        p = None
    else:
        method = "exact" if spec["engine"] == "exact" else "fft" if spec["sigma"] == 0 else "nufft"
        p = bragg_pattern(st, LAMBDA, tt, debye_waller_factors={}, method=method, **budget)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    out = {"cpu_s": cpu, "wall_s": wall, "atoms": len(st),
           "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6}
    if p is not None:
        out.update(x=np.asarray(p.x).tolist(), y=np.asarray(p.y).tolist())
    else:
        out["reflections"] = int(len(g))
    return out


def run_case(spec: dict, timeout: float = 3600) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        res = Path(tmp) / "r.json"
        env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
        proc = subprocess.run([sys.executable, __file__, "--worker", json.dumps(spec), str(res)], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise SystemExit(f"case {spec} failed:\n{proc.stderr[-3000:]}")
        return json.loads(res.read_text())


def compare(a: dict, b: dict):
    """(same peak count, max |Δ2θ| °, max |ΔI| in % of the strongest peak)."""
    if len(a["x"]) != len(b["x"]):
        return False, float("nan"), float("nan")
    return (True, float(np.max(np.abs(np.subtract(a["x"], b["x"])))),
            float(np.max(np.abs(np.subtract(a["y"], b["y"])))))


def plot(rows, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Okabe–Ito colour-blind-safe palette
    colours = {"ours, on grid (FFT)": "#0072B2", "ours, relaxed (NUFFT)": "#009E73",
               "exact sum (previous path)": "#E69F00", "pymatgen XRDCalculator": "#D55E00"}
    series: dict[str, list] = {k: [] for k in colours}
    for r in rows:
        if r["engine"] in ("ours", "exact", "pymatgen") and r["tmax"] == 90:
            key = {"ours": f"ours, {'on grid (FFT)' if r['kind'] == 'grid' else 'relaxed (NUFFT)'}",
                   "exact": "exact sum (previous path)", "pymatgen": "pymatgen XRDCalculator"}[r["engine"]]
            if r["engine"] != "ours" and r["kind"] != "grid":
                continue
            series[key].append((r["atoms"], r["cpu_s"]))
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for (name, pts), mk in zip(series.items(), "osD^"):
        if pts:
            x, y = zip(*sorted(pts))
            ax.plot(x, y, marker=mk, color=colours[name], label=name)
    big = [r for r in rows if r["engine"] == "ours" and r["tmax"] != 90]
    for r in big:
        ax.plot([r["atoms"]], [r["cpu_s"]], marker="*", ms=12, ls="none", color=colours["ours, on grid (FFT)"],
                label=f"ours, on grid, 2θ ≤ {r['tmax']:g}°")
    ax.set(xscale="log", yscale="log", xlabel="atoms in the supercell", ylabel="CPU time (s)",
           title="Bragg powder pattern, α-CsPbBrI2 supercells, Cu Kα, 2θ ≤ 90°")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp" + path.suffix)
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, path)
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[2560, 5000, 20480, 1_000_000],
                    help="approximate atom counts (rounded to whole n×n×n supercells of 5 atoms)")
    ap.add_argument("--pymatgen-max", type=int, default=5000)
    ap.add_argument("--exact-max", type=int, default=20480)
    ap.add_argument("--big", type=int, default=200_000, help="sizes above this run at 2θ ≤ --big-two-theta-max")
    ap.add_argument("--big-two-theta-max", type=float, default=50.0)
    ap.add_argument("--memory-gb", type=float, default=6.0, help="memory budget of one pattern (GB)")
    ap.add_argument("--plot", type=Path, default=None, help="write the time-vs-N figure (PNG) here")
    ap.add_argument("--smoke", action="store_true", help="tiny size for CI: 3×3×3 cells, in one process")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        from latticeanchor.atomic import write_text

        write_text(Path(args.worker[1]), json.dumps(worker(json.loads(args.worker[0]))))
        return
    if args.smoke:
        args.sizes, args.pymatgen_max, args.exact_max = [135], 135, 135
    from latticeanchor.diffraction.structure_factor import have_finufft

    rows = []

    def case(n, kind, engine, tmax=90.0):
        spec = {"n": n, "sigma": 0.1 if kind == "relaxed" else 0.0, "engine": engine, "tmax": tmax,
                "memory": args.memory_gb * 1e9}
        r = worker(spec) if args.smoke else run_case(spec)  # smoke: in-process, one import
        r.update(kind=kind, engine=engine, tmax=tmax, n=n)
        rows.append(r)
        print(f"  {kind:7s} {r['atoms']:8d} atoms {engine:8s} 2θ≤{tmax:g}°: {r['cpu_s']:8.2f} s CPU "
              f"{r['wall_s']:8.2f} s wall {r['peak_rss_gb']:5.2f} GB", flush=True)
        return r

    table = []
    for size in args.sizes:
        n = max(2, int(round((size / 5) ** (1 / 3))))
        atoms = 5 * n**3
        tmax = 90.0 if atoms <= args.big else args.big_two_theta_max
        kinds = ["grid"] + (["relaxed"] if have_finufft() and atoms <= args.big else [])
        for kind in kinds:
            ours = case(n, kind, "ours", tmax)
            ex = case(n, kind, "exact", tmax) if atoms <= args.exact_max else None
            pm = case(n, kind, "pymatgen", tmax) if atoms <= args.pymatgen_max and kind == "grid" else None
            sf = case(n, kind, "sf", 90.0) if tmax != 90.0 else None
            same, dx, dy = compare(ours, pm) if pm else (None, float("nan"), float("nan"))
            same_e, dxe, dye = compare(ours, ex) if ex else (None, float("nan"), float("nan"))
            if pm is not None and not (same and dx < 1e-6 and dy < 1e-6):
                raise SystemExit(f"{kind} {atoms}: peaks differ from pymatgen (same count {same}, "
                                 f"max|Δ2θ| {dx:.2e}°, max|ΔI| {dy:.2e} %)")
            if ex is not None and not (same_e and dxe < 1e-9 and dye < 1e-6):
                raise SystemExit(f"{kind} {atoms}: peaks differ from the exact sum (same count {same_e}, "
                                 f"max|Δ2θ| {dxe:.2e}°, max|ΔI| {dye:.2e} %)")
            table.append({"kind": kind, "atoms": atoms, "two_theta_max": tmax, "peaks": len(ours["x"]),
                          "ours_cpu_s": ours["cpu_s"], "ours_wall_s": ours["wall_s"],
                          "ours_peak_rss_gb": ours["peak_rss_gb"],
                          "exact_cpu_s": ex["cpu_s"] if ex else None,
                          "pymatgen_cpu_s": pm["cpu_s"] if pm else None,
                          "vs_pymatgen": pm["cpu_s"] / ours["cpu_s"] if pm else None,
                          "vs_exact": ex["cpu_s"] / ours["cpu_s"] if ex else None,
                          "max_abs_d2theta_deg_vs_pymatgen": dx, "max_abs_dI_percent_vs_pymatgen": dy,
                          "max_abs_dI_percent_vs_exact": dye,
                          "structure_factors_full_range_cpu_s": sf["cpu_s"] if sf else None,
                          "structure_factors_full_range_wall_s": sf["wall_s"] if sf else None,
                          "structure_factors_full_range_reflections": sf["reflections"] if sf else None,
                          "structure_factors_full_range_peak_rss_gb": sf["peak_rss_gb"] if sf else None})

    def f(v, fmt):
        return "—" if v is None else format(v, fmt)

    print(f"\n{'cell':7s} {'atoms':>8s} {'2θmax':>5s} {'peaks':>6s} {'ours CPU':>9s} {'wall':>7s} {'RSS GB':>6s} "
          f"{'pymatgen':>9s} {'ratio':>7s} {'exact':>8s} {'ratio':>6s} {'|Δ2θ|° pmg':>10s} {'|ΔI|% pmg':>9s}")
    for t in table:
        print(f"{t['kind']:7s} {t['atoms']:8d} {t['two_theta_max']:5.0f} {t['peaks']:6d} {t['ours_cpu_s']:9.3f} "
              f"{t['ours_wall_s']:7.2f} {t['ours_peak_rss_gb']:6.2f} {f(t['pymatgen_cpu_s'], '9.2f'):>9s} "
              f"{f(t['vs_pymatgen'], '6.0f') + ('×' if t['vs_pymatgen'] else ''):>7s} "
              f"{f(t['exact_cpu_s'], '8.2f'):>8s} {f(t['vs_exact'], '5.1f') + ('×' if t['vs_exact'] else ''):>6s} "
              f"{t['max_abs_d2theta_deg_vs_pymatgen']:10.1e} {t['max_abs_dI_percent_vs_pymatgen']:9.1e}")
        if t["structure_factors_full_range_cpu_s"] is not None:
            print(f"{'':7s} {'':8s}    90 structure factors only: {t['structure_factors_full_range_reflections']} "
                  f"reflections in {t['structure_factors_full_range_cpu_s']:.2f} s CPU "
                  f"({t['structure_factors_full_range_wall_s']:.2f} s wall, "
                  f"{t['structure_factors_full_range_peak_rss_gb']:.2f} GB)")
    out = Path(__file__).resolve().parent / "results" / "bench_diffraction_bragg.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"machine": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "command": " ".join(["python", *sys.argv])}
    from latticeanchor.atomic import write_text

    if not args.smoke:
        write_text(out, json.dumps({"meta": meta, "table": table}, indent=2))
        print(f"wrote {out}")
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
