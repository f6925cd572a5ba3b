"""Energy-stage report: the MLIP Vegard curve beside the experimental one, and the interface (misfit)
energy of a PbS core in α-CsPbBr2I, α-CsPbI3 and δ-CsPbI3.

    python benchmarks/bench_energy.py [--calculator chgnet] [--sizes small,large] [--out bench_out/energy] [--smoke]
    python benchmarks/bench_energy.py --interface-only [--diameter 11 --alpha-n 4 --delta-size 2,5,2
                                      --interface-seeds 0,1,2,3,4]     # the embed-built interface table only

--smoke (CI): the x = 0 Vegard point, no internal-builder anchoring, and the interface table for a
6 Å core (one PbS6 unit) in α-CsPbBr2I 3³ cells with one ordering and 5 optimizer steps (code paths
only, not converged). The interface table (``interface_energies``): misfit energy per interface atom
of a Pb-centred PbS sphere embedded with ``build.embed`` in α-CsPbBr2I (≥ 5 halide orderings),
α-CsPbI3 and δ-CsPbI3, mean ± standard error.

Writes report.md, vegard.csv, anchoring.csv, vegard.png and report.json into --out. Sizes:
small = α 2×2×2 with a 1-cell core (43 atoms), δ 1×2×1 (43 atoms); large = α 4×4×4 with a
2×2×2-cell core (344 atoms, 32 PbS), δ 2×4×1 (184 atoms). Deterministic (seed 0, FIRE).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

SIZES = {"small": {"n": 2, "k": 1, "delta_size": (1, 2, 1)},
         "large": {"n": 4, "k": 2, "delta_size": (2, 4, 1)}}

#: matrices of the interface table (label, phase, x)
INTERFACE_MATRICES = (("α-CsPbBr2I", "alpha", 2.0), ("α-CsPbI3", "alpha", 0.0), ("δ-CsPbI3", "delta", 0.0))


def interface_energies(core="PbS", diameter=11.0, alpha_n=4, delta_size=(2, 5, 2), seeds=(0, 1, 2, 3, 4),
                       calculator="chgnet", fmax=0.05, steps=800, rattle=0.03, T=298.15, matrices=INTERFACE_MATRICES,
                       log=print):
    """Misfit energy per interface atom of a spherical ``core`` (Pb-centred, ``diameter`` Å) embedded with
    ``latticeanchor.build.embed`` (charge balanced, completed interface) in each matrix, one row per
    (matrix, halide ordering seed). Mixed-halide matrices use every seed (matrix and shell halides
    drawn with it; the bulk reference uses the same seed); single-halide matrices have one ordering.
    Same references and bookkeeping as ``energy.anchoring.anchoring`` (μ from relaxed bulk cells,
    PbX2 excess from a relaxed CdI2-type cell, x shift linear between end members)."""
    from latticeanchor import build
    from latticeanchor.energy import anchoring as anc

    rk = {"fmax": fmax, "steps": steps, "rattle": float(rattle)}
    rc = anc._bulk("core", (core, float(T)), calculator, rk)
    mu_c = rc.energy / anc.composition(rc.atoms)["m_core"]
    a_core = float(rc.atoms.get_volume() ** (1 / 3))
    rows = []
    for label, phase, x in matrices:
        for seed in (seeds if 0.0 < x < 3.0 else seeds[:1]):
            t1 = time.perf_counter()
            if phase == "alpha":
                key = (x, (alpha_n,) * 3, float(T), int(seed))
                matrix = anc.alpha_cell(x, key[1], T=T, seed=seed)
                dot = build.rocksalt_core(core, diameter, shape="sphere", T=T, center="Pb")
                hyb = build.embed(dot, matrix, strain="matrix", charge_balance=True)
            else:
                key = (x, tuple(delta_size), float(T), int(seed))
                matrix = anc.delta_cell(x, key[1], seed=seed, T=T)
                dot = build.rocksalt_core(core, diameter, shape="sphere", a=a_core, center="Pb")
                hyb = build.embed(dot, matrix, strain="none", charge_balance=True)
            report = build.check(hyb, max_symmetry_atoms=0)
            rb = anc._bulk(phase, key, calculator, rk)
            mu = rb.energy / anc.composition(rb.atoms)["n_fu"]
            mu_h = mu + anc._slope(phase, anc._x_of(hyb) - anc._x_of(rb.atoms), T, calculator, rk)
            comp = anc.composition(hyb)
            mu_p = None
            if comp["excess_Pb"]:
                rp = anc._bulk("pbx2", (x, int(seed)), calculator, rk)
                mu_p = rp.energy / anc.composition(rp.atoms)["Pb"]
            rh = anc._relax(hyb, calculator, rk)
            m = anc.misfit_energy(rh.energy, hyb, mu_h, mu_c, mu_pbx2=mu_p)
            row = {"matrix": label, "phase": phase, "x": x, "seed": int(seed), "core": core, "diameter_A": float(diameter),
                   "n_atoms": len(hyb), "m_core": m["m_core"], "excess_PbX2": m["excess_PbX2"],
                   "n_interface": m["n_interface"], "misfit_eV": m["misfit_eV"],
                   "misfit_eV_per_interface_atom": m["misfit_eV_per_interface_atom"],
                   "check_ok": bool(report.ok), "converged": bool(rh.converged and rb.converged and rc.converged),
                   "steps": int(rh.steps), "wall_s": time.perf_counter() - t1}
            rows.append(row)
            log(f"interface {label} seed={seed}: {row['misfit_eV_per_interface_atom']:+.4f} eV/interface atom "
                f"({row['n_atoms']} atoms, {row['n_interface']} interface, converged {row['converged']}, "
                f"{row['wall_s']:.0f} s)")
    return rows


def interface_summary(rows):
    """Mean, standard deviation and standard error (sd/√n) per matrix of the per-interface-atom misfit."""
    import pandas as pd

    df = pd.DataFrame(rows)
    g = df.groupby("matrix", sort=False)
    out = g.agg(n_atoms=("n_atoms", "first"), m_core=("m_core", "first"), n_interface=("n_interface", "first"),
                orderings=("seed", "size"), misfit_eV_per_interface_atom=("misfit_eV_per_interface_atom", "mean"),
                sd=("misfit_eV_per_interface_atom", "std"), all_converged=("converged", "all"),
                all_check_ok=("check_ok", "all")).reset_index()
    out["sem"] = out["sd"] / out["orderings"] ** 0.5
    return out


def _md(df):
    try:
        return df.to_markdown(index=False, floatfmt=".4f")
    except ImportError:  # tabulate missing
        return "```\n" + df.to_string(index=False) + "\n```"


def vegard_fit(x, a):
    from latticeanchor.vegard import fit

    return fit(list(x), list(a), bowing=True)


def interface_markdown(rows, command="") -> str:
    """The interface table (mean ± standard error over halide orderings) as markdown lines."""
    summ = interface_summary(rows)
    lines = ["## Misfit energy per interface atom on the completed interfaces (latticeanchor.build.embed)", "",
             "Spherical Pb-centred PbS core embedded with `build.embed` (charge balanced, halide shell, PbX2 "
             "removal; α coherent and matrix-strained, δ incoherent with the core at its relaxed lattice "
             "constant). E_misfit = E_hyb − n μ_matrix − m μ_PbS − p μ_PbX2 (relaxed bulk references, same "
             "halide ordering), per interface atom (core atoms with a non-core atom within 4.6 Å). Mean ± "
             "standard error (sd/√n) over halide orderings; single-halide matrices have one ordering.", ""]
    lines.append("| matrix | atoms | PbS core atoms (m_S) | interface atoms | orderings | misfit (eV / interface atom) | "
                 "converged | check ok |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for _, r in summ.iterrows():
        sem = "" if r["orderings"] < 2 else f" ± {r['sem']:.4f}"
        lines.append(f"| {r['matrix']} | {r['n_atoms']} | {r['m_core']} | {r['n_interface']} | {r['orderings']} | "
                     f"{r['misfit_eV_per_interface_atom']:+.4f}{sem} | {r['all_converged']} | {r['all_check_ok']} |")
    lines += ["", "Per ordering: " + "; ".join(f"{r['matrix']} seed {r['seed']}: {r['misfit_eV_per_interface_atom']:+.4f}"
                                                for r in rows)]
    if command:
        lines += ["", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def _interface_main(args):
    """--interface-only: run (or merge) the interface table; rows appended to --interface-rows (JSON lines)."""
    import pandas as pd  # noqa: F401  (summary)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    if args.interface_merge:
        for f in args.interface_merge.split(","):
            rows += [json.loads(line) for line in Path(f).read_text().splitlines() if line.strip()]
    else:
        wanted = [m for m in INTERFACE_MATRICES if m[0] in args.interface_matrices.split(",")] \
            if args.interface_matrices else list(INTERFACE_MATRICES)
        sink = Path(args.interface_rows) if args.interface_rows else out / "interface_rows.jsonl"

        def log(msg):
            print(msg, flush=True)

        seeds = tuple(int(v) for v in args.interface_seeds.split(","))
        for m in wanted:
            for r in interface_energies(args.core, args.diameter, args.alpha_n, tuple(int(v) for v in args.delta_size.split(",")),
                                        seeds=seeds, calculator=args.calculator, fmax=args.fmax, steps=args.steps,
                                        matrices=(m,), log=log):
                rows.append(r)
                with sink.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(r) + "\n")
    text = interface_markdown(rows, args.command_text)
    (out / "interface.md").write_text(text, encoding="utf-8")
    print(text)


def main(argv=None):
    warnings.filterwarnings("ignore")
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="tiny run for CI (< 20 s of work): 2 Vegard points, the small "
                                                        "size, one ordering, no interface table")
    p.add_argument("--interface-only", action="store_true", help="only the interface table of embed-built hybrids")
    p.add_argument("--no-interface", action="store_true", help="skip the interface table of embed-built hybrids")
    p.add_argument("--core", default="PbS")
    p.add_argument("--diameter", type=float, default=11.0, help="Å, interface table core (Pb-centred sphere)")
    p.add_argument("--alpha-n", type=int, default=4, help="α cells per edge for the interface table")
    p.add_argument("--delta-size", default="2,5,2", help="δ cells for the interface table")
    p.add_argument("--interface-seeds", default="0,1,2,3,4", help="halide orderings (mixed-halide matrices)")
    p.add_argument("--interface-matrices", default="", help="subset of: " + ",".join(m[0] for m in INTERFACE_MATRICES))
    p.add_argument("--interface-rows", default="", help="JSON-lines file the rows are appended to")
    p.add_argument("--interface-merge", default="", help="comma-separated JSON-lines files: build the table from them")
    p.add_argument("--command-text", default="", help="command line quoted under the table")
    p.add_argument("--calculator", default="chgnet")
    p.add_argument("--sizes", default="small,large")
    p.add_argument("--xs", default="0,0.5,1,1.5,2,2.5,3", help="Br contents for the Vegard curve")
    p.add_argument("--seeds", default="0,1", help="halide orderings per mixed x (2×2×2 cells, 40 atoms)")
    p.add_argument("--anchor-seeds", default="0,1,2", help="halide orderings per anchoring candidate")
    p.add_argument("--fmax", type=float, default=0.05, help="eV/Å")
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--out", default="bench_out/energy")
    args = p.parse_args(argv)
    if args.interface_only or args.interface_merge:
        return _interface_main(args)
    if args.smoke:  # CI: end-member Vegard points, no internal-builder anchoring, a tiny interface table
        args.sizes, args.xs, args.seeds, args.anchor_seeds = "", "0", "0", "0"
        args.diameter, args.alpha_n, args.interface_seeds, args.interface_matrices = 11.0, 4, "0", "α-CsPbBr2I"
        args.steps = min(args.steps, 5)  # code paths only: the relaxations are not converged
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import pandas as pd

    from latticeanchor import __version__, data
    from latticeanchor.energy import anchoring as anc

    t0 = time.perf_counter()
    xs = [float(v) for v in args.xs.split(",")]
    seeds = [int(v) for v in args.seeds.split(",")]
    kw = {"fmax": args.fmax / 2, "steps": args.steps}
    veg = pd.concat([anc.mlip_vegard(xs, calculator=args.calculator, size=(2, 2, 2), seeds=seeds,
                                     relax_kwargs=kw, fix_sites=fix) for fix in ((True,) if args.smoke else (True, False))],
                    ignore_index=True)
    t_veg = time.perf_counter() - t0
    veg.to_csv(out / "vegard.csv", index=False)
    curve = veg.groupby(["fix_sites", "x"]).agg(a_mlip_A=("a_mlip_A", "mean"), a_mlip_sd_A=("a_mlip_A", "std"),
                                                a_exp_A=("a_exp_A", "first"), n=("seed", "size"),
                                                all_converged=("converged", "all")).reset_index()
    curve["diff_A"] = curve["a_mlip_A"] - curve["a_exp_A"]
    curve["diff_pct"] = 100 * curve["diff_A"] / curve["a_exp_A"]
    ideal = curve[curve.fix_sites]
    fit_mlip = vegard_fit(ideal.x, ideal.a_mlip_A) if ideal.x.nunique() >= 3 else None

    anchor_seeds = [int(v) for v in args.anchor_seeds.split(",")]

    def seeds_for(x):  # halide orderings only matter for mixed halides
        return anchor_seeds if 0.0 < x < 3.0 else [0]

    rows = []
    for size in [v for v in args.sizes.split(",") if v]:
        geo = SIZES[size]
        for x in (2.0, 0.0):
            for seed in seeds_for(x):
                t1 = time.perf_counter()
                r = anc.anchoring("PbS", x, n=geo["n"], k=geo["k"], delta_size=geo["delta_size"], seed=seed,
                                  calculator=args.calculator, relax_kwargs={"fmax": args.fmax, "steps": args.steps})
                r["size"] = size
                r["wall_s"] = time.perf_counter() - t1
                r["unconverged"] = [k for k, v in r["relaxations"].items() if not v["converged"]]
                rows.append(r)
                print(f"{size} x={x} seed={seed}: misfit α {r['misfit_alpha_eV_per_interface_atom']:.4f} eV/atom, "
                      f"δ {r['misfit_delta_eV_per_interface_atom']:.4f} eV/atom ({r['wall_s']:.0f} s)", flush=True)
    flat = [{k: (v if not isinstance(v, (list, dict)) else json.dumps(v)) for k, v in r.items() if k != "relaxations"}
            for r in rows]
    anch = pd.DataFrame(flat)
    anch.to_csv(out / "anchoring.csv", index=False)

    table = []
    for r in rows:
        label = "CsPbBr2I" if r["x"] == 2.0 else "CsPbI3"
        for phase in ("alpha", "delta"):
            if phase == "delta" and r["x"] != 0.0:
                name = f"δ-{label} (x=2; no experimental δ phase, for completeness)"
            else:
                name = f"{'α' if phase == 'alpha' else 'δ'}-{label}"
            table.append({"size": r["size"], "matrix": name, "seed": r["seed"],
                          "n_atoms": r[f"n_atoms_{phase}_hybrid"], "m_PbS": r["m_core"],
                          "n_interface": r[f"n_interface_{phase}"],
                          "misfit_eV": r[f"misfit_{phase}_eV"],
                          "misfit_eV_per_fu": r[f"misfit_{phase}_eV_per_fu"],
                          "misfit_eV_per_interface_atom": r[f"misfit_{phase}_eV_per_interface_atom"],
                          "converged": r["relaxations"][f"{phase}_hybrid"]["converged"]})
    itab = pd.DataFrame(table)
    isum = pd.DataFrame({"size": [], "matrix": []}) if itab.empty else itab.groupby(["size", "matrix"], sort=False).agg(
        n_atoms=("n_atoms", "first"), m_PbS=("m_PbS", "first"), n_interface=("n_interface", "first"),
        seeds=("seed", "size"), misfit_eV=("misfit_eV", "mean"), misfit_eV_per_fu=("misfit_eV_per_fu", "mean"),
        misfit_eV_per_interface_atom=("misfit_eV_per_interface_atom", "mean"),
        sd_per_interface_atom=("misfit_eV_per_interface_atom", "std"), all_converged=("converged", "all")).reset_index()

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4.5, 3.5))
        ax.plot(ideal.x, ideal.a_exp_A, "k-", label="experimental (Vegard, dataset)")
        ax.plot(ideal.x, ideal.a_mlip_A, "o-", label=f"{args.calculator}, ideal cubic sites")
        rel = curve[~curve.fix_sites]
        ax.errorbar(rel.x, rel.a_mlip_A, yerr=rel.a_mlip_sd_A.fillna(0), fmt="s", mfc="none",
                    label=f"{args.calculator}, sites relaxed")
        ax.set_xlabel("x in CsPbBr$_x$I$_{3-x}$")
        ax.set_ylabel("a (Å)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / "vegard.png", dpi=150)
    except Exception as exc:  # plotting is optional
        print("plot skipped:", exc)

    ref = data.value("CsPbI3_delta", "energy_above_alpha")
    lines = [f"# Energy stage report ({args.calculator}, latticeanchor {__version__})", "",
             "## MLIP Vegard curve (α, cubic shape, 2×2×2 cells, random halides; end members 1×1×1)", "",
             "fix_sites=True: atoms on ideal Pm-3m sites, volume relaxed; False: sites relaxed too (tilts).", "",
             _md(curve), "",
             (f"Vegard fit of the ideal-site MLIP curve: a_I = {fit_mlip.a_I:.4f} Å, a_Br = {fit_mlip.a_Br:.4f} Å, "
              f"bowing = {fit_mlip.bowing:.4f} Å (rmse {fit_mlip.rmse:.4f} Å)." if fit_mlip else ""), "",
             "## Interface (misfit) energy of a PbS core", "",
             "E_misfit = E_hyb − n μ_matrix − m μ_PbS (relaxed bulk references); per interface atom and "
             "per matrix formula unit. Mean (and sd) over halide orderings.", "", _md(isum), "",
             "## Pristine δ − α (eV/f.u.)", ""]
    for r in rows:
        lines.append(f"- {r['size']} x={r['x']:g}: ΔE_δα = {r['dE_delta_alpha_pristine_eV_per_fu']:+.4f} eV/f.u., "
                     f"with core {r['dE_delta_alpha_hybrid_eV_per_fu']:+.4f}, anchoring {r['anchoring_eV_per_fu']:+.4f} "
                     f"(unconverged: {r['unconverged'] or 'none'}; {r['wall_s']:.0f} s)")
    irows = []
    if not args.no_interface:
        wanted = [m for m in INTERFACE_MATRICES if m[0] in args.interface_matrices.split(",")] \
            if args.interface_matrices else list(INTERFACE_MATRICES)
        irows = interface_energies(args.core, args.diameter, args.alpha_n, tuple(int(v) for v in args.delta_size.split(",")),
                                   seeds=tuple(int(v) for v in args.interface_seeds.split(",")),
                                   calculator=args.calculator, fmax=args.fmax, steps=args.steps, matrices=wanted)
        lines += ["", interface_markdown(irows, args.command_text)]
    lines += ["", f"PBE reference for CsPbI3 (Materials Project): ΔE_δα = {ref:+.3f} eV/f.u.", "",
              f"Vegard curve {t_veg:.0f} s; total {time.perf_counter() - t0:.0f} s."]
    (out / "report.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "report.json").write_text(json.dumps({"vegard": curve.to_dict("records"), "interface": table,
                                                 "interface_summary": isum.to_dict("records"),
                                                 "anchoring": flat, "interface_embed": irows}, indent=1, default=str))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
