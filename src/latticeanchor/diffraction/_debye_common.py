"""Helpers shared by the two Debye implementations, :mod:`latticeanchor.diffraction.debye` (pair
histograms, exact sum) and :mod:`latticeanchor.diffraction.debye_lattice` (FFT pair counts): the cluster
from any structure type, the q validation, the form-factor table (electrons) and the Debye–Waller pair
damping. Neither Debye module imports the other's internals; both import these.
"""

from __future__ import annotations

import numpy as np

from latticeanchor.errors import LatticeAnchorError

__all__ = ["as_cluster", "validate_q", "form_factor_table", "pair_damping"]


def as_cluster(atoms):
    """(symbols list, cart positions (N, 3) Å) from ASE Atoms, a pymatgen Structure/Molecule, or a
    (symbols, positions) pair. Periodicity is ignored: the atoms are a finite cluster."""
    try:
        from ase import Atoms
    except ImportError:  # pragma: no cover
        Atoms = ()
    if Atoms and isinstance(atoms, Atoms):
        from ase.data import chemical_symbols

        return np.asarray(chemical_symbols)[atoms.numbers].tolist(), np.asarray(atoms.positions, dtype=float)
    if hasattr(atoms, "sites") and hasattr(atoms, "cart_coords"):
        syms = []
        for site in atoms:
            if not site.is_ordered:
                raise LatticeAnchorError("debye_pattern needs an ordered cluster (no partial occupancies); "
                                         "draw a random configuration first")
            syms.append(site.specie.symbol)
        return syms, np.asarray(atoms.cart_coords, dtype=float)
    if isinstance(atoms, (tuple, list)) and len(atoms) == 2:
        syms, pos = atoms
        pos = np.asarray(pos, dtype=float)
        if pos.ndim != 2 or pos.shape[1] != 3 or len(syms) != len(pos):
            raise LatticeAnchorError("cluster positions must be an (N, 3) array in Å matching the N symbols")
        return list(syms), pos
    raise LatticeAnchorError(f"atoms must be an ASE Atoms, a pymatgen Structure/Molecule or (symbols, positions), "
                             f"got {type(atoms).__name__}")


def validate_q(q) -> np.ndarray:
    from latticeanchor.validate import as_array

    q = np.atleast_1d(as_array("q (Å⁻¹)", q)).astype(float)
    if q.ndim != 1:
        raise LatticeAnchorError("q (Å⁻¹) must be a 1-D array")
    if np.any(q < 0):
        raise LatticeAnchorError(f"q (Å⁻¹) must be non-negative, got {q[q < 0][0]:g}")
    return q


def form_factor_table(elements, q, form_factors):
    """(ne, nq) form factors in electrons."""
    from latticeanchor.diffraction.bragg import form_factor

    s2 = (q / (4 * np.pi)) ** 2
    rows = []
    for e in elements:
        if form_factors is None:
            rows.append(form_factor(e, s2))
        elif callable(form_factors):
            rows.append(np.broadcast_to(np.asarray(form_factors(e, q), dtype=float), q.shape))
        elif isinstance(form_factors, dict):
            if e not in form_factors:
                raise LatticeAnchorError(f"form_factors has no entry for element {e!r}")
            v = form_factors[e]
            rows.append(np.broadcast_to(np.asarray(v(q) if callable(v) else v, dtype=float), q.shape))
        else:
            raise LatticeAnchorError("form_factors must be None, a callable (element, q) or a dict element → value/callable")
    return np.array(rows, dtype=float)


def pair_damping(elements, q, debye_waller_factors) -> np.ndarray:
    """(ne, nq) Debye–Waller amplitude factors exp(−B_e s²), s = q/4π, for the pair (i ≠ j) terms."""
    from latticeanchor.diffraction.thermal import debye_waller_for

    dw = debye_waller_for(elements, debye_waller_factors)
    s2 = (q / (4 * np.pi)) ** 2
    return np.exp(-np.outer([dw[e] for e in elements], s2))
