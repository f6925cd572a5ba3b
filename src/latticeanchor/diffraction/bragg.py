"""Powder X-ray diffraction (Bragg) patterns of periodic structures, fast on large supercells.

Same physics and conventions as pymatgen's ``XRDCalculator`` (S. P. Ong et al., Comput. Mater. Sci. 68,
314 (2013), DOI 10.1016/j.commatsci.2012.10.028; formalism of M. De Graef & M. E. McHenry, *Structure of
Materials*, Cambridge 2007, chapters 11–12, DOI 10.1017/CBO9780511611490):

* atomic scattering factors f(s) = Z − 41.78214·s²·Σᵢ aᵢ exp(−bᵢ s²), s = sinθ/λ (Å⁻¹), with pymatgen's
  ``ATOMIC_SCATTERING_PARAMS`` (Mott–Bethe conversion of the electron scattering factor fits of
  Peng et al., Acta Cryst. A52, 257 (1996), DOI 10.1107/S0108767395014371); no anomalous dispersion;
* intensity |F|² × Lorentz-polarization (1 + cos²2θ)/(sin²θ cosθ), every reciprocal-lattice point of the
  limiting sphere enumerated (so no explicit multiplicity), points whose 2θ rounds to the same multiple
  of 1e-5° merged into one peak, peaks weaker than 0.001 % of the strongest dropped;
* isotropic Debye–Waller factors exp(−B s²) per element (B in Å²): by default the room-temperature
  values of the data file (:mod:`latticeanchor.diffraction.thermal`); ``debye_waller_factors={}`` for none.

Structure factors: on a grid commensurate with the cell by one FFT of each element's occupancy grid
(exact), off it by a non-uniform FFT (:mod:`latticeanchor.diffraction.structure_factor`), and for small
cells or ``method="exact"`` by the direct sum below, the reference.

The exact sum's speed-up over pymatgen's per-point phase matrix: the phase exp(2πi(hx + ky + lz)) factorizes, so
for every element the structure-factor sum S_e(h, k, l) = Σ_j w_j e^{2πi h x_j} e^{2πi k y_j} e^{2πi l z_j}
over the whole integer box of the supercell's reciprocal lattice is one complex matrix product per chunk
of (h, k) rows: [(e^{2πi h x_j} e^{2πi k y_j} w_j)]ᵀ · [e^{2πi l z_j}]. This is exact (no interpolation),
works for disordered, displaced and partially occupied supercells, and only the Friedel half (h ≥ 0)
is computed.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from latticeanchor.errors import LatticeAnchorError
from latticeanchor.diffraction import _labels
from latticeanchor.diffraction.structure_factor import GRID_TOLERANCE_A, MAX_MEMORY_BYTES, NUFFT_EPS
from latticeanchor.diffraction.wavelengths import Radiation, resolve_radiation

TWO_THETA_TOL_DEG = 1e-5  # pymatgen AbstractDiffractionPatternCalculator.TWO_THETA_TOL (degrees)
SCALED_INTENSITY_TOL = 1e-3  # pymatgen SCALED_INTENSITY_TOL (percent of the strongest peak)
MOTT_BETHE = 41.78214  # pymatgen's constant in f(s) (Å⁻²·electrons scale of the Mott–Bethe formula)


@lru_cache(maxsize=1)
def atomic_scattering_params() -> dict:
    """pymatgen's ATOMIC_SCATTERING_PARAMS: element → [[a_i, b_i], ...] (b_i in Å²)."""
    from pymatgen.analysis.diffraction.xrd import ATOMIC_SCATTERING_PARAMS

    return ATOMIC_SCATTERING_PARAMS


def form_factor(element: str, s2) -> np.ndarray:
    """X-ray atomic form factor f (electrons) of ``element`` at s² = (sinθ/λ)² in Å⁻², pymatgen convention
    f(s) = Z − 41.78214 s² Σ a_i exp(−b_i s²)."""
    from pymatgen.core.periodic_table import Element

    from latticeanchor.validate import as_array

    params = atomic_scattering_params()
    if not isinstance(element, str):
        raise LatticeAnchorError(f"element must be a symbol like 'Pb', got {element!r}")
    s2 = as_array("s2 ((sinθ/λ)², Å⁻²)", s2, allow_empty=True)
    if np.any(s2 < 0):
        raise LatticeAnchorError(f"s2 ((sinθ/λ)², Å⁻²) must be non-negative, got {s2[s2 < 0].ravel()[0]:g}")
    if element not in params:
        raise LatticeAnchorError(f"no X-ray scattering factors for element {element!r}")
    coeff = np.asarray(params[element], dtype=float)
    s2 = np.asarray(s2, dtype=float)
    z = Element(element).Z
    return z - MOTT_BETHE * s2 * np.sum(coeff[:, 0] * np.exp(-coeff[:, 1] * s2[..., None]), axis=-1)


def as_structure(structure):
    """pymatgen Structure from a pymatgen (I)Structure, an ASE Atoms, or a file/phase name."""
    from pymatgen.core import IStructure, Structure

    if isinstance(structure, (Structure, IStructure)):
        return structure
    try:
        from ase import Atoms
    except ImportError:  # pragma: no cover
        Atoms = ()
    if Atoms and isinstance(structure, Atoms):
        if not all(structure.pbc):
            raise LatticeAnchorError("bragg_pattern needs a periodic structure (ASE Atoms with pbc=True on all axes); "
                                     "use debye_pattern for finite clusters")
        from pymatgen.io.ase import AseAtomsAdaptor

        return AseAtomsAdaptor.get_structure(structure)
    if isinstance(structure, str):
        from latticeanchor.diffraction.phases import load_structure

        return as_structure(load_structure(structure))
    raise LatticeAnchorError(f"structure must be a pymatgen Structure or an ASE Atoms, got {type(structure).__name__}")


def _group_by_element(st):
    groups: dict[str, list] = {}
    params = atomic_scattering_params()
    for site in st:
        for sp, occu in site.species.items():
            sym = getattr(sp, "symbol", None)
            if sym not in params:
                raise LatticeAnchorError(f"no X-ray scattering factors for species {sp!s}")
            g = groups.setdefault(sym, [[], [], getattr(sp, "Z", None)])
            g[0].append(site.frac_coords)
            g[1].append(occu)
    out = {}
    for sym, (fc, w, z) in groups.items():
        out[sym] = (np.asarray(fc, dtype=float), np.asarray(w, dtype=float), int(z))
    return out


def _cell_arrays(structure):
    """(pymatgen Lattice, groups element → (frac coords (n, 3), occupancies (n,), Z), ordered) of a periodic
    structure, ordered = one whole atom per site; ASE Atoms are read as arrays (no per-site objects), so a
    10⁶-atom cell costs no pymatgen Structure."""
    from pymatgen.core import Lattice

    try:
        from ase import Atoms
    except ImportError:  # pragma: no cover
        Atoms = ()
    if not (Atoms and isinstance(structure, Atoms)):
        st = as_structure(structure)
        if not st.is_ordered:
            return st.lattice, _group_by_element(st), False
        syms = np.array([site.specie.symbol for site in st])
        frac = st.frac_coords
        lat = st.lattice
        zs = {}
    else:
        if not all(structure.pbc):
            as_structure(structure)  # the one-line refusal of a non-periodic Atoms
        syms = np.asarray(structure.get_chemical_symbols())
        lat = Lattice(structure.cell.array)
        frac = lat.get_fractional_coords(structure.positions)
        zs = {}
    params = atomic_scattering_params()
    elements, inv = np.unique(syms, return_inverse=True)
    out = {}
    for e, sym in enumerate(elements):
        sym = str(sym)
        if sym not in params:
            raise LatticeAnchorError(f"no X-ray scattering factors for species {sym}")
        if sym not in zs:
            from pymatgen.core.periodic_table import Element

            zs[sym] = Element(sym).Z
        sel = inv == e
        out[sym] = (np.ascontiguousarray(frac[sel], dtype=float), np.ones(int(sel.sum())), int(zs[sym]))
    return lat, out, True


#: Largest number of reciprocal-lattice points a pattern may enumerate unless the caller raises it.
MAX_REFLECTIONS = 20_000_000


def _form_term(sym: str, z: int, b_iso: float):
    """s² (Å⁻²) → f(s)·exp(−B s²) (electrons) of element ``sym``, pymatgen's form factor (see module doc)."""
    coeff = np.asarray(atomic_scattering_params()[sym], dtype=float)

    def term(s2):
        f = z - MOTT_BETHE * s2 * np.sum(coeff[:, 0] * np.exp(-coeff[:, 1] * s2[:, None]), axis=1)
        return f * np.exp(-b_iso * s2) if b_iso else f

    return term


def estimated_reflections(structure, wavelength_angstrom: float, two_theta_max_deg: float = 180.0) -> float:
    """Number of reciprocal-lattice points inside the limiting sphere |g| ≤ 2 sinθ_max/λ: (4π/3) g³ V."""
    from latticeanchor.validate import real

    st = as_structure(structure)
    lam = real("wavelength (Å)", wavelength_angstrom, 0.0, low_open=True)
    tmax = real("two_theta_max (degrees)", two_theta_max_deg, 0.0)
    g = 2 * math.sin(math.radians(min(tmax, 180.0) / 2)) / lam
    return 4.0 / 3.0 * math.pi * g**3 * st.lattice.volume


def two_theta_pair(two_theta):
    """``two_theta`` as (min, max) degrees with 0 ≤ min < max ≤ 180, or None; anything else is refused by name."""
    if two_theta is None:
        return None
    if isinstance(two_theta, (str, bytes)) or np.ndim(two_theta) != 1 or len(two_theta) != 2:
        raise LatticeAnchorError(f"two_theta must be a pair (min, max) of degrees or None, got {two_theta!r}")
    try:
        t0, t1 = (float(t) for t in two_theta)
    except (TypeError, ValueError):
        raise LatticeAnchorError(f"two_theta must be a pair of numbers (degrees), got {two_theta!r}") from None
    if not (np.isfinite(t0) and np.isfinite(t1)) or t0 < 0 or t1 <= t0 or t1 > 180:
        raise LatticeAnchorError(f"two_theta range must satisfy 0 <= min < max <= 180 degrees, got {two_theta!r}")
    return t0, t1


def reflection_list(structure, wavelength_angstrom: float, two_theta=(5, 90), debye_waller_factors=None,
                    chunk_entries: int = 1 << 22, max_reflections: float = MAX_REFLECTIONS, method: str = "auto",
                    max_memory_bytes: float = MAX_MEMORY_BYTES, grid_tolerance: float = GRID_TOLERANCE_A,
                    nufft_eps: float = NUFFT_EPS):
    """All reciprocal-lattice points of the Friedel half-space inside the 2θ range.

    ``debye_waller_factors``: element → B (Å²); None for the room-temperature defaults, {} for none.
    ``method``: how the structure factors are summed (:mod:`latticeanchor.diffraction.structure_factor`):
    'exact' (direct sum, the reference), 'fft' (atoms on a grid commensurate with the cell within
    ``grid_tolerance`` Å: exact, O(N log N)), 'nufft' (FINUFFT at relative precision ``nufft_eps``), or
    'auto' (fft when on a grid, else nufft when finufft is installed, the exact sum for small cells).
    Refuses (LatticeAnchorError) when more than ``max_reflections`` points would be enumerated or the
    estimated memory exceeds ``max_memory_bytes`` (both checked before allocating).
    Returns (hkl int array (M, 3), g = 1/d in Å⁻¹ (M,), |F|² in electrons² (M,)).
    """
    lat, groups, _ = _cell_arrays(structure)
    return _reflections(lat, groups, wavelength_angstrom, two_theta, debye_waller_factors, chunk_entries,
                        max_reflections, method, max_memory_bytes, grid_tolerance, nufft_eps)


def _reflections(lat, groups, wavelength_angstrom, two_theta, debye_waller_factors, chunk_entries, max_reflections,
                 method, max_memory_bytes, grid_tolerance=GRID_TOLERANCE_A, nufft_eps=NUFFT_EPS):
    """:func:`reflection_list` of the cell arrays of :func:`_cell_arrays` (read once for all lines of a pattern)."""
    from latticeanchor.diffraction import structure_factor as sf
    from latticeanchor.diffraction.thermal import debye_waller_for

    try:
        lam = float(wavelength_angstrom)
    except (TypeError, ValueError):
        lam = float("nan")
    if not (math.isfinite(lam) and lam > 0):
        raise LatticeAnchorError(f"wavelength must be a positive number of Å, got {wavelength_angstrom!r}")
    two_theta = two_theta_pair(two_theta)
    tmax = 180.0 if two_theta is None else two_theta[1]
    g_max = 2 * math.sin(math.radians(min(tmax, 180.0) / 2)) / lam
    n_est = 4.0 / 3.0 * math.pi * g_max**3 * lat.volume  # as estimated_reflections
    if not n_est <= max_reflections:
        raise LatticeAnchorError(
            f"about {n_est:.3g} reflections (cell volume {lat.volume:.4g} Å³, λ = {lam:g} Å, 2θ ≤ {tmax:g}°) "
            f"exceed the budget of {max_reflections:.3g}; use a longer wavelength, a smaller 2θ range or cell, "
            "or raise max_reflections")
    if two_theta is None:
        min_r, max_r = 0.0, 2.0 / lam
    else:
        t0, t1 = (float(t) for t in two_theta)
        if not (np.isfinite(t0) and np.isfinite(t1)) or t0 < 0 or t1 <= t0 or t1 > 180:
            raise LatticeAnchorError(f"two_theta range must satisfy 0 <= min < max <= 180 degrees, got {two_theta!r}")
        min_r, max_r = (2 * math.sin(math.radians(t / 2)) / lam for t in (t0, t1))
    recip = lat.reciprocal_lattice_crystallographic.matrix  # rows b1, b2, b3 in Å⁻¹ (no 2π)
    a, b, c = lat.abc
    H, K, L = (int(math.floor(max_r * x + 1e-9)) for x in (a, b, c))
    dw = debye_waller_for(groups, debye_waller_factors)
    n_half = n_est / 2
    how, grid = sf.choose_method(method, groups, lat.matrix, float(grid_tolerance), n_half)
    if how == "fft":
        need = sf.estimate_memory_bytes("fft", n_half, len(groups), grid=grid[0])
    elif how == "nufft":
        per_h = (2 * K + 1) * (2 * L + 1)
        slab_h = max(1, min(H + 1, int(max(max_memory_bytes - sf.estimate_memory_bytes("exact", n_half, 0), 0)
                                       // (16.0 * (len(groups) + 2 * sf.NUFFT_UPSAMPLING**3) * per_h))))
        need = sf.estimate_memory_bytes("nufft", n_half, len(groups), modes_per_slab=(slab_h + 1) * per_h)
    else:
        n_atoms = max(len(v[1]) for v in groups.values())
        need = sf.estimate_memory_bytes("exact", n_half, len(groups)) + 16.0 * 3 * n_atoms * (H + 2 * K + 2 * L + 3)
    if not need <= max_memory_bytes:
        raise LatticeAnchorError(f"the {how} structure factors need about {need / 1e9:.3g} GB ({n_half:.3g} reflections), "
                                 f"above the budget of {max_memory_bytes / 1e9:.3g} GB; use a smaller 2θ range or cell, "
                                 "or raise max_memory_bytes")
    if how != "exact":
        terms = {sym: _form_term(sym, z, dw.get(sym, 0.0)) for sym, (fc, w, z) in groups.items()}
        if how == "fft":
            provider = sf.GridFactors(groups, grid[0], grid[1])
        else:
            provider = sf.NufftFactors(groups, K, L, nufft_eps, slab_h)
        return sf.reflections_fast(recip, H, K, L, min_r, max_r, groups, provider, terms)

    # exact sum (the reference): (h, k) rows whose line along b3 passes within max_r of the origin (h >= 0 half-space).
    hh, kk = np.meshgrid(np.arange(0, H + 1), np.arange(-K, K + 1), indexing="ij")
    hh, kk = hh.ravel(), kk.ravel()
    keep = (hh > 0) | (kk >= 0)
    hh, kk = hh[keep], kk[keep]
    b3 = recip[2] / np.linalg.norm(recip[2])
    ghk = hh[:, None] * recip[0] + kk[:, None] * recip[1]
    perp = ghk - (ghk @ b3)[:, None] * b3
    keep = np.einsum("ij,ij->i", perp, perp) <= max_r**2 * (1 + 1e-9)
    hh, kk = hh[keep], kk[keep]
    ls = np.arange(-L, L + 1)

    two_pi_i = 2j * np.pi
    fac = {}
    for sym, (fc, w, z) in groups.items():
        A = np.exp(two_pi_i * np.outer(fc[:, 0], np.arange(0, H + 1))) * w[:, None]
        B = np.exp(two_pi_i * np.outer(fc[:, 1], np.arange(-K, K + 1)))
        C = np.exp(two_pi_i * np.outer(fc[:, 2], ls))
        coeff = np.asarray(atomic_scattering_params()[sym], dtype=float)
        fac[sym] = (A, B, C, coeff, z)

    n_atoms = max(len(v[1]) for v in groups.values())
    rows = max(1, int(chunk_entries) // max(n_atoms, len(ls)))
    out_hkl, out_g, out_i = [], [], []
    for start in range(0, len(hh), rows):
        h = hh[start:start + rows]
        k = kk[start:start + rows]
        gvec = (h[:, None, None] * recip[0] + k[:, None, None] * recip[1]) + ls[None, :, None] * recip[2]
        g = np.sqrt(np.einsum("ijk,ijk->ij", gvec, gvec))
        mask = (g <= max_r) & (g >= min_r) & ((h[:, None] > 0) | (k[:, None] > 0) | (ls[None, :] > 0))
        if not mask.any():
            continue
        s2 = (g[mask] / 2) ** 2
        F = np.zeros(s2.shape, dtype=complex)
        for sym, (A, B, C, coeff, z) in fac.items():
            AB = A[:, h] * B[:, k + K]  # (n_e, rows)
            S = (AB.T @ C)[mask]
            f = z - MOTT_BETHE * s2 * np.sum(coeff[:, 0] * np.exp(-coeff[:, 1] * s2[:, None]), axis=1)
            if dw.get(sym):
                f = f * np.exp(-dw[sym] * s2)
            F += f * S
        hkl = np.stack(np.broadcast_arrays(h[:, None], k[:, None], ls[None, :]), axis=-1)[mask]
        out_hkl.append(hkl)
        out_g.append(g[mask])
        out_i.append(F.real**2 + F.imag**2)
    if not out_hkl:
        return np.zeros((0, 3), int), np.zeros(0), np.zeros(0)
    return np.concatenate(out_hkl), np.concatenate(out_g), np.concatenate(out_i)


DENSE_MERGE_MIN = 1_000_000  # reflections: below this the sorted merge is cheaper than the dense 2θ bins


def _lorentz_intensity(g, intensity, lam: float):
    """(2θ in degrees, 2·|F|²·LP) of reflections at g (Å⁻¹): pymatgen's Lorentz-polarization factor."""
    theta = np.arcsin(np.clip(lam * g / 2, -1, 1))
    cos2t = np.cos(2 * theta)
    lorentz = (1 + cos2t**2) / (np.sin(theta) ** 2 * np.cos(theta))
    return np.degrees(2 * theta), 2 * intensity * lorentz  # factor 2: the −g half-space (Friedel)


def _strong_peak_reflections(hkl, g, intensity, lam: float):
    """The reflections of the peaks that survive pymatgen's 0.001 % cut, found without sorting: peak sums by
    a dense bincount over the 2θ keys (at most 180°/1e-5° + 1 bins). On a large supercell most reflections
    are weak diffuse points of dropped peaks, so the sorted merge then runs on a small subset.

    The keys are the merge's own (2θ from the same arcsin); the sums only choose a superset of the peaks the
    merge keeps (slack 1e-9 on the cut), so the Lorentz-polarization factor is taken in closed form from
    s = sinθ, (1 + (1 − 2s²)²) / (s² √(1 − s²)), a few ulps from the merge's trigonometric one."""
    if len(g) < DENSE_MERGE_MIN:
        return hkl, g, intensity
    step = 1 << 22  # reflections per block: the temporaries stay small
    keys = np.empty(len(g), np.int64 if len(g) >= 2**31 else np.int32)
    ysum = np.zeros(0)
    k0 = int(np.round(np.degrees(2 * np.arcsin(np.clip(lam * float(g.min()) / 2, -1, 1))) / TWO_THETA_TOL_DEG)) - 1
    for a in range(0, len(g), step):
        sin_t = np.clip(lam * g[a:a + step] / 2, -1, 1)
        kb = np.round(np.degrees(2 * np.arcsin(sin_t)) / TWO_THETA_TOL_DEG).astype(np.int64) - k0
        keys[a:a + step] = kb
        s2 = sin_t * sin_t
        c2 = 1 - 2 * s2
        inten = 2 * intensity[a:a + step] * ((1 + c2 * c2) / (s2 * np.sqrt(1 - s2)))
        del sin_t, c2
        if len(ysum) == 0:
            ysum = np.bincount(kb, weights=inten)
            continue
        part = np.bincount(kb, weights=inten)
        if len(part) > len(ysum):
            ysum = np.concatenate([ysum, np.zeros(len(part) - len(ysum))])
        ysum[: len(part)] += part
    # bins without a reflection hold 0 and every sum is ≥ 0, so the largest bin is the strongest peak
    top = float(ysum.max())
    if not (math.isfinite(top) and top > 0):
        return hkl, g, intensity
    sel = ysum[keys] > top * (SCALED_INTENSITY_TOL * (1 - 1e-9) / 100)  # slack: the final cut decides
    return hkl[sel], g[sel], intensity[sel]


def _peaks_from_reflections(hkl, g, intensity, lam: float, is_hex: bool):
    """Merge reflections into peaks exactly as pymatgen does; returns raw (x, y, family table, d), the table as
    :func:`latticeanchor.diffraction._labels.family_table` makes it."""
    hkl, g, intensity = _strong_peak_reflections(hkl, g, intensity, lam)
    # pymatgen's order (g, −h, −k, −l): one int64 code for (−h, −k, −l) makes it a two-key sort
    m = int(np.abs(hkl).max()) if len(hkl) else 0
    base = 2 * m + 1
    h64 = hkl.astype(np.int64)
    code = ((m - h64[:, 0]) * base + (m - h64[:, 1])) * base + (m - h64[:, 2])
    del h64
    order = np.lexsort((code, g))
    del code
    hkl, g, intensity = np.take(hkl, order, axis=0), g[order], intensity[order]
    tt, inten = _lorentz_intensity(g, intensity, lam)
    keys = np.round(tt / TWO_THETA_TOL_DEG).astype(np.int64)
    # pymatgen merges by key in a dict; g-sorted keys are non-decreasing, but guard with a stable sort
    if np.any(keys[1:] < keys[:-1]):
        korder = np.argsort(keys, kind="stable")
        keys, hkl, g, inten, tt = keys[korder], hkl[korder], g[korder], inten[korder], tt[korder]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ysum = np.add.reduceat(inten, starts)
    xs = tt[starts]
    ds = 1.0 / g[starts]
    keep = ysum / ysum.max() * 100 > SCALED_INTENSITY_TOL
    counts = np.diff(np.r_[starts, len(keys)])
    gid_all = np.repeat(np.arange(len(starts)), counts)
    sel = keep[gid_all]
    newid = np.cumsum(keep) - 1
    gid = newid[gid_all[sel]]
    hk = hkl[sel]
    if is_hex:
        hk = np.column_stack([hk[:, 0], hk[:, 1], -hk[:, 0] - hk[:, 1], hk[:, 2]])
    return xs[keep], ysum[keep], _labels.family_table(hk, gid), ds[keep]


def bragg_pattern(structure, wavelength="CuKa", two_theta=(5, 90), *, energy_kev=None, kalpha2: bool = False,
                  kalpha2_ratio: float = 0.5, debye_waller_factors=None, scaled: bool = True,
                  chunk_entries: int = 1 << 22, max_reflections: float = MAX_REFLECTIONS,
                  parent_labels: bool = True, method: str = "auto", max_memory_bytes: float = MAX_MEMORY_BYTES):
    """Powder XRD pattern of a periodic structure, pymatgen ``XRDCalculator`` physics, fast on supercells.

    Parameters
    ----------
    structure : pymatgen Structure or ASE Atoms (periodic), or a file / known phase name.
    wavelength : name ('CuKa', 'MoKa', 'CuKa1', ...; pymatgen's table), a number in Å, or a string
        such as '17.48 keV'. ``energy_kev`` (keV) overrides it.
    two_theta : (min, max) range of 2θ in degrees; None for the whole limiting sphere |g| < 2/λ.
    kalpha2 : for a named Kα radiation, compute the Kα1 + Kα2 doublet (pymatgen uses one line, the
        weighted mean 1.54184 Å for 'CuKa'); Kα2 peaks carry ``kalpha2_ratio`` of the Kα1 intensity.
    debye_waller_factors : {element: B in Å²}, isotropic factor exp(−B s²) as in pymatgen; None (default)
        for the room-temperature values of the data file, {} for none.
    max_reflections : refuse (LatticeAnchorError) a pattern that would enumerate more reciprocal-lattice
        points (estimated before allocating).
    method : structure-factor summation, 'auto' (default), 'fft', 'nufft' or 'exact' (see
        :func:`reflection_list`); ``max_memory_bytes`` its memory budget (estimated before allocating).
    scaled : scale so the strongest peak is 100 (as pymatgen).
    parent_labels : for an n1×n2×n3 supercell of the α or rock-salt cell (see
        :func:`latticeanchor.diffraction.phases.parent_cell`), label peaks in the parent cell's indices
        (h/n1, k/n2, l/n3; superstructure peaks get fractional indices), one family per parent reflection,
        represented by its member with descending absolute indices, e.g. (1, 1, 0).

    Returns
    -------
    pymatgen.analysis.diffraction.core.DiffractionPattern with x = 2θ (degrees), y, hkls, d_hkls (Å).
    """
    from latticeanchor.validate import integer as _integer

    for flag, given in (("kalpha2", kalpha2), ("scaled", scaled), ("parent_labels", parent_labels)):
        if not isinstance(given, (bool, np.bool_)):
            raise LatticeAnchorError(f"{flag} must be True or False, got {given!r}")
    chunk_entries = _integer("chunk_entries", chunk_entries, 1, 1 << 40)
    from pymatgen.analysis.diffraction.core import DiffractionPattern

    st = as_structure(structure)
    if len(st) == 0:
        raise LatticeAnchorError("structure has no atoms")
    rad: Radiation = resolve_radiation(wavelength, energy_kev, kalpha2=kalpha2, kalpha2_ratio=kalpha2_ratio)
    is_hex = st.lattice.is_hexagonal()
    lat, groups, ordered = _cell_arrays(st)
    xs, ys, tables, ds = [], [], [], []
    for lam, wgt in zip(rad.lines, rad.weights):
        hkl, g, i2 = _reflections(lat, groups, lam, two_theta, debye_waller_factors, chunk_entries, max_reflections,
                                  method, max_memory_bytes)
        if len(g) == 0:
            continue
        x, y, fam, d = _peaks_from_reflections(hkl, g, i2, lam, is_hex)
        xs.append(x)
        ys.append(y * wgt)
        tables.append(fam)
        ds.append(d)
    if not xs:
        raise LatticeAnchorError(f"no reflections of this structure fall in 2θ range {two_theta!r} at λ = {rad.wavelength:g} Å")
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    d = np.concatenate(ds)
    order = np.argsort(x, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    table = _labels.relabel(_labels.concat(tables, [len(v) for v in xs]), rank)
    par = None
    if parent_labels:
        from latticeanchor.diffraction.phases import parent_cell

        par = parent_cell(st, groups if ordered else None)
    if par is not None and par[2] != (1, 1, 1):
        hk = _labels.parent_dicts(table, len(x), par[2])
    else:
        hk = _labels.family_dicts(table, len(x))
    pattern = DiffractionPattern(x[order], y[order], hk, d[order].tolist())
    if scaled:
        pattern.normalize(mode="max", value=100)
    pattern.wavelength = rad.wavelength
    return pattern


def bragg_profile(structure, two_theta_grid, wavelength="CuKa", *, fwhm: float = 0.1, kalpha2: bool = False,
                  debye_waller_factors=None, max_reflections: float = MAX_REFLECTIONS,
                  window_fwhm: float = 40.0):
    """Continuous Bragg powder scan on ``two_theta_grid`` (degrees), pseudo-Voigt peaks of FWHM ``fwhm`` (degrees).

    Like a measured scan, the grid carries the tails of reflections whose centres lie just outside it (up to
    ``window_fwhm``·``fwhm`` degrees beyond either end, the reach of :func:`profile`): a scan cut at 90° still shows
    the flank of a line at 90.03°. Cutting them off instead makes a pattern no physical model reproduces, and a
    whole-pattern refinement of it is biased (α-CsPbBr1.5I1.5 with (521) at 90.03° came back 1.4e-4 Å short).

    Returns (pattern, y): the :func:`bragg_pattern` peaks inside the grid (strongest = 100) and the profile
    scaled so its maximum is 100.
    """
    from pymatgen.analysis.diffraction.core import DiffractionPattern

    from latticeanchor.diffraction.profiles import profile

    from latticeanchor.validate import as_array, real

    grid = np.atleast_1d(as_array("2θ grid (degrees)", two_theta_grid))
    if grid.ndim != 1 or grid.size == 0:
        raise LatticeAnchorError(f"2θ grid (degrees) must be a non-empty 1-D array, got shape {grid.shape}")
    lo, hi = float(grid.min()), float(grid.max())
    if lo < 0 or hi > 180:
        raise LatticeAnchorError(f"2θ grid (degrees) must lie in [0, 180], got {lo:g}..{hi:g}")
    reach = real("window_fwhm", window_fwhm, 0.0, 1e3, low_open=True) * real("fwhm (degrees)", fwhm, 0.0, 90.0,
                                                                            low_open=True)
    empty = "the simulated profile is empty in this range (no peak within reach of the grid)"
    try:
        full = bragg_pattern(structure, wavelength, (max(lo - reach, 0.0), min(hi + reach, 180.0)),
                             kalpha2=kalpha2, debye_waller_factors=debye_waller_factors,
                             max_reflections=max_reflections, scaled=False)
    except LatticeAnchorError as exc:
        if str(exc).startswith("no reflections"):
            raise LatticeAnchorError(empty) from None
        raise
    y = profile(grid, full.x, full.y, fwhm=fwhm, window_fwhm=window_fwhm)
    if not np.all(np.isfinite(y)) or y.max() <= 0:
        raise LatticeAnchorError(empty)
    inside = np.flatnonzero((full.x >= lo) & (full.x <= hi))
    if len(inside) == 0:
        raise LatticeAnchorError(f"no reflections of this structure fall in 2θ range ({lo:g}, {hi:g})")
    pat = DiffractionPattern(full.x[inside], full.y[inside], [full.hkls[i] for i in inside],
                             [full.d_hkls[i] for i in inside])
    pat.normalize(mode="max", value=100)
    pat.wavelength = full.wavelength
    return pat, 100 * y / y.max()
