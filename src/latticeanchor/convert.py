"""One converter at the entry of every function that takes a structure: ASE ``Atoms`` or pymatgen
``Structure`` / ``IStructure`` / ``Molecule`` alike.

``as_atoms`` returns ASE ``Atoms`` unchanged (no copy) and converts a pymatgen object with pymatgen's
``AseAtomsAdaptor``, which carries the ``tags`` site property (matrix 0 / core 1 / shell 2 in this
package) and ``Structure.properties`` (→ ``atoms.info``, where the builders' ``latticeanchor`` record
lives) both ways, so a hybrid converted to pymatgen and back checks, embeds and writes the same.
Anything else, and a disordered (partially occupied) structure, is a one-line ``LatticeAnchorError``.
"""

from __future__ import annotations

from ase import Atoms

from latticeanchor.errors import LatticeAnchorError

__all__ = ["as_atoms"]


def as_atoms(structure, what: str = "structure") -> Atoms:
    """ASE ``Atoms`` of ``structure`` (ASE ``Atoms`` as is; pymatgen Structure/IStructure/Molecule converted).
    ``what`` names the argument in the error message."""
    if isinstance(structure, Atoms):
        return structure
    try:
        from pymatgen.core import IMolecule, IStructure
    except ImportError:  # pragma: no cover - pymatgen is a dependency
        IMolecule = IStructure = ()
    if isinstance(structure, (IStructure, IMolecule)):  # Structure and Molecule are subclasses
        if not structure.is_ordered:
            raise LatticeAnchorError(f"{what}: a disordered pymatgen structure (partial occupancies) has no ASE "
                                     "form; order it first (e.g. OrderDisorderedStructureTransformation)")
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_atoms(structure)
    raise LatticeAnchorError(f"{what} must be an ase.Atoms or a pymatgen Structure, got {type(structure).__name__}")
