"""Mismatch, zero crossings, Matthews-Blakeslee, critical spacing/loading, Eshelby energy."""

import numpy as np
import pytest
from pymatgen.core import Lattice
from scipy import optimize

from latticeanchor import data, geometry, strain
from latticeanchor.errors import LatticeAnchorError


# --- the paper (Liu et al., Nature 570, 96 (2019)) ---------------------------------------------

def test_liu2019_mismatch_points():
    assert abs(strain.mismatch("PbS", 1.0, dataset="liu2019")) == pytest.approx(0.01, abs=0.003)
    assert abs(strain.mismatch("PbS", 2.0, dataset="liu2019")) < 0.003


@pytest.mark.parametrize("dataset", ["liu2019", "rt_films"])
def test_zero_mismatch_for_pbs_near_two_thirds_bromide(dataset):
    x0 = strain.zero_mismatch_x("PbS", dataset=dataset)
    assert 1.8 <= x0 <= 2.16  # 60-72 % Br
    assert abs(strain.mismatch("PbS", x0, dataset=dataset)) < 1e-10


@pytest.mark.parametrize("dataset", data.dataset_names())
def test_pbse_crossing_lies_at_lower_bromide_than_pbs(dataset):
    x_pbs = strain.zero_mismatch_x("PbS", dataset=dataset)
    try:
        x_pbse = strain.zero_mismatch_x("PbSe", dataset=dataset)
    except LatticeAnchorError:
        # no crossing: PbSe is larger than the whole alloy range
        assert strain.mismatch("PbSe", 0.0, dataset=dataset) < 0
        return
    assert x_pbse < x_pbs


def test_hrtem_fringes_of_pbs():
    # d(111) = 3.4 ± 0.1 Å and d(200) = 3.0 ± 0.1 Å measured; pymatgen's lattice gives the d-spacings
    lattice = Lattice.cubic(strain.core_lattice_constant("PbS", dataset="liu2019"))
    assert lattice.d_hkl((1, 1, 1)) == pytest.approx(3.43, abs=0.005)
    assert lattice.d_hkl((2, 0, 0)) == pytest.approx(2.97, abs=0.005)


def test_no_crossing_is_a_clear_error():
    with pytest.raises(LatticeAnchorError, match="no zero-mismatch composition for PbTe"):
        strain.zero_mismatch_x("PbTe")


# --- cores -----------------------------------------------------------------------------------

def test_alloy_core_follows_vegard_between_end_members():
    a = strain.core_lattice_constant("PbS0.25Se0.75")
    expected = 0.25 * strain.core_lattice_constant("PbS") + 0.75 * strain.core_lattice_constant("PbSe")
    assert a == pytest.approx(expected, rel=1e-12)
    assert strain.parse_core("PbSe") == (("PbSe", 1.0),)


@pytest.mark.parametrize("bad", ["PbS0.5Se0.6", "PbS0.5S0.5", "PbSSe", "Pb", "pbs", "", 3])
def test_bad_core_names(bad):
    with pytest.raises(LatticeAnchorError):
        strain.parse_core(bad)


def test_a_compound_the_dataset_lacks_is_refused_where_it_is_resolved():
    # any binary formula parses (a user's rock-salt compound); the dataset decides whether it exists
    assert strain.parse_core("GaAs") == (("GaAs", 1.0),)
    with pytest.raises(LatticeAnchorError, match="unknown core compound 'GaAs'.*known: PbS, PbSe, PbTe"):
        strain.mismatch("GaAs", 1.0)


# --- thermal mismatch --------------------------------------------------------------------------

@pytest.mark.parametrize("core", ["PbS", "PbSe"])
def test_thermal_mismatch_moves_in_the_sign_of_the_expansion_difference(core):
    x = np.linspace(0, 3, 7)
    d_eps = strain.mismatch(core, x, 473.0) - strain.mismatch(core, x, 298.15)
    # the matrix's linear coefficient at x: Vegard-weighted end members, (1/a) da/dT
    y = x / 3
    a_i, a_br = (data.lattice_constant_at(m, 298.15) for m in ("CsPbI3_alpha", "CsPbBr3_alpha"))
    al_i, al_br = (data.value(m, "thermal_expansion") for m in ("CsPbI3_alpha", "CsPbBr3_alpha"))
    a_i0, a_br0 = (data.entry(m, "lattice_constant")["value"] for m in ("CsPbI3_alpha", "CsPbBr3_alpha"))
    alpha_m = ((1 - y) * a_i0 * al_i + y * a_br0 * al_br) / ((1 - y) * a_i + y * a_br)
    alpha_c = data.value(core, "thermal_expansion")
    assert np.all(np.sign(d_eps) == np.sign(alpha_m - alpha_c))
    # first order: Δε ≈ (1 + ε)(α_m − α_c) ΔT
    eps = strain.mismatch(core, x, 298.15)
    assert d_eps == pytest.approx((1 + eps) * (alpha_m - alpha_c) * (473.0 - 298.15), rel=0.01)
    # rt_films: both cores cross zero inside [0, 3] at both temperatures
    assert strain.zero_mismatch_x(core, 473.0, "rt_films") > strain.zero_mismatch_x(core, 298.15, "rt_films")


def test_mismatch_vectorizes_over_x_and_T():
    eps = strain.mismatch("PbS", np.linspace(0, 3, 5)[None, :], np.array([[298.15], [473.0]]))
    assert eps.shape == (2, 5)


# --- elastic moduli ----------------------------------------------------------------------------

def test_matrix_moduli_match_pymatgens_vrh():
    from pymatgen.analysis.elasticity import ElasticTensor

    for material in ("CsPbI3_alpha", "CsPbBr3_alpha", "PbS", "PbSe"):
        c11, c12, c44 = data.elastic_constants(material)
        voigt = np.zeros((6, 6))
        voigt[:3, :3] = c12
        np.fill_diagonal(voigt[:3, :3], c11)
        voigt[3, 3] = voigt[4, 4] = voigt[5, 5] = c44
        tensor = ElasticTensor.from_voigt(voigt)
        got = strain._vrh(c11, c12, c44)
        assert got == pytest.approx((tensor.k_vrh, tensor.g_vrh, tensor.homogeneous_poisson), rel=1e-9)
    k, g, nu = strain.matrix_moduli(0.0)
    ks, gs, nus = strain.matrix_moduli(np.array([0.0, 1.5, 3.0]))
    assert ks[0] == pytest.approx(k) and gs.shape == (3,)


# --- Matthews-Blakeslee ------------------------------------------------------------------------

def test_critical_thickness_solves_the_implicit_equation():
    b, nu = 6.0, 0.3
    for eps in (0.002, 0.005, 0.01, 0.02):
        A = b / (8 * np.pi * eps * (1 + nu))
        root = optimize.brentq(lambda h: h - A * (np.log(h / b) + 1), A, 1e7)
        assert strain.critical_thickness(eps, burgers=b, poisson=nu) == pytest.approx(root, rel=1e-9)


def test_critical_thickness_falls_with_misfit_and_diverges_at_zero():
    eps = np.array([1e-5, 1e-4, 1e-3, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08])
    h = strain.critical_thickness(eps, matrix_x=2.0)
    assert np.all(np.diff(h) < 0)
    assert h[0] > 1e5 and strain.critical_thickness(1e-9, matrix_x=2.0) > 1e9
    assert strain.critical_thickness(0.0) == np.inf
    assert strain.critical_thickness(-0.01) == strain.critical_thickness(0.01)


def test_beyond_the_tangency_misfit_h_c_drops_below_one_burgers_vector_continuously():
    b, nu = 6.0, 0.3
    eps_star = 1 / (8 * np.pi * (1 + nu))
    below, above = strain.critical_thickness([eps_star * 0.999, eps_star * 1.001], burgers=b, poisson=nu)
    assert below == pytest.approx(b, rel=0.05) and above < b and above == pytest.approx(b, rel=0.05)


def test_critical_spacing_and_loading_behave_and_agree():
    x = np.array([2.0, 1.8, 1.5, 1.2, 1.0, 0.5])  # |ε| grows for PbS (rt_films: no exact zero on this grid)
    eps = np.abs(strain.mismatch("PbS", x, dataset="rt_films"))
    assert np.all(np.diff(eps) > 0)
    d = 30.0
    spacing = strain.critical_spacing("PbS", x, d, dataset="rt_films")
    loading = strain.critical_loading("PbS", x, d, dataset="rt_films")
    assert np.all(np.diff(spacing) < 0)
    assert np.all(np.diff(loading) > 0)
    assert loading == pytest.approx(geometry.volume_fraction(spacing, d), rel=1e-9)
    # at the critical loading the random-packing spacing is the critical spacing
    assert geometry.dot_spacing(loading, d) == pytest.approx(spacing, rel=1e-6)
    # surface-to-surface matrix thickness is two critical thicknesses
    assert spacing - d == pytest.approx(
        2 * strain.critical_thickness(strain.mismatch("PbS", x, dataset="rt_films"), x, dataset="rt_films"), rel=1e-12)


def test_zero_mismatch_gives_infinite_spacing_and_zero_loading():
    x0 = strain.zero_mismatch_x("PbS", dataset="liu2019")
    assert strain.critical_spacing("PbS", x0, 30.0, dataset="liu2019") > 1e6
    assert strain.critical_loading("PbS", x0, 30.0, dataset="liu2019") < 1e-9


# --- Eshelby ---------------------------------------------------------------------------------

def test_eshelby_energy_density_at_four_percent():
    # physics notes: W ≈ 0.36 eV nm⁻³ of dot at 4 % misfit for PbS in a perovskite (μ ≈ 7 GPa)
    x = 0.0  # CsPbI3 on PbS: ε ≈ 4.1 % with the rt_films data
    res = strain.eshelby_energy("PbS", x, 40.0, dataset="rt_films")
    eps = strain.mismatch("PbS", x, dataset="rt_films")
    assert eps == pytest.approx(0.04, abs=0.002)
    k_i, mu = res["K_core_GPa"], res["G_matrix_GPa"]
    w = 18 * k_i * mu * eps**2 / (3 * k_i + 4 * mu)  # GPa
    assert res["energy_density_eV_per_nm3"] == pytest.approx(w * 1e-21 / 1.602176634e-19 * 1e27 / 1e27 * 1000, rel=1e-9)
    assert 0.3 < res["energy_density_eV_per_nm3"] < 0.45
    assert res["energy_eV"] == pytest.approx(res["energy_density_eV_per_nm3"] * np.pi * 4.0**3 / 6, rel=1e-9)
    assert k_i == pytest.approx(sum(data.elastic_constants("PbS")[:1]) / 3 + 2 * data.elastic_constants("PbS")[1] / 3)
