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
