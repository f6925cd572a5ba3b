"""docs/howto/functionals.md: its ε numbers are what the package computes from the lattice constants it cites."""

from pathlib import Path

from latticeanchor import strain, vegard

PAGE = Path(__file__).resolve().parents[1] / "docs" / "howto" / "functionals.md"
PBE_PBS_A, PBE_CSPBI3_A, CUBIC_CSPBI3_634K_A = 6.003, 6.381, 6.2894  # GPAW 22.8 PW 400 eV (physics notes); Trots 2008


def test_functionals_page_numbers():
    text = PAGE.read_text(encoding="utf-8")
    a_m, a_c = float(vegard.lattice_constant(1.0, 298.15)), float(strain.core_lattice_constant("PbS", 298.15))
    eps_exp = (a_m - a_c) / a_c
    a_m_pbe = a_m * PBE_CSPBI3_A / float(vegard.lattice_constant(0.0, 298.15))
    eps_pbe = (a_m_pbe - PBE_PBS_A) / PBE_PBS_A
    m = float(vegard.lattice_constant(1.0, 298.15, "cubic_hightemp")) * PBE_CSPBI3_A / CUBIC_CSPBI3_634K_A
    c = float(strain.core_lattice_constant("PbS", 298.15, "cubic_hightemp")) * PBE_PBS_A / 5.9362
    eps_cubic = (m - c) / c
    for value in (eps_exp, eps_pbe, eps_cubic, float(strain.mismatch("PbS", 1.0, 298.15, "cubic_hightemp"))):
        assert f"+{100 * value:.2f} %" in text, value
    assert f"{a_m_pbe:.3f} Å" in text and f"{m:.3f} Å" in text and f"{c:.3f} Å" in text
    assert "functionals" in (PAGE.parents[1] / "index.md").read_text(encoding="utf-8")
