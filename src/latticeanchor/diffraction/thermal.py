"""Debye–Waller factors: isotropic B (Å²) per element at room temperature from the cited data file
(``materials.json``, section ``debye_waller_B_A2``), applied as exp(−B s²), s = sinθ/λ (Å⁻¹).

``debye_waller_factors`` (pymatgen's keyword, element → B in Å²) everywhere in the diffraction API:
None means these room-temperature defaults, ``{}`` switches them off, a dict gives its own values
(elements it omits get B = 0).
"""

from __future__ import annotations

from functools import lru_cache

from latticeanchor.errors import LatticeAnchorError

HALIDES = ("F", "Cl", "Br", "I")


@lru_cache(maxsize=1)
def _table() -> dict:
    from latticeanchor import data

    return dict(data.load()["debye_waller_B_A2"])


def default_b_iso(element: str, elements=()) -> float:
    """Room-temperature B (Å²) of ``element`` from the data file; Pb takes the perovskite value when a
    halide is among ``elements``, else the chalcogenide value; 0.0 for elements without data."""
    tab = _table()
    pick = tab["default_by_element"]
    if element == "Pb":
        key = pick["Pb_perovskite"] if any(h in elements for h in HALIDES) else pick["Pb_chalcogenide"]
    else:
        key = pick.get(element)
    if key is None:
        return 0.0
    return float(tab[key][element])


def debye_waller_for(elements, debye_waller_factors=None) -> dict[str, float]:
    """{element: B (Å²)} for the given elements: the defaults when ``debye_waller_factors`` is None,
    else the given mapping (validated: finite, B ≥ 0)."""
    elements = sorted(set(elements))
    if debye_waller_factors is None:
        return {e: default_b_iso(e, elements) for e in elements}
    if not isinstance(debye_waller_factors, dict):
        raise LatticeAnchorError("debye_waller_factors must be a dict element → B (Å²), {} for none, or None for "
                                 "the room-temperature defaults")
    out = {}
    for e in elements:
        try:
            b = float(debye_waller_factors.get(e, 0.0))
        except (TypeError, ValueError):
            raise LatticeAnchorError(f"debye_waller_factors[{e!r}] must be a number of Å²") from None
        if not (b >= 0 and b < 1e3):
            raise LatticeAnchorError(f"debye_waller_factors[{e!r}] = {b!r} Å² must be finite and non-negative")
        out[e] = b
    return out
