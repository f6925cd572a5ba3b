"""``build.check`` on deliberately bad structures: each failure kind is caught and named."""

import numpy as np
import pytest
from ase import Atoms

from latticeanchor.build import alpha_matrix, check, delta_matrix
from latticeanchor.build.contacts import SHANNON_RADII_A, min_contact


def _cspbi3(n=3):
    return alpha_matrix(0.0, size=n)  # α-CsPbI3, Pb at the corners


def _index_near(atoms, symbol, point):
    sym = np.array(atoms.get_chemical_symbols())
    idx = np.flatnonzero(sym == symbol)
    return idx[np.argmin(np.linalg.norm(atoms.positions[idx] - point, axis=1))]


@pytest.mark.parametrize("m", [alpha_matrix(0.0, 2), alpha_matrix(3.0, 2), alpha_matrix(1.3, 3, seed=4),
                               delta_matrix(0.0, (1, 2, 1)), delta_matrix(3.0, (1, 2, 1))])
def test_bulk_matrices_pass(m):
    rep = check(m)
    assert rep.ok, rep.failures
    assert rep.pb_coordination == {6: rep.composition["Pb"]} and rep.pb5_fraction == 1.0


def test_pair_limits_from_radii():
    # bonded pairs: 0.85 × Shannon radius sum, floors 2.8 Å and 3.3 Å (Cs–chalcogen)
    assert min_contact("Pb", "I") == pytest.approx(0.85 * (SHANNON_RADII_A["Pb"] + SHANNON_RADII_A["I"]))
    assert min_contact("Pb", "S") == 2.8 and min_contact("Cs", "S") == 3.3 and min_contact("S", "Cs") == 3.3
    assert min_contact("Cs", "I") == pytest.approx(0.85 * (1.88 + 2.20))
    assert min_contact("Pb", "Cs") == min_contact("Pb", "Pb") == 4.0 and min_contact("I", "S") == 3.6
    assert min_contact("Pb", "Xe") == 0.0  # no rule for an element without formal charge


def test_charged_cell_fails():
    m = _cspbi3()
    del m[[a.index for a in m if a.symbol == "Cs"][:1]]
    rep = check(m)
    assert not rep.ok and rep.formal_charge == -1 and "formal charge -1" in str(rep)


def test_neutral_cell_with_cs_pb_contact_fails():
    """Issue 11: a neutral α cell with a Cs–Pb contact at 3.5 Å passed the old 2.5 Å check."""
    m = _cspbi3()
    a = m.cell[0, 0] / 3
    pb = _index_near(m, "Pb", np.zeros(3))
    cs = _index_near(m, "Cs", np.full(3, a / 2))
    u = (m.positions[cs] - m.positions[pb]) / np.linalg.norm(m.positions[cs] - m.positions[pb])
    m.positions[cs] = m.positions[pb] + 3.5 * u
    rep = check(m)
    assert rep.formal_charge == 0 and not rep.ok
    assert rep.n_like_charge_contacts == 1 and (min(pb, cs), max(pb, cs)) == rep.close_pairs[0][:2]
    assert rep.close_pairs[0][2] == pytest.approx(3.5)
    assert "like-charge" in str(rep) and "TOO SHORT" in str(rep)


def test_anion_anion_contact_fails():
    m = _cspbi3()
    i1 = _index_near(m, "I", np.array([m.cell[0, 0] / 6, 0, 0]))  # (a/2, 0, 0)
    i2 = _index_near(m, "I", np.array([0, m.cell[0, 0] / 6, 0]))  # (0, a/2, 0), a/√2 away
    m.positions[i2] = m.positions[i1] + 3.3 * (m.positions[i2] - m.positions[i1]) / m.get_distance(i1, i2)
    rep = check(m)
    assert not rep.ok and rep.n_like_charge_contacts == 1 and rep.min_distances["I-I"] == pytest.approx(3.3)


def test_short_bond_and_cs_chalcogen_fail():
    # Pb–I compressed to 2.7 Å (limit 2.88), and a Cs–S contact at 3.1 Å (limit 3.3) in a neutral cell
    m = _cspbi3()
    pb = _index_near(m, "Pb", np.zeros(3))
    i1 = _index_near(m, "I", np.array([m.cell[0, 0] / 6, 0, 0]))
    m.positions[i1] = m.positions[pb] + [2.7, 0, 0]
    rep = check(m)
    assert not rep.ok and rep.n_like_charge_contacts == 0 and rep.n_close_pairs == 1
    assert "cation–anion" in str(rep)
    cell = Atoms("CsCsS", positions=[[0, 0, 0], [6.0, 6.0, 6.0], [3.1, 0, 0]], cell=[12.0] * 3, pbc=True)
    rep = check(cell)
    assert rep.formal_charge == 0 and (0, 2) in [p[:2] for p in rep.close_pairs]
    assert rep.contact_limits["Cs-S"] == 3.3


def test_undercoordinated_pb_fails():
    """Three halides and three Cs removed around one Pb: neutral, that Pb keeps 3 anions."""
    m = _cspbi3()
    a = m.cell[0, 0] / 3
    centre = np.full(3, a)  # a Pb at (1, 1, 1)·a
    pb = _index_near(m, "Pb", centre)
    halides = [_index_near(m, "I", centre + a / 2 * e) for e in np.eye(3)]
    cs = [a_.index for a_ in m if a_.symbol == "Cs"][-3:]
    del m[sorted(halides + cs)]
    rep = check(m)
    assert rep.formal_charge == 0 and not rep.ok
    assert rep.n_pb_underbonded == 1 and rep.pb_coordination[3] == 1 and rep.pb_coordination[5] == 3
    assert "fewer than 4 anions" in str(rep)
    assert pb is not None


def test_low_fraction_of_five_coordinated_pb_fails():
    """A row of three Pb along x loses its three bridging halides: 3 of 27 Pb 4-coordinated (89 % ≥ 5)."""
    m = _cspbi3()
    a = m.cell[0, 0] / 3
    row = [_index_near(m, "I", np.array([(k + 0.5) * a, 0, 0])) for k in range(3)]
    cs = [a_.index for a_ in m if a_.symbol == "Cs"][:3]
    del m[sorted(row + cs)]
    rep = check(m)
    assert rep.formal_charge == 0 and rep.n_pb_underbonded == 0 and rep.pb_coordination[4] == 3
    assert rep.pb5_fraction == pytest.approx(24 / 27) and not rep.ok
    assert "% of Pb have ≥ 5" in str(rep)
    assert check(m, min_pb5_fraction=0.85).ok
