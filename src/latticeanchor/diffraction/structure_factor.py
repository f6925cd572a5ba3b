"""Structure factors of periodic supercells in O(N log N): occupancy-grid FFT, non-uniform FFT, exact sum.

For every element e the geometric sum S_e(h) = Σ_j w_j exp(2πi h·x_j) (x_j fractional coordinates, w_j
occupancies, h integer Miller indices of the cell) is needed at every reciprocal-lattice point of the
limiting sphere; the scattered amplitude is F(h) = Σ_e f_e(s) D_e(s) S_e(h) with the atomic form factor
f_e and the Debye–Waller factor D_e = exp(−B_e s²), s = |g|/2 = sinθ/λ (Å⁻¹), applied per element and
per reflection (:mod:`latticeanchor.diffraction.bragg` gives the physics and pymatgen's conventions).

* ``"fft"`` — atoms on a commensurate grid x_j = x_0 + n_j/M (every structure the builders make before
  relaxation: α-CsPbX3 and rock-salt supercells sit on the half-cell grid, halide disorder or not). Then
  S_e(h) = e^{2πi h·x_0} Σ_n n_e(n) e^{2πi h·n/M} is the discrete Fourier transform of the occupancy grid
  n_e, periodic in h with period M: one FFT of M1·M2·M3 points per element, exact (no interpolation);
  the common phase e^{2πi h·x_0} drops out of |F|². The grid detection reuses the lattice Debye's
  (:mod:`latticeanchor.diffraction.debye_lattice`), on fractional coordinates.
* ``"nufft"`` — relaxed/displaced atoms: a type-1 non-uniform FFT (FINUFFT: A. H. Barnett, J. Magland &
  L. af Klinteberg, SIAM J. Sci. Comput. 41, C479 (2019), DOI 10.1137/18M120885X) onto the box of Miller
  indices, computed in slabs of h so the mode array stays within the memory budget; relative accuracy
  ``nufft_eps`` (error of S_e ≲ eps·Σ_j|w_j|; default 1e-11 with the low-memory upsampling σ = 1.25:
  |Δ|F|²| ≤ 1e-9 × the strongest |F|², tested against the exact sum; measured ≈ 2e-12).
* ``"exact"`` — the direct sum, the reference (:func:`latticeanchor.diffraction.bragg.reflection_list`).

Memory is estimated before anything large is allocated (:func:`estimate_memory_bytes`); above
``max_memory_bytes`` a LatticeAnchorError names the estimate.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from latticeanchor.errors import LatticeAnchorError

METHODS = ("auto", "exact", "fft", "nufft")
MAX_MEMORY_BYTES = 4e9  # default budget of one pattern (bytes): refuse above, overridable
GRID_TOLERANCE_A = 1e-8  # Å: an atom this close to a grid point counts as on it (phase error ≤ 2π|g|·tol)
NUFFT_EPS = 1e-11  # FINUFFT requested precision (error of S_e ≲ eps·Σ_j|w_j|; with σ = 1.25 the kernel width caps at 16)
NUFFT_UPSAMPLING = 1.25  # FINUFFT fine-grid factor σ: 1.25 needs σ³ ≈ 2 × the modes (2.0: 8 ×), ≈ 3× faster here
MAX_GRID_AXIS = 4096  # largest grid subdivision per cell axis considered "a grid"
REFLECTION_BYTES = 3 * 4 + 8 + 8  # int32 hkl + g + |F|² per stored reflection
CHUNK_REFLECTIONS = 1 << 20


def have_finufft() -> bool:
    try:
        import finufft  # noqa: F401
    except ImportError:
        return False
    return True


def commensurate_grid(frac: np.ndarray, lattice_matrix: np.ndarray, tolerance: float = GRID_TOLERANCE_A):
    """Grid subdivision M (3,) of the cell and integer grid index (N, 3) holding every atom within
    ``tolerance`` (Å, Cartesian) of x_0 + n/M (x_0: the first atom), or None when there is none."""
    from latticeanchor.diffraction.debye_lattice import _axis_step

    frac = np.asarray(frac, float)
    if len(frac) == 0:
        return None
    rel = np.mod(frac - frac[0], 1.0)
    lengths = np.linalg.norm(lattice_matrix, axis=1)
    M = np.ones(3, dtype=np.int64)
    for ax in range(3):
        d = rel[:, ax] * lengths[ax]
        d = np.where(lengths[ax] - d < 0.5 * max(tolerance, 1e-12) + 1e-12, 0.0, d)  # wrap 1 − ε to 0
        if np.all(np.abs(d) <= tolerance):
            continue
        step = _axis_step(d, tolerance)
        if step is None or step <= 0:
            return None
        m = lengths[ax] / step
        if not (math.isfinite(m) and round(m) >= 1 and abs(m - round(m)) < 1e-3) or round(m) > MAX_GRID_AXIS:
            return None
        M[ax] = int(round(m))
    n = np.rint(rel * M).astype(np.int64)
    dfrac = rel - n / M
    if float(np.max(np.linalg.norm(dfrac @ lattice_matrix, axis=1))) > tolerance:
        return None
    return M, np.mod(n, M)


def estimate_memory_bytes(method: str, n_reflections: float, n_elements: int, grid=None, modes_per_slab=0.0,
                          chunk: int = CHUNK_REFLECTIONS) -> float:
    """Peak memory (bytes) of one structure-factor pass: stored reflections (``n_reflections`` of the
    Friedel half, :data:`REFLECTION_BYTES` each, +20 % for the l-interval margin of the buffers), per-chunk work
    arrays (≈ 30 float64 per reflection), and the method's arrays: the FFT grids (n_elements + 1 complex
    grids of prod(grid) points) or the NUFFT slab (n_elements complex slabs plus FINUFFT's σ³-upsampled
    fine grid and its copy, σ = 1.25)."""
    base = 1.2 * REFLECTION_BYTES * n_reflections + 30 * 8.0 * chunk
    if method == "fft":
        return base + 16.0 * (n_elements + 1) * float(np.prod(np.asarray(grid, float)))
    if method == "nufft":
        return base + 16.0 * (n_elements + 2 * NUFFT_UPSAMPLING**3) * float(modes_per_slab)
    return base


def _signed_range(n: int) -> np.ndarray:
    """0, 1, …, n, −n, …, −1: a table over it is indexed by any integer in [−n, n] directly (negatives wrap)."""
    return np.r_[0:n + 1, -n:0]


class GridFactors:
    """S_e(h) of on-grid atoms from one FFT per element; ``index(h, k, l)`` and ``parts(e)`` gather any Miller
    indices."""

    def __init__(self, groups: dict, M, index: dict):
        self.M = tuple(int(m) for m in M)
        self.S = {}
        for sym, (fc, w, z) in groups.items():
            occ = np.zeros(self.M)
            n = index[sym]
            np.add.at(occ, (n[:, 0], n[:, 1], n[:, 2]), w)
            # fftn uses e^{−2πi k·n/M}: S(h) = fftn(occ)[−h mod M]; real and imaginary parts apart (cheaper gathers)
            S = np.fft.fftn(occ).ravel()
            self.S[sym] = (np.ascontiguousarray(S.real), np.ascontiguousarray(S.imag))

    def slabs(self, H: int, K: int, L: int):
        M1, M2, M3 = self.M
        # flat index (−h mod M1, −k mod M2, −l mod M3) as a sum of three per-axis tables
        self._tables = [np.mod(-_signed_range(n), m) * stride
                        for n, m, stride in ((H, M1, M2 * M3), (K, M2, M3), (L, M3, 1))]
        yield 0, H, self

    def index(self, h, k, l):
        th, tk, tl = self._tables
        return (th[h] + tk[k]) + tl[l]

    def parts(self, sym):
        return self.S[sym]


class NufftFactors:
    """S_e(h) of off-grid atoms by FINUFFT type 1, slab by slab in h (h ∈ [0, H], all k, l)."""

    def __init__(self, groups: dict, K: int, L: int, eps: float, slab_h: int):
        self.groups, self.K, self.L, self.eps, self.slab_h = groups, K, L, float(eps), max(1, int(slab_h))

    def slabs(self, H: int, K: int, L: int):
        import finufft

        nk, nl = 2 * self.K + 1, 2 * self.L + 1
        xyz = {sym: [np.ascontiguousarray(2 * np.pi * np.mod(fc[:, i], 1.0)) for i in range(3)]
               for sym, (fc, w, z) in self.groups.items()}
        for h0 in range(0, H + 1, self.slab_h):
            h1 = min(H, h0 + self.slab_h - 1)
            nh = h1 - h0 + 1
            nh_odd = nh if nh % 2 else nh + 1  # odd mode count: modes −(n−1)/2 … (n−1)/2
            hc = h0 + (nh_odd - 1) // 2
            S = {}
            for sym, (fc, w, z) in self.groups.items():
                x, y, zz = xyz[sym]
                c = (w * np.exp(1j * hc * x)).astype(np.complex128)  # shift the mode box to centre hc
                with warnings.catch_warnings():  # "eps too small" notes: the kernel width is clipped at 16
                    warnings.simplefilter("ignore")
                    S[sym] = finufft.nufft3d1(x, y, zz, c, (nh_odd, nk, nl), eps=self.eps, isign=1, modeord=0,
                                              upsampfac=NUFFT_UPSAMPLING, showwarn=0)
            self._h0, self._S = hc - (nh_odd - 1) // 2, S
            yield h0, h1, self
            del S
            self._S = None

    def index(self, h, k, l):
        S = next(iter(self._S.values()))
        return ((h - self._h0) * S.shape[1] + (k + self.K)) * S.shape[2] + (l + self.L)

    def parts(self, sym):
        S = self._S[sym].ravel()
        return S.real, S.imag


def choose_method(method: str, groups: dict, lattice_matrix, tolerance: float, n_half: float):
    """Resolve ``method`` ('auto' | 'exact' | 'fft' | 'nufft') to (method, grid info or None)."""
    if method not in METHODS:
        raise LatticeAnchorError(f"structure-factor method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "exact":
        return "exact", None
    grid = None
    if method in ("auto", "fft"):
        frac = np.concatenate([g[0] for g in groups.values()])
        found = commensurate_grid(frac, np.asarray(lattice_matrix, float), tolerance)
        if found is not None:
            M, n = found
            index, start = {}, 0
            for sym, g in groups.items():
                index[sym] = n[start:start + len(g[0])]
                start += len(g[0])
            grid = (M, index)
        elif method == "fft":
            raise LatticeAnchorError(f"atoms do not sit on a grid commensurate with the cell within {tolerance:g} Å; "
                                     "use method='nufft' or 'exact'")
    if grid is not None:
        n_atoms = sum(len(g[1]) for g in groups.values())
        if method == "fft" or n_atoms * n_half > 2e7:
            return "fft", grid
        return "exact", None
    if method == "nufft":
        if not have_finufft():
            raise LatticeAnchorError("method='nufft' needs the finufft package (pip install 'latticeanchor[nufft]')")
        return "nufft", None
    n_atoms = sum(len(g[1]) for g in groups.values())
    if have_finufft() and n_atoms * n_half > 2e7:
        return "nufft", None
    return "exact", None


def half_space_rows(recip: np.ndarray, H: int, K: int, L: int, max_r: float):
    """(h, k) rows of the Friedel half-space (h > 0, or h = 0 and k ≥ 0) whose line g = h b1 + k b2 + l b3
    meets the sphere |g| ≤ max_r (Å⁻¹), each with its l interval [lo, hi] (one index of margin), h-major."""
    hh, kk = np.meshgrid(np.arange(0, H + 1), np.arange(-K, K + 1), indexing="ij")
    hh, kk = hh.ravel(), kk.ravel()
    keep = (hh > 0) | (kk >= 0)
    hh, kk = hh[keep], kk[keep]
    ghk = hh[:, None] * recip[0] + kk[:, None] * recip[1]
    b3 = recip[2]
    q = float(b3 @ b3)
    p = ghk @ b3
    c = np.einsum("ij,ij->i", ghk, ghk) - max_r**2
    disc = p * p - q * c
    keep = disc >= -1e-9 * max_r**2 * q
    hh, kk, p, disc = hh[keep], kk[keep], p[keep], np.maximum(disc[keep], 0.0)
    root = np.sqrt(disc)
    lo = np.maximum(np.ceil((-p - root) / q).astype(np.int64) - 1, -L)
    hi = np.minimum(np.floor((-p + root) / q).astype(np.int64) + 1, L)
    ok = hi >= lo
    return hh[ok], kk[ok], lo[ok], hi[ok]


def _row_chunks(lo, hi, chunk: int):
    """Slices of consecutive rows holding at most ``chunk`` indices each (one row may exceed it)."""
    n = hi - lo + 1
    cum = np.cumsum(n)
    start = 0
    while start < len(n):
        base = cum[start - 1] if start else 0
        stop = int(np.searchsorted(cum, base + chunk, side="right"))
        stop = max(stop, start + 1)
        yield start, stop
        start = stop


def reflections_fast(recip, H, K, L, min_r, max_r, groups, provider, form_terms, chunk: int = CHUNK_REFLECTIONS):
    """All reflections of the Friedel half inside min_r ≤ |g| ≤ max_r (Å⁻¹) with |F|² from ``provider``
    (:class:`GridFactors` or :class:`NufftFactors`). ``form_terms``: element → callable s² → f·D (electrons).
    Returns (hkl int32 (M, 3), g Å⁻¹ (M,), |F|² electrons² (M,)), the same set as the exact sum's."""
    hh, kk, lo, hi = half_space_rows(recip, H, K, L, max_r)
    metric = recip @ recip.T
    # cubic metric: s² = G·(h² + k² + l²)/4 with G = |b1|², so f·D is tabulated once per integer h² + k² + l²
    cubic = bool(np.allclose(metric, metric[0, 0] * np.eye(3), rtol=0, atol=1e-13 * metric[0, 0]))
    table = None
    if cubic:
        q = np.arange(int(max_r**2 / metric[0, 0] * (1 + 1e-9)) + 2, dtype=float)
        s2q = q * metric[0, 0] / 4
        table = {sym: form_terms[sym](s2q) for sym in groups}
    # an orthogonal reciprocal basis (exact zeros off the diagonal): the squared components (h b11)² … are per-axis
    # tables; |g|² is summed in np.einsum's order, (x² + z²) + y², as the (N, 3) product did: g to the last bit
    squares = None
    if not np.any(recip - np.diag(np.diag(recip))):
        squares = [(_signed_range(n) * recip[j, j]) ** 2 for j, n in enumerate((H, K, L))]
    cap = int(np.sum(hi - lo + 1))  # upper bound of the stored reflections: filled in place, no concatenation
    out_hkl, out_g, out_i = np.empty((cap, 3), np.int32), np.empty(cap), np.empty(cap)
    pos = 0
    for h0, h1, src in provider.slabs(H, K, L):
        a, b = np.searchsorted(hh, [h0, h1 + 1])
        for r0, r1 in _row_chunks(lo[a:b], hi[a:b], chunk):
            r0, r1 = r0 + a, r1 + a
            n = hi[r0:r1] - lo[r0:r1] + 1
            h = np.repeat(hh[r0:r1], n)
            k = np.repeat(kk[r0:r1], n)
            offs = np.repeat(np.cumsum(n) - n, n)
            l = np.repeat(lo[r0:r1], n) + (np.arange(len(h)) - offs)
            if squares is not None:
                sx, sy, sz = squares
                g = np.sqrt((sx[h] + sz[l]) + sy[k])
            else:
                gx, gy, gz = ((h * recip[0, j] + k * recip[1, j]) + l * recip[2, j] for j in range(3))
                g = np.sqrt((gx * gx + gz * gz) + gy * gy)
            mask = (g <= max_r) & (g >= min_r) & ((h > 0) | (k > 0) | (l > 0))
            if not mask.any():
                continue
            h, k, l, g = h[mask], k[mask], l[mask], g[mask]
            idx = src.index(h, k, l)
            Fr, Fi = np.zeros(len(g)), np.zeros(len(g))
            fd = None if cubic else (g / 2) ** 2
            if cubic:
                Q = h * h + k * k + l * l
            for sym in groups:
                f = table[sym][Q] if cubic else form_terms[sym](fd)
                re, im = src.parts(sym)
                Fr += f * re[idx]
                Fi += f * im[idx]
            end = pos + len(g)
            out_hkl[pos:end, 0], out_hkl[pos:end, 1], out_hkl[pos:end, 2] = h, k, l
            out_g[pos:end] = g
            out_i[pos:end] = Fr * Fr + Fi * Fi
            pos = end
    return out_hkl[:pos].copy() if pos < 0.9 * cap else out_hkl[:pos], out_g[:pos], out_i[:pos]
