"""Peak shapes (unit area, FWHM), Scherrer and Caglioti widths, TCH pseudo-Voigt, axis conversions."""

from __future__ import annotations

import numpy as np
import pytest

from latticeanchor.diffraction import profiles as P
from latticeanchor.errors import LatticeAnchorError


@pytest.mark.parametrize("fn", [P.gaussian, P.lorentzian, lambda x, c, w: P.pseudo_voigt(x, c, w, 0.3)])
def test_shapes_have_unit_area_and_stated_fwhm(fn):
    x = np.linspace(-400, 400, 800001)
    y = fn(x, 0.0, 0.2)
    area = np.trapezoid(y, x)
    assert area == pytest.approx(1.0, abs=2e-3 if fn is not P.gaussian else 1e-9)
    half = x[y >= y.max() / 2]
    assert half.max() - half.min() == pytest.approx(0.2, abs=2e-3)


def test_scherrer_round_trip_and_value():
    # K λ / (L cos θ): λ = 1.540562 Å (CuKa1), L = 100 Å, 2θ = 30° → 0.01435 rad = 0.822°
    w = P.scherrer_fwhm(30.0, 100.0, "CuKa1")
    assert w == pytest.approx(np.degrees(0.9 * 1.540562 / (100 * np.cos(np.radians(15)))), rel=1e-12)
    assert P.scherrer_size(30.0, w, "CuKa1") == pytest.approx(100.0)
    with pytest.raises(LatticeAnchorError):
        P.scherrer_fwhm(30.0, -5.0, "CuKa1")


def test_caglioti_and_tch_limits():
    assert P.caglioti_fwhm(60.0, U=0.0, V=0.0, W=0.04) == pytest.approx(0.2)
    f, eta = P.tch_pseudo_voigt(0.1, 0.0)
    assert f == pytest.approx(0.1) and eta == pytest.approx(0.0)
    f, eta = P.tch_pseudo_voigt(0.0, 0.1)
    assert f == pytest.approx(0.1) and eta == pytest.approx(1.0, abs=1e-3)


def test_d_q_two_theta_consistency():
    d = 3.062  # PbSe (200), Å
    tt = P.d_to_two_theta(d, 1.54184)
    assert tt == pytest.approx(2 * np.degrees(np.arcsin(1.54184 / (2 * d))))
    assert P.two_theta_to_d(tt, 1.54184) == pytest.approx(d)
    assert P.q_to_d(P.d_to_q(d)) == pytest.approx(d)
    assert P.two_theta_to_q(tt, 1.54184) == pytest.approx(2 * np.pi / d)
