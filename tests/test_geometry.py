"""Dot spacing from volume fraction: closed forms, hard-sphere statistics, inverses, limits."""

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.special import gamma

from latticeanchor import geometry
from latticeanchor.errors import LatticeAnchorError


@pytest.mark.parametrize("arrangement,basis", [
    ("sc", np.array([[0, 0, 0]])),
    ("fcc", np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])),
])
def test_lattice_spacing_matches_a_brute_force_lattice(arrangement, basis):
    d, phi = 30.0, 0.2
    L = geometry.dot_spacing(phi, d, arrangement)
    # build the lattice whose nearest-neighbour distance is L and measure its volume fraction
    a = L if arrangement == "sc" else L * np.sqrt(2)
    grid = np.array(np.meshgrid(*[np.arange(3)] * 3, indexing="ij")).reshape(3, -1).T
    pts = ((grid[:, None, :] + basis[None]) * a).reshape(-1, 3)
    nn = cKDTree(pts, boxsize=3 * a).query(pts, k=2)[0][:, 1]
    assert nn == pytest.approx(L, rel=1e-9)
    assert len(basis) * np.pi * d**3 / 6 / a**3 == pytest.approx(phi, rel=1e-9)


def test_random_spacing_has_the_poisson_limit_when_dilute():
    d, phi = 20.0, 1e-7
    n = 6 * phi / (np.pi * d**3)
    poisson = gamma(4 / 3) * (4 * np.pi * n / 3) ** (-1 / 3)  # 0.554 n^(-1/3)
    assert geometry.dot_spacing(phi, d) == pytest.approx(poisson, rel=2e-3)


def test_hard_sphere_excess_quadrature_equals_adaptive_quad():
    """The fixed Gauss–Legendre rule of the random-spacing table against scipy's adaptive quad of Torquato's
    E_P (written out independently here) at the table's 400 volume fractions, 1e-9 to 0.64."""
    from scipy import integrate

    phis = np.exp(np.linspace(np.log(1e-9), np.log(0.6400001), 400))

    def by_quad(phi):
        c = (1 - phi) ** 3
        a0 = (1 + phi + phi**2 - phi**3) / c  # Carnahan–Starling
        a1 = phi * (3 * phi**2 - 4 * phi - 3) / (2 * c)
        a2 = phi**2 * (2 - phi) / (2 * c)
        scale = max(1.0, (8 * phi) ** (-1 / 3))

        def e_p(t):
            x = 1 + t * scale
            return scale * np.exp(-phi * (8 * a0 * (x**3 - 1) + 12 * a1 * (x**2 - 1) + 24 * a2 * (x - 1)))

        return integrate.quad(e_p, 0, np.inf, limit=200, epsabs=0, epsrel=1e-12)[0]

    want = np.array([by_quad(p) for p in phis])
    assert np.max(np.abs(geometry._torquato_excess(phis) / want - 1)) < 1e-13


def test_random_spacing_exceeds_contact_and_falls_with_loading():
    phi = np.linspace(0.01, 0.63, 40)
    L = geometry.dot_spacing(phi, 30.0)
    assert np.all(L > 30.0) and np.all(np.diff(L) < 0)
    # hard spheres: the nearest neighbour is closer than the lattice average spacing n^(-1/3)
    assert np.all(L < geometry.dot_spacing(phi[phi < 0.52], 30.0, "sc").max() + 1e9)
    assert np.all(L[phi < 0.5] < geometry.dot_spacing(phi[phi < 0.5], 30.0, "sc"))


@pytest.mark.parametrize("arrangement", ["random", "sc", "fcc"])
def test_spacing_volume_fraction_round_trip(arrangement):
    phi = np.array([1e-5, 1e-3, 0.01, 0.05, 0.13, 0.3, 0.5])
    phi = phi[phi < geometry.PACKING_LIMIT[arrangement]]
    L = geometry.dot_spacing(phi, 35.0, arrangement)
    assert geometry.volume_fraction(L, 35.0, arrangement) == pytest.approx(phi, rel=1e-6)
    assert geometry.surface_spacing(phi, 35.0, arrangement) == pytest.approx(L - 35.0)


def test_limits_and_bad_input():
    assert geometry.dot_spacing(0.0, 30.0) == np.inf
    assert geometry.volume_fraction(np.inf, 30.0) == 0.0
    assert geometry.volume_fraction(30.0, 30.0) == np.inf  # touching dots: unattainable for random packing
    with pytest.raises(LatticeAnchorError, match="packing limit 0.6400"):
        geometry.dot_spacing(0.64, 30.0)
    with pytest.raises(LatticeAnchorError, match="sc packing limit"):
        geometry.dot_spacing(0.6, 30.0, "sc")
    with pytest.raises(LatticeAnchorError, match="diameter"):
        geometry.dot_spacing(0.1, -5.0)
    with pytest.raises(LatticeAnchorError, match="volume_fraction"):
        geometry.dot_spacing(float("nan"), 30.0)
    with pytest.raises(LatticeAnchorError, match="arrangement"):
        geometry.dot_spacing(0.1, 30.0, "hcp")
