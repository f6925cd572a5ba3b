"""Matrix alloys as a parameter (issue 18): cited end members, Vegard per matrix, missing terms refused."""

import numpy as np
import pytest

from latticeanchor import data, electronic, stability, strain, tolerance, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import selectivity

# (matrix, end member at x = 3, at x = 0): cited lattice constant (Å) at its T (K); Tao et al. 2019 IE (eV), gap (eV)
CITED = {
    "CsPbCl3_alpha": (5.605, 320.0, 6.80, 2.99),   # Møller 1958
    "MAPbI3_alpha": (6.27, 298.15, 5.93, 1.59),    # Weber 1978
    "MAPbBr3_alpha": (5.92, 298.15, 6.60, 2.30),   # Weber 1978
    "FAPbI3_alpha": (6.3620, 298.0, 6.24, 1.51),   # Weller et al. 2015
    "FAPbBr3_alpha": (5.99, 298.15, 6.70, 2.25),   # Hanusch et al. 2014
}
NEW = {"CsPb(Cl,Br)3": ("CsPbCl3_alpha", "CsPbBr3_alpha"), "MAPb(Br,I)3": ("MAPbBr3_alpha", "MAPbI3_alpha"),
       "FAPb(Br,I)3": ("FAPbBr3_alpha", "FAPbI3_alpha")}


def test_every_new_end_member_carries_its_cited_value():
    ms = data.dataset()
    for name, (a, T, ie, gap) in CITED.items():
        e = data.entry(name, "lattice_constant")
        assert (e["value"], e["T"]) == (a, T), name
        assert data.entry(name, "band_edges")["vbm"] == pytest.approx(-ie, abs=1e-12)
        assert data.value(name, "band_gap") == pytest.approx(gap, abs=1e-12)
        assert "DOI" in e["source"]
    for matrix, (x3, x0) in NEW.items():
        m = ms.matrix(matrix)
        assert (m.x3.name, m.x0.name) == (x3, x0)


@pytest.mark.parametrize("matrix", list(NEW))
def test_vegard_reproduces_the_end_members_of_each_matrix(matrix):
    x3, x0 = NEW[matrix]
    for x, name in ((3.0, x3), (0.0, x0)):
        e = data.entry(name, "lattice_constant")
        assert vegard.lattice_constant(x, T=e["T"], matrix=matrix) == pytest.approx(e["value"], rel=1e-12)
    a = vegard.lattice_constant(np.linspace(0, 3, 7), 320.0, matrix=matrix)
    assert np.allclose(vegard.x_from_lattice_constant(a, 320.0, matrix=matrix), np.linspace(0, 3, 7), atol=1e-9)


def test_zero_mismatch_of_pbs_in_mapb_bri3_is_the_linear_vegard_root():
    # no lattice bowing, both end members at 298.15 K: x0 = 3 (a_I − a_PbS)/(a_I − a_Br)
    a_core = data.value("PbS", "lattice_constant")  # liu2019: 5.94 Å at 298.15 K
    expected = 3.0 * (6.27 - a_core) / (6.27 - 5.92)
    assert strain.zero_mismatch_x("PbS", 298.15, matrix="MAPb(Br,I)3") == pytest.approx(expected, abs=1e-9)
    with pytest.raises(LatticeAnchorError, match="in CsPb\\(Cl,Br\\)3"):
        strain.zero_mismatch_x("PbS", matrix="CsPb(Cl,Br)3")  # every Cl/Br alloy is smaller than PbS


def test_default_matrix_is_unchanged_by_naming_it():
    x = np.linspace(0, 3, 5)
    assert np.array_equal(strain.mismatch("PbS", x), strain.mismatch("PbS", x, matrix="CsPb(Br,I)3"))
    assert np.array_equal(stability.lifetime("PbS", x, 35.0, 0.1),
                          stability.lifetime("PbS", x, 35.0, 0.1, matrix="CsPb(Br,I)3"))
    assert data.dataset(matrix="CsPb(Br,I)3") is data.dataset()


def test_gap_bowing_and_alignment_follow_the_matrix():
    # Noh et al. 2013: E_g = 1.57 + 0.39 y + 0.33 y² for MAPb(I1−yBry)3: bowing 0.33 eV (end members from Tao)
    assert vegard.band_gap(1.5, matrix="MAPb(Br,I)3") == pytest.approx(0.5 * (1.59 + 2.30) - 0.33 * 0.25, abs=1e-12)
    vbm, cbm = electronic.matrix_band_edges(0.0, matrix="FAPb(Br,I)3")
    assert (vbm, cbm) == (pytest.approx(-6.24), pytest.approx(-6.24 + 1.51))
    # the molecular A cation's effective radius enters the tolerance factor (Kieslich et al. 2014: MA 2.17 Å)
    t = tolerance.tolerance_factors(0.0, matrix="MAPb(Br,I)3")["t"]
    assert t == pytest.approx((2.17 + 2.20) / (np.sqrt(2) * (1.19 + 2.20)), rel=1e-12)


def _without_elastic(tmp_path):
    """A materials file (the template of the values in use) whose new end members have no elastic constants."""
    import json

    from latticeanchor.data.userfile import template

    raw = template()
    for name in CITED:
        raw["materials"][name].pop("elastic_constants", None)
    path = tmp_path / "no-elastic.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("matrix", list(NEW))
def test_missing_quantities_are_refused_in_one_line_never_a_cspbbri3_value(matrix, tmp_path):
    bare = _without_elastic(tmp_path)
    for call, pattern in ((lambda: stability.lifetime("PbSe", 1.0, 35.0, 0.1, matrix=matrix), "not evaluated"),
                          (lambda: stability.critical_loading("PbSe", 1.0, 35.0, matrix=matrix), "not evaluated"),
                          (lambda: selectivity.selectivity("PbSe", 1.0, matrix=matrix), "selectivity"),
                          (lambda: strain.critical_thickness(0.01, 1.0, dataset=bare, matrix=matrix), "elastic constants")):
        with pytest.raises(LatticeAnchorError, match=pattern) as info:
            call()
        assert matrix in str(info.value) or "_alpha" in str(info.value)
        assert "\n" not in str(info.value)


def test_unknown_matrix_lists_the_known_ones():
    with pytest.raises(LatticeAnchorError, match="unknown matrix 'CsSnI3'.*MAPb\\(Br,I\\)3"):
        strain.mismatch("PbS", 1.0, matrix="CsSnI3")


def test_mismatch_command_tabulates_every_core_in_every_matrix(tmp_path, capsys):
    import pandas as pd

    from latticeanchor.cli import main

    out = tmp_path / "m.csv"
    assert main(["mismatch", "--core", "PbS,PbSe,PbTe", "--x", "0:3:1.5", "--matrix",
                 "CsPb(Br,I)3,FAPb(Br,I)3,MAPb(Br,I)3", "--csv", str(out), "--materials", _without_elastic(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "not evaluated, no elastic constants recorded for MAPb(Br,I)3" in text
    assert "# PbSe: ε = 0 at x = 1.286" in text  # MAPb(Br,I)3, the linear Vegard root
    csv = pd.read_csv(out)
    assert set(csv["matrix"]) == {"CsPb(Br,I)3", "FAPb(Br,I)3", "MAPb(Br,I)3"} and len(csv) == 27
    for m in ("FAPb(Br,I)3", "MAPb(Br,I)3"):
        sub = csv[(csv["matrix"] == m) & (csv["core"] == "PbS")]
        assert np.allclose(sub["eps_fraction"], strain.mismatch("PbS", sub["x"].to_numpy(), 298.15, matrix=m), rtol=1e-12)
        assert sub["mb_critical_thickness_A"].isna().all()  # empty cells, not a CsPb(Br,I)3 value
    assert main(["mismatch", "--matrix", "CsSnI3"]) == 2


@pytest.mark.parametrize("matrix", ["CsPb(Br,I)3", "MAPb(Br,I)3", "FAPb(Br,I)3", "CsPb(Cl,Br)3"])
def test_the_coherent_window_holds_the_zero_mismatch_composition_and_shrinks_with_misfit(matrix):
    """With every matrix's elastic constants (the hybrids' computed) the critical inclusion diameter diverges at
    ε = 0 and falls as |ε| grows, so a dot's coherent x-window is an interval around the zero-mismatch x."""
    ms = data.dataset(None, matrix=matrix)
    x = np.linspace(0.0, 3.0, 121)
    for core in ("PbS", "PbS0.5Se0.5", "PbSe", "PbSe0.5Te0.5", "PbTe"):
        signed = np.asarray(strain.mismatch(core, x, 298.15, ms))
        dc = np.asarray(stability.critical_inclusion_diameter(core, x, 298.15, ms), float)
        # on each side of ε = 0: larger |ε|, smaller critical size (above the ≈ 12 Å floor the loop balance reaches
        # at large misfit, which moves with the matrix's lattice constant through the Burgers vector)
        for side in ((signed > 0) & (dc > 50.0), (signed < 0) & (dc > 50.0)):
            order = np.argsort(np.abs(signed[side]))
            assert (np.diff(dc[side][order]) <= 0).all(), core
        try:
            x0 = strain.zero_mismatch_x(core, 298.15, ms)
        except LatticeAnchorError:
            continue
        assert float(stability.critical_inclusion_diameter(core, x0, 298.15, ms)) > 1e4  # Å: ≥ 1 µm at ε ≈ 0
        coherent = x[dc > 35.0]  # a 3.5 nm dot
        assert coherent.min() <= x0 <= coherent.max()
        assert np.allclose(np.diff(coherent), x[1] - x[0])  # one interval
