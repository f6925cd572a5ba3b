"""X-ray wavelengths by name, in Å, or from a photon energy in keV.

One definition of each name, used by every function and command (``xrd simulate`` and ``xrd compare``
alike):

* ``CuKa1`` = 1.540562 Å and ``CuKa2`` = 1.544390 Å: International Tables for Crystallography Vol. C,
  Table 4.2.2.1, DOI 10.1107/97809553602060000103 (Hölzer et al., Phys. Rev. A 56, 4554 (1997),
  DOI 10.1103/PhysRevA.56.4554, measured Kα1 at 1.540593 Å, 20 ppm longer; PANalytical XRDML files
  state their own lines and those are used for such files);
* ``CuKa`` = 1.54184 Å: the intensity-weighted Kα mean (2·Kα1 + Kα2)/3 (Kα2/Kα1 = 1/2), a single line.
  It is the wavelength a pattern is simulated and refined with unless the doublet is asked for
  (``kalpha2=True``, ``--kalpha2``), and the doublet's weighted mean by construction.

Other names (MoKa, CoKa, ...) are pymatgen's ``XRDCalculator`` table (the same sources). The energy ↔
wavelength conversion uses hc = 12.398419843320026 keV·Å (CODATA 2018, DOI 10.1103/RevModPhys.93.025010).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from latticeanchor.errors import LatticeAnchorError

HC_KEV_ANGSTROM = 12.398419843320026  # h·c in keV·Å (CODATA 2018)

#: Cu lines defined here (module docstring): Kα1, Kα2 (International Tables Vol. C, Table 4.2.2.1) and
#: their weighted mean, which take precedence over pymatgen's table (CuKa1 1.54056 there).
CU_KALPHA1_A = 1.540562
CU_KALPHA2_A = 1.544390
CU_KALPHA_A = 1.54184  # (2·Kα1 + Kα2)/3 = 1.541838 Å
DEFINED_ANGSTROM = {"CuKa": CU_KALPHA_A, "CuKa1": CU_KALPHA1_A, "CuKa2": CU_KALPHA2_A}


def _pymatgen_wavelengths() -> dict[str, float]:
    # pymatgen.analysis.diffraction.xrd imports matplotlib (seconds): read its table lazily, on first use.
    from pymatgen.analysis.diffraction.xrd import WAVELENGTHS

    return {**dict(WAVELENGTHS), **DEFINED_ANGSTROM}


class _LazyTable(dict):
    """A dict filled from pymatgen's table on first access."""

    def _fill(self):
        if not dict.__len__(self):
            dict.update(self, _pymatgen_wavelengths())

    def __getitem__(self, k):
        self._fill()
        return dict.__getitem__(self, k)

    def __iter__(self):
        self._fill()
        return dict.__iter__(self)

    def __len__(self):
        self._fill()
        return dict.__len__(self)

    def __contains__(self, k):
        self._fill()
        return dict.__contains__(self, k)

    def items(self):
        self._fill()
        return dict.items(self)

    def keys(self):
        self._fill()
        return dict.keys(self)

    def values(self):
        self._fill()
        return dict.values(self)

    def get(self, k, default=None):
        self._fill()
        return dict.get(self, k, default)

    def __repr__(self):
        self._fill()
        return dict.__repr__(self)


#: Characteristic wavelengths in Å: pymatgen's table with the Cu lines of ``DEFINED_ANGSTROM``
#: (filled on first use).
WAVELENGTHS_ANGSTROM: dict[str, float] = _LazyTable()

#: Kα2/Kα1 intensity ratio used for the doublet option (the usual laboratory value 0.5; PANalytical
#: files store their own value, which :func:`read_pattern` reads).
KALPHA2_RATIO = 0.5

_ENERGY_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(kev|ev)\s*$", re.IGNORECASE)
_ANGSTROM_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(a|å|angstrom|nm)?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Radiation:
    """A radiation: the lines (wavelengths in Å) and their relative weights.

    ``wavelength`` (Å) is the line used for axis conversions (Kα1 for a doublet, else the single line).
    """

    name: str
    lines: tuple[float, ...]
    weights: tuple[float, ...]

    @property
    def wavelength(self) -> float:
        """Primary wavelength in Å."""
        return self.lines[0]


MAX_ENERGY_KEV = 1000.0  # keV: beyond any X-ray source (synchrotrons reach a few hundred keV)


def energy_to_wavelength(energy_kev) -> float:
    """Photon energy in keV → wavelength in Å (λ = hc/E)."""
    from latticeanchor.validate import real

    if isinstance(energy_kev, (bool, np.bool_, str)) or np.ndim(energy_kev) != 0:
        raise LatticeAnchorError(f"photon energy must be a positive number of keV, got {energy_kev!r}")
    e = float(np.asarray(energy_kev))
    if not np.isfinite(e) or e <= 0:
        raise LatticeAnchorError(f"photon energy must be a positive number of keV, got {energy_kev!r}")
    real("photon energy (keV)", e, 0.0, MAX_ENERGY_KEV, low_open=True)
    return HC_KEV_ANGSTROM / e


def wavelength_to_energy(wavelength_angstrom) -> float:
    """Wavelength in Å → photon energy in keV."""
    return HC_KEV_ANGSTROM / resolve_wavelength(wavelength_angstrom)


def _lookup(name: str) -> float:
    key = name.strip()
    for k, v in WAVELENGTHS_ANGSTROM.items():
        if k.lower() == key.lower().replace("α", "a").replace("β", "b").replace("-", "").replace("_", ""):
            return v
    raise LatticeAnchorError(
        f"unknown wavelength name {name!r}; use one of {', '.join(WAVELENGTHS_ANGSTROM)}, "
        "a number in Å, or an energy such as '17.48 keV'")


def resolve_wavelength(wavelength=None, energy_kev=None) -> float:
    """Return a wavelength in Å from a name ('CuKa', 'MoKa1', ...), a number in Å, a string such as
    '1.5406', '0.15406 nm' or '8.04 keV', or ``energy_kev`` (keV)."""
    if energy_kev is not None:
        return energy_to_wavelength(energy_kev)
    if wavelength is None:
        raise LatticeAnchorError("no wavelength given (name such as 'CuKa', Å, or an energy in keV)")
    if isinstance(wavelength, Radiation):
        return wavelength.wavelength
    if isinstance(wavelength, (bool, np.bool_)):
        raise LatticeAnchorError(f"wavelength must be a name, a number in Å or an energy in keV, got {wavelength!r}")
    if isinstance(wavelength, str):
        m = _ENERGY_RE.match(wavelength)
        if m:
            e = float(m.group(1)) / (1000.0 if m.group(2).lower() == "ev" else 1.0)
            return energy_to_wavelength(e)
        m = _ANGSTROM_RE.match(wavelength)
        if m:
            val = float(m.group(1)) * (10.0 if (m.group(2) or "").lower() == "nm" else 1.0)
            return resolve_wavelength(val)
        return _lookup(wavelength)
    try:
        val = float(wavelength)
    except (TypeError, ValueError):
        raise LatticeAnchorError(f"wavelength must be a name, a number in Å or an energy in keV, got {wavelength!r}") from None
    if not np.isfinite(val) or val <= 0:
        raise LatticeAnchorError(f"wavelength must be a positive number of Å, got {wavelength!r}")
    if val > 20:
        raise LatticeAnchorError(f"wavelength {val:g} Å is outside the X-ray range (< 20 Å); give an energy as '{val:g} keV'")
    return val


def resolve_radiation(wavelength="CuKa", energy_kev=None, kalpha2: bool = False,
                      kalpha2_ratio: float = KALPHA2_RATIO) -> Radiation:
    """Radiation with its lines. With ``kalpha2=True`` a named Kα radiation ('CuKa', 'CuKa1', ...)
    becomes the Kα1 + Kα2 doublet with intensity ratio ``kalpha2_ratio`` (Kα2/Kα1); otherwise the
    single line (for 'CuKa' the weighted mean 1.54184 Å)."""
    if isinstance(wavelength, Radiation):
        return wavelength
    from latticeanchor.validate import real

    # Kα2/Kα1 is 0.5 for every laboratory tube (Hölzer et al. 1997); a negative ratio makes negative intensities
    kalpha2_ratio = real("kalpha2_ratio (Kα2/Kα1)", kalpha2_ratio, 0.0, 1.0)
    lam = resolve_wavelength(wavelength, energy_kev)
    name = wavelength if isinstance(wavelength, str) else f"{lam:.6g} Å"
    if kalpha2 and isinstance(wavelength, str) and energy_kev is None:
        m = re.match(r"^\s*([A-Za-z]{2})\s*K\s*[aα]\s*1?\s*$", wavelength, re.IGNORECASE)
        if m:
            el = m.group(1).capitalize()
            ka1, ka2 = _lookup(f"{el}Ka1"), _lookup(f"{el}Ka2")
            return Radiation(f"{el}Ka1+Ka2", (ka1, ka2), (1.0, float(kalpha2_ratio)))
        raise LatticeAnchorError(f"kalpha2=True needs a Kα radiation name such as 'CuKa', got {wavelength!r}")
    return Radiation(str(name), (lam,), (1.0,))
