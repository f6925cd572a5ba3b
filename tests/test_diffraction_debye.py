"""Debye scattering: histogram method against an independent exact double sum (≤ 1e-4 relative L2),
limits, and convergence of a growing rock-salt cluster onto the Bragg positions."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk
from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS
from pymatgen.core.periodic_table import Element
from scipy.spatial.distance import pdist

from latticeanchor.diffraction import debye_pattern
from latticeanchor.diffraction import _kernels
from latticeanchor.diffraction import debye as debye_mod
from latticeanchor.errors import LatticeAnchorError


def _f(el, q):
    """pymatgen XRDCalculator form factor at s = q/4π (independent re-implementation)."""
    c = np.asarray(ATOMIC_SCATTERING_PARAMS[el])
    s2 = (q / (4 * np.pi)) ** 2
    return Element(el).Z - 41.78214 * s2 * np.sum(c[:, 0] * np.exp(-c[:, 1] * s2[:, None]), axis=1)


def _exact(atoms, q):
    """Textbook Debye double sum, i = j included, by brute force over element pairs."""
    sym = np.array(atoms.get_chemical_symbols())
    els = sorted(set(sym))
    total = np.zeros_like(q)
    for a in els:
        pa = atoms.positions[sym == a]
        total += len(pa) * _f(a, q) ** 2
        r = pdist(pa)
        total += 2 * _f(a, q) ** 2 * np.sinc(np.outer(q, r) / np.pi).sum(axis=1)
        for b in els:
            if b <= a:
                continue
            pb = atoms.positions[sym == b]
            d = np.linalg.norm(pa[:, None, :] - pb[None, :, :], axis=-1).ravel()
            total += 2 * _f(a, q) * _f(b, q) * np.sinc(np.outer(q, d) / np.pi).sum(axis=1)
    return total


def _rocksalt_cluster(radius, a=5.936, rng=None, sigma=0.0):
    at = bulk("PbS", "rocksalt", a=a, cubic=True)
    n = int(2 * radius / a) + 2
    at = at.repeat((n, n, n))
    at.positions -= at.positions.mean(axis=0)
    at = at[np.linalg.norm(at.positions, axis=1) < radius]
    if rng is not None:
        at.positions += rng.normal(0, sigma, at.positions.shape)
    at.pbc = False
    return at


def _perovskite_cluster(radius, seed=3):
    a = 6.0
    rng = np.random.default_rng(seed)
    base = Atoms("CsPbI3", scaled_positions=[[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]],
                 cell=[a, a, a], pbc=True)
    n = int(2 * radius / a) + 2
    at = base.repeat((n, n, n))
    at.positions -= at.positions.mean(axis=0)
    at = at[np.linalg.norm(at.positions, axis=1) < radius]
    sym = np.array(at.get_chemical_symbols())
    hal = np.flatnonzero(sym == "I")
    sym[rng.choice(hal, len(hal) // 2, replace=False)] = "Br"
    at.set_chemical_symbols(sym)
    at.positions += rng.normal(0, 0.05, at.positions.shape)
    return at


Q = np.linspace(0.3, 8.0, 400)


@pytest.mark.parametrize("use_numba", [True, False])
def test_crystalline_rocksalt_cluster_matches_exact_sum(use_numba):
    if use_numba and not _kernels.HAVE_NUMBA:
        pytest.skip("numba not installed")
    at = _rocksalt_cluster(13.0)
    ref = _exact(at, Q)
    got = debye_pattern(at, Q, method="histogram", use_numba=use_numba, debye_waller_factors={})
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) <= 1e-4


def test_displaced_three_element_cluster_matches_exact_sum():
    at = _perovskite_cluster(12.0)
    assert set(at.get_chemical_symbols()) == {"Cs", "Pb", "I", "Br"}
    ref = _exact(at, Q)
    got = debye_pattern(at, Q, debye_waller_factors={})
    assert np.linalg.norm(got - ref) / np.linalg.norm(ref) <= 1e-4
    exact = debye_pattern(at, Q, method="exact", debye_waller_factors={})
    assert np.allclose(exact, ref, rtol=1e-10)


def test_forward_scattering_is_square_of_total_form_factor():
    # I(0) = (Σ_i f_i(0))² = (Σ Z_i)² for the pymatgen form factors (f(0) = Z)
    at = _rocksalt_cluster(9.0, rng=np.random.default_rng(0), sigma=0.1)
    z = sum(Element(s).Z for s in at.get_chemical_symbols())
    got = debye_pattern(at, np.array([0.0, 1e-4]))
    assert got[0] == pytest.approx(z**2, rel=1e-9)
    assert got[1] == pytest.approx(z**2, rel=1e-4)


def test_constant_form_factors_two_atoms_closed_form():
    at = Atoms("Pb2", positions=[[0, 0, 0], [0, 0, 3.1]])
    q = np.linspace(0.1, 10, 50)
    got = debye_pattern(at, q, form_factors={"Pb": 1.0}, debye_waller_factors={})
    assert np.allclose(got, 2 + 2 * np.sin(3.1 * q) / (3.1 * q), atol=2e-5)


def test_growing_rocksalt_cluster_peaks_move_onto_bragg_positions():
    a = 5.936
    q200 = 2 * np.pi * 2 / a  # Bragg (200) of rock-salt PbS, Å⁻¹
    q = np.linspace(q200 - 0.35, q200 + 0.35, 701)
    errors = []
    widths = []
    for radius in (8.0, 14.0, 24.0):
        at = _rocksalt_cluster(radius, a=a)
        intensity = debye_pattern(at, q, debye_waller_factors={}) / len(at)
        k = int(np.argmax(intensity))
        errors.append(abs(q[k] - q200))
        half = intensity > 0.5 * intensity[k]
        widths.append(q[half].max() - q[half].min())
    assert errors[-1] < errors[0]
    assert errors[-1] < 0.004 * q200
    assert widths[0] > widths[1] > widths[2]  # Scherrer: width ∝ 1/size


@pytest.mark.parametrize("blocks, serial_max", [((3, 7), 0), ((16, 2048), 10**9), ((5, 64), 0)])
def test_compiled_tiled_histogram_matches_numpy_fallback(monkeypatch, blocks, serial_max):
    # tiles that do not divide the element blocks, several column runs per row, threaded or serial
    if not _kernels.HAVE_NUMBA:
        pytest.skip("numba not installed")
    monkeypatch.setattr(debye_mod, "BLOCK_I", blocks[0])
    monkeypatch.setattr(debye_mod, "BLOCK_J", blocks[1])
    monkeypatch.setattr(debye_mod, "SERIAL_MAX_PAIRS", serial_max)
    at = _perovskite_cluster(9.0, seed=5)
    n = len(at)
    dr = 0.01
    els, pairs, r, h_fast, counts = debye_mod.pair_histograms(at, dr, use_numba=True)
    _, _, _, h_ref, _ = debye_mod.pair_histograms(at, dr, use_numba=False)
    assert h_fast.shape == h_ref.shape
    # every pair counted once: N_a (N_a − 1)/2 like pairs, N_a N_b unlike pairs
    want = [counts[a] * (counts[a] - 1) / 2 if a == b else counts[a] * counts[b] for a, b in pairs]
    assert np.allclose(h_fast.sum(axis=0), want, rtol=0, atol=1e-6)
    assert h_fast.sum() == pytest.approx(n * (n - 1) / 2, abs=1e-6)
    # same spreading: first moments (Σ r) agree to float32 rounding, bins to a few quantization steps
    assert np.allclose(r @ h_fast, r @ h_ref, rtol=1e-6)
    assert np.abs(h_fast - h_ref).max() < 0.05


def test_crowded_bins_spill_in_one_pass(monkeypatch):
    # a perfect lattice puts many pairs in one bin; past PACKED_LANE_MAX pairs a packed bin spills into
    # exact int64 counters inside the kernel (one pass, no re-run): same histogram as without spilling
    if not _kernels.HAVE_NUMBA:
        pytest.skip("numba not installed")
    at = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((5, 5, 5))
    ref = debye_mod.pair_histograms(at, 0.01)[3]
    monkeypatch.setattr(debye_mod, "PACKED_LANE_MAX", 64)
    got = debye_mod.pair_histograms(at, 0.01)[3]
    assert np.allclose(got, ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("bad_q", [[-1.0, 2.0], [np.nan, 1.0]])
def test_bad_q_is_a_one_line_error(bad_q):
    with pytest.raises(LatticeAnchorError) as exc:
        debye_pattern(_rocksalt_cluster(6.0), bad_q)
    assert "\n" not in str(exc.value)


def test_nan_positions_rejected():
    at = Atoms("Pb2", positions=[[0, 0, 0], [0, 0, np.nan]])
    with pytest.raises(LatticeAnchorError):
        debye_pattern(at, [1.0, 2.0])


# ---- lattice (FFT pair-count) method and Debye–Waller factors -------------------------------------------

def _random_hybrid(seed, size=4, diameter=12.0, x=1.5):
    from latticeanchor.build import alpha_matrix, embed, rocksalt_core

    m = alpha_matrix(x, size=(size, size, size), seed=seed)
    return embed(rocksalt_core("PbS", diameter=diameter), m)


@pytest.mark.parametrize("seed", [0, 1])
def test_lattice_method_equals_exact_double_sum_on_random_disordered_hybrids(seed):
    # builders' unrelaxed hybrids (random halides + a coherent PbS dot) sit on the a/2 grid: FFT pair counts
    # reproduce the O(N²) double sum to rounding, Debye–Waller factors included
    at = _random_hybrid(seed)
    assert {"Cs", "Pb", "Br", "I", "S"} <= set(at.get_chemical_symbols())
    q = np.linspace(0.3, 6.0, 120)
    lat = debye_pattern(at, q, method="lattice")
    assert np.allclose(lat, debye_pattern(at, q, method="exact"), rtol=1e-9)
    assert np.allclose(debye_pattern(at, q, method="auto", debye_waller_factors={}), _exact(at, q), rtol=1e-9)


def test_lattice_pair_counts_match_pair_kernel_histogram():
    from latticeanchor.diffraction import debye_lattice

    at = _random_hybrid(3)
    dr = 0.01
    els, pairs, r, H, counts = debye_lattice.lattice_pair_counts(at)
    e2, p2, rgrid, Hk, c2 = debye_mod.pair_histograms(at, dr, use_numba=False)
    assert els == e2 and pairs == p2 and np.array_equal(counts, c2)
    spread = debye_lattice.linear_spread(r, H, dr, Hk.shape[0] - 2)
    assert np.allclose(spread, Hk, atol=1e-6 * Hk.max())
    n = len(at)
    assert H.sum() == n * (n - 1) // 2


def test_auto_falls_back_to_histogram_off_lattice_and_lattice_refuses():
    at = _rocksalt_cluster(9.0, rng=np.random.default_rng(2), sigma=0.05)
    q = np.linspace(0.5, 5, 40)
    assert np.allclose(debye_pattern(at, q), debye_pattern(at, q, method="histogram"), rtol=1e-12)
    with pytest.raises(LatticeAnchorError, match="grid"):
        debye_pattern(at, q, method="lattice")


def test_debye_waller_damps_pairs_not_self_terms():
    # two atoms: I = 2 f² + 2 f² exp(−2B s²) sinc(qr) with s = q/4π (independent closed form)
    at = Atoms("Pb2", positions=[[0, 0, 0], [0, 0, 3.1]])
    q = np.linspace(0.1, 10, 50)
    B = 1.7
    s2 = (q / (4 * np.pi)) ** 2
    want = 2 + 2 * np.exp(-2 * B * s2) * np.sin(3.1 * q) / (3.1 * q)
    for method in ("exact", "lattice", "histogram"):
        got = debye_pattern(at, q, method=method, form_factors={"Pb": 1.0}, debye_waller_factors={"Pb": B})
        assert np.allclose(got, want, atol=2e-5), method


def test_lattice_grid_budget_is_checked_before_allocating():
    # grid step 2.5 Å over 3000 Å: 1201³ points, ~2e10 padded: refused by the estimate, nothing allocated
    at = Atoms("Pb3", positions=[[0, 0, 0], [2.5, 2.5, 2.5], [3000.0, 3000.0, 3000.0]])
    with pytest.raises(LatticeAnchorError, match="budget"):
        debye_pattern(at, [1.0], method="lattice")


def test_auto_uses_pair_kernel_for_sparse_grids():
    # three atoms on a 2.5 Å grid spanning 3000 Å: the grid would be huge, "auto" takes the pair kernel
    at = Atoms("Pb3", positions=[[0, 0, 0], [2.5, 2.5, 2.5], [3000.0, 3000.0, 3000.0]])
    q = np.linspace(0.5, 3, 20)
    assert np.allclose(debye_pattern(at, q, method="auto"), debye_pattern(at, q, method="exact"), rtol=1e-4)
