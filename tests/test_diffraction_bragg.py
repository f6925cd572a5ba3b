"""Bragg powder patterns against pymatgen's XRDCalculator (positions within 0.01°, strong-peak
intensities within 1 %), wavelengths and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from pymatgen.analysis.diffraction.xrd import XRDCalculator
from pymatgen.core import Lattice, Structure

from latticeanchor.diffraction import bragg_pattern, resolve_wavelength
from latticeanchor.diffraction.thermal import debye_waller_for
from latticeanchor.errors import LatticeAnchorError


def _alpha(a=5.874, x_hal="Br"):
    return Structure(Lattice.cubic(a), ["Cs", "Pb", x_hal, x_hal, x_hal],
                     [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]])


def _delta():
    return Structure.from_spacegroup(
        "Pnma", Lattice.orthorhombic(10.458, 4.801, 17.776), ["Cs", "Pb", "I", "I", "I"],
        [[0.08128, 0.75, 0.32788], [0.16185, 0.25, 0.06078], [0.02927, 0.25, 0.88769],
         [0.16279, 0.25, 0.49796], [0.20368, 0.75, 0.71269]])


def _rocksalt(a=6.124, anion="Se"):
    return Structure.from_spacegroup("Fm-3m", Lattice.cubic(a), ["Pb", anion], [[0, 0, 0], [0.5, 0.5, 0.5]])


def _random_halide_supercell(seed=7, n=3, x=1.5, sigma=0.08):
    st = _alpha(6.08, "I")
    st.make_supercell([n, n, n])
    rng = np.random.default_rng(seed)
    hal = [i for i, s in enumerate(st) if s.specie.symbol == "I"]
    for i in rng.choice(hal, size=int(round(len(hal) * x / 3)), replace=False):
        st.replace(int(i), "Br")
    disp = rng.normal(0, sigma, (len(st), 3))
    return Structure(st.lattice, st.species, st.cart_coords + disp, coords_are_cartesian=True)


def _assert_matches_pymatgen(st, two_theta=(5, 90), wavelength="CuKa"):
    # both with the same Debye–Waller B per element: ours by default (data file), pymatgen given them explicitly
    B = debye_waller_for([e.symbol for e in st.composition.elements])
    assert B and all(b > 0 for b in B.values())
    ref = XRDCalculator(wavelength=wavelength, debye_waller_factors=B).get_pattern(st, two_theta_range=two_theta)
    ours = bragg_pattern(st, wavelength, two_theta)
    rx, ry = np.asarray(ref.x), np.asarray(ref.y)
    ox, oy = np.asarray(ours.x), np.asarray(ours.y)
    strong = ry > 1.0
    assert strong.sum() >= 5
    for x, y, d in zip(rx[strong], ry[strong], np.asarray(ref.d_hkls)[strong]):
        k = int(np.argmin(np.abs(ox - x)))
        assert abs(ox[k] - x) < 0.01
        assert oy[k] == pytest.approx(y, rel=0.01)
        assert ours.d_hkls[k] == pytest.approx(d, rel=1e-6)
    # every strong peak of ours exists in pymatgen too (nothing spurious)
    for x in ox[oy > 1.0]:
        assert np.min(np.abs(rx - x)) < 0.01
    return ref, ours


def test_alpha_cspbbr3_matches_pymatgen_including_hkl_families():
    ref, ours = _assert_matches_pymatgen(_alpha())
    assert len(ref.x) == len(ours.x)
    for a, b in zip(ref.hkls, ours.hkls):
        assert sorted((tuple(h["hkl"]), h["multiplicity"]) for h in a) == \
            sorted((tuple(h["hkl"]), h["multiplicity"]) for h in b)


def test_delta_cspbi3_matches_pymatgen():
    _assert_matches_pymatgen(_delta(), (5, 60))


def test_rocksalt_pbse_matches_pymatgen_and_textbook_positions():
    ref, ours = _assert_matches_pymatgen(_rocksalt())
    # (200) at 2θ = 2 asin(λ/(2 d200)), d200 = a/2 (Bragg's law, λ = 1.54184 Å)
    tt200 = 2 * np.degrees(np.arcsin(1.54184 / 6.124))
    k = int(np.argmin(np.abs(np.asarray(ours.x) - tt200)))
    assert ours.x[k] == pytest.approx(tt200, abs=1e-6)
    assert ours.y[k] == pytest.approx(100.0)  # (200) is the strongest rock-salt line


def test_random_halide_displaced_supercell_matches_pymatgen():
    _assert_matches_pymatgen(_random_halide_supercell(), (10, 60))


def test_mixed_occupancy_site_equals_average_of_scattering():
    # a disordered site Br(x/3) I(1-x/3) scatters like the occupancy-weighted form factors (pymatgen does the same)
    st = _alpha(6.0, {"Br": 0.5, "I": 0.5})
    _assert_matches_pymatgen(st, (10, 80))


def test_ase_atoms_input_and_mo_wavelength():
    from pymatgen.io.ase import AseAtomsAdaptor

    st = _rocksalt(5.936, "S")
    atoms = AseAtomsAdaptor.get_atoms(st)
    a = bragg_pattern(atoms, "MoKa", (5, 40), debye_waller_factors={})  # {}: no thermal damping, as pymatgen's default
    b = XRDCalculator("MoKa").get_pattern(st, two_theta_range=(5, 40))
    assert np.allclose(a.x, b.x, atol=1e-8)
    assert np.allclose(a.y, b.y, rtol=1e-8)


def test_energy_kev_and_kalpha_doublet():
    st = _rocksalt()
    lam = resolve_wavelength("8.04778 keV")  # Cu Kα1 energy (Hölzer 1997) → 1.54059 Å
    assert lam == pytest.approx(1.540593, abs=2e-5)
    p1 = bragg_pattern(st, energy_kev=8.04778, two_theta=(20, 60))
    ref1 = XRDCalculator(1.54056).get_pattern(st, two_theta_range=(20, 60))
    assert np.allclose(p1.x, ref1.x, atol=0.005)
    dbl = bragg_pattern(st, "CuKa", (20, 60), kalpha2=True)
    ka2 = XRDCalculator("CuKa2").get_pattern(st, two_theta_range=(20, 60))
    for x in ref1.x:
        assert np.min(np.abs(np.asarray(dbl.x) - x)) < 0.005
    for x in ka2.x:
        assert np.min(np.abs(np.asarray(dbl.x) - x)) < 1e-6
    # the Kα2 companion of the strongest line carries half its intensity
    y = np.asarray(dbl.y)
    i1 = int(np.argmax(y))
    i2 = int(np.argmin(np.abs(np.asarray(dbl.x) - ka2.x[int(np.argmax(ka2.y))])))
    assert y[i2] / y[i1] == pytest.approx(0.5, rel=0.01)


@pytest.mark.parametrize("bad", ["CuKz", "unobtainium", -1.0, float("nan"), "0 keV"])
def test_bad_wavelength_is_a_one_line_error(bad):
    with pytest.raises(LatticeAnchorError) as exc:
        bragg_pattern(_rocksalt(), bad)
    assert "\n" not in str(exc.value)


def test_bad_two_theta_range():
    with pytest.raises(LatticeAnchorError):
        bragg_pattern(_rocksalt(), "CuKa", (50, 10))


def test_debye_waller_defaults_damp_rocksalt_lines_by_closed_form():
    # rock salt: F = 4(f_Pb D_Pb ± f_S D_S) (+ for all-even, − for all-odd hkl), D = exp(−B s²), s = 1/(2d):
    # the damped/undamped intensity ratio of every line follows from the default B (independent formula)
    from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS
    from pymatgen.core.periodic_table import Element

    def f(el, s2):
        c = np.asarray(ATOMIC_SCATTERING_PARAMS[el])
        return Element(el).Z - 41.78214 * s2 * np.sum(c[:, 0] * np.exp(-c[:, 1] * s2))

    st = _rocksalt(5.936, "S")
    on = bragg_pattern(st, "CuKa", (20, 90), scaled=False)
    off = bragg_pattern(st, "CuKa", (20, 90), scaled=False, debye_waller_factors={})
    B = debye_waller_for(["Pb", "S"])
    for y1, y0, d, fam in zip(on.y, off.y, on.d_hkls, on.hkls):
        s2 = (1 / (2 * d)) ** 2
        sign = 1 if all(v % 2 == 0 for v in fam[0]["hkl"]) else -1
        fp, fs = f("Pb", s2), f("S", s2)
        want = ((fp * np.exp(-B["Pb"] * s2) + sign * fs * np.exp(-B["S"] * s2)) / (fp + sign * fs)) ** 2
        assert y1 / y0 == pytest.approx(want, rel=1e-9)


def test_debye_waller_values_are_cited_in_the_data_file():
    from latticeanchor import data

    tab = data.load()["debye_waller_B_A2"]
    for mat in ("PbS", "PbSe", "CsPbBr3", "CsPbI3"):
        assert "DOI" in tab[mat]["source"]
        assert tab[mat]["confidence"] in {"checked", "derived", "computed", "recalled", "assumed"}
        assert all(0.3 < v < 8 for k, v in tab[mat].items() if k in ("Cs", "Pb", "S", "Se", "Br", "I"))


def test_supercell_labels_in_parent_indices_and_same_peaks():
    sc = _alpha(6.0, "Br")
    sc.make_supercell([3, 3, 3])
    p1 = bragg_pattern(_alpha(6.0, "Br"), "CuKa", (10, 60))
    p3 = bragg_pattern(sc, "CuKa", (10, 60))
    assert np.allclose(p1.x, p3.x, atol=1e-6) and np.allclose(p1.y, p3.y, rtol=1e-6)
    assert [h[0]["hkl"] for h in p3.hkls] == [h[0]["hkl"] for h in p1.hkls]
    assert (1, 1, 0) in [h[0]["hkl"] for h in p3.hkls]


def test_reflection_budget_refuses_before_allocating():
    with pytest.raises(LatticeAnchorError, match="reflections"):
        bragg_pattern(_rocksalt(), 0.01, (5, 90))
    big = Structure(Lattice.cubic(1e5), ["Pb"], [[0, 0, 0]])
    with pytest.raises(LatticeAnchorError, match="reflections"):
        bragg_pattern(big, "CuKa", (5, 90))
