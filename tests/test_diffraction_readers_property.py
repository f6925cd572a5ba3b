"""Property-based tests of the pattern readers (hypothesis): on random bytes and random numeric columns
``read_pattern`` either returns a valid pattern (finite, strictly increasing x, matching lengths) or raises
the package's one-line LatticeAnchorError; never another exception, never a hang."""

from __future__ import annotations

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from latticeanchor.diffraction import read_pattern  # noqa: E402
from latticeanchor.errors import LatticeAnchorError  # noqa: E402

SETTINGS = settings(max_examples=60, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _check(path, **kw):
    try:
        pat = read_pattern(path, **kw)
    except LatticeAnchorError as exc:
        assert "\n" not in str(exc)
        return None
    x = pat.two_theta if pat.x_unit == "2theta" else pat.q
    y = pat.intensity
    assert len(x) == len(y) >= 2
    assert np.all(np.isfinite(x)) and np.all(np.isfinite(y))
    assert np.all(np.diff(x) > 0)
    if pat.sigma is not None:
        assert np.all(pat.sigma > 0)
    return pat


@SETTINGS
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".xy", ".xye", ".csv", ".chi", ".xrdml", ".dat"]))
def test_random_bytes(tmp_path, data, suffix):
    f = tmp_path / f"r{suffix}"
    f.write_bytes(data)
    _check(f)


_num = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64),
                 st.integers(min_value=-10**6, max_value=10**6).map(float))


@SETTINGS
@given(rows=st.lists(st.lists(_num, min_size=1, max_size=4), min_size=0, max_size=60),
       sep=st.sampled_from([" ", ",", "\t", ";"]), suffix=st.sampled_from([".xy", ".xye", ".csv"]),
       header=st.booleans())
def test_random_numeric_columns(tmp_path, rows, sep, suffix, header):
    f = tmp_path / f"n{suffix}"
    text = ("# 2theta intensity\n" if header else "") + "\n".join(sep.join(repr(v) for v in r) for r in rows)
    f.write_text(text)
    _check(f)


@SETTINGS
@given(y=st.lists(st.floats(min_value=0, max_value=1e6), min_size=2, max_size=50),
       start=st.floats(min_value=-10, max_value=200), end=st.floats(min_value=-10, max_value=200),
       junk=st.sampled_from(["", "abc", "nan", "1e999", "--"]))
def test_random_xrdml(tmp_path, y, start, end, junk):
    f = tmp_path / "r.xrdml"
    f.write_text(
        '<?xml version="1.0"?><xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.7"><xrdMeasurement>'
        '<usedWavelength><kAlpha1>1.5406</kAlpha1></usedWavelength><scan scanAxis="2Theta"><dataPoints>'
        f'<positions axis="2Theta"><startPosition>{start!r}{junk}</startPosition><endPosition>{end!r}</endPosition>'
        '</positions><positions axis="Omega"><commonPosition>1.0</commonPosition></positions>'
        f'<intensities>{" ".join(repr(v) for v in y)}</intensities></dataPoints></scan></xrdMeasurement>'
        '</xrdMeasurements>')
    _check(f)
