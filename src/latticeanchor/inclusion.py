"""A misfitting spherical dot in the perovskite matrix: Eshelby's fields and the size at which it dislocates.

Isotropic elasticity (moduli from ``strain.core_moduli`` / ``strain.matrix_moduli``, VRH), misfit ε from
``strain.mismatch``; lengths Å, moduli and pressures GPa, energies eV. A sphere of radius R with eigenstrain ε
in an infinite matrix (Eshelby, Proc. R. Soc. A 241, 376 (1957), DOI 10.1098/rspa.1957.0133):

* interface pressure p = 12 K_i μ_m ε/(3K_i + 4μ_m), uniform hydrostatic stress −p inside;
* the matrix is in pure shear, σ_rr = −p(R/r)³, σ_θθ = σ_φφ = (p/2)(R/r)³, so its energy density is
  w(r) = 3p²/(8μ_m) · (R/r)⁶: the field *decays*; there is no film-like uniform strain in the matrix;
* energies: matrix W_m = πR³p²/(2μ_m), dot W_i = (2π/3)R³p²/K_i, total W = 18K_iμ_mε²V/(3K_i + 4μ_m);
  the matrix energy within a shell R..R+h is W_m[1 − (R/(R+h))³].

**Critical inclusion size.** Misfit can be relieved by punching a prismatic dislocation loop of Burgers vector
b = a_matrix (perovskite a⟨100⟩) around the dot (Kolesnikova & Romanov, Tech. Phys. Lett. 30, 126 (2004);
Gutkin & Smirnov, Phys. Solid State 56, 731 (2014)). In the energy balance used here the loop of radius R
pays its self-energy μ b² R [ln(8R/b) − 2]/(2(1 − ν)) (Hirth & Lothe, *Theory of Dislocations*, 2nd ed. (1982),
prismatic loop, core radius b) and gains the work p·πR²·b of the interface pressure on the loop's area;
it pays off for R above the root of that balance. The diameter returned is that onset: below it a dot stays
coherent (no dislocated-dot mechanism). For PbS in CsPbBrI2 (|ε| ≈ 1 %) it is ≈ 40 nm, for 2 % ≈ 15–20 nm,
so every colloidal dot of the paper (2.5–5 nm) is coherent.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import data, strain, vegard
from latticeanchor.validate import dot_diameter, positive, scalar_or_array, temperature

__all__ = ["interface_pressure", "matrix_energy_density", "energies", "shell_energy", "critical_diameter"]

GPA_A3_TO_EV = strain.GPA_A3_TO_EV


def _moduli(core, x, dataset):
    k_i = strain.core_moduli(core, dataset)[0]
    _, mu_m, nu_m = (np.asarray(v, float) for v in strain.matrix_moduli(x, dataset))
    return k_i, mu_m, nu_m


def interface_pressure(core: str, x, T=298.15, dataset=None, *, matrix: str | None = None):
    """p = 12 K_i μ_m ε/(3K_i + 4μ_m) in GPa (signed like ε; the dot is compressed for ε < 0)."""
    dataset = data.resolve(dataset, matrix)
    eps = np.asarray(strain.mismatch(core, x, temperature(T), dataset), float)
    k_i, mu_m, _ = _moduli(core, x, dataset)
    return scalar_or_array(12.0 * k_i * mu_m * eps / (3.0 * k_i + 4.0 * mu_m))


def matrix_energy_density(core: str, x, T=298.15, dataset=None, *, matrix: str | None = None):
    """w(R) = 3p²/(8μ_m), GPa (= GJ/m³): the matrix strain-energy density at the dot surface; it falls as (R/r)⁶."""
    dataset = data.resolve(dataset, matrix)
    p = np.asarray(interface_pressure(core, x, T, dataset))
    _, mu_m, _ = _moduli(core, x, dataset)
    return scalar_or_array(3.0 * p**2 / (8.0 * mu_m))


def energies(core: str, x, diameter, T=298.15, dataset=None, *, matrix: str | None = None) -> dict:
    """Eshelby energies of one dot of ``diameter`` (Å), eV: ``matrix_eV``, ``dot_eV`` and ``total_eV``."""
    dataset = data.resolve(dataset, matrix)
    R = dot_diameter(diameter) / 2.0
    p = np.asarray(interface_pressure(core, x, T, dataset))
    k_i, mu_m, _ = _moduli(core, x, dataset)
    w_m = np.pi * R**3 * p**2 / (2.0 * mu_m) * GPA_A3_TO_EV
    w_i = 2.0 * np.pi / 3.0 * R**3 * p**2 / k_i * GPA_A3_TO_EV
    return {"matrix_eV": scalar_or_array(w_m), "dot_eV": scalar_or_array(w_i), "total_eV": scalar_or_array(w_m + w_i)}


def shell_energy(core: str, x, diameter, thickness, T=298.15, dataset=None, *, matrix: str | None = None):
    """Matrix strain energy (eV) stored within ``thickness`` (Å) of the dot surface: W_m[1 − (R/(R+h))³]."""
    dataset = data.resolve(dataset, matrix)
    R = dot_diameter(diameter) / 2.0
    h = positive("thickness (Å)", thickness, allow_zero=True)
    w_m = np.asarray(energies(core, x, diameter, T, dataset)["matrix_eV"])
    return scalar_or_array(w_m * (1.0 - (R / (R + h)) ** 3))


def critical_diameter(core: str, x, T=298.15, dataset=None, *, matrix: str | None = None):
    """Dot diameter (Å) above which punching a prismatic loop around it lowers the energy (see module docstring).

    ``inf`` at zero misfit. Broadcasts over x and T.
    """
    dataset = data.resolve(dataset, matrix)
    T = temperature(T)
    p = np.abs(np.asarray(interface_pressure(core, x, T, dataset), float))
    _, mu_m, nu_m = _moduli(core, x, dataset)
    b = np.asarray(vegard.lattice_constant(x, T, dataset), float)
    p, mu_m, nu_m, b = np.broadcast_arrays(p, mu_m, nu_m, b)
    scale = np.where(p > 0, mu_m * b / (2.0 * np.pi * (1.0 - nu_m) * np.where(p > 0, p, 1.0)), np.inf)
    R = np.maximum(scale, b)
    for _ in range(60):  # fixed point of R = scale·[ln(8R/b) − 2], contracting for R ≫ b
        R = np.where(np.isfinite(scale), np.maximum(scale * (np.log(8.0 * R / b) - 2.0), b), np.inf)
    return scalar_or_array(2.0 * R)
