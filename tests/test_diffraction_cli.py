"""``latticeanchor xrd`` sub-commands end to end (exit codes, files written, printed numbers)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from latticeanchor.cli import main
from latticeanchor.diffraction import refine_cubic

MEASURED = Path(__file__).resolve().parents[2] / "shared" / "measured"


def test_simulate_writes_profile_with_bragg_200_strongest(tmp_path, capsys):
    out = tmp_path / "pbse.xy"
    assert main(["xrd", "simulate", "PbSe", "--range", "20", "60", "-o", str(out), "--plot", str(tmp_path / "p.png")]) == 0
    data = np.loadtxt(out)
    tt200 = 2 * np.degrees(np.arcsin(1.54184 / 6.124))
    assert abs(data[np.argmax(data[:, 1]), 0] - tt200) < 0.03
    assert (tmp_path / "p.png").stat().st_size > 1000


def test_simulate_debye_of_xyz_cluster(tmp_path):
    from ase.build import bulk
    import ase.io

    at = bulk("PbS", "rocksalt", a=5.936, cubic=True).repeat((3, 3, 3))
    at.pbc = False
    f = tmp_path / "dot.xyz"
    ase.io.write(f, at)
    out = tmp_path / "d.xy"
    assert main(["xrd", "simulate", str(f), "--debye", "--range", "20", "40", "-o", str(out)]) == 0
    data = np.loadtxt(out)
    tt200 = 2 * np.degrees(np.arcsin(1.54184 / 5.936))
    assert abs(data[np.argmax(data[:, 1]), 0] - tt200) < 0.6  # small dot: broad, near (200)


def test_compare_refine_real_pbse(tmp_path, capsys):
    f = MEASURED / "PbSe_CuKa.csv"
    if not f.exists():
        pytest.skip(f"real measured data not available ({f} missing)")
    png = tmp_path / "ov.png"
    assert main(["xrd", "compare", str(f), "--against", "PbSe", "--refine", "--wavelength", "CuKa",
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    a = float(out.split("PbSe: a = ")[1].split()[0])
    assert abs(a - 6.124) < 0.005
    assert png.exists()


def test_bad_input_exit_code_and_one_line(tmp_path, capsys):
    f = tmp_path / "bad.csv"
    f.write_text("10,1\n11,oops\n")
    assert main(["xrd", "compare", str(f), "--against", "PbS", "--wavelength", "CuKa"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.csv" in err and "line 2" in err
    assert main(["xrd", "simulate", "PbS", "--wavelength", "CuKq"]) == 2


# ---- round trips, two phases, geometry, result file ------------------------------------------------------

# alpha-x1.5 puts (521) at 90.03°, just outside the default 10–90° scan: its flank must be in the simulated
# scan and must not be taken for background by the refinement
@pytest.mark.parametrize("phase,kalpha2", [("PbS", False), ("PbS", True), ("alpha-x1.5", False),
                                           ("alpha-x1.5", True), ("alpha-x1", False), ("alpha-x2", True),
                                           ("alpha-x0.6", True), ("alpha-x2.7", False)])
def test_simulate_then_refine_round_trip(tmp_path, capsys, phase, kalpha2):
    from latticeanchor.diffraction import named_phase
    from latticeanchor.diffraction.refine import _reported_a0

    truth = _reported_a0(named_phase(phase))
    sim = tmp_path / "sim.xy"
    assert main(["xrd", "simulate", phase, "-o", str(sim)] + (["--kalpha2"] if kalpha2 else [])) == 0
    head = sim.read_text().splitlines()[1]
    assert "radiation:" in head and ("Ka1+Ka2" in head) == kalpha2
    js = tmp_path / "r.json"
    capsys.readouterr()
    assert main(["xrd", "compare", str(sim), "--against", phase, "--refine", "--wavelength", "CuKa",
                 "--json", str(js)]) == 0
    res = json.loads(js.read_text())
    a, sig = res["a_A"][phase], res["a_sigma_A"][phase]
    assert abs(a - truth) <= max(3 * sig, 1e-5)
    assert res["rwp"] < 0.15 and not res["warnings"]
    if phase.startswith("alpha"):
        assert res["x_br"][phase] == pytest.approx(float(phase.split("x")[1]), abs=0.01)



@pytest.mark.parametrize("dataset", ["rt_films", "liu2019"])
@pytest.mark.parametrize("x_br", [1.0, 1.5, 2.0])
def test_alpha_round_trip_for_each_dataset_lattice(dataset, x_br):
    # the round trip must not depend on where the dataset's Vegard law puts the reflections relative to the
    # scan ends: simulate α at x with each dataset's a(x), single line, and refine with displacement fixed
    from latticeanchor.diffraction.bragg import bragg_profile
    from latticeanchor.diffraction.phases import alpha
    from latticeanchor.diffraction.wavelengths import resolve_radiation
    from latticeanchor.vegard import lattice_constant

    a_true = float(lattice_constant(x_br, dataset=dataset))
    st = alpha(x_br, a=a_true)
    grid = 10.0 + 0.02 * np.arange(4001)
    _, y = bragg_profile(st, grid, "CuKa", fwhm=0.1)
    res = refine_cubic((grid, y), [(f"alpha-x{x_br:g}", st)], wavelength=resolve_radiation("CuKa").wavelength,
                       fit_displacement=False)
    a, sig = res.a[f"alpha-x{x_br:g}"], res.a_sigma[f"alpha-x{x_br:g}"]
    assert 0 < sig < 2e-5
    assert abs(a - a_true) <= 3 * sig
    assert res.rwp < 0.15 and not res.warnings


def test_simulated_scan_keeps_flanks_of_reflections_beyond_its_end():
    # a scan's counts do not depend on where it stops: the 10–90° scan equals the 10–92° scan cropped
    # (α-x1.5, liu2019 a = 5.9697 Å, has (521) at 90.03°)
    from latticeanchor.diffraction import named_phase
    from latticeanchor.diffraction.bragg import bragg_profile

    st = named_phase("alpha-x1.5")
    short = 10.0 + 0.02 * np.arange(4001)
    long_ = 10.0 + 0.02 * np.arange(4101)
    pat, y_short = bragg_profile(st, short, "CuKa", fwhm=0.1)
    _, y_long = bragg_profile(st, long_, "CuKa", fwhm=0.1)
    y_long = 100 * y_long[:4001] / y_long[:4001].max()
    assert np.allclose(y_short, y_long, rtol=1e-9, atol=1e-9)
    assert y_short[-1] > 1.0 and pat.x.max() <= 90.0

def test_two_phase_dot_plus_matrix_mismatch_within_its_error():
    # synthetic film: α-CsPbBr2I (matrix) + PbS (dots), Poisson noise (seed 0); the refined mismatch
    # ε = (a_matrix − a_core)/a_core comes back within 3σ_ε of the truth
    from latticeanchor.diffraction import bragg_pattern, named_phase, profile, refine_cubic
    from latticeanchor.diffraction.refine import _reported_a0

    grid = np.arange(10.0, 80.0, 0.02)
    y = np.zeros_like(grid)
    for name, weight in (("alpha-x2", 1.0), ("PbS", 0.3)):
        p = bragg_pattern(named_phase(name), "CuKa", (10, 80), kalpha2=True)
        y += weight * profile(grid, p.x, p.y, fwhm=0.12)
    y = 2000 * y / y.max() + 50
    y = np.random.default_rng(0).poisson(y).astype(float)
    res = refine_cubic((grid, y), ["alpha-x2", "PbS"], wavelength="CuKa", kalpha2=True)
    truth = _reported_a0(named_phase("alpha-x2")) / _reported_a0(named_phase("PbS")) - 1
    eps, sig = res.mismatch[("alpha-x2", "PbS")], res.mismatch_sigma[("alpha-x2", "PbS")]
    assert 0 < sig < 5e-4
    assert abs(eps - truth) < 3 * sig


def test_single_peak_refinement_warns_lattice_displacement_collinear(tmp_path, capsys):
    sim = tmp_path / "x1.xy"
    assert main(["xrd", "simulate", "alpha-x1", "-o", str(sim)]) == 0
    capsys.readouterr()
    assert main(["xrd", "compare", str(sim), "--against", "alpha-x1", "--refine", "--range", "28", "32"]) == 0
    out = capsys.readouterr().out
    assert "WARNING: strongly correlated" in out and "alpha-x1:a / displacement" in out


def test_wrong_phase_starts_globally_and_warns_poor_fit(tmp_path, capsys):
    # α-x1 refined against the Br end member: the global scan finds the right lattice (a of x = 1),
    # and the intensity mismatch is flagged as a poor fit
    from latticeanchor.diffraction.phases import alpha_lattice_constant

    sim = tmp_path / "x1.xy"
    assert main(["xrd", "simulate", "alpha-x1", "-o", str(sim)]) == 0
    js = tmp_path / "r.json"
    assert main(["xrd", "compare", str(sim), "--against", "alpha", "--refine", "--json", str(js)]) == 0
    res = json.loads(js.read_text())
    assert res["a_A"]["alpha"] == pytest.approx(alpha_lattice_constant(1.0), abs=2e-3)
    assert any("poor fit" in w for w in res["warnings"])


def test_grazing_incidence_xrdml_refines_without_displacement(tmp_path, capsys):
    f = MEASURED / "220615_0s_GIXRD.xrdml"
    if not f.exists():
        pytest.skip(f"real measured data not available ({f} missing)")
    from latticeanchor.diffraction import read_pattern

    pat = read_pattern(f)
    assert pat.meta["geometry"] == "grazing_incidence" and pat.meta["omega_deg"] == pytest.approx(1.0)
    js = tmp_path / "r.json"
    png = tmp_path / "ov.png"
    assert main(["xrd", "compare", str(f), "--against", "alpha", "--refine", "--json", str(js),
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "specimen displacement: off" in out and "fixed ω = 1°" in out
    res = json.loads(js.read_text())
    assert res["displacement_refined"] is False and res["displacement_deg"] == 0.0
    assert abs(res["a_A"]["alpha"] - 5.839) < 0.011  # the authors' cubic a (SOURCES.md)
    assert png.stat().st_size > 1000


def test_supercell_against_built_supercell_gives_parent_a_and_x(tmp_path, capsys):
    from ase.io import write

    from latticeanchor.build import alpha_matrix

    m = alpha_matrix(1.5, size=(3, 3, 3), seed=4)
    cif = tmp_path / "sc.vasp"
    write(cif, m, format="vasp")
    sim = tmp_path / "sc.xy"
    assert main(["xrd", "simulate", str(cif), "-o", str(sim), "--range", "10", "60"]) == 0
    out = capsys.readouterr().out
    assert "(1, 1, 0)" in out and "(2, 0, 0)" in out
    js = tmp_path / "r.json"
    assert main(["xrd", "compare", str(sim), "--against", str(cif), "--refine", "--json", str(js)]) == 0
    res = json.loads(js.read_text())
    a = res["a_A"][str(cif)]
    assert a == pytest.approx(m.cell.lengths()[0] / 3, abs=1e-3)
    assert res["x_br"][str(cif)] == pytest.approx(1.5, abs=0.1)


# ---- hardening: one-line errors, exit 2, nothing written -----------------------------------------------

def _fails_cleanly(capsys, argv, tmp_path, needle=None):
    before = set(p.name for p in tmp_path.iterdir())
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    if needle:
        assert needle in err, err
    assert set(p.name for p in tmp_path.iterdir()) == before  # nothing written


@pytest.mark.parametrize("extra,needle", [
    (["--wavelength", "0.01"], "reflections"),
    (["--step", "1e-9"], "--max-points"),
    (["--range", "nan", "90"], "--range"),
    (["--step", "inf"], "--step"),
    (["--step", "1e308"], "--step"),  # one point at 5°: refused by the flag, never a file of nan
    (["--plot", "OUT.xyz"], "unsupported suffix"),
])
def test_simulate_bad_input(tmp_path, capsys, extra, needle):
    argv = ["xrd", "simulate", "PbS", "-o", str(tmp_path / "o.xy")]
    argv += [a.replace("OUT", str(tmp_path / "p")) for a in extra]
    _fails_cleanly(capsys, argv, tmp_path, needle)


def test_simulate_output_paths_refused(tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("x")
    _fails_cleanly(capsys, ["xrd", "simulate", "PbS", "-o", str(f / "o.xy")], tmp_path, "is not a folder")
    _fails_cleanly(capsys, ["xrd", "simulate", "PbS", "--plot", str(tmp_path)], tmp_path, "is a directory")


def test_simulate_huge_cif_refused(tmp_path, capsys):
    cif = tmp_path / "big.cif"
    cif.write_text("data_x\n_cell_length_a 1000000\n_cell_length_b 1000000\n_cell_length_c 1000000\n"
                   "_cell_angle_alpha 90\n_cell_angle_beta 90\n_cell_angle_gamma 90\n"
                   "_symmetry_space_group_name_H-M 'P 1'\nloop_\n_atom_site_label\n_atom_site_type_symbol\n"
                   "_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\nPb1 Pb 0 0 0\n")
    _fails_cleanly(capsys, ["xrd", "simulate", str(cif)], tmp_path)


def test_simulate_partial_occupancy_cif_keeps_fractional_species(tmp_path, capsys):
    from latticeanchor.diffraction import bragg_pattern, named_phase
    from latticeanchor.diffraction.phases import load_structure

    cif = tmp_path / "mixed.cif"
    named_phase("alpha-x1").to(filename=str(cif))
    st = load_structure(str(cif))
    assert st.composition["Br"] == pytest.approx(1.0) and st.composition["I"] == pytest.approx(2.0)
    a, b = bragg_pattern(st, "CuKa", (10, 60)), bragg_pattern(named_phase("alpha-x1"), "CuKa", (10, 60))
    assert np.allclose(a.y, b.y, rtol=1e-6)


def test_compare_bad_patterns(tmp_path, capsys):
    dup = tmp_path / "dup.xy"
    dup.write_text("".join(f"{10 + (i // 2) * 0.1:.2f} {i}\n" for i in range(100)))
    _fails_cleanly(capsys, ["xrd", "compare", str(dup), "--against", "PbS", "--wavelength", "CuKa"], tmp_path, "once")
    flat = tmp_path / "flat.xy"
    flat.write_text("".join(f"{10 + i * 0.1:.2f} 0\n" for i in range(100)))
    _fails_cleanly(capsys, ["xrd", "compare", str(flat), "--against", "PbS", "--wavelength", "CuKa"], tmp_path, "flat")
    xye = tmp_path / "s.xye"
    xye.write_text("".join(f"{10 + i * 0.1:.2f} {i + 1} {0 if i == 5 else 1}\n" for i in range(100)))
    _fails_cleanly(capsys, ["xrd", "compare", str(xye), "--against", "PbS", "--wavelength", "CuKa"], tmp_path, "σ")
    fifo = tmp_path / "pipe.xy"
    os.mkfifo(fifo)
    _fails_cleanly(capsys, ["xrd", "compare", str(fifo), "--against", "PbS", "--wavelength", "CuKa"], tmp_path,
                   "regular file")
    src = MEASURED / "220615_0s_GIXRD.xrdml"
    if src.exists():
        bad = tmp_path / "bad.xrdml"
        bad.write_text(src.read_text().replace("<startPosition>10.01163028", "<startPosition>ten"))
        _fails_cleanly(capsys, ["xrd", "compare", str(bad), "--against", "alpha"], tmp_path, "non-numeric")


def test_simulate_into_closed_pipe_is_quiet():
    import subprocess
    import sys

    env = dict(os.environ)
    code = ("import sys; from latticeanchor.cli import main; sys.exit(main(['xrd', 'simulate', 'PbS']))")
    p = subprocess.run(f"{sys.executable} -c \"{code}\" | head -1", shell=True, capture_output=True, text=True,
                       env=env, timeout=120)
    assert "Traceback" not in p.stderr and "BrokenPipe" not in p.stderr
