"""Chemical sanity report of a structure: composition, formal charge, element-pair contacts, Pb coordination,
matrix/core/interface counts and the matrix space group.

Contacts are judged with the element-pair minimum distances of ``latticeanchor.build.contacts`` (Shannon
ionic radii for bonded pairs, like-charge limits cation–cation 4.0 Å and anion–anion 3.6 Å), not one
global threshold; ``threshold`` (Å) applies only to pairs with an element of unknown formal charge.
Pb coordination: anions within ``contacts.PB_ANION_CUTOFF_A`` (3.6 Å) of each Pb. ``CheckReport.ok``
is False for a non-zero (or unknown) formal charge, any contact below its pair limit (like-charge
contacts included), any Pb with fewer than ``min_pb_anions`` (4) anions, or fewer than
``min_pb5_fraction`` (90 %) of the Pb with ≥ 5; ``str(report)`` names each failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from ase import Atoms

from latticeanchor import data
from latticeanchor.build._common import CORE_TAG, MATRIX_TAG, SHELL_TAG, scalar
from latticeanchor.build.contacts import (MOLECULAR_ELEMENTS, PB_ANION_CUTOFF_A, charge_sign, min_contact,
                                          pairs_within)
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.convert import as_atoms
from latticeanchor.validate import integer, positive

__all__ = ["check", "CheckReport", "INTERFACE_CUTOFF_A"]

PAIR_CUTOFF = 7.0  # Å, element pairs with no contact within it are reported as None (> 7 Å)
INTERFACE_CUTOFF_A = 4.6  # Å: a core atom with a non-core atom this close is an interface atom (as energy.anchoring)


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
    contact_limits: dict = field(default_factory=dict)
    n_like_charge_contacts: int = 0
    pb_coordination: dict = field(default_factory=dict)
    n_pb_underbonded: int = 0
    pb5_fraction: float | None = None
    min_pb_anions: int = 4
    min_pb5_fraction: float = 0.9
    n_shell: int = 0
    n_interface: int = 0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @property
    def failures(self) -> list[str]:
        """One line per failed criterion (empty when ``ok``)."""
        out = []
        if self.formal_charge is None:
            out.append(f"formal charge unknown (no formal charge for {', '.join(self.unknown_charge_elements)})")
        elif self.formal_charge != 0:
            out.append(f"formal charge {self.formal_charge:+d} (not charge balanced)")
        n_bond = self.n_close_pairs - self.n_like_charge_contacts
        if self.n_like_charge_contacts:
            out.append(f"{self.n_like_charge_contacts} like-charge contacts (cation–cation < 4.0 Å or anion–anion "
                       "< 3.6 Å, see contact limits)")
        if n_bond:
            out.append(f"{n_bond} cation–anion (or unknown-charge) contacts shorter than their pair limit")
        if self.n_pb_underbonded:
            out.append(f"{self.n_pb_underbonded} Pb with fewer than {self.min_pb_anions} anions within "
                       f"{PB_ANION_CUTOFF_A:g} Å")
        if self.pb5_fraction is not None and self.pb5_fraction < self.min_pb5_fraction - 1e-12:
            out.append(f"only {100 * self.pb5_fraction:.1f} % of Pb have ≥ 5 anions (need ≥ "
                       f"{100 * self.min_pb5_fraction:.0f} %)")
        return out

    @property
    def ok(self) -> bool:
        return not self.failures

    def __str__(self) -> str:
        lines = [f"atoms: {self.n_atoms} ({self.n_matrix} matrix, {self.n_core} core, {self.n_shell} interface shell; "
                 f"{self.n_interface} core atoms at the interface)",
                 "composition: " + ", ".join(f"{k} {v}" for k, v in self.composition.items()),
                 f"formula: {self.formula}",
                 "formal charge sum (Cs+1, Pb+2, halide-1, S/Se/Te-2): "
                 + (str(self.formal_charge) if self.formal_charge is not None
                    else f"unknown (no formal charge for {', '.join(self.unknown_charge_elements)})"),
                 "minimum distances / Å (limit):"]
        for pair, d in self.min_distances.items():
            lim = self.contact_limits.get(pair)
            shown = f"> {PAIR_CUTOFF:.1f}" if d is None else f"{d:.3f}"
            flag = "  TOO SHORT" if d is not None and lim is not None and d < lim - 1e-9 else ""
            lines.append(f"  {pair:<8} {shown:>7}" + (f"  (≥ {lim:.2f})" if lim else "") + flag)
        lines.append(f"contacts below their pair limit: {self.n_close_pairs} ({self.n_like_charge_contacts} like-charge)")
        for i, j, d in self.close_pairs[:10]:
            lines.append(f"  {i} {j} {d:.3f}")
        if self.pb_coordination:
            hist = ", ".join(f"{k}: {v}" for k, v in sorted(self.pb_coordination.items()))
            lines.append(f"Pb coordination (anions within {PB_ANION_CUTOFF_A:g} Å → number of Pb): {hist}; "
                         f"≥ 5: {100 * self.pb5_fraction:.1f} %")
        if self.extra.get("space_group_skipped"):
            sg = f"skipped ({self.n_matrix} matrix atoms > max_symmetry_atoms = {self.extra['max_symmetry_atoms']})"
        else:
            sg = f"{self.matrix_space_group} ({self.matrix_space_group_number})" if self.matrix_space_group else "not found"
        lines.append(f"matrix space group (spglib): {sg}")
        fails = self.failures
        lines.append("check: OK" if not fails else "check: FAILED: " + "; ".join(fails))
        return "\n".join(lines)


def check(atoms, threshold=2.5, symprec=1e-3, max_symmetry_atoms: int = 3000, min_pb_anions: int = 4,
          min_pb5_fraction: float = 0.9) -> CheckReport:
    """Report on ``atoms`` (ASE ``Atoms`` or pymatgen ``Structure``; module docstring): composition, formal charge sum, minimum distance per element
    pair (Å, periodic where atoms.pbc) and contacts below ``contacts.min_contact`` (``threshold`` Å for
    elements of unknown charge), Pb coordination histogram, matrix (tag 0) / core (tag 1) / shell (tag 2)
    / interface counts, and the space group (spglib, ``symprec`` Å) of the matrix part (all atoms if
    there are no tags). Neighbour search with scipy cKDTree or ``ase.neighborlist`` (linear in N).
    spglib's search scales as N² for disordered (P1) cells (≈ 10 s at 5000 atoms), so it is skipped
    when the matrix part has more than ``max_symmetry_atoms`` atoms (the report says so).
    min_pb_anions / min_pb5_fraction: the Pb coordination criteria of ``ok`` (use 0.95 for a coherent
    α hybrid)."""
    atoms = as_atoms(atoms, "check")
    if len(atoms) == 0:
        raise LatticeAnchorError("check: the structure has no atoms")
    threshold = float(positive("threshold (Å)", scalar("threshold (Å)", threshold)))
    symprec = float(positive("symprec (Å)", scalar("symprec (Å)", symprec)))
    max_symmetry_atoms = integer("max_symmetry_atoms", max_symmetry_atoms, low=0)
    min_pb_anions = integer("min_pb_anions", min_pb_anions, low=0, high=6)
    min_pb5_fraction = float(scalar("min_pb5_fraction", min_pb5_fraction))
    if not 0.0 <= min_pb5_fraction <= 1.0:
        raise LatticeAnchorError(f"min_pb5_fraction must be in [0, 1], got {min_pb5_fraction!r}")
    symbols = np.array(atoms.get_chemical_symbols())
    uniq, counts = np.unique(symbols, return_counts=True)
    composition = {str(u): int(c) for u, c in zip(uniq, counts)}
    charges = data.formal_charges()
    molecule_id, n_cations, n_unknown_units = _molecules(atoms, symbols)
    unknown = sorted(s for s in composition if s not in charges and s not in MOLECULAR_ELEMENTS)
    if n_unknown_units:
        unknown.append("unrecognised C/N/H fragment")
    charge = None if unknown else int(sum(charges[s] * n for s, n in composition.items()
                                          if s not in MOLECULAR_ELEMENTS) + n_cations)

    elems = sorted(composition)
    limits = {(a, b): (min_contact(a, b) or threshold) for a in elems for b in elems}
    min_d, _ = _contacts(atoms, elems, threshold)
    close, n_like, hist, n_under, frac5, n_int = _chemistry(atoms, symbols, elems, limits, int(min_pb_anions),
                                                            molecule_id)
    tags = atoms.get_tags()
    tagged = bool(np.any(tags != 0))
    matrix = tags == MATRIX_TAG if tagged else np.ones(len(atoms), dtype=bool)
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
                       n_core=int(np.sum(tags == CORE_TAG)) if tagged else 0,
                       contact_limits={f"{a}-{b}": float(limits[(a, b)]) for a, b in limits if a <= b},
                       n_like_charge_contacts=n_like, pb_coordination=hist, n_pb_underbonded=n_under,
                       pb5_fraction=frac5, min_pb_anions=int(min_pb_anions), min_pb5_fraction=min_pb5_fraction,
                       n_shell=int(np.sum(tags == SHELL_TAG)) if tagged else 0, n_interface=n_int,
                       extra={"space_group_skipped": skipped, "max_symmetry_atoms": int(max_symmetry_atoms)})


# molecular A cations recognised by their formula (C, N, H counts) -> charge
CATION_FORMULAS = {(1, 1, 6): ("CH3NH3+", 1), (1, 2, 5): ("HC(NH2)2+", 1)}
MOLECULAR_BOND_A = 1.6  # Å: C/N/H atoms closer than this belong to one molecule


def _molecules(atoms, symbols):
    """(molecule id per atom, −1 outside molecules; number of recognised +1 cations; unrecognised units)."""
    mol = np.isin(symbols, MOLECULAR_ELEMENTS)
    ids = np.full(len(atoms), -1)
    if not mol.any():
        return ids, 0, 0
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    i, j, _ = pairs_within(atoms, MOLECULAR_BOND_A)
    keep = mol[i] & mol[j]
    n = len(atoms)
    graph = coo_matrix((np.ones(int(keep.sum())), (i[keep], j[keep])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    ids[mol] = labels[mol]
    n_cat = n_bad = 0
    for label in np.unique(labels[mol]):
        members = symbols[ids == label]
        key = (int(np.sum(members == "C")), int(np.sum(members == "N")), int(np.sum(members == "H")))
        if key in CATION_FORMULAS:
            n_cat += CATION_FORMULAS[key][1]
        else:
            n_bad += 1
    return ids, n_cat, n_bad


def _chemistry(atoms, symbols, elems, limits, min_pb_anions, molecule_id=None):
    """(contacts below the pair limit [(i, j, d)], how many of them like-charge, Pb coordination histogram,
    number of Pb with fewer than ``min_pb_anions`` anions, fraction of Pb with ≥ 5, interface core atoms)."""
    index = {e: k for k, e in enumerate(elems)}
    code = np.array([index[s] for s in symbols])
    table = np.array([[limits[(a, b)] for b in elems] for a in elems])
    sign = np.array([charge_sign(e) for e in elems])[code]
    reach = max(float(table.max()), PB_ANION_CUTOFF_A, INTERFACE_CUTOFF_A)
    i, j, d = pairs_within(atoms, reach)
    bad = (i < j) & (d < table[code[i], code[j]] - 1e-9)
    if molecule_id is not None and np.any(molecule_id >= 0):  # bonds inside one molecular cation are no contacts
        bad &= ~((molecule_id[i] >= 0) & (molecule_id[i] == molecule_id[j]))
    close = sorted((int(a), int(b), float(c)) for a, b, c in zip(i[bad], j[bad], d[bad]))
    like = bad & (sign[i] * sign[j] > 0)
    pb = symbols == "Pb"
    link = pb[i] & (sign[j] < 0) & (d < PB_ANION_CUTOFF_A)
    cn = np.bincount(i[link], minlength=len(atoms))[pb]
    hist = {int(k): int(v) for k, v in enumerate(np.bincount(cn)) if v} if pb.any() else {}
    frac5 = float(np.mean(cn >= 5)) if pb.any() else None
    tags = atoms.get_tags()
    n_int = 0
    if np.any(tags == CORE_TAG):
        core = tags == CORE_TAG
        touch = core[i] & ~core[j] & (d < INTERFACE_CUTOFF_A)
        n_int = int(len(np.unique(i[touch])))
    return close, int(like.sum()), hist, int(np.sum(cn < min_pb_anions)), frac5, n_int


def _contacts(atoms: Atoms, elems: list, threshold: float):
    """(min distance per element pair in Å — None beyond ``PAIR_CUTOFF`` —, None).

    Orthogonal fully periodic cells: scipy cKDTree with a periodic box (O(N log N)); otherwise
    ase.neighborlist.neighbor_list with a 7 Å cutoff (pairs beyond it reported as None)."""
    cell = atoms.cell.array
    symbols = np.array(atoms.get_chemical_symbols())
    orthogonal = atoms.cell.rank == 3 and np.allclose(cell - np.diag(np.diag(cell)), 0.0)
    min_d = {}
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
        return min_d, None
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
    return min_d, None


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
