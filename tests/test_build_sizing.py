import math

import numpy as np
import pytest

from latticeanchor import vegard
from latticeanchor.build import alpha_matrix, embed, rocksalt_core
from latticeanchor.build.sizing import (candidate_params, estimate_core_atoms, estimate_matrix_atoms,
                                        supercell_for_loading)
from latticeanchor.errors import LatticeAnchorError


def test_candidate_loading_when_it_fits():
    a = vegard.lattice_constant(2.0, 298.15)
    c = supercell_for_loading("PbS", 2.0, 30.0, 0.01, max_atoms=100_000)
    target = 30.0 * (math.pi / 6 / 0.01) ** (1 / 3)  # dot spacing of a simple-cubic dot lattice, Å
    assert c.at_candidate and c.n_cells == round(target / a) == 19
    assert c.loading_built == pytest.approx(math.pi * 30.0**3 / 6 / (19 * a) ** 3)
    assert abs(c.loading_built - 0.01) / 0.01 < 0.2  # n is an integer number of cells
    assert c.n_atoms_estimate <= 100_000


def test_budget_shrinks_the_cell_and_says_so():
    c = supercell_for_loading("PbS", 2.0, 30.0, 0.01, max_atoms=6000)
    assert not c.at_candidate and 5 * c.n_cells**3 <= 6000 < 5 * (c.n_cells + 1) ** 3 + 1000
    assert c.loading_built > 0.05  # denser than asked: the file must say so
    with pytest.raises(LatticeAnchorError, match="max_atoms"):
        supercell_for_loading("PbS", 2.0, 30.0, 0.01, max_atoms=1000)
    for bad in (0.0, -0.1, 0.6, float("nan")):
        with pytest.raises(LatticeAnchorError):
            supercell_for_loading("PbS", 2.0, 30.0, bad)


def test_estimates_bound_the_built_structures():
    core = rocksalt_core("PbS", 30.0)
    assert abs(estimate_core_atoms(30.0, core.info["latticeanchor"]["a_A"]) - len(core)) / len(core) < 0.1
    c = supercell_for_loading("PbS", 2.0, 30.0, 0.1, max_atoms=20_000)
    h = embed(core, alpha_matrix(2.0, c.n_cells), charge_balance=True)
    assert len(h) <= c.n_atoms_estimate
    assert estimate_matrix_atoms("alpha", c.n_cells) == len(alpha_matrix(2.0, c.n_cells))
    assert estimate_matrix_atoms("delta", (2, 3, 1)) == 120


def test_builders_refuse_before_allocating():
    with pytest.raises(LatticeAnchorError, match="max_atoms"):
        alpha_matrix(2.0, size=2000)
    with pytest.raises(LatticeAnchorError, match="max_atoms"):
        rocksalt_core("PbS", 1000.0)


@pytest.mark.parametrize("row", [{"core": "PbS", "x": 2, "diameter": 30.0, "loading": 0.1, "T": 300.0},
                                 {"core": "PbS", "x": 2, "diameter_nm": 3.0, "loading_fraction": 0.1, "T_K": 300.0},
                                 {"core": "PbS", "x": 2, "diameter_A": 30.0, "loading": 0.1, "T_K": 300.0}])
def test_candidate_params_accepts_unit_names(row):
    p = candidate_params(row)
    assert p == {"core": "PbS", "x": 2.0, "diameter_A": pytest.approx(30.0), "loading": 0.1, "T_K": 300.0}
    with pytest.raises(LatticeAnchorError, match="diameter"):
        candidate_params({"core": "PbS", "x": 2, "loading": 0.1, "T": 300})


def test_screen_config_takes_an_atom_budget():
    import json

    from latticeanchor.screen import load_config

    cfg = load_config(None)
    assert cfg["build"]["max_atoms"] == 50000
    raw = {k: v for k, v in json.loads(json.dumps(cfg)).items() if not k.startswith("_")}
    raw["build"]["max_cells"] = 9
    with pytest.raises(LatticeAnchorError, match="max_atoms"):
        load_config(raw)
