"""Debye scattering equation for finite clusters (dots, dots in a matrix shell, carved spheres).

    I(q) = Σ_i Σ_j f_i(q) f_j(q) sin(q r_ij)/(q r_ij)        (electron units; i = j terms included)

P. Debye, Ann. Phys. 351, 809 (1915), DOI 10.1002/andp.19153510606. q = 4π sinθ/λ in Å⁻¹. Atomic form
factors are pymatgen's XRDCalculator ones (see :mod:`latticeanchor.diffraction.bragg`) evaluated at
s = sinθ/λ = q/(4π) unless ``form_factors`` is given.

Method "auto" (default): "lattice" when the atoms sit on a grid (the builders' unrelaxed hybrids, carved
cores: exact pair counts, pointwise error ~1e-11 relative), else "histogram". Method "histogram":
element-resolved pair-distance histograms on a fine grid of spacing dr
(Å) with each pair spread *linearly* onto its two neighbouring grid points (cloud-in-cell), then
I(q) = Σ_e N_e f_e² + 2 Σ_{a≤b} f_a f_b Σ_k H_ab[k] sinc(q r_k). Linear spreading replaces sinc(q r)
by its linear interpolant, so the error per pair is at most (q dr)²/8 of the pair term (second order),
whereas bin-centre histograms err to first order in q dr. The default dr = 0.0063/q_max (Å) keeps it
below 5e-6 per pair; off-lattice (rattled, relaxed) clusters then come within 1e-5 of the exact sum
pointwise, weak q included (tested). On a lattice the per-pair errors add coherently (1e-4 pointwise
at weak q for a 1 300-atom rock-salt cluster), which is why "auto" takes the exact lattice method there. Memory is O(N + bins), never O(N²). Compiled numba kernel when available (extra ``fast``),
else a chunked numpy fallback. The kernel sorts atoms by element and then along a Morton curve, walks
the pairs in tiles of spatially compact atom blocks (each tile's distances fall in a narrow band of
bins that stays in cache), computes distances in vectorized float32 runs and records each pair with
one packed int64 add (count and position within the bin) into a per-thread histogram; the sinc
transform runs a three-term sine recurrence vectorized over q. Method "exact": the full double sum
(small clusters). Method "lattice": exact pair counts from FFT autocorrelation of per-element occupancy
grids for atoms on a common grid (:mod:`latticeanchor.diffraction.debye_lattice`, O(N log N));
"auto" picks it when the atoms sit on a grid (and the grid is not sparse), else "histogram".

Thermal displacements: Debye–Waller factors exp(−B s²) per element (room-temperature defaults from the
data file, :mod:`latticeanchor.diffraction.thermal`) damp the pair terms, not the self terms.

Note DebyeCalculator (Johansen et al., J. Appl. Cryst. 57 (2024), DOI 10.1107/S1600576724002796)
returns half of this textbook double sum.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from latticeanchor.errors import LatticeAnchorError
from latticeanchor.diffraction import _kernels
from latticeanchor.diffraction._debye_common import as_cluster as _as_cluster
from latticeanchor.diffraction._debye_common import form_factor_table as _form_factor_table
from latticeanchor.diffraction._debye_common import pair_damping as _pair_damping
from latticeanchor.diffraction._debye_common import validate_q as _validate_q

DEFAULT_DR_FACTOR = 0.0063  # dr = DEFAULT_DR_FACTOR / q_max (Å): (q dr)²/8 ≤ 5e-6 per pair
BLOCK_I, BLOCK_J = 16, 2048  # compiled kernel tiles: atoms per row block × atoms per column run
# Below these amounts of work the compiled kernels run on one thread: waking the pool costs more than
# it saves (and, on a busy machine, can cost milliseconds waiting for a core).
SERIAL_MAX_PAIRS = 4_000_000
SERIAL_MAX_SINC = 200_000_000  # bins × q points × (element pairs + 4)
MAX_HISTOGRAM_CELLS = 5e7  # bins × element pairs of one histogram (400 MB as float64; × threads with numba)
MAX_PAIR_WORK = 5e12  # atom pairs × q points of the exact double sum (hours beyond this)
PACKED_LANE_MAX = 1 << 24  # pairs one lane's packed bin holds exactly (4095 · 2^24 < 2^36); then it spills


@contextlib.contextmanager
def _numba_threads(serial: bool):
    """Run the enclosed compiled kernels on one thread when ``serial`` (numba's setting is per caller)."""
    if not serial:
        yield
        return
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(old)


def _morton_codes(pos: np.ndarray, bits: int = 10) -> np.ndarray:
    """30-bit Morton (Z-order) codes of positions on a 2^bits grid per axis over the bounding cube."""
    lo = pos.min(axis=0)
    span = float(np.max(pos.max(axis=0) - lo))
    side = 1 << bits
    cell = np.minimum(((pos - lo) * (side / span if span > 0 else 0.0)).astype(np.int64), side - 1)
    code = np.zeros(len(pos), dtype=np.int64)
    for axis in range(3):
        v = cell[:, axis] & 0x3FF
        v = (v | (v << 16)) & 0x030000FF
        v = (v | (v << 8)) & 0x0300F00F
        v = (v | (v << 4)) & 0x030C30C3
        v = (v | (v << 2)) & 0x09249249
        code |= v << axis
    return code


def _prepare(atoms):
    syms, pos = _as_cluster(atoms)
    if len(syms) == 0:
        raise LatticeAnchorError("cluster has no atoms")
    if not np.all(np.isfinite(pos)):
        raise LatticeAnchorError("cluster positions must be finite (found NaN or inf)")
    elements = sorted(set(syms))
    eidx = np.array([elements.index(s) for s in syms])
    # Sort by element, then along a Morton (Z-order) curve within each element: consecutive atoms are
    # spatial neighbours, so a block of them is compact and its pair distances hit few histogram bins.
    order = np.lexsort((_morton_codes(pos), eidx))
    pos = np.ascontiguousarray(pos[order])
    eidx = eidx[order]
    seg = np.searchsorted(eidx, np.arange(len(elements) + 1)).astype(np.int64)
    return elements, pos, eidx, seg


def pair_histograms(atoms, dr: float, r_max: float | None = None, use_numba: bool | None = None,
                    max_cells: float = MAX_HISTOGRAM_CELLS):
    """Element-resolved linearly spread pair-distance histograms (pairs i < j).

    Returns (elements, pair_list [(a, b)], r grid (Å), H (nbins, npair), counts per element). A histogram of
    more than ``max_cells`` bins × element pairs is refused (LatticeAnchorError) before it is allocated.
    """
    from latticeanchor.validate import real

    dr = real("dr (Å)", dr, 0.0, low_open=True)
    if r_max is not None:
        r_max = real("r_max (Å)", r_max, 0.0)
    max_cells = real("max_histogram_cells", max_cells, 1.0)
    elements, pos, eidx, seg = _prepare(atoms)
    ne = len(elements)
    span_est = float(np.linalg.norm(pos.max(axis=0) - pos.min(axis=0)))
    cells = (max(span_est, r_max or 0.0) / dr + 2) * ne * (ne + 1) / 2
    if not cells <= max_cells:
        raise LatticeAnchorError(f"dr (Å): a pair histogram of {cells:.3g} bins × element pairs (span "
                                 f"{span_est:.4g} Å, dr {dr:g} Å) exceeds the budget max_histogram_cells "
                                 f"{max_cells:.3g}; use a larger dr or raise the budget")
    pairs = [(a, b) for a in range(ne) for b in range(a, ne)]
    pair_index = np.zeros((ne, ne), dtype=np.int64)
    for p, (a, b) in enumerate(pairs):
        pair_index[a, b] = pair_index[b, a] = p
    span = np.linalg.norm(pos.max(axis=0) - pos.min(axis=0))
    r_max = span if r_max is None else max(float(r_max), span)
    nbins = int(math.ceil(r_max / dr)) + 2
    use_numba = _kernels.HAVE_NUMBA if use_numba is None else (use_numba and _kernels.HAVE_NUMBA)
    if use_numba:
        import numba

        n = len(pos)
        centre = 0.5 * (pos.max(axis=0) + pos.min(axis=0))
        pos32 = np.ascontiguousarray(pos - centre, dtype=np.float32)
        with _numba_threads(n * (n - 1) // 2 <= SERIAL_MAX_PAIRS):
            lanes = max(1, numba.get_num_threads())
            # one pass: bins that would overflow their 24-bit count are spilled inside the kernel
            spill_at = np.int64((int(min(PACKED_LANE_MAX, 1 << 24)) - 1) << 36)
            packed, spill = _kernels.pair_histogram_packed(pos32, seg, pair_index, 1.0 / dr, nbins, lanes,
                                                           BLOCK_I, BLOCK_J, spill_at)
        counts_k = (packed >> 36).sum(axis=0).astype(float) + spill[..., 0].sum(axis=0)
        frac_k = ((packed & ((1 << 36) - 1)).sum(axis=0).astype(float) + spill[..., 1].sum(axis=0)) / 4096.0
        hist = counts_k - frac_k
        hist[:, 1:] += frac_k[:, :-1]
    else:
        hist = _numpy_pair_histogram(pos, eidx, pair_index, len(pairs), 1.0 / dr, nbins)
    counts = np.diff(seg)
    r = np.arange(nbins + 2) * dr
    return elements, pairs, r, np.ascontiguousarray(hist.T), counts


def _numpy_pair_histogram(pos, eidx, pair_index, npair, inv_dr, nbins, block_pairs: int = 1 << 22):
    """Chunked numpy fallback of the linear-spread histogram (memory O(block))."""
    n = len(pos)
    hist = np.zeros((npair, nbins + 2))
    flat = hist.ravel()
    stride = nbins + 2
    i = 0
    while i < n - 1:
        rows = max(1, block_pairs // max(1, n - i))
        i1 = min(n - 1, i + rows)
        for ii in range(i, i1):
            d = pos[ii + 1:] - pos[ii]
            u = np.sqrt(np.einsum("ij,ij->i", d, d)) * inv_dr
            k = u.astype(np.int64)
            t = u - k
            base = pair_index[eidx[ii], eidx[ii + 1:]] * stride + k
            flat += np.bincount(base, weights=1.0 - t, minlength=flat.size)[: flat.size]
            flat += np.bincount(base + 1, weights=t, minlength=flat.size)[: flat.size]
        i = i1
    return hist


def _numpy_sinc_transform(hist_t, dr, q, block: int = 1 << 22):
    nz = np.flatnonzero(np.any(hist_t != 0, axis=1))
    r = nz * dr
    h = hist_t[nz]
    out = np.zeros((len(q), hist_t.shape[1]))
    step = max(1, block // max(1, len(q)))
    for s in range(0, len(nz), step):
        x = np.outer(q, r[s:s + step])
        out += np.sinc(x / np.pi) @ h[s:s + step]
    return out


def debye_pattern(atoms, q, *, method: str = "auto", dr: float | None = None, form_factors=None,
                  use_numba: bool | None = None, debye_waller_factors=None, lattice_tolerance: float = 1e-3,
                  max_grid_points: float | None = None,
                  max_histogram_cells: float = MAX_HISTOGRAM_CELLS) -> np.ndarray:
    """Debye scattering intensity I(q) (electron units) of a finite cluster.

    Parameters
    ----------
    atoms : ASE Atoms, pymatgen Structure/Molecule (positions taken as a finite cluster), or
        (symbols, positions in Å).
    q : scattering vector magnitudes in Å⁻¹ (q = 4π sinθ/λ), non-negative.
    method : "auto" (default: "lattice" when the atoms sit on a grid within ``lattice_tolerance`` Å and
        the grid is not sparse, else "histogram"), "histogram" (linear-spread element-pair histograms),
        "exact" (double sum) or "lattice" (exact pair counts by FFT autocorrelation of occupancy grids,
        O(N log N); atoms must sit on a common orthogonal grid, see
        :mod:`latticeanchor.diffraction.debye_lattice`).
    dr : histogram grid spacing in Å (default 0.0063/q_max, so the error per pair ≤ 5e-6).
    form_factors : None (pymatgen XRDCalculator form factors), a callable (element, q) → f, or a dict
        element → constant or callable(q).
    use_numba : force (True) or forbid (False) the compiled kernels; default: use them when installed.
    debye_waller_factors : element → B (Å²); thermal displacements damp every pair term i ≠ j by
        exp(−(B_i + B_j) s²), s = q/4π (the i = j self terms are undamped). None (default): the
        room-temperature values of the data file; {} for none.
    lattice_tolerance : Å, largest distance of an atom from its grid point for "lattice"/"auto".
    max_grid_points : "lattice" only: refuse grids (zero-padded) with more points (default 2.5e8).
    max_histogram_cells : "histogram" only: refuse histograms of more bins × element pairs (default 5e7),
        before allocation.

    Returns
    -------
    I(q) as a float array over q: the full double sum Σ_i Σ_j f_i f_j D_i D_j sinc(q r_ij) (D = 1 for i = j),
    i = j terms included.
    """
    from latticeanchor.validate import real

    q = _validate_q(q)
    lattice_tolerance = real("lattice tolerance (Å)", lattice_tolerance, 0.0, low_open=True)
    if dr is not None:
        dr = real("dr (Å)", dr, 0.0, low_open=True)
    if method not in ("histogram", "exact", "lattice", "auto"):
        raise LatticeAnchorError(f"method must be 'histogram', 'exact', 'lattice' or 'auto', got {method!r}")
    if method == "exact":
        return debye_exact(atoms, q, form_factors=form_factors, use_numba=use_numba,
                           debye_waller_factors=debye_waller_factors)
    if method in ("lattice", "auto"):
        from latticeanchor.diffraction import debye_lattice

        kw = {} if max_grid_points is None else {"max_grid_points": max_grid_points}
        grid = debye_lattice.find_grid(atoms, lattice_tolerance, strict=(method == "lattice"))
        if grid is not None and method == "auto":
            # the grid pays off unless it is sparse: P (padded points) × (elements + pairs) against N² pairs
            P = float(np.prod(debye_lattice.padded_shape(grid["shape"])))
            ne = len(set(np.asarray(grid["symbols"]).tolist()))
            n = float(len(grid["index"]))
            if P > kw.get("max_grid_points", debye_lattice.MAX_GRID_POINTS) or P * (ne + ne * (ne + 1) / 2) > 4 * n * n:
                grid = None
        if grid is not None:
            return debye_lattice.debye_lattice(atoms, q, grid=grid, form_factors=form_factors,
                                               debye_waller_factors=debye_waller_factors, **kw)
    qmax = float(q.max()) if q.size else 0.0
    if dr is None:
        dr = DEFAULT_DR_FACTOR / max(qmax, 1.0)
    dr = float(dr)
    if not np.isfinite(dr) or dr <= 0:
        raise LatticeAnchorError(f"dr (Å) must be positive, got {dr!r}")
    elements, pairs, r, H, counts = pair_histograms(atoms, dr, use_numba=use_numba, max_cells=max_histogram_cells)
    f = _form_factor_table(elements, q, form_factors)  # (ne, nq)
    fd = f * _pair_damping(elements, q, debye_waller_factors)
    use = _kernels.HAVE_NUMBA if use_numba is None else (use_numba and _kernels.HAVE_NUMBA)
    if use:
        with _numba_threads(H.shape[0] * len(q) * (H.shape[1] + 4) <= SERIAL_MAX_SINC):
            S = _kernels.sinc_transform(H, dr, q)
    else:
        S = _numpy_sinc_transform(H, dr, q)
    intensity = np.einsum("e,eq->q", counts.astype(float), f**2)
    for p, (a, b) in enumerate(pairs):
        intensity += 2.0 * fd[a] * fd[b] * S[:, p]
    return intensity


def debye_exact(atoms, q, *, form_factors=None, use_numba: bool | None = None, block: int = 1 << 21,
                debye_waller_factors=None) -> np.ndarray:
    """Exact Debye double sum I(q) (electron units), O(N² n_q) work: for small clusters and checks.
    ``debye_waller_factors`` as in :func:`debye_pattern`."""
    from latticeanchor.validate import integer

    block = integer("block (pair terms per chunk)", block, 1, 1 << 30)
    q = _validate_q(q)
    elements, pos, eidx, seg = _prepare(atoms)
    work = len(pos) * (len(pos) - 1) / 2 * max(len(q), 1)
    if work > MAX_PAIR_WORK:
        raise LatticeAnchorError(f"atoms: the exact Debye sum of {len(pos):,} atoms over {len(q):,} q points is "
                                 f"{work:.3g} pair terms, more than {MAX_PAIR_WORK:.3g}; use method='histogram'")
    f0 = _form_factor_table(elements, q, form_factors)  # (ne, nq)
    counts = np.diff(seg)
    self_term = np.einsum("e,eq->q", counts.astype(float), f0**2)
    f = f0 * _pair_damping(elements, q, debye_waller_factors)
    use = _kernels.HAVE_NUMBA if use_numba is None else (use_numba and _kernels.HAVE_NUMBA)
    if use:
        fa = np.ascontiguousarray(f[eidx].T)  # (nq, N)
        return self_term + 2.0 * _kernels.exact_pair_sum(pos, fa, q)
    n = len(pos)
    total = np.zeros(len(q))
    ne = len(elements)
    for i in range(n - 1):
        d = pos[i + 1:] - pos[i]
        r = np.sqrt(np.einsum("ij,ij->i", d, d))
        for e in range(ne):
            sel = eidx[i + 1:] == e
            if not sel.any():
                continue
            rr = r[sel]
            for s in range(0, len(rr), max(1, block // len(q))):
                total += f[eidx[i]] * f[e] * np.sinc(np.outer(q, rr[s:s + block // len(q)]) / np.pi).sum(axis=1)
    return self_term + 2.0 * total
