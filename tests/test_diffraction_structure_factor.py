"""Structure factors by occupancy-grid FFT and by NUFFT against the exact sum and against pymatgen's
XRDCalculator; grid detection, method choice, the finufft fallback and the memory budget."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.analysis.diffraction.xrd import XRDCalculator
from pymatgen.core import Lattice, Structure

from latticeanchor.diffraction import bragg_pattern
from latticeanchor.diffraction import structure_factor as sf
from latticeanchor.diffraction.bragg import reflection_list
from latticeanchor.diffraction.thermal import debye_waller_for
from latticeanchor.errors import LatticeAnchorError

LAM = 1.54184  # Å


def _alpha_supercell(n=3, a=6.0, seed=1, sigma=0.0):
    st = Structure(Lattice.cubic(a), ["Cs", "Pb", "I", "I", "I"],
                   [[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]])
    st.make_supercell([n, n, n])
    rng = np.random.default_rng(seed)
    hal = [i for i, s in enumerate(st) if s.specie.symbol == "I"]
    for i in rng.choice(hal, size=len(hal) // 3, replace=False):
        st.replace(int(i), "Br")
    if sigma:
        st = Structure(st.lattice, st.species, st.cart_coords + rng.normal(0, sigma, (len(st), 3)),
                       coords_are_cartesian=True)
    return st


def _delta():
    return Structure.from_spacegroup(
        "Pnma", Lattice.orthorhombic(10.458, 4.801, 17.776), ["Cs", "Pb", "I", "I", "I"],
        [[0.08128, 0.75, 0.32788], [0.16185, 0.25, 0.06078], [0.02927, 0.25, 0.88769],
         [0.16279, 0.25, 0.49796], [0.20368, 0.75, 0.71269]])


def _sorted(hkl, g, f2):
    code = (hkl[:, 0].astype(np.int64) * 4096 + hkl[:, 1]) * 4096 + hkl[:, 2]
    o = np.argsort(code)
    return hkl[o], g[o], f2[o]


def _same_reflections(st, method, two_theta=(0, 90), **kw):
    """(max |Δ|F|²| / max |F|², max relative error on reflections above 1e-3 of the strongest) of
    ``method`` against the exact sum, after checking both enumerate the same (h, k, l) with the same g."""
    he, ge, fe = _sorted(*reflection_list(st, LAM, two_theta, method="exact", **kw))
    hm, gm, fm = _sorted(*reflection_list(st, LAM, two_theta, method=method, **kw))
    assert np.array_equal(he, hm)
    assert np.array_equal(ge, gm)
    strong = fe > 1e-3 * fe.max()
    return float(np.max(np.abs(fm - fe)) / fe.max()), float(np.max(np.abs(fm[strong] / fe[strong] - 1)))


@pytest.mark.parametrize("st", [
    _alpha_supercell(3),
    Structure.from_spacegroup("Fm-3m", Lattice.cubic(6.124), ["Pb", "Se"], [[0, 0, 0], [.5, .5, .5]]),
    Structure(Lattice.cubic(6.0), ["Cs", "Pb", {"Br": .5, "I": .5}, {"Br": .5, "I": .5}, {"Br": .5, "I": .5}],
              [[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]]),
    Structure(Lattice.tetragonal(6.0, 12.6), ["Pb", "S", "Pb", "S"], [[0, 0, 0], [.5, .5, .25], [0, .5, .5], [.5, 0, .75]]),
], ids=["alpha-3x3x3-halide-disorder", "rocksalt", "mixed-occupancy", "tetragonal"])
def test_fft_equals_exact_sum_on_grid_cells(st):
    worst, strong = _same_reflections(st, "fft")
    assert worst < 1e-13 and strong < 1e-12


def test_nufft_within_stated_tolerance_of_exact_sum():
    pytest.importorskip("finufft")
    for st, tt in ((_alpha_supercell(3, sigma=0.1), (0, 90)), (_delta(), (5, 60))):
        worst, strong = _same_reflections(st, "nufft", tt)
        assert worst <= 1e-9 and strong <= 1e-9  # the stated tolerance on |F|²


def test_commensurate_grid_found_exactly_and_refused_off_grid():
    st = _alpha_supercell(3)
    M, n = sf.commensurate_grid(st.frac_coords, st.lattice.matrix)
    assert tuple(M) == (6, 6, 6)  # the half-cell grid of a 3×3×3 supercell
    assert np.allclose(np.mod(st.frac_coords - st.frac_coords[0], 1.0), n / M, atol=1e-12)
    moved = st.copy()
    moved.translate_sites([4], [1e-4 / (3 * 6.0), 0, 0])  # one atom 1e-4 Å off its grid point
    assert sf.commensurate_grid(moved.frac_coords, moved.lattice.matrix) is None
    with pytest.raises(LatticeAnchorError, match="grid"):
        reflection_list(moved, LAM, (10, 60), method="fft")


@pytest.mark.parametrize("method", ["fft", "nufft"])
def test_fast_paths_give_pymatgen_peaks(method):
    if method == "nufft":
        pytest.importorskip("finufft")
    st = _alpha_supercell(3, sigma=0.0 if method == "fft" else 0.08)
    for B in ({}, debye_waller_for(["Cs", "Pb", "Br", "I"])):
        ref = XRDCalculator(LAM, debye_waller_factors=B).get_pattern(st, two_theta_range=(5, 70))
        ours = bragg_pattern(st, LAM, (5, 70), debye_waller_factors=B, method=method)
        assert len(ours.x) == len(ref.x)
        assert np.allclose(ours.x, ref.x, rtol=0, atol=1e-9)
        assert np.allclose(ours.y, ref.y, rtol=1e-6, atol=1e-7)
        assert np.allclose(ours.d_hkls, ref.d_hkls, rtol=1e-12)


def test_ase_atoms_read_as_arrays_give_the_same_reflections():
    from pymatgen.io.ase import AseAtomsAdaptor

    st = _alpha_supercell(2)
    a = _sorted(*reflection_list(st, LAM, (10, 80), method="fft"))
    b = _sorted(*reflection_list(AseAtomsAdaptor.get_atoms(st), LAM, (10, 80), method="fft"))
    assert np.array_equal(a[0], b[0])
    assert np.allclose(a[2], b[2], rtol=1e-10)


def test_auto_without_finufft_falls_back_to_the_exact_sum(monkeypatch):
    st = _alpha_supercell(4, sigma=0.05)
    want = _sorted(*reflection_list(st, LAM, (10, 50), method="exact"))
    monkeypatch.setattr(sf, "have_finufft", lambda: False)
    assert sf.choose_method("auto", {"Pb": (st.frac_coords, np.ones(len(st)), 82)}, st.lattice.matrix,
                            sf.GRID_TOLERANCE_A, 1e9)[0] == "exact"
    got = _sorted(*reflection_list(st, LAM, (10, 50), method="auto"))
    assert np.array_equal(want[2], got[2])
    with pytest.raises(LatticeAnchorError, match="finufft"):
        reflection_list(st, LAM, (10, 50), method="nufft")


def test_method_and_memory_budget_refusals_before_allocating():
    st = _alpha_supercell(2)
    with pytest.raises(LatticeAnchorError, match="method"):
        reflection_list(st, LAM, (10, 50), method="fast")
    # the estimate (stored reflections × bytes + grids) is compared with the budget before any array is built
    n_half = 4 / 3 * np.pi * (2 * np.sin(np.radians(25)) / LAM) ** 3 * st.lattice.volume / 2
    need = sf.estimate_memory_bytes("fft", n_half, 4, grid=(4, 4, 4))
    with pytest.raises(LatticeAnchorError, match="GB"):
        reflection_list(st, LAM, (10, 50), method="fft", max_memory_bytes=0.5 * need)
    reflection_list(st, LAM, (10, 50), method="fft", max_memory_bytes=1.01 * need)
    big = Structure(Lattice.cubic(2000.0), ["Pb"], [[0, 0, 0]])  # 6·10⁹ reflections: refused at once
    with pytest.raises(LatticeAnchorError, match="GB"):
        reflection_list(big, LAM, (5, 90), method="fft", max_reflections=1e12)


def test_weak_peak_prefilter_leaves_the_peaks_unchanged(monkeypatch):
    # the dense-bin pre-selection of strong peaks (used above DENSE_MERGE_MIN reflections) must give exactly
    # the sorted merge's peaks: forced on for an ordered 4×4×4 supercell, whose superstructure points (F = 0)
    # make peaks that are cut, plus a weakly displaced one (diffuse points at the threshold)
    from latticeanchor.diffraction import bragg

    st = Structure(Lattice.cubic(6.0), ["Cs", "Pb", "I", "I", "I"],
                   [[.5, .5, .5], [0, 0, 0], [.5, 0, 0], [0, .5, 0], [0, 0, .5]])
    st.make_supercell([4, 4, 4])
    for st in (st, _alpha_supercell(4, sigma=0.01)):
        _check_prefilter(monkeypatch, bragg, st)


def _check_prefilter(monkeypatch, bragg, st):
    hkl, g, f2 = reflection_list(st, LAM, (0, 90), method="exact")
    monkeypatch.setattr(bragg, "DENSE_MERGE_MIN", 10**12)
    ref = bragg._peaks_from_reflections(hkl, g, f2, LAM, False)
    monkeypatch.setattr(bragg, "DENSE_MERGE_MIN", 0)
    sub = bragg._strong_peak_reflections(hkl, g, f2, LAM)
    assert 0 < len(sub[1]) < len(g)  # something was cut before the sort
    got = bragg._peaks_from_reflections(hkl, g, f2, LAM, False)
    assert np.array_equal(got[0], ref[0]) and np.array_equal(got[1], ref[1]) and np.array_equal(got[3], ref[3])
    assert all(np.array_equal(a, b) for a, b in zip(got[2], ref[2]))  # the family tables
