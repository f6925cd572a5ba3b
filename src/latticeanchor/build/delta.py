"""δ-CsPbBr_xI_(3−x): orthorhombic Pnma (No. 62), NH4CdCl3 type, edge-sharing PbX6 double chains along b.

Cell: the experimental room-temperature δ-CsPbI3 cell (``data.entry('CsPbI3_delta', 'cell')``, Trots &
Myagkota 2008) with its thermal expansion from the cell's reference temperature to T (K), then scaled
isotropically with composition by s(x) = a_α(x, T)/a_α(0, T) (the α-phase Vegard ratio; Br shrinks
the halide framework similarly in both polymorphs). Atomic sites: four 4c (x, ¼, z) orbits from
``data.entry('CsPbI3_delta', 'wyckoff')`` (Materials Project mp-540839 fractional coordinates; Pb–I
3.09–3.43 Å in the experimental cell), expanded with pymatgen ``Structure.from_spacegroup``.

Br-containing δ cells are a model, not a measured structure: the δ phase of Br-rich compositions is
hypothetical/metastable (CsPbBr3 itself is orthorhombic perovskite, not NH4CdCl3 type). Br is placed
on exactly round(x/3 · N_X) random X sites (``numpy.random.default_rng(seed)``) of all three X orbits.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from ase import Atoms

from latticeanchor import data, vegard
from latticeanchor.build._common import (MATRIX_TAG, MAX_BUILD_ATOMS, check_atom_budget, n_bromide, parse_seed, parse_size, provenance,
                                         random_halides, scalar, tile)
from latticeanchor.validate import br_content, temperature

__all__ = ["delta_matrix", "delta_cell_parameters"]

DELTA = "CsPbI3_delta"


def delta_cell_parameters(x=0.0, T=298.15, dataset: str | None = None) -> tuple[float, float, float]:
    """(a, b, c) in Å of the δ cell at Br content x and temperature T (K), see the module docstring."""
    x = float(br_content(scalar("x (Br per formula unit)", x)))
    T = float(temperature(scalar("T (K)", T)))
    ms = data.resolve(dataset)
    cell = ms.entry(DELTA, "cell")
    alpha_l = ms.value(DELTA, "thermal_expansion")
    thermal = 1.0 + alpha_l * (T - cell["T"])
    s = float(vegard.lattice_constant(x, T, ms)) / float(vegard.lattice_constant(0.0, T, ms))
    return tuple(float(cell[k] * thermal * s) for k in ("a", "b", "c"))


@lru_cache(maxsize=8)
def _unit_sites(ms) -> tuple[tuple[str, ...], np.ndarray]:
    """(labels, fractional coords) of the 20 sites of the Pnma cell of the ``MaterialSet``; labels 'Cs', 'Pb' or 'X'."""
    from pymatgen.core import Lattice, Structure

    wyck = ms.entry(DELTA, "wyckoff")
    cell = ms.entry(DELTA, "cell")
    species = ["Cs" if s["species"] == "Cs" else "Pb" if s["species"] == "Pb" else "I" for s in wyck["sites"]]
    coords = [s["frac"] for s in wyck["sites"]]
    structure = Structure.from_spacegroup("Pnma", Lattice.orthorhombic(cell["a"], cell["b"], cell["c"]),
                                          species, coords, tol=1e-3)
    labels = tuple("X" if site.specie.symbol == "I" else site.specie.symbol for site in structure)
    frac = np.mod(structure.frac_coords, 1.0)
    order = np.argsort([{"Pb": 0, "X": 1, "Cs": 2}[lab] for lab in labels], kind="stable")
    return tuple(labels[i] for i in order), frac[order]


def delta_matrix(x, size=(1, 1, 1), T=298.15, seed: int = 0, dataset: str | None = None,
                 max_atoms: int = MAX_BUILD_ATOMS) -> Atoms:
    """δ-phase (Pnma) CsPbBr_xI_(3−x) supercell as periodic ASE ``Atoms`` (20 atoms per cell, Z = 4).

    x: Br per formula unit in [0, 3]; size: n or (n1, n2, n3) repeats of the a × b × c cell;
    T: temperature (K); seed: Br placement. Atom order Pb, X, Cs; tags 0 (matrix). max_atoms: refuse
    (one-line error, nothing allocated) above this many atoms.
    The parameters are recorded in ``atoms.info['latticeanchor']``.
    """
    x = float(br_content(scalar("x (Br per formula unit)", x)))
    size = parse_size(size)
    check_atom_budget(20 * size[0] * size[1] * size[2], max_atoms, f"a δ supercell of {size} cells")
    seed = parse_seed(seed)
    T = float(temperature(scalar("T (K)", T)))
    ms = data.resolve(dataset)
    abc = delta_cell_parameters(x, T, ms)
    labels, frac = _unit_sites(ms)
    labels = np.array(labels)
    blocks = {lab: tile(frac[labels == lab], size) for lab in ("Pb", "X", "Cs")}
    n_x = len(blocks["X"])
    n_br = n_bromide(x, n_x)
    symbols = ["Pb"] * len(blocks["Pb"]) + list(random_halides(n_x, n_br, seed)) + ["Cs"] * len(blocks["Cs"])
    atoms = Atoms(symbols=symbols, scaled_positions=np.vstack([blocks["Pb"], blocks["X"], blocks["Cs"]]),
                  cell=np.diag(np.array(abc) * np.array(size)), pbc=True)
    atoms.set_tags(np.full(len(atoms), MATRIX_TAG, dtype=int))
    atoms.info["latticeanchor"] = provenance(
        "delta_matrix", phase="delta", x=x, size=list(size), cell_abc_A=list(abc), T_K=T, seed=seed,
        dataset=dataset, n_Br=n_br, n_X=n_x, cell_source=ms.entry(DELTA, "cell")["key"],
        wyckoff_source=ms.entry(DELTA, "wyckoff")["key"])
    return atoms
