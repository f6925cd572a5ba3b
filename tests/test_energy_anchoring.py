"""Anchoring energetics: hybrid bookkeeping (no extras) and MLIP misfit energies (chgnet, ≤ 40 atoms)."""

import numpy as np
import pytest

from latticeanchor import vegard
from latticeanchor.energy import anchoring as anc
from latticeanchor.errors import LatticeAnchorError


def min_distance(atoms):
    d = atoms.get_all_distances(mic=True)
    np.fill_diagonal(d, np.inf)
    return d.min()


def test_alpha_cell_composition_and_vegard_lattice():
    atoms = anc.alpha_cell(1.5, (2, 2, 2), T=298.15, seed=4)
    comp = anc.composition(atoms)
    assert (comp["Cs"], comp["Pb"], comp["X"]) == (8, 8, 24) and comp["charge"] == 0
    assert atoms.get_chemical_symbols().count("Br") == 12
    assert atoms.cell.lengths()[0] / 2 == pytest.approx(vegard.lattice_constant(1.5, 298.15))
    # deterministic ordering
    assert anc.alpha_cell(1.5, 2, seed=4).get_chemical_symbols() == atoms.get_chemical_symbols()
    assert anc.alpha_cell(1.5, 2, seed=5).get_chemical_symbols() != atoms.get_chemical_symbols()


def test_delta_cell_is_sane():
    atoms = anc.delta_cell(0.0)
    assert len(atoms) == 20 and anc.composition(atoms)["n_fu"] == 4
    assert min_distance(atoms) > 2.9  # Pb–I ≥ 3.0 Å in the cited Wyckoff set


@pytest.mark.parametrize("n, k, m", [(2, 1, 4), ((1, 1, 2), 1, 4), (3, 2, 32)])
def test_alpha_hybrid_is_charge_balanced_rocksalt(n, k, m):
    h = anc.alpha_hybrid("PbS", 1.0, n=n, k=k)
    comp = anc.composition(h)
    assert comp["m_core"] == m and comp["excess_Pb"] == 0 and comp["charge"] == 0
    assert min_distance(h) > 2.9  # coherent: every site on the a/2 grid
    core = anc.core_mask(h)
    assert core.sum() == 2 * m
    # rock salt inside: every S has only Pb within 3.8 Å
    from ase.neighborlist import neighbor_list
    i, j = neighbor_list("ij", h, 3.8)
    sym = np.array(h.get_chemical_symbols())
    assert set(sym[j[sym[i] == "S"]]) == {"Pb"}


def test_interface_atoms_count_surface_of_core():
    assert anc.interface_atoms(anc.alpha_hybrid("PbS", 0.0, n=2, k=1)) == 8  # all 8 core atoms
    assert anc.interface_atoms(anc.alpha_hybrid("PbS", 0.0, n=4, k=2)) == 64 - 8  # 4³ sites minus 2³ inside


def test_delta_hybrid_matches_alpha_composition():
    ha = anc.alpha_hybrid("PbS", 2.0, n=2, k=1, seed=0)
    hd = anc.delta_hybrid("PbS", 2.0, size=(1, 2, 1), k=1, seed=0)
    assert ha.get_chemical_formula() == hd.get_chemical_formula()
    assert min_distance(hd) > 2.0
    with pytest.raises(LatticeAnchorError, match="too small"):
        anc.delta_hybrid("PbS", 2.0, size=(1, 1, 1), k=1)


def test_misfit_energy_bookkeeping():
    h = anc.alpha_hybrid("PbS", 0.0, n=2, k=1)  # Cs7 Pb11 I21 S4
    out = anc.misfit_energy(-100.0, h, mu_matrix=-12.0, mu_core=-8.0)
    assert out["misfit_eV"] == pytest.approx(-100.0 + 7 * 12.0 + 4 * 8.0)
    assert out["misfit_eV_per_fu"] == pytest.approx(out["misfit_eV"] / 7)
    assert out["misfit_eV_per_interface_atom"] == pytest.approx(out["misfit_eV"] / 8)
    bad = h.copy()
    del bad[[a.index for a in bad if a.symbol == "Cs"][:1]]
    with pytest.raises(LatticeAnchorError, match="charge"):
        anc.misfit_energy(-100.0, bad, -12.0, -8.0)


def test_misfit_energy_with_pbx2_excess():
    h = anc.alpha_hybrid("PbS", 0.0, n=2, k=1)  # Cs7 Pb11 I21 S4
    # take away one CsI and nothing else → charge −1+1 = 0, p = 11 − 6 − 4 = +1 PbI2 unit
    sym = h.get_chemical_symbols()
    drop = [sym.index("Cs"), [i for i, s in enumerate(sym) if s == "I"][0]]
    h2 = h[[i for i in range(len(h)) if i not in drop]]
    comp = anc.composition(h2)
    assert comp["charge"] == 0 and comp["excess_Pb"] == 1
    with pytest.raises(LatticeAnchorError, match="mu_pbx2"):
        anc.misfit_energy(-90.0, h2, -12.0, -8.0)
    out = anc.misfit_energy(-90.0, h2, -12.0, -8.0, mu_pbx2=-7.0)
    assert out["misfit_eV"] == pytest.approx(-90.0 + 6 * 12.0 + 4 * 8.0 + 7.0)
    assert out["excess_PbX2"] == 1
    cell = anc.pbx2_cell(1.5, seed=2)
    assert len(cell) == 12 and cell.get_chemical_symbols().count("Br") == 4
    assert min_distance(cell) > 3.0


def test_candidate_geometry():
    assert anc.candidate_geometry(7.8, 0.125, 6.3) == (1, 2)
    with pytest.raises(LatticeAnchorError, match="loading"):
        anc.candidate_geometry(6.0, 1.5, 6.3)


def test_chgnet_slab_misfit_matches_direct_calls():
    """Planar PbS/α-CsPbI3 (001) superlattice, 13 atoms: misfit = E_hyb − n μ_α − m μ_PbS, with every
    energy re-evaluated directly with the calculator."""
    pytest.importorskip("chgnet")
    from latticeanchor.energy import relax, single_point

    h = anc.alpha_hybrid("PbS", 0.0, n=(1, 1, 2), k=1)
    assert len(h) == 13
    rh = relax(h, "chgnet", fmax=0.05, steps=300)
    rm = relax(anc.alpha_cell(0.0, (1, 1, 1)), "chgnet", fmax=0.02, steps=200)
    rc = relax(anc.rocksalt_cell("PbS"), "chgnet", fmax=0.02, steps=200)
    assert rh.converged and rm.converged and rc.converged
    out = anc.misfit_energy(rh.energy, h, rm.energy, rc.energy / 4)
    direct = single_point(rh.atoms, "chgnet") - single_point(rm.atoms, "chgnet") - single_point(rc.atoms, "chgnet")
    assert out["misfit_eV"] == pytest.approx(direct, abs=1e-3)
    assert out["n_interface"] == 8
    assert 5.7 < rc.atoms.cell.lengths()[0] < 6.2  # CHGNet PbS ≈ 6.0 Å (exp. 5.94)
    assert 0 < out["misfit_eV"] < 5.0  # an interface costs energy, but not absurdly much


def test_chgnet_vegard_end_member():
    pytest.importorskip("chgnet")
    df = anc.mlip_vegard(xs=(0.0,), calculator="chgnet", relax_kwargs={"fmax": 0.01})
    row = df.iloc[0]
    assert bool(row.converged) and 6.25 < row.a_mlip_A < 6.45
    assert row.a_exp_A == pytest.approx(vegard.lattice_constant(0.0, 298.15))


@pytest.mark.slow
def test_chgnet_full_anchoring_43_atoms():
    """Full candidate (α 2×2×2 and δ 1×2×1 hybrids, 43 atoms each): kept out of the default run."""
    pytest.importorskip("chgnet")
    r = anc.anchoring("PbS", 1.0, n=2, k=1, delta_size=(1, 2, 1), calculator="chgnet")
    assert r["converged"]
    assert r["dE_delta_alpha_hybrid_eV_per_fu"] == pytest.approx(
        r["dE_delta_alpha_pristine_eV_per_fu"] + r["misfit_delta_eV"] / r["n_fu_delta"]
        - r["misfit_alpha_eV"] / r["n_fu_alpha"], abs=1e-6)
