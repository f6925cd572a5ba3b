"""One unit and one meaning: Å for dot diameters in the library, nm on the command line and in study files.

Every library function that takes a ``diameter`` (Å) refuses a value below the smallest physical dot
(10 Å = 1 nm) with the hint that it was probably given in nm, through the one validator
``validate.dot_diameter``; the nm side (``electronic``, ``diameter_nm``) refuses an Å value the same way.
"""

from __future__ import annotations

import inspect

import pytest

from latticeanchor import build, electronic, geometry, stability, strain
from latticeanchor.build import cores, sizing
from latticeanchor.commands import mismatch
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import DIAMETER_MIN_A, dot_diameter

# (function, call with the diameter given as d): each takes the dot diameter in Å
CALLS = {
    "stability.critical_loading": lambda d: stability.critical_loading("PbS", 1.0, d),
    "stability.anchored_fraction": lambda d: stability.anchored_fraction("PbS", 1.0, d, 0.1),
    "stability.lifetime": lambda d: stability.lifetime("PbS", 1.0, d, 0.1),
    "stability.transformed_fraction": lambda d: stability.transformed_fraction("PbS", 1.0, d, 0.1, 298.15, 10.0),
    "stability.anchoring_length": lambda d: stability.anchoring_length("PbS", 1.0, d),
    "stability.coherent": lambda d: stability.coherent("PbS", 1.0, d),
    "strain.critical_spacing": lambda d: strain.critical_spacing("PbS", 1.0, d),
    "strain.critical_loading": lambda d: strain.critical_loading("PbS", 1.0, d),
    "strain.eshelby_energy": lambda d: strain.eshelby_energy("PbS", 1.0, d),
    "geometry.matrix_within": lambda d: geometry.matrix_within(0.1, d, 5.0),
    "geometry.dot_spacing": lambda d: geometry.dot_spacing(0.1, d),
    "geometry.surface_spacing": lambda d: geometry.surface_spacing(0.1, d),
    "geometry.volume_fraction": lambda d: geometry.volume_fraction(100.0, d),
    "build.rocksalt_core": lambda d: build.rocksalt_core("PbS", d),
    "build.cores.wulff_planes": lambda d: cores.wulff_planes(d),
    "build.sizing.estimate_core_atoms": lambda d: sizing.estimate_core_atoms(d, 5.936),
    "build.sizing.supercell_for_loading": lambda d: sizing.supercell_for_loading("PbS", 1.0, d, 0.1),
    "commands.mismatch.table": lambda d: mismatch.table("PbS", [1.0], 298.15, d),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_diameter_in_nm_by_mistake_is_refused_with_the_hint(name):
    CALLS[name](35.0)  # 3.5 nm given in Å: accepted
    with pytest.raises(LatticeAnchorError, match=r"did you give nm\? 3\.5 nm is 35 Å") as exc:
        CALLS[name](3.5)  # the example: critical_loading("PbS", 1.0, 3.5) used to return 0.0006
    assert "\n" not in str(exc.value)


def test_every_library_function_taking_a_diameter_is_guarded():
    """No function with a ``diameter`` parameter escapes the table above (a new one must be added)."""
    found = set()
    for prefix, module in (("stability", stability), ("strain", strain), ("geometry", geometry),
                           ("build.cores", cores), ("build.sizing", sizing), ("commands.mismatch", mismatch)):
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not fname.startswith("_") \
                    and "diameter" in inspect.signature(fn).parameters:
                found.add(f"{prefix}.{fname}")
    aliases = {"build.cores.rocksalt_core": "build.rocksalt_core"}
    assert {aliases.get(f, f) for f in found} - set(CALLS) == set()


def test_the_smallest_physical_dot_is_accepted_and_below_it_refused():
    assert float(dot_diameter(DIAMETER_MIN_A)) == DIAMETER_MIN_A
    with pytest.raises(LatticeAnchorError, match="smallest physical dot"):
        dot_diameter(DIAMETER_MIN_A * 0.99)
    with pytest.raises(LatticeAnchorError, match="positive"):
        dot_diameter(-35.0)


def test_nm_side_refuses_angstrom_by_mistake():
    assert 0.5 < electronic.dot_band_gap("PbS", 3.5) < 2.0  # eV, a 3.5 nm PbS dot
    with pytest.raises(LatticeAnchorError, match="did you give Å"):
        electronic.dot_band_gap("PbS", 35.0)
    with pytest.raises(LatticeAnchorError, match="did you give Å"):
        electronic.band_alignment("PbS", 35.0, 1.0)
