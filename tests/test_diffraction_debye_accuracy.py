"""The default Debye method against the exact double sum, pointwise (weak q included), and the module
layout: debye_lattice does not import debye; both use the shared helpers of _debye_common."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from latticeanchor.diffraction import debye_pattern

from test_diffraction_debye import Q, _exact, _perovskite_cluster, _rocksalt_cluster

DIFFRACTION = Path(__file__).resolve().parents[1] / "src" / "latticeanchor" / "diffraction"


def _pointwise(got, ref):
    return float(np.max(np.abs(got - ref) / np.abs(ref)))


@pytest.mark.parametrize("name", ["rattled-rocksalt", "rattled-perovskite", "lattice-rocksalt"])
def test_default_method_is_within_1e5_pointwise_of_the_exact_sum(name):
    at = {"rattled-rocksalt": lambda: _rocksalt_cluster(13.0, rng=np.random.default_rng(0), sigma=0.05),
          "rattled-perovskite": lambda: _perovskite_cluster(12.0),
          "lattice-rocksalt": lambda: _rocksalt_cluster(13.0)}[name]()
    ref = _exact(at, Q)  # independent brute force (scipy pdist, the test's own form factors)
    assert np.abs(ref).min() < 0.05 * ref.max()  # the pattern has weak regions, where relative errors show
    got = debye_pattern(at, Q, debye_waller_factors={})
    assert _pointwise(got, ref) <= 1e-5, _pointwise(got, ref)


def test_on_a_lattice_auto_is_exact_where_the_histogram_is_not():
    """Why "auto" is the default: on a lattice the histogram's per-pair errors add up coherently."""
    at = _rocksalt_cluster(13.0)
    ref = _exact(at, Q)
    assert _pointwise(debye_pattern(at, Q, debye_waller_factors={}), ref) < 1e-9
    assert _pointwise(debye_pattern(at, Q, method="histogram", debye_waller_factors={}), ref) > 1e-9


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_debye_modules_share_helpers_instead_of_importing_each_other():
    lattice = _imports(DIFFRACTION / "debye_lattice.py")
    debye = _imports(DIFFRACTION / "debye.py")
    assert not any(n.startswith("latticeanchor.diffraction.debye") and not n.startswith(
        "latticeanchor.diffraction.debye_lattice") for n in lattice)
    assert "latticeanchor.diffraction._debye_common" in lattice and "latticeanchor.diffraction._debye_common" in debye
    # debye.py reaches the lattice method only through its public dispatch (method="lattice"/"auto")
    assert not any(n.startswith("latticeanchor.diffraction.debye_lattice._") for n in debye)
