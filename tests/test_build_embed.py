import numpy as np
import pytest
from ase.neighborlist import neighbor_list

from latticeanchor.build import alpha_matrix, check, delta_matrix, embed, rocksalt_core
from latticeanchor.errors import LatticeAnchorError

CHARGE = {"Cs": 1, "Pb": 2, "I": -1, "Br": -1, "S": -2, "Se": -2}


def _on_rocksalt(pos, a, parity):
    """Max distance (Å) of positions from the rock-salt sublattice (Pb: i+j+k even, anion: odd) of
    spacing a registered at the origin, and whether every parity matches."""
    h = pos / (a / 2)
    n = np.round(h)
    dev = np.linalg.norm((h - n) * a / 2, axis=1).max()
    return dev, np.all(n.sum(axis=1).astype(int) % 2 == parity)


@pytest.fixture(scope="module")
def alpha_case():
    matrix = alpha_matrix(2.0, size=6, seed=1)
    core = rocksalt_core("PbS", diameter=16.0, shape="sphere", center="Pb")
    return matrix, core, embed(core, matrix)


def test_alpha_core_registered_on_matrix(alpha_case):
    matrix, core, hybrid = alpha_case
    a_m = matrix.info["latticeanchor"]["a_A"]
    is_core = hybrid.get_tags() == 1
    sym = np.array(hybrid.get_chemical_symbols())
    dev, ok = _on_rocksalt(hybrid.positions[is_core & (sym == "Pb")], a_m, 0)
    assert dev < 0.01 and ok
    dev, ok = _on_rocksalt(hybrid.positions[is_core & (sym == "S")], a_m, 1)
    assert dev < 0.01 and ok
    # the matrix is untouched where it is kept: its Pb still on the cube corners
    mpb = hybrid.positions[~is_core & (sym == "Pb")] / a_m
    assert np.abs(mpb - np.round(mpb)).max() * a_m < 1e-6


def test_alpha_counts_distances_and_charge(alpha_case):
    matrix, core, hybrid = alpha_case
    a_m = matrix.info["latticeanchor"]["a_A"]
    is_core = hybrid.get_tags() == 1
    assert is_core.sum() == len(core)
    # brute force: rock-salt sites within the strained radius around the centre (a Pb site)
    r = 8.0 * a_m / core.info["latticeanchor"]["a_A"]
    g = np.arange(-8, 9)
    ijk = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    inside = np.linalg.norm(ijk * a_m / 2, axis=1) <= r + 1e-6
    assert is_core.sum() == inside.sum()
    assert (np.array(hybrid.get_chemical_symbols())[is_core] == "Pb").sum() == (inside & (ijk.sum(1) % 2 == 0)).sum()
    # removed matrix atoms = matrix sites inside the sphere (all of them coincide with rock-salt sites)
    # plus matrix cations within 4.0 Å of a core Pb (the Cs at a/2 from a core face-centre Pb); each of
    # those Cs sites is a rock-salt anion site and now holds a shell halide (tag 2)
    c = np.asarray(hybrid.info["latticeanchor"]["center_position_A"])
    in_sphere = np.linalg.norm(matrix.positions - c, axis=1) <= r + 1e-6
    core_pb = hybrid.positions[is_core & (np.array(hybrid.get_chemical_symbols()) == "Pb")]
    msym = np.array(matrix.get_chemical_symbols())
    d_pb = np.linalg.norm(matrix.positions[:, None, :] - core_pb[None], axis=2).min(axis=1)
    like = ~in_sphere & np.isin(msym, ["Cs", "Pb"]) & (d_pb < 4.0)
    assert like.sum() > 0 and set(msym[like]) == {"Cs"}
    shell = hybrid.get_tags() == 2
    assert set(np.array(hybrid.get_chemical_symbols())[shell]) <= {"I", "Br"}
    d_shell = np.linalg.norm(hybrid.positions[shell][:, None, :] - matrix.positions[like][None], axis=2)
    assert shell.sum() == like.sum() and np.all(d_shell.min(axis=1) < 1e-6)  # Cs → halide, site by site
    assert len(hybrid) - is_core.sum() - shell.sum() == len(matrix) - in_sphere.sum() - like.sum()
    # no like-charge contact closer than the rock-salt Pb-Pb distance a/sqrt(2)
    sym = np.array(hybrid.get_chemical_symbols())
    sign = np.array([CHARGE[e] > 0 for e in sym])
    i, j, d = neighbor_list("ijd", hybrid, 4.0)
    assert not np.any(sign[i] == sign[j])
    i, j, d = neighbor_list("ijd", hybrid, 2.5)
    assert len(d) == 0
    expected = sum(CHARGE[s] for s in hybrid.get_chemical_symbols())
    rep = check(hybrid)
    assert rep.formal_charge == expected and rep.as_dict()["n_close_pairs"] == 0 and rep.n_shell == like.sum()
    assert rep.n_core == len(core)
    assert rep.min_distances["Pb-S"] == pytest.approx(a_m / 2)


def test_pure_alpha_hybrid_keeps_pm3m_matrix():
    hybrid = embed(rocksalt_core("PbS", diameter=12.0), alpha_matrix(0.0, size=5))
    assert check(hybrid).matrix_space_group_number == 221  # hole centred on a Pb site keeps Oh


def test_strain_modes():
    matrix = alpha_matrix(0.0, size=5)
    core = rocksalt_core("PbS", diameter=12.0, shape="wulff", center="anion")
    a_m, a_c = matrix.info["latticeanchor"]["a_A"], core.info["latticeanchor"]["a_A"]
    h = embed(core, matrix, strain="core")
    assert np.allclose(h.cell.lengths(), 5 * a_c)
    sym = np.array(h.get_chemical_symbols())
    dev, ok = _on_rocksalt(h.positions[(h.get_tags() == 1) & (sym == "Pb")], a_c, 0)
    assert dev < 0.01 and ok
    h = embed(core, matrix, strain="none")
    assert np.allclose(h.cell.lengths(), 5 * a_m)
    assert check(h).min_distances["Pb-S"] == pytest.approx(a_c / 2, abs=1e-6)  # core keeps its own spacing
    assert len(neighbor_list("i", h, 2.5)) == 0


def test_charge_balance_rule():
    matrix = alpha_matrix(1.0, size=6, seed=2)
    core = rocksalt_core("PbS", diameter=16.0, shape="wulff")
    plain, bal = embed(core, matrix), embed(core, matrix, charge_balance=True)
    q = sum(CHARGE[s] for s in plain.get_chemical_symbols())
    assert q != 0 and sum(CHARGE[s] for s in bal.get_chemical_symbols()) == 0
    assert len(plain) - len(bal) == abs(q)
    removed = bal.info["latticeanchor"]["charge_balance_removed"]
    assert set(removed) <= ({"Cs"} if q > 0 else {"I", "Br"}) and sum(removed.values()) == abs(q)


def test_delta_hybrid_by_distance():
    matrix = delta_matrix(0.0, size=(3, 6, 2))
    core = rocksalt_core("PbSe", diameter=14.0)
    hybrid = embed(core, matrix, min_distance=2.9)
    assert (hybrid.get_tags() == 1).sum() == len(core)
    i, j, d = neighbor_list("ijd", hybrid, 2.9)
    assert len(d) == 0
    with pytest.raises(LatticeAnchorError, match="strain"):
        embed(core, matrix, strain="matrix")


@pytest.mark.parametrize("kwargs,word", [({"strain": "elastic"}, "strain"), ({"clearance": -1}, "clearance"),
                                         ({"center": (0.5, 0.5)}, "center"), ({"min_pb_coordination": 7}, "min_pb"),
                                         ({"like_charge_distance": float("nan")}, "like_charge")])
def test_bad_embed_input(kwargs, word):
    with pytest.raises(LatticeAnchorError, match=word):
        embed(rocksalt_core("PbS", 10.0), alpha_matrix(2.0, 4), **kwargs)


def test_diameter_larger_than_matrix():
    with pytest.raises(LatticeAnchorError, match="larger than the matrix") as exc:
        embed(rocksalt_core("PbS", 30.0), alpha_matrix(2.0, 4))
    assert "\n" not in str(exc.value)
