"""Supercell sizes: atom-count estimates made before anything is allocated, and the α supercell that
holds one dot at a candidate's loading.

Loading φ is the dot volume fraction. One dot per cubic supercell of n α cells (edge n·a) gives
φ = (π d³/6) / (n a)³, so the edge that realises φ is L = d·(π/(6φ))^(1/3) (the dot spacing of a
simple-cubic dot lattice) and n = round(L/a). ``supercell_for_loading`` takes that n when the hybrid
fits ``max_atoms``, else the largest n that fits (the dots then sit closer: a higher loading); it
never goes below the smallest cell the dot fits in (``embed``'s rule), and raises when even that is
over the budget. The loading actually built is returned and must be reported with the structure.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from latticeanchor.build._common import check_atom_budget, lattice_a, parse_size, scalar
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import CLUSTER_CORE_MIN_A, dot_diameter, integer

__all__ = ["SupercellChoice", "supercell_for_loading", "estimate_core_atoms", "estimate_matrix_atoms",
           "check_atom_budget", "candidate_params", "DEFAULT_MAX_ATOMS", "ATOMS_PER_CELL"]

DEFAULT_MAX_ATOMS = 200_000  # atoms; the CLI's --max-atoms default (≈ 0.2 GiB of positions and neighbour lists)
ATOMS_PER_CELL = {"alpha": 5, "delta": 20}  # Pm-3m CsPbX3 (Z = 1), Pnma δ (Z = 4)
_SHELL_CLEARANCE_A = 4.0  # Å, the like-charge limit embed keeps between a dot's shell and its periodic image


def estimate_core_atoms(diameter, a) -> int:
    """Atoms of a rock-salt dot of ``diameter`` (Å; sphere, or the volume-equivalent Wulff shape) with
    lattice constant ``a`` (Å): 8 atoms per a³ times the dot volume, rounded up (±surface sites)."""
    d = float(dot_diameter(scalar("diameter (Å)", diameter), minimum=CLUSTER_CORE_MIN_A))
    a = lattice_a(a)
    ratio = min(d / a, 1e10)  # beyond 1e10 cells across (4e30 atoms) the count only has to exceed any budget
    return int(math.ceil(8.0 * math.pi * ratio**3 / 6.0)) + 1


def estimate_matrix_atoms(phase: str, size) -> int:
    """Atoms of an α (5 per cell) or δ (20 per cell) supercell of ``size`` cells."""
    if phase not in ATOMS_PER_CELL:
        raise LatticeAnchorError(f"unknown matrix {phase!r}; use 'alpha' or 'delta'")
    n1, n2, n3 = parse_size(size)
    return ATOMS_PER_CELL[phase] * n1 * n2 * n3


@dataclass(frozen=True)
class SupercellChoice:
    """n_cells: α cells per edge; loading_built: dot volume fraction of that cell; at_candidate: True when
    n is the loading's own n (within the budget); n_atoms_estimate: atoms of the hybrid (upper estimate);
    a_matrix_A, cell_edge_A, target_cell_edge_A: Å; loading_requested: the candidate's φ."""

    n_cells: int
    loading_requested: float
    loading_built: float
    at_candidate: bool
    n_atoms_estimate: int
    a_matrix_A: float
    cell_edge_A: float
    target_cell_edge_A: float
    max_atoms: int

    def as_dict(self) -> dict:
        return asdict(self)


def supercell_for_loading(core: str, x, diameter, loading, max_atoms: int = DEFAULT_MAX_ATOMS, T=298.15,
                          a_matrix=None, dataset: str | None = None, min_cells: int | None = None) -> SupercellChoice:
    """The cubic α supercell (n×n×n cells) holding one ``core`` dot of ``diameter`` (Å) at volume fraction
    ``loading`` (0 < φ < π/6), within ``max_atoms`` (module docstring). a_matrix (Å) defaults to
    Vegard at x, T (K); the core's lattice constant (for the atom estimate) to the data at T.
    min_cells: smallest n allowed (default: the smallest cell ``embed`` fits the dot and its halide
    shell in, (d + a + 4 Å)/a rounded up; another builder may need less)."""
    from latticeanchor import strain, vegard
    from latticeanchor.validate import br_content, temperature

    x = float(br_content(scalar("x (Br per formula unit)", x)))
    T = float(temperature(scalar("T (K)", T)))
    d = float(dot_diameter(scalar("diameter (Å)", diameter), minimum=CLUSTER_CORE_MIN_A))
    phi = float(scalar("loading (volume fraction)", loading))
    if not 0.0 < phi < math.pi / 6:
        raise LatticeAnchorError(f"loading must be a dot volume fraction in (0, π/6) for one dot per cube, got {loading!r}")
    a = float(vegard.lattice_constant(x, T, dataset)) if a_matrix is None else lattice_a(a_matrix, "a_matrix (Å)")
    a_core = float(strain.core_lattice_constant(core, T, dataset))
    check_atom_budget(0, max_atoms, "")
    v_dot = math.pi * d**3 / 6.0
    target = (v_dot / phi) ** (1.0 / 3.0)
    n_min = max(2, math.ceil((2.0 * (d / 2.0 + a / 2.0) + _SHELL_CLEARANCE_A) / a))  # embed's fit rule
    if min_cells is not None:
        n_min = integer("min_cells", min_cells, low=1)
    n_core = estimate_core_atoms(d, a_core)

    def atoms(n):
        return 5 * n**3 + n_core

    n_want = max(n_min, int(round(target / a)))
    n = n_want
    while n > n_min and atoms(n) > max_atoms:
        n -= 1
    if atoms(n) > max_atoms:
        raise LatticeAnchorError(f"a {d:g} Å dot needs at least {n_min}³ α cells (about {atoms(n_min):,} atoms) "
                                 f"> max_atoms={int(max_atoms)}")
    return SupercellChoice(n_cells=int(n), loading_requested=phi, loading_built=v_dot / (n * a) ** 3,
                           at_candidate=bool(n == n_want), n_atoms_estimate=int(atoms(n)), a_matrix_A=a,
                           cell_edge_A=n * a, target_cell_edge_A=target, max_atoms=int(max_atoms))


_ALIASES = {"diameter_A": (("diameter_A", 1.0), ("diameter_nm", 10.0), ("diameter", 1.0)),
            "loading": (("loading_fraction", 1.0), ("loading", 1.0)),
            "T_K": (("T_K", 1.0), ("T", 1.0))}


def candidate_params(row) -> dict:
    """{core, x, diameter_A, loading, T_K} of a screen row (dict or pandas row), whichever column names
    it uses: diameter_A / diameter_nm / diameter (Å), loading_fraction / loading, T_K / T."""
    get = row.get if hasattr(row, "get") else (lambda k, default=None: getattr(row, k, default))
    out = {"core": str(get("core")), "x": float(get("x"))}
    for key, options in _ALIASES.items():
        for name, factor in options:
            v = get(name, None)
            if v is not None:
                out[key] = float(v) * factor
                break
        else:
            raise LatticeAnchorError(f"candidate row has no {key} column (tried {', '.join(n for n, _ in options)})")
    return out
