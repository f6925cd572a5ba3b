"""Sanity report of a structure: composition, formal charge, close contacts, matrix space group."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

from latticeanchor import data
from latticeanchor.build._common import MATRIX_TAG, scalar
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import positive

__all__ = ["check", "CheckReport"]

PAIR_CUTOFF = 7.0  # Å, element pairs with no contact within it are reported as None (> 7 Å)


@dataclass
class CheckReport:
    """Result of ``check``; ``as_dict()`` for machines, ``str()`` for people. Distances in Å."""

    n_atoms: int
    composition: dict
    formula: str
    formal_charge: int | None
    unknown_charge_elements: list
    min_distances: dict
    threshold: float
    close_pairs: list
    n_close_pairs: int
    matrix_space_group: str | None
    matrix_space_group_number: int | None
    n_matrix: int
    n_core: int
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def ok(self) -> bool:
        return self.n_close_pairs == 0 and self.formal_charge == 0

    def __str__(self) -> str:
        lines = [f"atoms: {self.n_atoms} ({self.n_matrix} matrix, {self.n_core} core)",
                 "composition: " + ", ".join(f"{k} {v}" for k, v in self.composition.items()),
                 f"formula: {self.formula}",
                 "formal charge sum (Cs+1, Pb+2, halide-1, S/Se/Te-2): "
                 + (str(self.formal_charge) if self.formal_charge is not None
                    else f"unknown (no formal charge for {', '.join(self.unknown_charge_elements)})"),
                 "minimum distances / Å:"]
        for pair, d in self.min_distances.items():
            lines.append(f"  {pair:<8} {'> %.1f' % PAIR_CUTOFF if d is None else f'{d:.3f}'}")
        lines.append(f"atom pairs closer than {self.threshold:g} Å: {self.n_close_pairs}")
        for i, j, d in self.close_pairs[:10]:
            lines.append(f"  {i} {j} {d:.3f}")
        if self.extra.get("space_group_skipped"):
            sg = f"skipped ({self.n_matrix} matrix atoms > max_symmetry_atoms = {self.extra['max_symmetry_atoms']})"
        else:
            sg = f"{self.matrix_space_group} ({self.matrix_space_group_number})" if self.matrix_space_group else "not found"
        lines.append(f"matrix space group (spglib): {sg}")
        return "\n".join(lines)


def check(atoms: Atoms, threshold=2.5, symprec=1e-3, max_symmetry_atoms: int = 3000) -> CheckReport:
    """Report on ``atoms``: composition, formal charge sum, minimum distance per element pair (Å, periodic
    where atoms.pbc), atom pairs closer than ``threshold`` (Å), and the space group (spglib, ``symprec``
    Å) of the matrix part (atoms tagged 0; all atoms if there are no tags). Neighbour search with
    ``ase.neighborlist.neighbor_list`` (linear in N). spglib's search scales as N² for disordered
    (P1) cells (≈ 10 s at 5000 atoms, minutes at 20 000), so it is skipped when the matrix part has
    more than ``max_symmetry_atoms`` atoms (the report says so; raise the limit to force it)."""
    if not isinstance(atoms, Atoms):
        raise LatticeAnchorError(f"check needs an ase.Atoms, got {type(atoms).__name__}")
    if len(atoms) == 0:
        raise LatticeAnchorError("check: the structure has no atoms")
    threshold = float(positive("threshold (Å)", scalar("threshold (Å)", threshold)))
    symprec = float(positive("symprec (Å)", scalar("symprec (Å)", symprec)))
    symbols = np.array(atoms.get_chemical_symbols())
    uniq, counts = np.unique(symbols, return_counts=True)
    composition = {str(u): int(c) for u, c in zip(uniq, counts)}
    charges = data.formal_charges()
    unknown = sorted(s for s in composition if s not in charges)
    charge = None if unknown else int(sum(charges[s] * n for s, n in composition.items()))

    min_d, close = _contacts(atoms, elems := sorted(composition), threshold)
    tags = atoms.get_tags()
    matrix = tags == MATRIX_TAG if np.any(tags != 0) else np.ones(len(atoms), dtype=bool)
    n_matrix = int(matrix.sum())
    skipped = bool(n_matrix > max_symmetry_atoms)
    if matrix.any() and all(atoms.pbc) and not skipped:
        sg, num = _space_group(atoms[matrix], symprec)
    else:
        sg, num = None, None
    return CheckReport(n_atoms=len(atoms), composition=composition, formula=atoms.get_chemical_formula(),
                       formal_charge=charge, unknown_charge_elements=unknown, min_distances=min_d,
                       threshold=threshold, close_pairs=close, n_close_pairs=len(close),
                       matrix_space_group=sg, matrix_space_group_number=num, n_matrix=n_matrix,
                       n_core=int(len(atoms) - n_matrix) if np.any(tags != 0) else 0,
                       extra={"space_group_skipped": skipped, "max_symmetry_atoms": int(max_symmetry_atoms)})


def _contacts(atoms: Atoms, elems: list, threshold: float):
    """(min distance per element pair, sorted close pairs (i, j, d)) in Å.

    Orthogonal fully periodic cells: scipy cKDTree with a periodic box (O(N log N)); otherwise
    ase.neighborlist.neighbor_list with a 7 Å cutoff (pairs beyond it reported as None)."""
    cell = atoms.cell.array
    symbols = np.array(atoms.get_chemical_symbols())
    orthogonal = atoms.cell.rank == 3 and np.allclose(cell - np.diag(np.diag(cell)), 0.0)
    min_d, close = {}, []
    if all(atoms.pbc) and orthogonal and np.all(np.diag(cell) > 2 * threshold):
        from scipy.spatial import cKDTree

        box = np.diag(cell).copy()
        pos = np.mod(atoms.positions, box)
        pos[pos >= box] = 0.0
        trees = {e: cKDTree(pos[symbols == e], boxsize=box) for e in elems}
        for ai, ea in enumerate(elems):
            for eb in elems[ai:]:
                pa = pos[symbols == ea]
                if ea == eb:
                    if len(pa) < 2:
                        min_d[f"{ea}-{eb}"] = None
                        continue
                    d, _ = trees[eb].query(pa, k=2)
                    d = d[:, 1]
                else:
                    d, _ = trees[eb].query(pa, k=1)
                best = float(np.min(d))
                min_d[f"{ea}-{eb}"] = best if best <= max(PAIR_CUTOFF, 0.5 * box.min()) else None
        pairs = cKDTree(pos, boxsize=box).query_pairs(threshold, output_type="ndarray")
        for i, j in pairs:
            close.append((int(min(i, j)), int(max(i, j)), float(atoms.get_distance(i, j, mic=True))))
        return min_d, sorted(close)
    from ase.neighborlist import neighbor_list

    cutoff = max(PAIR_CUTOFF, threshold)
    probe = atoms
    if not any(atoms.pbc) and atoms.cell.rank < 3:
        probe = atoms.copy()
        probe.center(vacuum=cutoff)
    i, j, d = neighbor_list("ijd", probe, cutoff)
    for ai, ea in enumerate(elems):
        for eb in elems[ai:]:
            m = (symbols[i] == ea) & (symbols[j] == eb)
            min_d[f"{ea}-{eb}"] = float(d[m].min()) if np.any(m) else None
    m = (i < j) & (d < threshold)
    close = sorted((int(a), int(b), float(c)) for a, b, c in zip(i[m], j[m], d[m]))
    return min_d, close


def _z(symbol: str) -> int:
    from ase.data import atomic_numbers

    return atomic_numbers[symbol]


def _space_group(atoms: Atoms, symprec: float):
    import spglib

    cell = (atoms.cell.array, atoms.get_scaled_positions(), atoms.numbers)
    result = spglib.get_spacegroup(cell, symprec=symprec)
    if not result:
        return None, None
    symbol, number = result.rsplit(" ", 1)
    return symbol, int(number.strip("()"))
