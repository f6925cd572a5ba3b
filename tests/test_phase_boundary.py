"""The computed black/δ phase boundary (``latticeanchor.phase_boundary``) and its polymorph cells.

Reference numbers: PBE γ − δ of CsPbI3 = +0.078 eV/f.u. (GPAW 22.8, PW 400 eV, at SevenNet-0
geometries; project physics notes, "Universal MLIPs on the polymorph energies"); Materials Project PBE
α − δ ≈ +0.125 eV/f.u.; ΔH = 14.2 kJ/mol and 603 K from Dastidar et al., J. Phys. Chem. Lett. 8, 1278
(2017).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from latticeanchor import phase_boundary as pb
from latticeanchor.energy import polymorphs as poly
from latticeanchor.errors import LatticeAnchorError

PBE_GAMMA_DELTA_CSPBI3 = 0.078  # eV/f.u., GPAW PBE (physics notes)


def _cells(phase, x):
    return [c for c in pb.load_table()["cells"] if c["phase"] == phase and c["x"] == x]


# ---------------------------------------------------------------------------------------- builders
@pytest.mark.parametrize("phase", poly.PHASES)
@pytest.mark.parametrize("x", [0.0, 1.0, 2.5, 3.0])
def test_cells_have_exact_composition_neutral_charge_and_pb_x_bonds(phase, x):
    from ase.neighborlist import neighbor_list

    atoms = poly.polymorph_cell(phase, x, ordering=0, seed=0)
    s = np.array(atoms.get_chemical_symbols())
    n_pb, n_cs, n_br, n_i = (int(np.sum(s == e)) for e in ("Pb", "Cs", "Br", "I"))
    assert n_pb == n_cs == poly.N_FU
    assert n_br / n_pb == pytest.approx(x, abs=1e-12)  # x exactly, not rounded
    assert n_cs * 1 + n_pb * 2 - (n_br + n_i) == 0  # Cs⁺ Pb²⁺ X⁻
    i, j, d = neighbor_list("ijd", atoms, 3.7)
    bond = (s[i] == "Pb") & np.isin(s[j], ["I", "Br"])
    assert np.all((d[bond] > 2.9) & (d[bond] < 3.5))
    assert np.all(np.bincount(i[bond], minlength=len(atoms))[s == "Pb"] == 6)  # PbX6 octahedra


def test_phases_have_equal_formula_units_and_orderings_differ():
    cells = [poly.polymorph_cell(p, 1.5, k, seed=0) for p in ("gamma", "delta") for k in range(3)]
    assert len({len(c) for c in cells}) == 1
    for phase in ("gamma", "delta"):
        corr = [poly.pair_correlations(phase, np.array(poly.polymorph_cell(phase, 1.5, k).get_chemical_symbols()[4:16]) == "Br")
                for k in range(3)]
        assert not np.allclose(corr[0], corr[1]) and not np.allclose(corr[1], corr[2])


def test_orderings_are_seeded_and_ranked_by_correlation_distance():
    a = poly.polymorph_cell("delta", 2.0, 1, seed=5)
    b = poly.polymorph_cell("delta", 2.0, 1, seed=5)
    assert a.get_chemical_symbols() == b.get_chemical_symbols()
    dist = [poly.ordering_symbols("delta", 2.0, k, seed=5)[1] for k in range(3)]
    assert dist == sorted(dist)
    # the distance is measured from the random alloy: Π_s = (2c − 1)² for every shell would give 0
    mask = np.array(a.get_chemical_symbols()[4:16]) == "Br"
    c = mask.mean()
    assert np.abs(poly.pair_correlations("delta", mask) - (2 * c - 1) ** 2).sum() == pytest.approx(
        poly.ordering_symbols("delta", 2.0, 1, seed=5)[1])


def test_builders_refuse_bad_input():
    with pytest.raises(LatticeAnchorError, match="phase"):
        poly.polymorph_cell("beta", 1.0)
    with pytest.raises(LatticeAnchorError, match="x must lie"):
        poly.polymorph_cell("gamma", 3.5)
    with pytest.raises(LatticeAnchorError, match="end member"):
        poly.polymorph_cell("gamma", 0.0, ordering=1)


def test_cli_refuses_bad_output_before_work(tmp_path, capsys):
    assert poly.main(["--out", str(tmp_path / "table.txt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
    assert poly.main(["--out", str(tmp_path / "t.json"), "--workers", "0"]) == 2
    assert not (tmp_path / "t.json").exists()


# ---------------------------------------------------------------------------------- shipped table
def test_table_metadata_states_potential_and_regeneration_command():
    meta = pb.load_table()["metadata"]
    assert "SevenNet" in meta["potential"] and meta["fmax_eV_per_A"] == pytest.approx(0.05)
    assert meta["command"].startswith("python -m latticeanchor.energy.polymorphs --out")
    cells = pb.load_table()["cells"]
    for x in poly.COMPOSITIONS:  # 7 compositions; ≥ 3 orderings per mixed one, for γ and δ
        for phase in ("gamma", "delta"):
            n = len([c for c in _cells(phase, x) if c["converged"]])
            assert n >= (1 if x in (0.0, 3.0) else 3), (phase, x, n)
    assert all(c["max_force_eV_per_A"] <= meta["fmax_eV_per_A"] + 1e-9 for c in cells if c["converged"])


def test_cspbi3_gamma_delta_matches_pbe_sign_and_size():
    e_g = _cells("gamma", 0.0)[0]["energy_eV_per_fu"]
    e_d = _cells("delta", 0.0)[0]["energy_eV_per_fu"]
    assert e_g - e_d > 0  # δ is the ground state of CsPbI3 (PBE and experiment)
    assert abs((e_g - e_d) - PBE_GAMMA_DELTA_CSPBI3) < 0.03


def test_cubic_alpha_lies_above_gamma_for_cspbi3():
    e_a = _cells("alpha", 0.0)[0]["energy_eV_per_fu"]
    e_g = _cells("gamma", 0.0)[0]["energy_eV_per_fu"]
    assert e_a > e_g  # cubic α is a saddle; the tilts lower it
    assert pb.energy_difference(0.0, "alpha") > pb.energy_difference(0.0, "gamma")


def test_fit_residuals_within_ordering_scatter():
    fit = pb.energy_difference_fit("gamma")
    assert len(fit.coef) == 3 and len(fit.x) == 7
    pooled = float(np.sqrt(np.mean(fit.sd[fit.sd > 0] ** 2)))  # the end members are single ordered cells
    scatter = np.where(fit.sd > 0, fit.sd, pooled)
    assert np.all(np.abs(fit.residuals) <= scatter), (fit.residuals, scatter)


def test_energy_difference_fit_reproduces_means_and_has_a_standard_error():
    rows = pb.composition_means("gamma")
    x = np.array([r[0] for r in rows])
    value, se = pb.energy_difference(x, return_se=True)
    assert np.shape(value) == (7,) and np.all(se > 0)
    mean = np.array([r[1] for r in rows])
    # by hand: the ordering means of E_γ − E_δ at x = 1
    e_g = np.mean([c["energy_eV_per_fu"] for c in _cells("gamma", 1.0) if c["converged"]])
    e_d = np.mean([c["energy_eV_per_fu"] for c in _cells("delta", 1.0) if c["converged"]])
    assert mean[list(x).index(1.0)] == pytest.approx(e_g - e_d, abs=1e-12)


# ------------------------------------------------------------------------------------ thermodynamics
def test_transition_temperature_of_cspbi3_is_the_offset():
    assert pb.transition_temperature(0.0) == pytest.approx(603.0, abs=1e-9)
    assert pb.transition_enthalpy(0.0) == pytest.approx(14.2e3, abs=1e-9)
    assert pb.transition_temperature(0.0, "alpha") == pytest.approx(603.0, abs=1e-9)


def test_enthalpy_follows_the_computed_energy_difference():
    # ΔH(x) − ΔH(0) = N_A·[ΔE(x) − ΔE(0)]: 1 eV/f.u. is 96.485 kJ/mol
    d_e = pb.energy_difference(2.0) - pb.energy_difference(0.0)
    assert pb.transition_enthalpy(2.0) - 14.2e3 == pytest.approx(d_e * 96485.33212, rel=1e-9)
    t = pb.transition_temperature(np.array([[0.0, 1.5], [2.0, 3.0]]))
    assert t.shape == (2, 2)
    assert pb.delta_g(1.5, t[0, 1]) == pytest.approx(0.0, abs=1e-6)


def test_boundary_is_where_transition_temperature_equals_T():
    t_lo, t_hi = sorted([pb.transition_temperature(0.0), pb.transition_temperature(3.0)])
    for T in np.linspace(t_lo, t_hi, 5)[1:-1]:
        b = pb.boundary_x(T)
        assert 0.0 <= b.x <= 3.0
        assert pb.transition_temperature(b.x) == pytest.approx(T, rel=1e-7)
        assert b.sigma_ordering >= 0 and math.isfinite(b.sigma_ordering)
        # δ stable on the I side of the boundary: Δg > 0 at x below it when T_t falls with x
        if b.x > 0.05 and pb.transition_temperature(0.0) > pb.transition_temperature(3.0):
            assert pb.delta_g(b.x - 0.05, T) > 0


def test_no_crossing_raises_or_returns_inf_naming_the_stable_phase():
    T_cold = 0.5 * min(pb.transition_temperature(np.linspace(0, 3, 61)))
    with pytest.raises(LatticeAnchorError, match="δ is stable at every composition"):
        pb.boundary_x(T_cold)
    assert pb.boundary_x(T_cold, missing="inf").x == math.inf
    T_hot = 2.0 * max(pb.transition_temperature(np.linspace(0, 3, 61)))
    assert pb.boundary_x(T_hot, missing="inf").x == -math.inf


@pytest.mark.parametrize("call", [
    lambda: pb.energy_difference(float("nan")),
    lambda: pb.energy_difference(3.2),
    lambda: pb.transition_temperature(-0.1),
    lambda: pb.boundary_x(-5.0),
    lambda: pb.boundary_x(float("nan")),
    lambda: pb.delta_g(1.0, -1.0),
    lambda: pb.energy_difference(1.0, phase="delta"),
    lambda: pb.boundary_x(300.0, missing="zero"),
])
def test_bad_input_is_refused(call):
    with pytest.raises(LatticeAnchorError):
        call()


def test_docs_table_rows():
    rows = pb.table()
    assert [r["x"] for r in rows] == list(poly.COMPOSITIONS)
    assert rows[0]["T_t_K"] == pytest.approx(603.0)
    assert all(r["dE_gamma_delta_eV_per_fu"] is not None for r in rows)


# ------------------------------------------------------------------------------------- with SevenNet
@pytest.mark.slow
def test_relaxing_delta_cspbi3_reproduces_the_table_entry():
    pytest.importorskip("sevenn", reason="needs SevenNet-0 (pip install sevenn)")
    res = poly.relax_cell(poly.polymorph_cell("delta", 0.0), calculator="sevennet")
    assert res.converged
    assert res.energy / poly.N_FU == pytest.approx(_cells("delta", 0.0)[0]["energy_eV_per_fu"], abs=2e-3)
