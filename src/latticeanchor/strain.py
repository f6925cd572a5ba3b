"""Lattice mismatch between rock-salt cores and α-CsPbBr_xI_(3−x) (or another ``matrix=``), and when it relaxes.

Sign convention: ε = (a_matrix − a_core)/a_core (fraction). Lengths Å, temperatures K, moduli GPa.
``dataset``: a name, a materials JSON file or a ``data.MaterialSet``, resolved once at each entry;
``matrix``: the perovskite alloy (``vegard``), default ``"CsPb(Br,I)3"``. A matrix whose end members have no
elastic constants in the data raises (one line) wherever ν or a modulus is needed.

Dislocation onset (``critical_thickness``) follows Matthews & Blakeslee, J. Cryst. Growth 27, 118
(1974), DOI 10.1016/S0022-0248(74)80055-2, force balance for a single strained layer:

    h_c = b (1 − ν cos²α) [ln(h_c/b) + 1] / [8π |ε| (1 + ν) cos λ]

Geometry used (perovskite matrix, (001) interface, the matrix is the soft phase that relaxes): pure
edge misfit dislocations with b = a_matrix⟨100⟩ (|b| = a_matrix, the shortest perovskite lattice
vector) lying in the interface plane, perpendicular to the dislocation line: α = 90°, λ = 0°.
ν is the matrix Poisson ratio from its cubic elastic tensor (C_ij linear in the Br fraction),
Voigt–Reuss–Hill averaged (closed form for cubic; tested against pymatgen's ``ElasticTensor``). The implicit equation is solved in closed
form with the lower branch of the Lambert W function (scipy.special.lambertw, k = −1), which is its
larger root. Above ε* ≈ 3 % the equation has no root (h_c < b): we return the tangency value
h = A ≡ b(1 − ν cos²α)/[8π|ε|(1 + ν)cos λ] < b, i.e. relaxation by the first dislocation.

The matrix between two neighbouring dots is held by a dot on each side: each half is a single layer
on its own dot, so the critical surface-to-surface spacing is 2 h_c and the critical centre-to-centre
spacing is d + 2 h_c (``critical_spacing``). ``critical_loading`` converts it to a volume fraction.

``eshelby_energy`` gives the alternative picture: the elastic energy of a misfitting sphere in an
infinite matrix (Eshelby, Proc. R. Soc. A 241, 376 (1957), DOI 10.1098/rspa.1957.0133),
W = 18 K_i μ_m ε² V / (3 K_i + 4 μ_m).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from latticeanchor import data, geometry, vegard
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import as_array, br_content, dot_diameter, positive, real, scalar_or_array, temperature
from latticeanchor.validate import broadcasting

__all__ = ["parse_core", "check_core", "core_lattice_constant", "mismatch", "zero_mismatch_x", "matrix_moduli",
           "matrix_elastic_constants", "core_moduli", "critical_thickness", "critical_spacing", "critical_loading", "eshelby_energy",
           "GPA_A3_TO_EV"]

GPA_A3_TO_EV = 1e9 * 1e-30 / 1.602176634e-19  # 1 GPa·Å³ in eV
_FORMULA_RE = re.compile(r"([A-Z][a-z]?)((?:[A-Z][a-z]?\d*\.?\d*)+)")
_PART_RE = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")
_CORE_HELP = ("use 'PbS', 'PbSe', 'PbTe', an anion alloy such as 'PbS0.5Se0.5', or a rock-salt compound of "
              "the materials file (e.g. 'SnTe' added with `latticeanchor data template`)")


@lru_cache(maxsize=256)
def parse_core(core: str) -> tuple[tuple[str, float], ...]:
    """'PbS' -> (('PbS', 1.0),); 'PbS0.5Se0.5' -> (('PbS', 0.5), ('PbSe', 0.5)). Fractions sum to 1.

    The first element is the cation, the rest anions with fractions: any rock-salt compound of the dataset
    ('SnTe' in a user's materials file) and its anion alloys parse; whether the dataset holds the compound is
    checked where it is resolved (``MaterialSet.core``: one line naming the known cores)."""
    match = _FORMULA_RE.fullmatch(core) if isinstance(core, str) else None
    if match is None:
        raise LatticeAnchorError(f"unknown core {core!r}; {_CORE_HELP}")
    cation, rest = match.groups()
    parts = _PART_RE.findall(rest)
    if len(parts) == 1 and parts[0][1] in ("", "1", "1.0"):
        return ((f"{cation}{parts[0][0]}", 1.0),)
    try:
        fractions = [(f"{cation}{anion}", float(frac)) for anion, frac in parts]
    except ValueError:
        raise LatticeAnchorError(f"core {core!r}: every alloy component needs a fraction, e.g. 'PbS0.5Se0.5'") from None
    names = [n for n, _ in fractions]
    if len(set(names)) != len(names):
        raise LatticeAnchorError(f"core {core!r} names an anion twice")
    total = sum(f for _, f in fractions)
    if abs(total - 1.0) > 1e-6 or any(f < 0 for _, f in fractions):
        raise LatticeAnchorError(f"core {core!r}: anion fractions must be ≥ 0 and sum to 1, got {total:g}")
    return tuple(fractions)


def check_core(core: str, dataset=None) -> tuple[tuple[str, float], ...]:
    """``parse_core`` plus the dataset's check that it holds every compound (``MaterialSet.core``: one line
    naming the known cores); for entry points that refuse before any output."""
    ms = data.resolve(dataset)
    parts = parse_core(core)
    for name, _ in parts:
        ms.core(name)
    return parts


def core_lattice_constant(core: str, T=298.15, dataset: str | None = None):
    """Rock-salt lattice constant (Å) of the core at T (K); alloys by Vegard's law between end members."""
    T = temperature(T)
    ms = data.resolve(dataset)
    return scalar_or_array(sum(f * ms.core(name).a(T) for name, f in parse_core(core)))


@broadcasting("x", "T")
def mismatch(core: str, x, T=298.15, dataset: str | None = None, *, matrix: str | None = None):
    """ε = (a_matrix − a_core)/a_core at Br content x and temperature T (K), broadcast over x and T."""
    dataset = data.resolve(dataset, matrix)
    a_m = np.asarray(vegard.lattice_constant(x, T, dataset))
    a_c = np.asarray(core_lattice_constant(core, T, dataset))
    return scalar_or_array((a_m - a_c) / a_c)


def zero_mismatch_x(core: str, T=298.15, dataset: str | None = None, *, matrix: str | None = None) -> float:
    """Br content x in [0, 3] at which ε = 0 (T a scalar, K); an error when none exists."""
    T = float(temperature(T))
    dataset = data.resolve(dataset, matrix)
    lo, hi = mismatch(core, 0.0, T, dataset), mismatch(core, 3.0, T, dataset)
    if lo == 0.0:
        return 0.0
    if np.sign(lo) == np.sign(hi):
        raise LatticeAnchorError(
            f"no zero-mismatch composition for {core}{_in(dataset)} in x ∈ [0, 3] at {T:g} K with dataset "
            f"{dataset.name!r}: ε runs from {lo:+.2%} to {hi:+.2%}")
    from scipy import optimize

    return float(optimize.brentq(lambda x: mismatch(core, x, T, dataset), 0.0, 3.0, xtol=1e-12))


def _vrh(c11, c12, c44):
    """(K_VRH, G_VRH in GPa, ν) of a cubic tensor, closed-form Voigt–Reuss–Hill (tested against pymatgen);
    floats or arrays, element by element."""
    k = (c11 + 2.0 * c12) / 3.0  # Voigt = Reuss for cubic
    g_voigt = (c11 - c12 + 3.0 * c44) / 5.0
    g_reuss = 5.0 * (c11 - c12) * c44 / (4.0 * c44 + 3.0 * (c11 - c12))
    g = 0.5 * (g_voigt + g_reuss)
    return k, g, (3.0 * k - 2.0 * g) / (6.0 * k + 2.0 * g)


def _in(ms) -> str:
    name = ms.matrix().name
    return "" if name == data.DEFAULT_MATRIX else f" in {name}"


def matrix_elastic_constants(x, dataset: str | None = None, *, matrix: str | None = None) -> np.ndarray:
    """Cubic (C11, C12, C44) in GPa of α-CsPbBr_xI_(3−x), linear in the Br fraction y = x/3; shape x.shape + (3,)."""
    y = br_content(x)[..., None] / 3.0
    m = data.resolve(dataset, matrix).matrix()
    for member in (m.x0, m.x3):
        if member.elastic is None:
            raise LatticeAnchorError(f"no elastic constants recorded for {member.name} (matrix {m.name}): the "
                                     "moduli, Matthews–Blakeslee and Eshelby terms are not evaluated; give C11, C12, "
                                     "C44 in a materials file")
    c_i = np.array(m.x0.elastic.tensor)
    c_br = np.array(m.x3.elastic.tensor)
    return (1 - y) * c_i + y * c_br


def matrix_moduli(x, dataset: str | None = None, *, matrix: str | None = None):
    """(K, G in GPa, ν) of α-CsPbBr_xI_(3−x): C_ij linear in the Br fraction, then VRH (vectorized)."""
    x = br_content(x)
    dataset = data.resolve(dataset, matrix)
    uniq, inverse = np.unique(x, return_inverse=True)
    c = matrix_elastic_constants(uniq, dataset)
    table = np.stack(_vrh(c[:, 0], c[:, 1], c[:, 2]), axis=-1)
    out = table[inverse.reshape(x.shape)] if x.ndim else table[0]
    return tuple(scalar_or_array(np.asarray(out)[..., k]) for k in range(3))


def core_moduli(core: str, dataset: str | None = None) -> tuple[float, float, float]:
    """(K, G in GPa, ν) of the rock-salt core (alloys: C_ij linear in composition), VRH."""
    ms = data.resolve(dataset)
    for name, _ in parse_core(core):
        if ms.core(name).elastic is None:
            raise LatticeAnchorError(f"no elastic constants recorded for the core compound {name}")
    c = sum(f * np.array(ms.core(name).elastic.tensor) for name, f in parse_core(core))
    return tuple(float(v) for v in _vrh(*c))


def _mb_height(eps, b, nu, cos2_alpha: float, cos_lambda: float) -> np.ndarray:
    """Larger root of h = A[ln(h/b) + 1] (Å); tangency A when there is none; inf at ε = 0."""
    eps = np.abs(eps)
    with np.errstate(divide="ignore"):
        A = b * (1 - nu * cos2_alpha) / (8 * np.pi * eps * (1 + nu) * cos_lambda)
    k = A / b
    finite = np.isfinite(k) & (k > 1)
    safe_k = np.where(finite, k, 2.0)
    from scipy import special  # imported here: scipy.special and .optimize cost ~2 s at import

    w = special.lambertw(-1.0 / (np.e * safe_k), k=-1).real
    h = b * np.exp(-w - 1.0)
    return np.where(np.isinf(k), np.inf, np.where(finite, h, A))


@broadcasting("eps", "matrix_x", "T")
def critical_thickness(eps, matrix_x=2.0, T=298.15, dataset: str | None = None, burgers=None, poisson=None,
                       alpha_deg: float = 90.0, lambda_deg: float = 0.0, *, matrix: str | None = None):
    """Matthews–Blakeslee critical thickness (Å) of a perovskite layer strained by misfit ``eps``.

    eps: misfit strain (fraction, sign ignored); matrix_x: Br content of the matrix, which sets the
    Burgers vector b = a_matrix(x, T) (Å, a⟨100⟩) and the Poisson ratio ν (VRH) unless ``burgers``
    (Å) or ``poisson`` are given. alpha_deg: angle between b and the dislocation line; lambda_deg:
    angle between b and the in-plane direction normal to the line (defaults: pure edge, b in the
    interface). Broadcasts over eps, matrix_x and T. Infinite at ε = 0.
    """
    eps = as_array("eps", eps)
    dataset = data.resolve(dataset, matrix) if burgers is None or poisson is None else dataset
    b = positive("burgers (Å)", burgers) if burgers is not None else np.asarray(vegard.lattice_constant(matrix_x, T, dataset))
    nu = as_array("poisson", poisson) if poisson is not None else np.asarray(matrix_moduli(matrix_x, dataset)[2])
    if np.any((nu <= 0) | (nu >= 0.5)):  # isotropic bound (−1, 0.5); these ionic solids have ν ≈ 0.2–0.35
        raise LatticeAnchorError(f"poisson ratio must lie in (0, 0.5) for these materials (CsPbX3, PbX: ν ≈ 0.2–0.35; "
                                 f"only auxetic solids have ν ≤ 0), got {float(nu[(nu <= 0) | (nu >= 0.5)].ravel()[0]):g}")
    alpha_deg = real("alpha_deg", alpha_deg, 0.0, 180.0, low_open=True, high_open=True,
                     why="a pure screw dislocation, Burgers vector along the line, relieves no misfit")
    lambda_deg = real("lambda_deg", lambda_deg, 0.0, 90.0)
    cos_lambda = np.cos(np.radians(lambda_deg))
    if cos_lambda <= 1e-9:
        raise LatticeAnchorError("lambda_deg must be below 90°: a Burgers vector normal to the interface relieves no misfit")
    return scalar_or_array(_mb_height(eps, b, nu, np.cos(np.radians(alpha_deg)) ** 2, cos_lambda))


@broadcasting("x", "diameter", "T")
def critical_spacing(core: str, x, diameter, T=298.15, dataset: str | None = None, *, matrix: str | None = None,
                     **mb_options):
    """Largest centre-to-centre dot spacing (Å) at which the matrix between neighbours stays coherent.

    d + 2 h_c(ε(core, x, T)), with h_c from ``critical_thickness`` (extra keywords go to it);
    infinite at zero mismatch. diameter in Å.
    """
    d = dot_diameter(diameter)
    dataset = data.resolve(dataset, matrix)
    eps = np.asarray(mismatch(core, x, T, dataset))
    return scalar_or_array(d + 2.0 * np.asarray(critical_thickness(eps, x, T, dataset, **mb_options)))


@broadcasting("x", "diameter", "T")
def critical_loading(core: str, x, diameter, T=298.15, dataset: str | None = None, arrangement: str = "random",
                     *, matrix: str | None = None, **mb_options):
    """Dot volume fraction above which the matrix between neighbouring dots stays coherent (anchored).

    Below it the matrix is thicker than 2 h_c and misfit dislocations are expected. 0 at zero
    mismatch; ``inf`` when even the arrangement's packing limit leaves the matrix too thick.
    """
    spacing = critical_spacing(core, x, diameter, T, data.resolve(dataset, matrix), **mb_options)
    return geometry.volume_fraction(spacing, diameter, arrangement)


@broadcasting("x", "diameter", "T")
def eshelby_energy(core: str, x, diameter, T=298.15, dataset: str | None = None, *, matrix: str | None = None) -> dict:
    """Elastic misfit energy of one spherical core in the matrix (Eshelby 1957).

    Returns a dict: ``energy_eV`` (per dot), ``energy_density_eV_per_nm3`` (per nm³ of dot),
    ``interface_pressure_GPa`` p = 12 K_i μ_m ε/(3K_i + 4μ_m), and the moduli used (GPa).
    The misfit strain is ``mismatch(core, x, T)``; the energy depends on ε².
    """
    d = dot_diameter(diameter)
    dataset = data.resolve(dataset, matrix)
    eps = np.asarray(mismatch(core, x, T, dataset))
    k_i = core_moduli(core, dataset)[0]
    mu_m = np.asarray(matrix_moduli(x, dataset)[1])
    volume = np.pi * d**3 / 6.0  # Å³
    density = 18.0 * k_i * mu_m * eps**2 / (3 * k_i + 4 * mu_m)  # GPa = GPa·Å³/Å³
    return {
        "energy_eV": scalar_or_array(density * volume * GPA_A3_TO_EV),
        "energy_density_eV_per_nm3": scalar_or_array(density * GPA_A3_TO_EV * 1000.0),
        "interface_pressure_GPa": scalar_or_array(12.0 * k_i * mu_m * eps / (3 * k_i + 4 * mu_m)),
        "K_core_GPa": k_i,
        "G_matrix_GPa": scalar_or_array(mu_m),
    }
