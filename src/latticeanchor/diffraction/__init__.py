"""Diffraction: fast Bragg powder patterns (pymatgen XRDCalculator physics), the Debye scattering
equation for finite clusters, peak profiles and axis conversions, measured-pattern readers, comparison
figures, cubic lattice refinement and phase identification.

Units: 2θ in degrees, q in Å⁻¹, d and lattice constants in Å, energies in keV.
"""

from latticeanchor.diffraction.bragg import bragg_pattern, form_factor
from latticeanchor.diffraction.compare import (Comparison, compare, match_peaks, normalize, pearson, rwp,
                                               snip_background)
from latticeanchor.diffraction.debye import debye_exact, debye_pattern
from latticeanchor.diffraction.identify import Match, identify
from latticeanchor.diffraction.measured import MeasuredPattern, read_pattern
from latticeanchor.diffraction.phases import load_structure, named_phase
from latticeanchor.diffraction.profiles import (caglioti_fwhm, d_to_two_theta, gaussian, lorentzian, profile,
                                                pseudo_voigt, q_to_d, q_to_two_theta, scherrer_fwhm,
                                                two_theta_to_d, two_theta_to_q)
from latticeanchor.diffraction.refine import RefinementResult, refine_cubic
from latticeanchor.diffraction.thermal import debye_waller_for
from latticeanchor.diffraction.wavelengths import WAVELENGTHS_ANGSTROM, energy_to_wavelength, resolve_wavelength

__all__ = [
    "bragg_pattern", "form_factor", "debye_pattern", "debye_exact", "read_pattern", "MeasuredPattern",
    "compare", "Comparison", "rwp", "pearson", "normalize", "match_peaks", "snip_background",
    "refine_cubic", "RefinementResult", "identify", "Match", "load_structure", "named_phase",
    "gaussian", "lorentzian", "pseudo_voigt", "profile", "caglioti_fwhm", "scherrer_fwhm",
    "two_theta_to_q", "q_to_two_theta", "two_theta_to_d", "d_to_two_theta", "q_to_d",
    "resolve_wavelength", "energy_to_wavelength", "WAVELENGTHS_ANGSTROM", "debye_waller_for",
]
