"""The systematic part of the hostile API table (issue 21): every public function of the physics, build,
diffraction, screen, data and energy-input modules, each numeric/name parameter fed each class of hostile
value (NaN, ±inf, negative, zero, text for a number, bool for a number, an empty sequence, a value beyond
the physical range or the work budget, an unknown name, nm given for Å and Å for nm).

``cases()`` returns ``(id, call, needle)`` rows like ``test_api_hostile.CASES``: the call must raise
LatticeAnchorError whose one-line message contains ``needle`` (the parameter's name, case-insensitive).
"""

from __future__ import annotations

import numpy as np

NAN, INF = float("nan"), float("inf")

# the classes of hostile value, by kind of parameter ------------------------------------------------------------
COMMON = [("nan", NAN), ("inf", INF), ("-inf", -INF), ("text", "abc"), ("bool", True), ("empty", [])]
KINDS = {
    # x: Br per formula unit, 0..3
    "x": COMMON + [("negative", -1.0), ("beyond", 4.0), ("huge", 1e308)],
    # an absolute temperature in K
    "T": COMMON + [("negative", -1.0), ("zero", 0.0), ("huge", 1e308), ("celsius-negative", -20.0)],
    # a dot diameter in Å (the library's unit): nm by mistake is refused
    "dA": COMMON + [("negative", -1.0), ("zero", 0.0), ("huge", 1e308), ("nm-for-A", 3.5)],
    # a dot diameter in nm (electronic): Å by mistake is refused
    "dnm": COMMON + [("negative", -1.0), ("zero", 0.0), ("huge", 1e308), ("A-for-nm", 35.0)],
    # a fraction 0..1 (loading, volume fraction)
    "frac": COMMON + [("negative", -0.1), ("beyond", 1.5), ("percent", 10.0)],
    # a strictly positive real (widths, times, wavelengths) with no meaningful upper end tested
    "pos": COMMON + [("negative", -1.0), ("zero", 0.0)],
    # a strictly positive real that also has a physical upper end
    "pos-huge": COMMON + [("negative", -1.0), ("zero", 0.0), ("huge", 1e308)],
    # a non-negative real
    "nonneg": COMMON + [("negative", -1.0)],
    # a positive count
    "count": [("nan", NAN), ("text", "abc"), ("bool", True), ("float", 2.5), ("negative", -1), ("zero", 0)],
    # a positive count with a work budget behind it
    "count-huge": [("nan", NAN), ("text", "abc"), ("bool", True), ("float", 2.5), ("negative", -1), ("zero", 0),
                   ("huge", 10 ** 30)],
    # a non-negative integer (seeds)
    "seed": [("text", "abc"), ("bool", True), ("float", 2.5), ("negative", -1)],
    # a name from a fixed list (core, matrix, dataset, choices)
    "name": [("unknown", "Nope"), ("empty-name", ""), ("number", 5)],
    # a boolean flag
    "flag": [("text", "yes"), ("number", 2)],
}


def _pbs():
    from latticeanchor.diffraction import named_phase

    return named_phase("PbS")


def _cluster():
    from ase import Atoms

    return Atoms("PbS", positions=[[0, 0, 0], [3.0, 0, 0]])


def _cell():
    from latticeanchor.build import rocksalt_cell

    return rocksalt_cell("PbS")


def _core():
    from latticeanchor.build import rocksalt_core

    return rocksalt_core("PbS", diameter=12.0)


def _matrix():
    from latticeanchor.build import alpha_matrix

    return alpha_matrix(2.0, size=4)


X2T = np.linspace(20.0, 60.0, 400)
Y2T = 100 + 1000 * np.exp(-((X2T - 30.1) / 0.1) ** 2)


def _specs():
    """(label, function, base kwargs (valid), {parameter: (kind, needle)})."""
    from latticeanchor import electronic, geometry, inclusion, kinetics, phase_boundary, stability, strain, vegard
    from latticeanchor import build, diffraction as xrd, screen, data
    from latticeanchor.energy import inputs

    core_x_d = {"core": "PbS", "x": 2.0, "diameter": 35.0}
    P = {  # the parameters shared by the physics functions
        "core": ("name", "core"), "x": ("x", "x"), "T": ("T", "T (K)"), "diameter": ("dA", "diameter"),
        "loading": ("frac", "loading"), "dataset": ("name", "dataset"), "matrix": ("name", "matrix"),
        # time_h = 0 is valid: nothing has transformed yet, the fraction is exactly 0 (Avrami at t = 0)
        "time_h": ("nonneg", "time_h"), "target_h": ("pos", "target_h"),
    }

    def p(*names, **extra):
        d = {n: P[n] for n in names}
        d.update(extra)
        return d

    specs = [
        # stability
        ("stability.transition_temperature", stability.transition_temperature, {"x": 1.0}, p("x")),
        ("stability.boundary_x", stability.boundary_x, {"T": 298.15}, p("T")),
        ("stability.driving_force", stability.driving_force, {"x": 1.0}, p("x", "T", "dataset", "matrix")),
        ("stability.critical_inclusion_diameter", stability.critical_inclusion_diameter, {"core": "PbS", "x": 2.0},
         p("core", "x", "T", "matrix")),
        ("stability.coherent", stability.coherent, dict(core_x_d), p("core", "x", "diameter", "T")),
        ("stability.anchoring_length", stability.anchoring_length, dict(core_x_d), p("core", "x", "diameter", "T")),
        ("stability.anchored_fraction", stability.anchored_fraction, dict(core_x_d, loading=0.1),
         p("core", "x", "diameter", "loading", "T")),
        ("stability.transformed_fraction", stability.transformed_fraction,
         dict(core_x_d, loading=0.1, T=298.15, time_h=1.0), p("core", "x", "diameter", "loading", "T", "time_h")),
        ("stability.lifetime", stability.lifetime, dict(core_x_d, loading=0.1), p("core", "x", "diameter", "loading", "T")),
        ("stability.critical_loading", stability.critical_loading, dict(core_x_d),
         p("core", "x", "diameter", "T", "target_h", "dataset")),
        # kinetics
        ("kinetics.driving_force", kinetics.driving_force, {"x": 1.0}, p("x", "T", "matrix")),
        ("kinetics.nucleation_barrier", kinetics.nucleation_barrier, {"x": 1.0}, p("x", "T", "dataset")),
        ("kinetics.critical_radius", kinetics.critical_radius, {"x": 1.0}, p("x", "T")),
        ("kinetics.time_constant", kinetics.time_constant, {"x": 1.0}, p("x", "T")),
        ("kinetics.anchoring_length", kinetics.anchoring_length, dict(core_x_d), p("core", "x", "diameter", "T")),
        ("kinetics.free_fractions", kinetics.free_fractions, dict(core_x_d, loading=0.1),
         p("core", "x", "diameter", "loading", "T")),
        ("kinetics.transformed_fraction", kinetics.transformed_fraction,
         dict(core_x_d, loading=0.1, T=298.15, time_h=1.0), p("x", "diameter", "loading", "T", "time_h")),
        ("kinetics.lifetime", kinetics.lifetime, dict(core_x_d, loading=0.1), p("core", "x", "diameter", "loading", "T")),
        ("kinetics.critical_loading", kinetics.critical_loading, dict(core_x_d), p("x", "diameter", "T", "target_h")),
        # inclusion
        ("inclusion.interface_pressure", inclusion.interface_pressure, {"core": "PbS", "x": 2.0}, p("core", "x", "T")),
        ("inclusion.matrix_energy_density", inclusion.matrix_energy_density, {"core": "PbS", "x": 2.0},
         p("core", "x", "T", "matrix")),
        ("inclusion.energies", inclusion.energies, dict(core_x_d), p("core", "x", "diameter", "T")),
        ("inclusion.shell_energy", inclusion.shell_energy, dict(core_x_d, thickness=5.0),
         p("x", "diameter", "T", thickness=("nonneg", "thickness"))),
        ("inclusion.critical_diameter", inclusion.critical_diameter, {"core": "PbS", "x": 2.0}, p("core", "x", "T")),
        # phase_boundary
        ("phase_boundary.energy_difference", phase_boundary.energy_difference, {"x": 1.0},
         p("x", phase=("name", "phase"), return_se=("flag", "return_se"))),
        ("phase_boundary.transition_enthalpy", phase_boundary.transition_enthalpy, {"x": 1.0},
         p("x", phase=("name", "phase"))),
        ("phase_boundary.transition_temperature", phase_boundary.transition_temperature, {"x": 1.0}, p("x")),
        ("phase_boundary.delta_g", phase_boundary.delta_g, {"x": 1.0, "T": 298.15}, p("x", "T", phase=("name", "phase"))),
        ("phase_boundary.boundary_x", phase_boundary.boundary_x, {"T": 298.15},
         p("T", phase=("name", "phase"), missing=("name", "missing"))),
        ("phase_boundary.table", phase_boundary.table, {"xs": (0.0, 1.0)}, {"xs": ("x", "x")}),
        # strain
        ("strain.core_lattice_constant", strain.core_lattice_constant, {"core": "PbS"}, p("core", "T", "dataset")),
        ("strain.mismatch", strain.mismatch, {"core": "PbS", "x": 2.0}, p("core", "x", "T", "matrix")),
        ("strain.zero_mismatch_x", strain.zero_mismatch_x, {"core": "PbS"}, p("core", "T")),
        ("strain.matrix_moduli", strain.matrix_moduli, {"x": 2.0}, p("x", "dataset")),
        ("strain.matrix_elastic_constants", strain.matrix_elastic_constants, {"x": 2.0}, p("x")),
        ("strain.core_moduli", strain.core_moduli, {"core": "PbS"}, p("core", "dataset")),
        ("strain.critical_thickness", strain.critical_thickness, {"eps": 0.02},
         # eps: a signed misfit (compressive < 0), |eps| used, so negative is valid; eps = 0 gives the
         # documented exact h_c = inf (no misfit: coherent at any thickness; test_strain, critical_spacing)
         {"eps": ("signed", "eps"), "matrix_x": ("x", "x"), "T": P["T"], "burgers": ("pos", "burgers"),
          "poisson": ("frac", "poisson"), "alpha_deg": ("pos", "alpha_deg")}),
        ("strain.critical_spacing", strain.critical_spacing, dict(core_x_d), p("core", "x", "diameter", "T")),
        ("strain.critical_loading", strain.critical_loading, dict(core_x_d),
         p("core", "x", "diameter", "T", arrangement=("name", "arrangement"))),
        ("strain.eshelby_energy", strain.eshelby_energy, dict(core_x_d), p("core", "x", "diameter", "T")),
        # vegard
        ("vegard.lattice_constant", vegard.lattice_constant, {"x": 1.0}, p("x", "T", "dataset", "matrix")),
        ("vegard.band_gap", vegard.band_gap, {"x": 1.0}, p("x", "dataset")),
        ("vegard.x_from_lattice_constant", vegard.x_from_lattice_constant, {"a": 6.1},
         p("T", a=("pos-huge", "a"))),
        ("vegard.end_members", vegard.end_members, {}, p("T", "dataset")),
        ("vegard.fit", vegard.fit, {"x_values": [0.0, 1.0, 2.0, 3.0], "a_values": [6.3, 6.2, 6.1, 5.9]},
         {"x_values": ("x", "x_values"), "bowing": ("flag", "bowing")}),
        # electronic
        ("electronic.dot_band_gap", electronic.dot_band_gap, {"core": "PbS", "diameter_nm": 3.0},
         {"core": P["core"], "diameter_nm": ("dnm", "diameter"), "dataset": P["dataset"]}),
        ("electronic.dot_band_edges", electronic.dot_band_edges, {"core": "PbS", "diameter_nm": 3.0},
         {"core": P["core"], "diameter_nm": ("dnm", "diameter")}),
        ("electronic.matrix_band_edges", electronic.matrix_band_edges, {"x": 2.0}, p("x", "matrix")),
        ("electronic.band_alignment", electronic.band_alignment, {"core": "PbS", "diameter_nm": 3.0, "x": 2.0},
         {"core": P["core"], "diameter_nm": ("dnm", "diameter"), "x": P["x"]}),
        # geometry
        ("geometry.dot_spacing", geometry.dot_spacing, {"volume_fraction": 0.1, "diameter": 30.0},
         {"volume_fraction": ("frac", "volume_fraction"), "diameter": ("dA", "diameter"),
          "arrangement": ("name", "arrangement")}),
        ("geometry.surface_spacing", geometry.surface_spacing, {"volume_fraction": 0.1, "diameter": 30.0},
         {"volume_fraction": ("frac", "volume_fraction"), "diameter": ("dA", "diameter")}),
        ("geometry.volume_fraction", geometry.volume_fraction, {"spacing": 80.0, "diameter": 30.0},
         # an infinite (or astronomically large) spacing is the documented dilute limit φ = 0, which
         # strain.critical_loading relies on at zero mismatch (test_geometry asserts it)
         {"spacing": ("pos-inf", "spacing"), "diameter": ("dA", "diameter"), "arrangement": ("name", "arrangement")}),
        ("geometry.random_nn_distance_ratio", geometry.random_nn_distance_ratio, {"volume_fraction": 0.1},
         {"volume_fraction": ("frac", "volume_fraction")}),
        ("geometry.nearest_neighbour_cdf", geometry.nearest_neighbour_cdf, {"volume_fraction": 0.1, "ratio": 1.5},
         {"volume_fraction": ("frac", "volume_fraction"), "ratio": ("nonneg", "ratio")}),
        ("geometry.matrix_within", geometry.matrix_within, {"volume_fraction": 0.1, "diameter": 30.0, "distance": 5.0},
         {"volume_fraction": ("frac", "volume_fraction"), "diameter": ("dA", "diameter"),
          "distance": ("nonneg-inf", "distance")}),  # distance = inf: the whole matrix, fraction exactly 1
        # build
        ("build.alpha_matrix", build.alpha_matrix, {"x": 2.0, "size": 2},
         {"x": P["x"], "size": ("count-huge", "size"), "a": ("pos-huge", "a"), "T": P["T"],
          "halide_order": ("name", "halide_order"), "seed": ("seed", "seed"), "dataset": P["dataset"],
          "sqs_steps": ("count", "sqs_steps"), "max_atoms": ("count-huge", "max_atoms"), "matrix": P["matrix"]}),
        ("build.delta_matrix", build.delta_matrix, {"x": 0.0, "size": 1},
         {"x": P["x"], "size": ("count-huge", "size"), "T": P["T"], "seed": ("seed", "seed"),
          "max_atoms": ("count-huge", "max_atoms")}),
        ("build.delta_cell_parameters", build.delta_cell_parameters, {"x": 0.0}, p("x", "T", "dataset")),
        ("build.rocksalt_core", build.rocksalt_core, {"core": "PbS", "diameter": 12.0},
         {"core": P["core"], "diameter": ("dA", "diameter"), "shape": ("name", "shape"), "a": ("pos-huge", "a"),
          "T": P["T"], "center": ("name", "center"), "seed": ("seed", "seed"), "max_atoms": ("count-huge", "max_atoms")}),
        ("build.rocksalt_cell", build.rocksalt_cell, {"core": "PbS"},
         {"core": P["core"], "a": ("pos-huge", "a"), "T": P["T"], "dataset": P["dataset"]}),
        ("build.embed", build.embed, {"core": _core, "matrix": _matrix},
         {"core": ("atoms", "core"), "matrix": ("atoms", "matrix"), "strain": ("name", "strain"),
          "clearance": ("nonneg", "clearance"), "min_distance": ("pos", "min_distance"),
          "like_charge_distance": ("pos", "like_charge_distance"), "charge_balance": ("flag", "charge_balance"),
          "min_pb_coordination": ("count", "min_pb_coordination")}),
        ("build.check", build.check, {"atoms": _cell},
         {"atoms": ("atoms", "atoms"), "threshold": ("pos", "threshold"), "symprec": ("pos", "symprec"),
          # max_symmetry_atoms = 0 is valid: it skips the spglib search (the build tests use it)
          "max_symmetry_atoms": ("seed", "max_symmetry_atoms"), "min_pb_anions": ("seed", "min_pb_anions"),
          "min_pb5_fraction": ("frac", "min_pb5_fraction")}),
        ("build.min_contact", build.min_contact, {"a": "Pb", "b": "Br"},
         {"a": ("name", "element"), "cation_anion": ("pos", "cation_anion")}),
        ("build.supercell_for_loading", build.supercell_for_loading, dict(core_x_d, loading=0.1),
         {"core": P["core"], "x": P["x"], "diameter": ("dA", "diameter"), "loading": ("frac", "loading"),
          "max_atoms": ("count-huge", "max_atoms"), "T": P["T"], "min_cells": ("count", "min_cells")}),
        # diffraction: Bragg, Debye, profiles, conversions, compare/refine
        ("xrd.bragg_pattern", xrd.bragg_pattern, {"structure": _pbs},
         {"structure": ("atoms", "structure"), "wavelength": ("pos-huge", "wavelength"),
          "energy_kev": ("pos-huge", "energy"), "kalpha2": ("flag", "kalpha2"), "scaled": ("flag", "scaled"),
          "chunk_entries": ("count", "chunk_entries")}),
        ("xrd.bragg_pattern-kalpha2", xrd.bragg_pattern, {"structure": _pbs, "kalpha2": True},
         {"kalpha2_ratio": ("nonneg", "kalpha2_ratio")}),
        ("xrd.form_factor", xrd.form_factor, {"element": "Pb", "s2": 0.1},
         {"element": ("name", "element"), "s2": ("nonneg-v", "s2")}),
        ("xrd.debye_pattern", xrd.debye_pattern, {"atoms": _cluster, "q": [1.0, 2.0]},
         {"atoms": ("atoms", "atoms"), "q": ("nonneg", "q"), "method": ("name", "method"), "dr": ("pos", "dr"),
          "lattice_tolerance": ("pos", "lattice tolerance")}),
        ("xrd.debye_exact", xrd.debye_exact, {"atoms": _cluster, "q": [1.0, 2.0]},
         {"atoms": ("atoms", "atoms"), "q": ("nonneg", "q"), "block": ("count", "block")}),
        ("xrd.gaussian", xrd.gaussian, {"x": X2T, "center": 30.0, "fwhm": 0.1},
         {"center": ("cnum", "center"), "fwhm": ("pos", "fwhm")}),
        ("xrd.lorentzian", xrd.lorentzian, {"x": X2T, "center": 30.0, "fwhm": 0.1},
         {"x": ("cnum", "x"), "fwhm": ("pos", "fwhm")}),
        ("xrd.pseudo_voigt", xrd.pseudo_voigt, {"x": X2T, "center": 30.0, "fwhm": 0.1, "eta": 0.5},
         {"fwhm": ("pos", "fwhm"), "eta": ("frac", "eta")}),
        ("xrd.profile", xrd.profile, {"two_theta_grid": X2T, "peak_two_theta": [30.0], "peak_intensity": [1.0],
                                      "fwhm": 0.1},
         {"two_theta_grid": ("cnum", "2θ grid"), "peak_intensity": ("nonneg", "intensit"),
          "fwhm": ("pos", "fwhm"), "eta": ("frac", "eta"), "shape": ("name", "shape")}),
        ("xrd.caglioti_fwhm", xrd.caglioti_fwhm, {"two_theta_deg": 30.0},
         {"two_theta_deg": ("angle0", "2θ"), "W": ("pos", "W")}),
        ("xrd.scherrer_fwhm", xrd.scherrer_fwhm, {"two_theta_deg": 30.0, "size_angstrom": 50.0, "wavelength": 1.54},
         {"two_theta_deg": ("angle", "2θ"), "size_angstrom": ("pos", "size"), "wavelength": ("pos-huge", "wavelength"),
          "K": ("pos", "K")}),
        ("xrd.two_theta_to_q", xrd.two_theta_to_q, {"two_theta_deg": 30.0, "wavelength": 1.54},
         {"two_theta_deg": ("angle0", "2θ"), "wavelength": ("pos-huge", "wavelength")}),
        ("xrd.q_to_two_theta", xrd.q_to_two_theta, {"q": 2.0, "wavelength": 1.54},
         {"q": ("nonneg", "q"), "wavelength": ("pos-huge", "wavelength")}),
        ("xrd.two_theta_to_d", xrd.two_theta_to_d, {"two_theta_deg": 30.0, "wavelength": 1.54},
         {"two_theta_deg": ("angle", "2θ"), "wavelength": ("pos-huge", "wavelength")}),
        ("xrd.d_to_two_theta", xrd.d_to_two_theta, {"d": 3.0, "wavelength": 1.54},
         {"d": ("pos", "d"), "wavelength": ("pos-huge", "wavelength")}),
        ("xrd.q_to_d", xrd.q_to_d, {"q": 2.0}, {"q": ("pos", "q")}),
        ("xrd.energy_to_wavelength", xrd.energy_to_wavelength, {"energy_kev": 8.0},
         {"energy_kev": ("pos-huge", "energy")}),
        ("xrd.resolve_wavelength", xrd.resolve_wavelength, {"wavelength": 1.54},
         {"wavelength": ("pos-huge", "wavelength")}),
        ("xrd.debye_waller_for", xrd.debye_waller_for, {"elements": ["Pb", "S"]},
         {"debye_waller_factors": ("dwf", "debye_waller")}),
        ("xrd.normalize", xrd.normalize, {"intensity": [1.0, 2.0]},
         {"intensity": ("cnum", "intensity"), "mode": ("name", "mode"), "value": ("pos", "value")}),
        ("xrd.rwp", xrd.rwp, {"y_obs": [1.0, 2.0, 3.0], "y_calc": [1.0, 2.0, 2.5]},
         {"y_obs": ("cnum", "y_obs"), "y_calc": ("cnum", "y_calc"), "rescale": ("flag", "rescale")}),
        ("xrd.pearson", xrd.pearson, {"y_obs": [1.0, 2.0, 3.0], "y_calc": [1.0, 2.0, 2.5]},
         {"y_obs": ("cnum", "y_obs"), "y_calc": ("cnum", "y_calc")}),
        ("xrd.match_peaks", xrd.match_peaks, {"measured_pos": [30.0], "measured_int": [1.0], "simulated_pos": [30.1],
                                              "simulated_int": [1.0]},
         {"measured_pos": ("cnum-v", "measured_pos"), "tolerance_deg": ("pos", "tolerance_deg"),
          "min_simulated": ("nonneg", "min_simulated")}),
        ("xrd.snip_background", xrd.snip_background, {"two_theta": X2T, "intensity": Y2T},
         {"window_deg": ("pos-huge", "window_deg"), "smooth_points": ("seed", "smooth_points")}),
        ("xrd.compare", xrd.compare, {"measured": (X2T, Y2T), "simulated": lambda: xrd.bragg_pattern(_pbs(), "CuKa", (20, 60))},
         {"fwhm": ("pos", "fwhm"), "eta": ("frac", "eta"), "window_deg": ("pos", "window_deg"),
          "tolerance_deg": ("pos", "tolerance_deg"), "background": ("name", "background")}),
        ("xrd.refine_cubic", xrd.refine_cubic, {"pattern": (X2T, Y2T), "phases": "PbS", "wavelength": "CuKa"},
         {"max_strain": ("pos", "max_strain"), "fwhm0": ("pos", "fwhm0"), "n_background": ("seed", "n_background"),
          "fit_zero": ("flag", "fit_zero"), "kalpha2": ("flag", "kalpha2"), "phases": ("name", "phase")}),
        ("xrd.identify", xrd.identify, {"pattern": (X2T, Y2T), "candidates": ["PbS"], "wavelength": "CuKa"},
         {"max_strain": ("pos", "max_strain"), "fwhm0": ("pos", "fwhm0"), "candidates": ("name", "candidate")}),
        ("xrd.named_phase", xrd.named_phase, {"name": "PbS"}, {"name": ("number-only", "phase name")}),
        ("xrd.load_structure", xrd.load_structure, {"spec": "PbS"}, {"spec": ("name", "structure")}),
        # screen and data
        ("screen.load_config", screen.load_config, {}, {"source": ("name", "source"),
                                                        "max_points": ("count-huge", "max_points")}),
        ("data.dataset", data.dataset, {}, {"name_or_path": ("name", "dataset"), "matrix": ("name", "matrix")}),
        ("data.value", data.value, {"material": "PbS", "quantity": "lattice_constant"},
         {"material": ("name", "material"), "quantity": ("name", "quantity"), "dataset": ("name", "dataset")}),
        ("data.lattice_constant_at", data.lattice_constant_at, {"material": "PbS"},
         {"material": ("name", "material"), "T": P["T"]}),
        ("data.sizing_curve", data.sizing_curve, {"core": "PbS"}, {"core": ("name", "core")}),
        ("data.shannon_radius", data.shannon_radius, {"element": "Pb"}, {"element": ("name", "element")}),
        ("data.elastic_constants", data.elastic_constants, {"material": "PbS"}, {"material": ("name", "material")}),
        # energy writers
        ("inputs.kpoint_mesh", inputs.kpoint_mesh, {"atoms": _cell},
         {"atoms": ("atoms", "atoms"), "kspacing": ("pos-huge", "kspacing")}),
        ("inputs.kpoints", inputs.kpoints, {"atoms": _cell}, {"kspacing": ("pos-huge", "kspacing")}),
        ("inputs.vasp_files", inputs.vasp_files, {"atoms": _cell},
         {"kspacing": ("pos-huge", "kspacing"), "spin": ("name", "spin")}),
        ("inputs.incar", inputs.incar, {"atoms": _cell}, {"atoms": ("atoms", "atoms"), "spin": ("name", "spin")}),
        ("inputs.poscar", inputs.poscar, {"atoms": _cell}, {"atoms": ("atoms", "atoms")}),
        ("inputs.potcar_spec", inputs.potcar_spec, {"atoms": _cell}, {"atoms": ("atoms", "atoms")}),
        ("inputs.pw_input", inputs.pw_input, {"atoms": _cell},
         {"calculation": ("name", "calculation"), "kspacing": ("pos-huge", "kspacing"), "ecutwfc": ("pos-huge", "ecutwfc"),
          "ecutrho": ("pos-huge", "ecutrho"), "spin": ("name", "spin")}),
        ("inputs.lammps_data", inputs.lammps_data, {"atoms": _cell}, {"atoms": ("atoms", "atoms"), "labels": ("flag", "labels")}),
        ("inputs.gpaw_script", inputs.gpaw_script, {"atoms": _cell},
         {"ecut_eV": ("pos-huge", "ecut_eV"), "kspacing": ("pos-huge", "kspacing"),
          "smearing_eV": ("nonneg", "smearing_eV"), "spin": ("name", "spin")}),
    ]
    return specs


# kinds only used here
KINDS["nonneg-v"] = [c for c in KINDS["nonneg"] if c[0] != "empty"]  # vectorised: an empty s2 gives an empty f
KINDS["number-only"] = [("number", 5), ("none", None)]  # named_phase: an unknown name is None by contract
KINDS["atoms"] = [("number", 5), ("text", "abc"), ("empty", []), ("none", None)]
KINDS["cnum"] = [("nan", [1.0, NAN]), ("inf", [INF, 1.0]), ("text", "abc"), ("bool", True), ("empty", [])]
KINDS["angle"] = COMMON + [("negative", -1.0), ("zero", 0.0), ("beyond", 200.0)]
# 2θ = 0 is valid where the result is finite: q = 0 (forward direction), the Caglioti width sqrt(W)
KINDS["angle0"] = [c for c in KINDS["angle"] if c[0] != "zero"]
# q = 0 is valid (Debye: I(0) = (Σf)², the forward-scattering limit; 2θ = 0 ↔ q = 0): "nonneg" for q
# +inf is a defined limit for spacing (φ = 0) and matrix_within's distance (the whole matrix)
KINDS["pos-inf"] = [c for c in KINDS["pos-huge"] if c[0] not in ("inf", "huge")]
KINDS["nonneg-inf"] = [c for c in KINDS["nonneg"] if c[0] != "inf"]
KINDS["signed"] = [c for c in KINDS["pos"] if c[0] not in ("negative", "zero")]
KINDS["dwf"] = [("nan", {"Pb": NAN}), ("negative", {"Pb": -1.0}), ("text", {"Pb": "abc"}), ("number", 5)]
KINDS["cnum-v"] = [c for c in KINDS["cnum"] if c[0] != "empty"]  # match_peaks: no measured peak is an answer
# the name kinds where a number is a valid spec, or the name space is open, get no 'number' case
_NO_NUMBER = {"source", "spec", "name", "dataset"}


def _resolve(v):
    return v() if callable(v) else v


def cases():
    rows = []
    for label, func, base, params in _specs():
        for pname, (kind, needle) in params.items():
            for cls, bad in KINDS[kind]:
                if kind == "name" and cls == "number" and needle in _NO_NUMBER:
                    continue
                if kind == "name" and pname in ("strain",) and cls == "empty-name":
                    continue

                def call(func=func, base=base, pname=pname, bad=bad):
                    kwargs = {k: _resolve(v) for k, v in base.items()}
                    kwargs[pname] = bad
                    return func(**kwargs)

                rows.append((f"{label}:{pname}={cls}", call, needle))
    return rows


_SLOW = {"xrd.refine_cubic", "xrd.identify", "xrd.compare", "screen.load_config",
         "xrd.debye_exact", "xrd.debye_pattern"}  # Debye: numba threads in the parent do not survive a fork


def warm() -> None:
    """Call each (fast) function once with its valid arguments in the parent, so the forked children find the
    calibrations and tables loaded and each refusal takes milliseconds."""
    for label, func, base, _ in _specs():
        if label in _SLOW:
            continue
        try:
            func(**{k: _resolve(v) for k, v in base.items()})
        except Exception:  # noqa: BLE001 - a broken valid call shows up as its own cases' failures
            pass
