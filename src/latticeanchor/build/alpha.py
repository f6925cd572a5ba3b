"""Cubic α-CsPbBr_xI_(3−x) supercells (Pm-3m, 5 atoms per cell).

Cell with Pb at the origin: Pb (0, 0, 0) at the cube corners, X at the edge centres (½, 0, 0),
(0, ½, 0), (0, 0, ½), Cs at the body centre (½, ½, ½). The lattice constant a (Å) is Vegard's law
``vegard.lattice_constant(x, T, dataset)`` at T (K) unless given. Exactly round(x/3 · N_X) halide sites
carry Br (halves round up), placed at random with ``numpy.random.default_rng(seed)`` or as a special
quasirandom structure (icet, optional extra ``latticeanchor[sqs]``).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

from latticeanchor import data, vegard
from latticeanchor.build.molecules import MOLECULES, place
from latticeanchor.build._common import (MATRIX_TAG, MAX_BUILD_ATOMS, check_atom_budget, lattice_a, n_bromide, parse_seed,
                                         parse_size, provenance, random_halides, scalar, tile)
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import br_content, integer, temperature

__all__ = ["alpha_matrix", "ALPHA_SITES", "HALIDE_ORDERS"]

#: fractional positions in the cubic cell, Pb at the origin
ALPHA_SITES = {
    "Pb": np.array([[0.0, 0.0, 0.0]]),
    "X": np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]]),
    "Cs": np.array([[0.5, 0.5, 0.5]]),
}
HALIDE_ORDERS = ("random", "sqs")
SQS_STEPS = 3000  # short simulated annealing; enough for a reproducible, reasonably random arrangement
MAX_SQS_STEPS = 10_000_000  # the work budget of sqs_steps (icet: hours at this count)


def alpha_matrix(x, size=(3, 3, 3), a=None, T=298.15, halide_order: str = "random", seed: int = 0,
                 dataset: str | None = None, sqs_steps: int = SQS_STEPS, max_atoms: int = MAX_BUILD_ATOMS, *,
                 matrix: str | None = None) -> Atoms:
    """Cubic Pm-3m CsPbBr_xI_(3−x) supercell as ASE ``Atoms`` (periodic).

    x: Br per formula unit in [0, 3]; size: n or (n1, n2, n3) cubic cells; a: lattice constant (Å),
    default Vegard at T (K) with ``dataset``; halide_order: 'random' or 'sqs' (icet
    ``generate_sqs_from_supercells``, pair cutoff 1.45 a, triplet cutoff 1.05 a, ``sqs_steps`` Monte
    Carlo steps, random_seed = seed). Atom order: Pb, X, Cs (site-major). Tags are 0 (matrix).
    max_atoms: refuse (one-line error, nothing allocated) above this many atoms.
    matrix: any supported alloy (``vegard``), x its first-named halide; molecular A cations (MA, FA) are whole
    molecules at seeded random orientations (``build.molecules``), after the Pb and X atoms.
    The parameters are recorded in ``atoms.info['latticeanchor']``.
    """
    x = float(br_content(scalar("x (Br per formula unit)", x)))
    size = parse_size(size)
    ms = data.resolve(dataset, matrix)
    m = ms.matrix()
    per_a = 1 if m.A not in MOLECULES else len(MOLECULES[m.A][0])
    check_atom_budget((4 + per_a) * size[0] * size[1] * size[2], max_atoms, f"an α supercell of {size} cells")
    seed = parse_seed(seed)
    T = float(temperature(scalar("T (K)", T)))
    sqs_steps = integer("sqs_steps", sqs_steps, low=1, high=MAX_SQS_STEPS)
    if halide_order not in HALIDE_ORDERS:
        raise LatticeAnchorError(f"unknown halide_order {halide_order!r}; use 'random' or 'sqs'")
    a_val = float(vegard.lattice_constant(x, T, ms)) if a is None else lattice_a(a)

    pb = tile(ALPHA_SITES["Pb"], size)
    xs = tile(ALPHA_SITES["X"], size)
    cs = tile(ALPHA_SITES["Cs"], size)
    n_x = len(xs)
    n_br = n_bromide(x, n_x)
    cell = np.diag(np.array(size, dtype=float) * a_val)
    frac = np.vstack([pb, xs, cs])

    if halide_order == "sqs" and 0 < n_br < n_x:
        halides = _sqs_halides(frac, cell, len(pb), n_x, n_br, a_val, seed, sqs_steps)
    else:
        halides = random_halides(n_x, n_br, seed)
    first, second = m.halides
    if (first, second) != ("Br", "I"):  # x counts the first-named halide
        halides = np.where(np.asarray(halides) == "Br", first, second).astype(object)
    if m.A in MOLECULES:
        mol_symbols, mol_pos = place(m.A, cs @ cell, seed)
        symbols = ["Pb"] * len(pb) + list(halides) + mol_symbols
        atoms = Atoms(symbols=symbols, positions=np.vstack([np.vstack([pb, xs]) @ cell, mol_pos]), cell=cell, pbc=True)
        atoms.wrap()
    else:
        symbols = ["Pb"] * len(pb) + list(halides) + [m.A] * len(cs)
        atoms = Atoms(symbols=symbols, scaled_positions=frac, cell=cell, pbc=True)
    atoms.set_tags(np.full(len(atoms), MATRIX_TAG, dtype=int))
    extra = {} if m.name == data.DEFAULT_MATRIX else {"matrix": m.name, "A_cation": m.A}
    atoms.info["latticeanchor"] = provenance(
        "alpha_matrix", phase="alpha", x=x, size=list(size), a_A=a_val, a_given=a is not None, T_K=T,
        halide_order=halide_order, seed=seed, dataset=dataset, n_Br=n_br, n_X=n_x,
        **({"sqs_steps": sqs_steps} if halide_order == "sqs" else {}), **extra)
    return atoms


def _sqs_halides(frac, cell, n_pb, n_x, n_br, a, seed, n_steps) -> np.ndarray:
    """Symbols of the X sites from an icet SQS of the given supercell (same site order)."""
    try:
        from icet import ClusterSpace
        from icet.tools.structure_generation import generate_sqs_from_supercells
    except ImportError:  # pragma: no cover - depends on the environment
        raise LatticeAnchorError("halide_order='sqs' needs icet: pip install latticeanchor[sqs]") from None
    prim = Atoms("PbIIICs", scaled_positions=np.vstack([ALPHA_SITES["Pb"], ALPHA_SITES["X"], ALPHA_SITES["Cs"]]),
                 cell=np.eye(3) * a, pbc=True)
    cs = ClusterSpace(prim, cutoffs=[1.45 * a, 1.05 * a],
                      chemical_symbols=[["Pb"], ["I", "Br"], ["I", "Br"], ["I", "Br"], ["Cs"]])
    supercell = Atoms(["Pb"] * n_pb + ["I"] * n_x + ["Cs"] * (len(frac) - n_pb - n_x),
                      scaled_positions=frac, cell=cell, pbc=True)
    c_br = n_br / n_x
    import logging

    logging.getLogger("icet").setLevel(logging.WARNING)
    sqs = generate_sqs_from_supercells(cs, [supercell], target_concentrations={"Br": c_br, "I": 1.0 - c_br},
                                       n_steps=n_steps, random_seed=seed)
    if len(sqs) != len(supercell) or not np.allclose(sqs.get_scaled_positions() % 1.0, frac % 1.0, atol=1e-6):
        # icet keeps the site order of the supercell it was given; map by position if it ever does not
        idx = _match_sites(sqs.get_scaled_positions(), frac)
        symbols = np.array(sqs.get_chemical_symbols(), dtype=object)[idx]
    else:
        symbols = np.array(sqs.get_chemical_symbols(), dtype=object)
    halides = symbols[n_pb:n_pb + n_x]
    if int(np.sum(halides == "Br")) != n_br:  # pragma: no cover - icet guarantees the concentration
        raise LatticeAnchorError("icet returned an SQS with the wrong Br count")
    return halides


def _match_sites(found: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    from scipy.spatial import cKDTree

    tree = cKDTree(np.mod(found, 1.0) % 1.0, boxsize=1.0)
    _, idx = tree.query(np.mod(wanted, 1.0) % 1.0)
    return idx
