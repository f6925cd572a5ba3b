"""Screening throughput and the default study against its floor, in the same run.

1. The vectorized analytic evaluation of a 10⁶-point grid against a per-candidate loop over the same
   library calls (the peer): points/s and the ratio.
2. ``latticeanchor screen`` (the default study, end to end, a fresh process) against its floor, measured
   in the same run: a fresh interpreter importing numpy and pandas, the descriptor arithmetic of the same
   grid (``screen.evaluate``, timed inside a fresh process after the library is imported), and writing the
   same number of bytes the study writes (one ``write`` of a prepared buffer). CPU time (user + sys of the
   child processes: the figure that survives a loaded machine) and wall time, best of ``--repeat``; prints
   ours/floor. In the same runs, what the figures cost: the same study without them (``screen.run(plots=False)``
   with the CLI's dataset sensitivity) and the CPU of importing matplotlib after numpy, pandas and scipy.optimize
   (what the plotting process, forked from the study's process, imports on its own).

Writes benchmarks/results/screen.json; ``--plot PATH`` draws ours against the floor's parts
(colour-blind-safe Okabe–Ito colours) for docs/benchmarks.md.

    python benchmarks/bench_screen.py [--points 1000000] [--loop-sample 300] [--repeat 2] [--plot FILE] [--smoke]

``--smoke``: a few thousand points, a 20-candidate loop sample and a small study (CI; nothing written).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from latticeanchor import electronic, geometry, stability, strain, tolerance
from latticeanchor.screen.evaluate import evaluate, grid_frame
from latticeanchor.screen.selectivity import delta_matches, delta_strain, selectivity


SMOKE_STUDY = """[study]
name = "smoke"
[grid]
cores = ["PbS", "PbSe"]
x = { start = 0.0, stop = 3.0, step = 0.25 }
diameter_nm = [3.0, 4.0]
loading = { start = 0.0, stop = 0.2, step = 0.05 }
temperatures = [298.15, 473.15]
[build]
structures = 0
max_atoms = 6000
"""

FLOOR_ARITHMETIC = """
import json, sys, time
from latticeanchor.screen import load_config
from latticeanchor.screen.evaluate import evaluate, grid_frame
cfg = load_config(sys.argv[1] if sys.argv[1] != '-' else None)
ax = cfg['_axes']
t0 = time.process_time(); w0 = time.perf_counter()
frame = grid_frame(cfg['grid']['cores'], ax['x'], ax['diameter_nm'], ax['loading'], ax['temperatures'])
table = evaluate(frame, ax['temperatures'], cfg['study']['dataset'], cfg['model']['arrangement'],
                 tuple(cfg['model']['target_gap_eV']))
t1 = time.process_time(); w1 = time.perf_counter()
buf = bytes(int(sys.argv[2]))
with open(sys.argv[3], 'wb') as fh:
    fh.write(buf)
t2 = time.process_time(); w2 = time.perf_counter()
print(json.dumps({'arithmetic_cpu_s': t1 - t0, 'arithmetic_wall_s': w1 - w0, 'bytes_cpu_s': t2 - t1,
                  'bytes_wall_s': w2 - w1, 'rows': len(table)}))
"""


NO_FIGURES = """
import sys
from latticeanchor.screen import run
run(sys.argv[1] if sys.argv[1] != '-' else None, out=sys.argv[2], plots=False, sensitivity=True, quiet=True)
"""

MATPLOTLIB_IMPORT = """
import json, time
import numpy, pandas, scipy.optimize
t = time.process_time()
import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot
print(json.dumps({'cpu_s': time.process_time() - t}))
"""


def _child(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(CPU s of the child: user + sys, wall s, stdout) of one fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:4])}... failed:\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, proc.stdout


def _folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def study_vs_floor(study: str | None, repeat: int, figures: bool = True) -> dict:
    """The default study (or ``study``, a TOML path) end to end against its floor, best of ``repeat``; with
    ``figures``, also the study without its figures and matplotlib's import (what the figures cost)."""
    env = dict(os.environ, MPLBACKEND="Agg")
    py = sys.executable
    ours, floors, bare = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            out = Path(tmp) / f"ours{i}"
            cmd = [py, "-m", "latticeanchor.cli", "screen", *([study] if study else []), "--out", str(out)]
            cpu, wall, _ = _child(cmd, env)
            written = _folder_bytes(out)
            ours.append({"cpu_s": cpu, "wall_s": wall, "bytes": written})
            imp_cpu, imp_wall, _ = _child([py, "-c", "import numpy, pandas"], env)
            _, _, text = _child([py, "-c", FLOOR_ARITHMETIC, study or "-", str(written), str(Path(tmp) / "bytes")], env)
            part = json.loads(text.strip().splitlines()[-1])
            floors.append({"imports_cpu_s": imp_cpu, "imports_wall_s": imp_wall, **part,
                           "cpu_s": imp_cpu + part["arithmetic_cpu_s"] + part["bytes_cpu_s"],
                           "wall_s": imp_wall + part["arithmetic_wall_s"] + part["bytes_wall_s"]})
            if figures:
                cpu, wall, _ = _child([py, "-c", NO_FIGURES, study or "-", str(Path(tmp) / f"bare{i}")], env)
                _, _, text = _child([py, "-c", MATPLOTLIB_IMPORT], env)
                bare.append({"cpu_s": cpu, "wall_s": wall, "matplotlib_import_cpu_s": json.loads(text)["cpu_s"]})
    best = min(ours, key=lambda r: r["cpu_s"])
    floor = min(floors, key=lambda r: r["cpu_s"])
    result = {"study": Path(study).stem if study else "default", "ours": best, "floor": floor,
              "runs": {"ours": ours, "floor": floors}, "ratio_cpu": best["cpu_s"] / floor["cpu_s"],
              "ratio_wall": best["wall_s"] / floor["wall_s"]}
    if figures:
        no_fig = min(bare, key=lambda r: r["cpu_s"])
        result["runs"]["without_figures"] = bare
        result["without_figures"] = {**no_fig, "matplotlib_import_cpu_s": min(r["matplotlib_import_cpu_s"] for r in bare),
                                     "ratio_cpu": no_fig["cpu_s"] / floor["cpu_s"],
                                     "ratio_wall": no_fig["wall_s"] / floor["wall_s"]}
    return result


def plot_study(result: dict, path: Path) -> Path:
    """Horizontal bars: ours (CPU and wall) against the floor split into its parts (Okabe–Ito colours)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    okabe_ito = ["#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7"]
    fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.3), sharey=True)
    for ax, kind in zip(axes, ("cpu", "wall")):
        floor, ours = result["floor"], result["ours"]
        parts = [("interpreter + numpy/pandas", floor[f"imports_{kind}_s"]),
                 ("descriptor arithmetic", floor[f"arithmetic_{kind}_s"]), ("writing the bytes", floor[f"bytes_{kind}_s"])]
        left = 0.0
        for (label, value), colour, hatch in zip(parts, okabe_ito[1:], ("", "//", "..")):
            ax.barh(0, value, left=left, color=colour, hatch=hatch, edgecolor="black", lw=0.5, label=label)
            left += value
        ax.barh(1, ours[f"{kind}_s"], color=okabe_ito[0], edgecolor="black", lw=0.5, label="latticeanchor screen")
        rows = ["floor", "ours"]
        if "without_figures" in result:
            ax.barh(2, result["without_figures"][f"{kind}_s"], color=okabe_ito[5], hatch="xx", edgecolor="black",
                    lw=0.5, label="ours without figures")
            rows.append("ours, no figures")
        ax.axvline(2 * left, color=okabe_ito[4], ls="--", lw=1.2, label="goal: 2 × floor")
        ax.set_yticks(range(len(rows)), rows)
        ax.set_xlabel(f"{'CPU' if kind == 'cpu' else 'wall'} time (s)")
        ax.set_title(f"{kind}: ours/floor = {ours[f'{kind}_s'] / left:.2f}", fontsize=9)
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=3, frameon=False)  # below: clear of the bars
    fig.suptitle(f"{result['study']} study end to end against its floor (same run)", fontsize=10)
    fig.tight_layout(rect=(0, 0.16, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path


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
    ap.add_argument("--repeat", type=int, default=2, help="fresh runs of the study and of its floor (best kept)")
    ap.add_argument("--no-study", action="store_true", help="skip the study-against-floor measurement")
    ap.add_argument("--no-figure-cost", action="store_true",
                    help="skip the study without its figures and the matplotlib import (what the figures cost)")
    ap.add_argument("--plot", type=Path, default=None, help="write the ours-against-floor figure here (PNG)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes for CI (< 20 s); results not written")
    args = ap.parse_args()
    if args.smoke:
        args.points, args.loop_sample = 2000, 20
    delta_matches()  # load the shipped δ coincidence table, shared by both paths
    from latticeanchor import kinetics

    kinetics.parameters()  # the kinetic calibration (once per process), shared by both paths
    n_x = 101
    n_phi = 31
    n_T = 2
    n_d = max(1, int(round(args.points / (3 * n_x * n_phi * n_T))))
    frame = grid_frame(["PbS", "PbSe", "PbS0.5Se0.5"], np.linspace(0, 3, n_x), np.linspace(2.5, 5.0, n_d),
                       np.linspace(0, 0.3, n_phi), [298.15, 473.15])
    t, c = time.perf_counter(), time.process_time()
    table = evaluate(frame, [298.15, 473.15])
    t_vec_wall, t_vec = time.perf_counter() - t, time.process_time() - c  # rates on CPU time (survives load)
    rng = np.random.default_rng(0)
    sample = table.iloc[rng.choice(len(table), size=args.loop_sample, replace=False)]
    t = time.process_time()
    for _, r in sample.iterrows():
        res = per_candidate(str(r["core"]), r["x"], 10 * r["diameter_nm"], r["loading_fraction"], r["T_K"])
        # same numbers both ways
        assert abs(res[0] - r["eps_fraction"]) < 1e-12 and abs(res[7] - r["selectivity"]) < 1e-12
        assert abs(res[9] - r["anchored_fraction"]) < 1e-9
        assert res[10] == r["lifetime_h"] or abs(res[10] - r["lifetime_h"]) < 1e-9 * res[10]
        assert abs(res[11] - r["critical_loading_fraction"]) <= 1e-6 * max(res[11], 1e-9) or res[11] == r["critical_loading_fraction"]
    t_loop = time.process_time() - t
    vec_rate, loop_rate = len(table) / t_vec, args.loop_sample / t_loop
    result = {"points": len(table), "vectorized_cpu_s": t_vec, "vectorized_wall_s": t_vec_wall,
              "vectorized_points_per_s": vec_rate,
              "loop_points_per_s": loop_rate, "speedup": vec_rate / loop_rate}
    print(f"vectorized: {len(table):,} points in {t_vec:.2f} s CPU ({t_vec_wall:.2f} s wall) = {vec_rate:,.0f} points/s "
          "(goal ≥ 3e5)")
    print(f"per-candidate loop: {loop_rate:,.0f} points/s (sample of {args.loop_sample})")
    print(f"ratio vectorized/loop: {vec_rate / loop_rate:,.0f}x")
    if not args.no_study:
        with tempfile.TemporaryDirectory() as tmp:
            study = None
            if args.smoke:
                study = str(Path(tmp) / "smoke.toml")
                Path(study).write_text(SMOKE_STUDY)
            res = study_vs_floor(study, 1 if args.smoke else args.repeat, figures=not args.no_figure_cost)
        o, f = res["ours"], res["floor"]
        print(f"study {res['study']}: ours {o['cpu_s']:.2f} s CPU / {o['wall_s']:.2f} s wall, {o['bytes']:,} bytes written")
        print(f"floor: {f['cpu_s']:.2f} s CPU / {f['wall_s']:.2f} s wall = interpreter + numpy/pandas "
              f"{f['imports_cpu_s']:.2f} s + descriptor arithmetic {f['arithmetic_cpu_s']:.2f} s ({f['rows']:,} rows) "
              f"+ bytes {f['bytes_cpu_s']:.3f} s (CPU)")
        print(f"ratio ours/floor: {res['ratio_cpu']:.2f}x CPU, {res['ratio_wall']:.2f}x wall (goal ≤ 2x)")
        if "without_figures" in res:
            nf = res["without_figures"]
            print(f"without its figures: {nf['cpu_s']:.2f} s CPU / {nf['wall_s']:.2f} s wall = {nf['ratio_cpu']:.2f}x the floor "
                  f"in CPU, {nf['ratio_wall']:.2f}x in wall; the figures add {o['cpu_s'] - nf['cpu_s']:.2f} s CPU, of which "
                  f"importing matplotlib {nf['matplotlib_import_cpu_s']:.2f} s, against {2 * f['cpu_s'] - nf['cpu_s']:.2f} s "
                  "the 2x goal leaves them")
        result["study_vs_floor"] = res
        if args.plot is not None:
            print(f"figure: {plot_study(res, args.plot)}")
    if args.smoke:
        return
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "screen.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
