"""The stability model against the paper's observations (Liu et al., Nature 570, 96 (2019); O-numbers of
the physics notes), its calibration, its invariants and its input checks.

Calibrated: Δγ on O1 (13 vol% of 3.5 nm PbS anchors CsPbBrI2 at 298 K). Predicted, not fitted: O3 (matched
matrix improves monotonically), O4 (V-shape, larger mismatch needs more dots), O5 (Br > 33 % with dots), O9
(pristine low-Br films are δ at room temperature). O2 (200 °C) is halide segregation, outside the model.
"""

import numpy as np
import pytest

from latticeanchor import stability, strain
from latticeanchor.errors import LatticeAnchorError

D_PAPER = 35.0  # Å, 3.5 nm PbS (1.1–1.3 eV gap)
LOADINGS = np.array([0.0, 0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.13, 0.16, 0.2, 0.25, 0.3])


# --- calibration ------------------------------------------------------------------------------------

def test_interface_gain_is_the_o1_calibration_and_physically_sized():
    fitted = stability.calibrate_interface_gain()
    stored = stability.default_model().interface_gain_J_per_m2
    assert stored == pytest.approx(fitted, rel=1e-3)
    # coherent interfaces ≲ 0.2 J/m², incoherent 0.5–1 J/m²: a gain of 0.05–0.3 J/m² is plausible
    assert 0.05 < stored < 0.3
    t = stability.parameters()["calibration_target"]
    assert stability.critical_loading(t["core"], t["x"], t["diameter_A"], t["T_K"], t["dataset"]) == pytest.approx(
        t["loading"], rel=1e-3)


def test_ensemble_members_are_each_calibrated_on_o1():
    for model in stability.ensemble():
        assert 2.0 < model.boundary_x < 3.0
        assert model.interface_gain_J_per_m2 == pytest.approx(stability.calibrate_interface_gain(model.boundary_x),
                                                             rel=1e-3)
        assert stability.critical_loading("PbS", 1.0, D_PAPER, model=model) == pytest.approx(0.13, rel=2e-3)


# --- the paper's observations ---------------------------------------------------------------------------

def test_o1_thirteen_percent_anchors_csbri2_while_the_pristine_film_is_not_stable():
    assert stability.driving_force(1.0) > 0  # δ is the stable bulk phase at 298 K
    assert stability.stability_index("PbS", 1.0, D_PAPER, 0.0) == 0.0
    assert stability.anchored_fraction("PbS", 1.0, D_PAPER, 0.13) >= stability.ANCHORED_THRESHOLD - 1e-9


def test_o4_larger_mismatch_needs_more_dots():
    # same matrix, two cores: |ε(PbSe)| ≈ 2 % > |ε(PbS)| ≈ 1 % in CsPbBrI2
    assert abs(strain.mismatch("PbSe", 1.0)) > abs(strain.mismatch("PbS", 1.0))
    assert stability.critical_loading("PbSe", 1.0, D_PAPER) > stability.critical_loading("PbS", 1.0, D_PAPER)
    # along the PbS series at both temperatures
    for T in (298.15, 473.15):
        crit = stability.critical_loading("PbS", np.array([0.0, 0.5, 1.0]), D_PAPER, T)
        assert np.all(np.diff(crit) < 0)


def test_o4_stability_against_loading_is_v_shaped_for_a_mismatched_matrix():
    s = stability.stability_index("PbS", 0.0, D_PAPER, LOADINGS)  # CsPbI3 on PbS, ε = +2 %
    i_min = int(np.argmin(s))
    assert s[i_min] < 0.0  # first worse than the pristine film (dislocated dots) ...
    assert 0 < i_min < len(s) - 1 and s[-1] > 0.5  # ... then better (coherent dots anchor)
    assert np.all(np.diff(s[i_min:]) >= -1e-12)


def test_o3_the_matched_matrix_improves_monotonically_with_loading():
    assert abs(strain.mismatch("PbS", 2.0)) < 0.002
    for T in (298.15, 473.15):
        s = stability.stability_index("PbS", 2.0, D_PAPER, LOADINGS, T)
        assert np.all(np.diff(s) >= -1e-12) and np.min(s) >= 0.0
    assert stability.stability_index("PbS", 2.0, D_PAPER, 0.0) == 0.0  # pristine CsPbBr2I still metastable
    assert stability.stability_index("PbS", 2.0, D_PAPER, 0.13) == pytest.approx(1.0, abs=1e-6)


def test_o5_bromide_above_a_third_with_dots_is_stable_at_room_temperature():
    x = np.linspace(1.05, 3.0, 40)
    for model in stability.ensemble():
        assert np.all(stability.anchored_fraction("PbS", x, D_PAPER, 0.13, model=model) >= 0.97)


def test_o9_pristine_low_bromide_films_are_delta_at_room_temperature_and_br_helps():
    x = np.linspace(0.0, 2.0, 21)
    assert np.all(stability.driving_force(x) > 0)
    assert np.all(np.diff(stability.transition_temperature(x)) < 0)  # Br lowers T_t: raises α stability
    assert stability.driving_force(3.0) < 0  # CsPbBr3: α-type perovskite stable, no δ


@pytest.mark.xfail(strict=True, reason="O2 (no degradation at 200 °C above ≈ 6 vol%) is halide segregation, which "
                                       "this α→δ model does not cover; its 473 K α→δ critical loading is 2.5 vol%")
def test_o2_critical_loading_at_473_K_in_the_papers_window():
    assert 0.04 <= stability.critical_loading("PbS", 1.0, D_PAPER, 473.15) <= 0.15


# --- invariants -------------------------------------------------------------------------------------------

def test_fractions_are_bounded_broadcast_and_monotonic_in_loading():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 3, 200)
    d = rng.uniform(20, 60, 200)
    T = rng.uniform(250, 500, 200)
    for core in ("PbS", "PbSe", "PbS0.5Se0.5"):
        prev = None
        for phi in (0.0, 0.01, 0.05, 0.2, 0.5):
            c = stability.components(core, x, d, phi, T)
            assert np.all((c["anchored"] >= 0) & (c["anchored"] <= 1))
            assert np.all((c["destabilized"] >= 0) & (c["destabilized"] <= 1))
            assert np.allclose(c["stability_index"], np.where(c["alpha_stable"], 1.0, c["anchored"] - c["destabilized"]))
            if prev is not None:
                assert np.all(c["anchored"] >= prev - 1e-12)
            prev = c["anchored"]
    grid = stability.anchored_fraction("PbS", np.array([0.5, 1.0])[:, None], D_PAPER, np.array([0.05, 0.1, 0.2]))
    assert grid.shape == (2, 3)


def test_critical_loading_is_where_the_anchored_fraction_reaches_the_threshold():
    x = np.array([0.0, 0.5, 1.0, 1.5])
    crit = stability.critical_loading("PbS", x, D_PAPER)
    frac = stability.anchored_fraction("PbS", x, D_PAPER, crit)
    assert np.allclose(frac, stability.ANCHORED_THRESHOLD, atol=1e-6)
    assert np.all(stability.anchored_fraction("PbS", x, D_PAPER, crit * 0.98) < stability.ANCHORED_THRESHOLD)
    assert stability.critical_loading("PbS", 2.8, D_PAPER) == 0.0  # α stable without dots


def test_anchoring_length_follows_the_gorbenko_balance():
    model = stability.default_model()
    x, T = 1.0, 298.15
    eps = strain.mismatch("PbS", x, T)
    w_GPa = stability.driving_force(x, T) + stability.biaxial_modulus(x) * eps**2
    h = stability.anchoring_length("PbS", x, T)
    assert h == pytest.approx(model.interface_gain_J_per_m2 / (w_GPa * 1e9) * 1e10, rel=1e-12)  # Å


@pytest.mark.parametrize("call,needle", [
    (lambda: stability.anchored_fraction("PbS", 1.0, 35.0, 0.7), "loading"),
    (lambda: stability.anchored_fraction("PbS", 1.0, -3.0, 0.1), "diameter"),
    (lambda: stability.anchored_fraction("PbS", 3.5, 35.0, 0.1), "x must lie in [0, 3]"),
    (lambda: stability.anchored_fraction("GaAs", 1.0, 35.0, 0.1), "unknown core"),
    (lambda: stability.critical_loading("PbS", 1.0, 35.0, T=float("nan")), "finite"),
    (lambda: stability.critical_loading("PbS", 1.0, 35.0, threshold=1.5), "threshold"),
])
def test_bad_input_is_one_line_error(call, needle):
    with pytest.raises(LatticeAnchorError) as err:
        call()
    assert needle in str(err.value) and "\n" not in str(err.value)
