"""Debye scattering of clusters whose atoms sit on a common grid, in O(N log N) by FFT autocorrelation.

Every structure the builders make before relaxation lives on a grid: α-CsPbBr_xI_(3−x) (Pb at the cube
corners, Cs at the centre, halides at the edge centres) and a cube-on-cube coherent rock-salt dot strained
to the matrix (Pb and S/Se at multiples of a/2) sit on the sub-grid of step a/2, halide disorder or not.
For such a cluster the element-pair distance statistics are exact integer counts:

    C_ab(d) = Σ_x n_a(x) n_b(x + d),      d an integer grid displacement,

with n_e the occupancy grid of element e. Each C_ab is one product of Fourier transforms of the
zero-padded grids (padding ≥ 2n − 1 per axis, so nothing wraps): C_ab = IFFT(FFT(n_a)* · FFT(n_b)),
rounded to integers (float64 error ≪ 0.5). Counts are then gathered by |d| (for a cubic grid by the
integer i² + j² + k²) and the Debye sum runs over the distinct distances only:

    I(q) = Σ_e N_e f_e² + 2 Σ_{a≤b} f_a D_a f_b D_b Σ_r H_ab(r) sin(qr)/(qr),

H_aa(r) = C_aa(r)/2 without the origin, H_ab(r) = C_ab(r) for a < b, D_e = exp(−B_e s²) the
Debye–Waller factors (thermal displacements), s = q/4π. P. Debye, Ann. Phys. 351, 809 (1915),
DOI 10.1002/andp.19153510606; the FFT pair-correlation idea as in the Debye-function literature on large
nanocrystals (e.g. Cervellino, Frison, Bertolotti & Guagliardi, J. Appl. Cryst. 48, 2026 (2015),
DOI 10.1107/S1600576715020488, for the sampled-distance approach). Work: O(P log P) per element and per
pair with P grid points, memory ≈ (n_elements + 3) × P × 8 bytes; no pair loop. Exact for on-grid
atoms (no histogram discretization); atoms within the tolerance of a grid point are placed on it.
"""

from __future__ import annotations

import math
import os

import numpy as np

from latticeanchor.diffraction._debye_common import as_cluster, form_factor_table, pair_damping, validate_q
from latticeanchor.errors import LatticeAnchorError

MAX_GRID_POINTS = 2.5e8  # zero-padded grid points (≈ 2 GB per float64 grid at the limit: refuse above)
SINC_BLOCK = 1 << 22  # q × distances evaluated per block of the sinc sum


def _axis_step(d: np.ndarray, tol: float):
    """Grid step along one axis (Å) from coordinates ``d`` (Å, relative to an atom), or None. The step is the
    smallest gap between distinct coordinates (of a sample of atoms; every atom is checked afterwards)."""
    t = max(tol, 1e-9)
    sample = d if len(d) <= 50_000 else d[np.linspace(0, len(d) - 1, 50_000).astype(np.int64)]
    u = np.unique(np.round(sample / t).astype(np.int64)) * t
    if len(u) == 1:
        return 1.0  # all atoms in one plane: any step
    gaps = np.diff(u)
    gaps = gaps[gaps > 4 * tol]
    if len(gaps) == 0:
        return None
    step0 = float(gaps.min())
    n = np.round(d / step0)
    nn = float(n @ n)
    return float(n @ d) / nn if nn > 0 else step0


def find_grid(atoms, tolerance: float = 1e-3, strict: bool = False):
    """An orthogonal, axis-aligned grid holding every atom within ``tolerance`` (Å).

    Returns a dict (origin (3,), step (3,) Å, index (N, 3) int, shape (3,), symbols, deviation Å) or None;
    with ``strict`` a LatticeAnchorError naming the largest deviation instead of None.
    """
    syms, pos = as_cluster(atoms)
    syms = np.asarray(syms)
    if len(pos) == 0:
        raise LatticeAnchorError("cluster has no atoms")
    if not np.all(np.isfinite(pos)):
        raise LatticeAnchorError("cluster positions must be finite (found NaN or inf)")
    tol = float(tolerance)
    if not (math.isfinite(tol) and tol > 0):
        raise LatticeAnchorError(f"lattice tolerance (Å) must be positive, got {tolerance!r}")
    origin = pos[0].copy()
    rel = pos - origin
    steps = []
    for ax in range(3):
        s = _axis_step(rel[:, ax], tol)
        if s is None or s < 0.5:
            if strict:
                raise LatticeAnchorError("atoms do not sit on a common grid (no grid step ≥ 0.5 Å along axis "
                                         f"{'xyz'[ax]}); use method='histogram'")
            return None
        steps.append(s)
    steps = np.array(steps)
    idx = np.round(rel / steps).astype(np.int64)
    dev = float(np.max(np.linalg.norm(rel - idx * steps, axis=1)))
    if dev > tol:
        if strict:
            raise LatticeAnchorError(f"atoms are up to {dev:.3g} Å off the best grid (step {steps.round(4).tolist()} Å), "
                                     f"beyond the tolerance {tol:g} Å; use method='histogram'")
        return None
    idx -= idx.min(axis=0)
    shape = idx.max(axis=0) + 1
    lin = idx @ np.array([shape[1] * shape[2], shape[2], 1], dtype=np.int64)
    if float(np.prod(shape.astype(float))) <= 4e8:
        dup = np.bincount(lin).max() > 1
    else:
        dup = len(np.unique(lin)) != len(lin)
    if dup:
        raise LatticeAnchorError("two atoms share one grid point (duplicate or overlapping atoms)")
    return {"origin": origin, "step": steps, "index": idx, "shape": shape,
            "symbols": syms, "deviation": dev}


def padded_shape(shape) -> tuple[int, int, int]:
    """FFT size per axis: even, ≥ 2n − 1 (no wrap-around), 2 × a fast length."""
    from scipy.fft import next_fast_len

    return tuple(2 * int(next_fast_len(int(n), real=True)) for n in shape)


def estimate_memory_bytes(shape, n_elements: int) -> float:
    """Peak memory (bytes) of :func:`lattice_pair_counts` for a grid ``shape`` and element count."""
    P = np.array(padded_shape(shape), dtype=float)
    half = P[0] * P[1] * (P[2] / 2 + 1)
    return 16 * half * (n_elements + 1.5) + 8 * float(np.prod(P / 2 + 1)) * 3


def _spectrum(sel: np.ndarray, shape, P, workers: int) -> np.ndarray:
    """rfftn of the occupancy grid (ones at ``sel``) zero-padded to P, pruned: the data fill only the first
    n of P points per axis, so the transforms run on the non-zero lines only."""
    from scipy import fft as sfft

    occ = np.zeros(tuple(shape))
    occ[sel[:, 0], sel[:, 1], sel[:, 2]] = 1.0
    X = sfft.rfft(occ, n=P[2], axis=2, workers=workers)
    del occ
    X = sfft.fft(X, n=P[1], axis=1, workers=workers)
    return sfft.fft(X, n=P[0], axis=0, workers=workers)


def lattice_pair_counts(atoms=None, grid=None, tolerance: float = 1e-3, max_grid_points: float = MAX_GRID_POINTS):
    """Exact pair counts per element pair and per distance for on-grid atoms.

    The radial sums are taken from the axis-reflection average of each correlation (|d| is unchanged by
    d_i → −d_i): its spectrum is even along every axis, so one type-I DCT on the positive octant
    (1/8 of the padded grid) replaces a full inverse FFT per element pair.

    Returns (elements, pairs [(a, b)], r (M,) distinct distances in Å, H (M, npair) pair counts (pairs i < j),
    counts per element).
    """
    from scipy import fft as sfft

    if grid is None:
        grid = find_grid(atoms, tolerance, strict=True)
    syms = np.asarray(grid["symbols"])
    idx = grid["index"]
    shape = tuple(int(n) for n in grid["shape"])
    P = padded_shape(shape)
    npts = float(np.prod(P))
    if npts > max_grid_points:
        raise LatticeAnchorError(f"lattice Debye grid {shape} (padded {P}, {npts:.3g} points) exceeds the budget "
                                 f"{max_grid_points:.3g}; use method='histogram' or raise max_grid_points")
    elements, inv, counts = np.unique(syms, return_inverse=True, return_counts=True)
    elements = [str(e) for e in elements]
    ne = len(elements)
    workers = max(1, min(8, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)))
    spectra = [_spectrum(idx[inv == e], shape, P, workers) for e in range(ne)]
    h0, h1, h2 = (p // 2 for p in P)
    # octant 0..P/2 per axis; the negative-frequency partner of k is P - k (k = 0 and P/2 are their own)
    # multiplicity of an octant displacement among the 8 sign images (0 and P/2 are their own image)
    mult = [np.where((np.arange(h + 1) == 0) | (np.arange(h + 1) == h), 1.0, 2.0) for h in (h0, h1, h2)]
    M = mult[0][:, None, None] * mult[1][None, :, None] * mult[2][None, None, :]
    step = np.asarray(grid["step"], float)
    d = [np.arange(h + 1) for h in (h0, h1, h2)]
    if np.allclose(step, step[0], rtol=1e-12, atol=0):
        key = d[0][:, None, None] ** 2 + d[1][None, :, None] ** 2 + d[2][None, None, :] ** 2
        nkey = int(key.max()) + 1
        r_of_key = step[0] * np.sqrt(np.arange(nkey, dtype=float))
    else:
        r2 = ((d[0] * step[0])[:, None, None] ** 2 + (d[1] * step[1])[None, :, None] ** 2
              + (d[2] * step[2])[None, None, :] ** 2)
        u, key = np.unique(np.round(r2, 9).ravel(), return_inverse=True)
        nkey = len(u)
        r_of_key = np.sqrt(u)
    key = key.ravel().astype(np.int64)
    scale = 1.0 / npts
    pairs = [(a, b) for a in range(ne) for b in range(a, ne)]
    H = np.zeros((nkey, len(pairs)))
    for p, (a, b) in enumerate(pairs):
        Fa, Fb = spectra[a], spectra[b]
        X = Fa.real * Fb.real
        X += Fa.imag * Fb.imag  # Re(conj(F_a) F_b), (P0, P1, P2/2+1): the radial sums need only the even part
        Y = X[: h0 + 1].copy()  # fold k0 and −k0 (index P0 − k0), then k1 and −k1: 4 × reflection average
        Y[1:] += X[P[0] - 1: h0 - 1: -1]
        Y[0] *= 2.0  # k0 = 0 is its own partner
        del X
        Xs = Y[:, : h1 + 1].copy()
        Xs[:, 1:] += Y[:, P[1] - 1: h1 - 1: -1]
        Xs[:, 0] *= 2.0
        del Y
        E = sfft.dctn(Xs, type=1, workers=workers) * (0.25 * scale)  # reflection-averaged correlation, octant
        del Xs
        E = np.rint(8.0 * E) * (M / 8.0)  # average of 8 integer counts → exact multiple of 1/8
        h = np.bincount(key, weights=E.ravel(), minlength=nkey)
        if a == b:
            h[0] -= counts[a]
            h *= 0.5
        H[:, p] = np.rint(h)
    keep = np.any(H != 0, axis=1)
    return elements, pairs, r_of_key[keep], H[keep], counts


def debye_lattice(atoms, q, *, grid=None, tolerance: float = 1e-3, form_factors=None, debye_waller_factors=None,
                  max_grid_points: float = MAX_GRID_POINTS) -> np.ndarray:
    """Debye intensity I(q) (electron units) of on-grid atoms from exact FFT pair counts (see module doc).
    Same conventions as :func:`latticeanchor.diffraction.debye_pattern`."""
    q = validate_q(q)
    elements, pairs, r, H, counts = lattice_pair_counts(atoms, grid, tolerance, max_grid_points)
    f = form_factor_table(elements, q, form_factors)
    fd = f * pair_damping(elements, q, debye_waller_factors)
    S = np.zeros((len(q), len(pairs)))
    m = max(1, SINC_BLOCK // max(1, len(q)))
    if len(r) and r[0] == 0:  # no pair sits at distance 0 (checked by find_grid), but keep sinc(0) = 1 exact
        S += H[0][None, :]
        r, H = r[1:], H[1:]
    for s0 in range(0, len(r), m):
        x = np.outer(q, r[s0:s0 + m])
        with np.errstate(invalid="ignore", divide="ignore"):
            sx = np.sin(x) / x
        sx[x == 0] = 1.0
        S += sx @ H[s0:s0 + m]
    intensity = np.einsum("e,eq->q", counts.astype(float), f**2)
    for p, (a, b) in enumerate(pairs):
        intensity += 2.0 * fd[a] * fd[b] * S[:, p]
    return intensity


def linear_spread(r, H, dr: float, nbins: int) -> np.ndarray:
    """Exact distances r (Å) with counts H (M, npair) spread linearly on the grid k·dr: the histogram
    :func:`latticeanchor.diffraction.debye.pair_histograms` approximates. Returns (nbins + 2, npair)."""
    u = r / dr
    k = np.floor(u).astype(np.int64)
    t = u - k
    out = np.zeros((nbins + 2, H.shape[1]))
    for p in range(H.shape[1]):
        out[:, p] += np.bincount(k, weights=H[:, p] * (1 - t), minlength=nbins + 2)[: nbins + 2]
        out[:, p] += np.bincount(k + 1, weights=H[:, p] * t, minlength=nbins + 2)[: nbins + 2]
    return out
