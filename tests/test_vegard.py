"""Vegard law with bowing: end members, fits, inversion, thermal expansion."""

import numpy as np
import pytest

from latticeanchor import data, vegard
from latticeanchor.errors import LatticeAnchorError


@pytest.mark.parametrize("dataset", data.dataset_names())
def test_end_members_reproduce_the_data_file(dataset):
    a_i = data.entry("CsPbI3_alpha", "lattice_constant", dataset)
    a_br = data.entry("CsPbBr3_alpha", "lattice_constant", dataset)
    assert vegard.lattice_constant(0.0, T=a_i["T"], dataset=dataset) == pytest.approx(a_i["value"], rel=1e-12)
    assert vegard.lattice_constant(3.0, T=a_br["T"], dataset=dataset) == pytest.approx(a_br["value"], rel=1e-12)


def test_liu2019_law_passes_through_the_papers_xrd_points():
    # CsPbBrI2 (x = 1): +1 % against PbS 5.94 Å; CsPbBr2I (x = 2): matched
    assert vegard.lattice_constant(1.0, dataset="liu2019") == pytest.approx(1.01 * 5.94, abs=1e-3)
    assert vegard.lattice_constant(2.0, dataset="liu2019") == pytest.approx(5.94, abs=1e-3)


def test_fig1b_range_does_not_fit_the_xrd_points():
    # the paper's 5.85-6.21 Å range, read as one linear law, misses CsPbBrI2 by far more than 0.3 %
    a1 = vegard.lattice_constant(1.0, dataset="liu2019_fig1b")
    assert (a1 - 5.94) / 5.94 > 0.02


def test_vectorized_over_x_and_T_with_broadcasting():
    x = np.linspace(0, 3, 7)
    T = np.array([[298.15], [473.0]])
    a = vegard.lattice_constant(x, T)
    assert a.shape == (2, 7)
    assert np.all(np.diff(a, axis=1) < 0)  # Br is smaller than I
    assert np.all(a[1] > a[0])  # expansion on heating


def test_fit_recovers_synthetic_end_members_and_bowing_exactly():
    x = np.array([0, 0.5, 1.2, 2.0, 2.7, 3.0])
    y = x / 3
    a = 6.2 * (1 - y) + 5.8 * y - 0.05 * y * (1 - y)
    f = vegard.fit(x, a)
    assert (f.a_I, f.a_Br, f.bowing) == pytest.approx((6.2, 5.8, 0.05), abs=1e-10)
    assert f.rmse < 1e-12
    g = vegard.fit(x, a, bowing=False)
    assert g.bowing == 0.0 and g.rmse > 0


def test_band_gap_bowing_in_the_data_is_the_fit_of_its_points():
    pts = data.entry(data.ALLOY, "band_gap_points")
    f = vegard.fit(pts["x"], pts["value"])
    assert f.bowing == pytest.approx(data.value(data.ALLOY, "band_gap_bowing"), abs=0.005)
    assert vegard.band_gap(0) == pytest.approx(1.73) and vegard.band_gap(3) == pytest.approx(2.30)
    assert 1.73 < vegard.band_gap(1.5) < 2.30


def test_inverse_round_trips():
    x = np.linspace(0, 3, 13)
    for ds in data.dataset_names():
        a = vegard.lattice_constant(x, dataset=ds)
        assert np.allclose(vegard.x_from_lattice_constant(a, dataset=ds), x, atol=1e-9)
    with pytest.raises(LatticeAnchorError, match="outside"):
        vegard.x_from_lattice_constant(6.5)


@pytest.mark.parametrize("bad", [-0.1, 3.2, float("nan"), "two"])
def test_bad_x_is_a_clear_error(bad):
    with pytest.raises(LatticeAnchorError, match="x"):
        vegard.lattice_constant(bad)


def test_fit_needs_enough_points():
    with pytest.raises(LatticeAnchorError, match="at least 3 distinct"):
        vegard.fit([0, 3], [6.2, 5.8])
