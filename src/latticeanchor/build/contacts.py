"""Chemically acceptable interatomic distances for the hybrids: one table used by ``embed`` and ``check``.

Minimum distance d_min(A, B) in Å between two ions (formal charges from ``data.formal_charges``):

- opposite charges (a bond): d_min = max(2.8 Å, 0.85·(r_A + r_B)) with Shannon ionic radii (Shannon,
  Acta Cryst. A32, 751 (1976), DOI 10.1107/S0567739476001551): Pb²⁺ (CN VI) 1.19, Cs⁺ (CN XII) 1.88,
  Cl⁻ 1.81, Br⁻ 1.96, I⁻ 2.20, S²⁻ 1.84, Se²⁻ 1.98, Te²⁻ 2.21 Å (anions CN VI). Real bonds are
  ≈ 0.9–1.0 × the radius sum (Pb–S 2.97 Å in PbS, Pb–I 3.05–3.4 Å in δ-CsPbI3, Pb–X ≥ 2.87 Å in
  every α/δ matrix the builders make), so 0.85 flags only compressed contacts. 2.8 Å is the shortest
  acceptable cation–anion distance (5 % below Pb–S in PbS); Cs–chalcogen pairs need ≥ 3.3 Å (Cs⁺ is
  large: 0.85 × (1.88 + 1.84) = 3.16 Å would pass a Cs–S contact no Cs sulfide has).
- like charges (no bond): cation–cation ≥ 4.0 Å, anion–anion ≥ 3.6 Å. The shortest like-ion distances
  in the bulk phases involved are rock-salt Pb–Pb and S–S a/√2 ≈ 4.2 Å (PbS), α halide–halide a/√2
  ≈ 4.1–4.4 Å, δ Pb–Pb 4.4–4.7 Å and δ X–X 3.9–4.2 Å; the limits sit ≈ 5–10 % below.

Molecular A cations (CH3NH3⁺, HC(NH2)2⁺; atoms C, N, H) — pairs between different molecules or with the
inorganic framework (``MOLECULAR_MIN_A``; bonds inside one molecule are exempt, see ``check``): H···halide
≥ 2.2 Å (N–H···I hydrogen bonds are 2.75–3.00 Å in α-FAPbI3, Weller et al., J. Phys. Chem. Lett. 6, 3209
(2015), DOI 10.1021/acs.jpclett.5b01432), H···Pb ≥ 2.8 Å, C/N···halide ≥ 3.0 Å, C/N···Pb ≥ 3.5 Å,
H···H ≥ 1.7 Å, H···C/N ≥ 2.2 Å, C/N···C/N ≥ 3.0 Å between molecules, and ≥ 2.2 Å (H) / 3.0 Å (C, N) to
chalcogens and Cs: about 20 % below the shortest contacts of the hybrid perovskites' room-temperature phases.

``PB_ANION_CUTOFF`` (3.6 Å) is the Pb coordination shell: Pb–anion bonds in PbS/PbSe/PbTe and in the
α/δ matrices are 2.87–3.43 Å, second neighbours ≥ 4.1 Å.
"""

from __future__ import annotations

from latticeanchor import data
from latticeanchor.errors import LatticeAnchorError

__all__ = ["SHANNON_RADII_A", "RADIUS_FACTOR", "CATION_ANION_MIN_A", "CS_CHALCOGEN_MIN_A", "CATION_CATION_MIN_A",
           "ANION_ANION_MIN_A", "PB_ANION_CUTOFF_A", "MAX_CONTACT_LIMIT_A", "contact_limit", "min_contact",
           "contact_table", "charge_sign"]

SHANNON_RADII_A = {"Pb": 1.19, "Cs": 1.88, "Cl": 1.81, "Br": 1.96, "I": 2.20, "S": 1.84, "Se": 1.98, "Te": 2.21}
RADIUS_FACTOR = 0.85
CATION_ANION_MIN_A = 2.8
CS_CHALCOGEN_MIN_A = 3.3
CATION_CATION_MIN_A = 4.0
ANION_ANION_MIN_A = 3.6
PB_ANION_CUTOFF_A = 3.6
CHALCOGENS = ("S", "Se", "Te")
MAX_CONTACT_LIMIT_A = 10.0  # Å: about three Pb–X bond lengths; no contact limit between two ions is longer


MOLECULAR_ELEMENTS = ("C", "N", "H")
_HALIDES = ("Cl", "Br", "I")


def _molecular_min(a: str, b: str) -> float:
    """Minimum distance (Å) of a pair with a molecular-cation atom (C, N, H), between different units."""
    mol = {a, b} & set(MOLECULAR_ELEMENTS)
    other = ({a, b} - mol) or mol
    if mol == {"H"} and other == {"H"} or (a == b == "H"):
        return 1.7
    if "H" in (a, b):
        rest = b if a == "H" else a
        return 2.8 if rest == "Pb" else 2.2
    rest = b if a in MOLECULAR_ELEMENTS else a
    if rest in MOLECULAR_ELEMENTS:
        return 3.0
    return 3.5 if rest == "Pb" else 3.0


def charge_sign(symbol: str) -> int:
    """+1 cation, −1 anion, 0 unknown/neutral (formal charges of the data file)."""
    q = data.formal_charges().get(symbol, 0)
    return int(q > 0) - int(q < 0)


def contact_limit(name: str, value) -> float:
    """A contact limit in Å (``min_contact``'s class limits, ``embed``'s min_distance): a finite number in
    (0, ``MAX_CONTACT_LIMIT_A``]; ``name`` names it in the errors."""
    from latticeanchor.validate import real

    return real(name, value, 0.0, MAX_CONTACT_LIMIT_A, low_open=True,
                why="an ion–ion contact limit; the bonds here are 2.9–3.4 Å")


def _element(name: str, symbol) -> str:
    from ase.data import chemical_symbols

    if not isinstance(symbol, str) or symbol not in chemical_symbols[1:]:
        raise LatticeAnchorError(f"{name}: {symbol!r} is not a chemical element symbol (e.g. 'Pb', 'Br')")
    return symbol


def min_contact(a: str, b: str, cation_anion: float = CATION_ANION_MIN_A,
                cation_cation: float = CATION_CATION_MIN_A, anion_anion: float = ANION_ANION_MIN_A) -> float:
    """Minimum acceptable distance (Å) between ions of elements ``a`` and ``b`` (module docstring).

    The three class limits can be overridden (``embed``'s min_distance / like_charge_distance; each in
    (0, 10] Å); 0.0 for pairs with an element of unknown charge (no rule). Pairs with a molecular-cation
    atom (C, N, H) use ``_molecular_min``."""
    a, b = _element("element a", a), _element("element b", b)
    cation_anion = contact_limit("cation_anion (Å)", cation_anion)
    cation_cation = contact_limit("cation_cation (Å)", cation_cation)
    anion_anion = contact_limit("anion_anion (Å)", anion_anion)
    if a in MOLECULAR_ELEMENTS or b in MOLECULAR_ELEMENTS:
        return _molecular_min(a, b)
    sa, sb = charge_sign(a), charge_sign(b)
    if sa == 0 or sb == 0:
        return 0.0
    if sa > 0 and sb > 0:
        return float(cation_cation)
    if sa < 0 and sb < 0:
        return float(anion_anion)
    floor = float(cation_anion)
    if {a, b} & {"Cs"} and {a, b} & set(CHALCOGENS):
        floor = max(floor, CS_CHALCOGEN_MIN_A)
    if a in SHANNON_RADII_A and b in SHANNON_RADII_A:
        floor = max(floor, RADIUS_FACTOR * (SHANNON_RADII_A[a] + SHANNON_RADII_A[b]))
    return floor


def contact_table(elements, **limits) -> dict[tuple[str, str], float]:
    """{(A, B): d_min (Å)} for every ordered pair of ``elements`` (see ``min_contact``)."""
    els = sorted(set(elements))
    return {(a, b): min_contact(a, b, **limits) for a in els for b in els}


def pairs_within(atoms, cutoff: float):
    """(i, j, d) of all atom pairs closer than ``cutoff`` (Å), both directions, minimum image.

    Orthogonal periodic cells wider than 2·cutoff: scipy cKDTree with a periodic box (fast);
    otherwise ``ase.neighborlist.neighbor_list``."""
    import numpy as np

    cell = atoms.cell.array
    orthogonal = atoms.cell.rank == 3 and np.allclose(cell - np.diag(np.diag(cell)), 0.0)
    if all(atoms.pbc) and orthogonal and np.all(np.diag(cell) > 2 * cutoff):
        from scipy.spatial import cKDTree

        box = np.diag(cell).copy()
        pos = np.mod(atoms.positions, box)
        pos[pos >= box] = 0.0
        pairs = cKDTree(pos, boxsize=box).query_pairs(cutoff, output_type="ndarray")
        if len(pairs) == 0:
            return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
        disp = pos[pairs[:, 1]] - pos[pairs[:, 0]]
        disp -= np.round(disp / box) * box
        d = np.linalg.norm(disp, axis=1)
        i = np.concatenate([pairs[:, 0], pairs[:, 1]])
        j = np.concatenate([pairs[:, 1], pairs[:, 0]])
        return i, j, np.concatenate([d, d])
    from ase.neighborlist import neighbor_list

    probe = atoms
    if not any(atoms.pbc) and atoms.cell.rank < 3:
        probe = atoms.copy()
        probe.center(vacuum=cutoff + 1.0)
    return neighbor_list("ijd", probe, cutoff)
