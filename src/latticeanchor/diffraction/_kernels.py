"""Compiled (numba) kernels for the Debye scattering equation; numba is optional (extra ``fast``).

``HAVE_NUMBA`` tells whether they are available; callers fall back to chunked numpy otherwise.
"""

from __future__ import annotations

import math
import os

import numpy as np

try:  # pragma: no cover - exercised when numba is installed
    import numba
    from numba import njit, prange

    HAVE_NUMBA = os.environ.get("LATTICEANCHOR_NO_NUMBA", "") == ""
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False

if HAVE_NUMBA:

    FRAC_BITS = 12  # pair position within a bin quantized to 1/4096 of dr
    COUNT_SHIFT = 36  # packed bin: count << 36 | Σ quantized fractions (overflow only past 16.7 M pairs/bin/thread)
    _U_FRAC = np.uint64(FRAC_BITS)
    _U_MASK = np.uint64((1 << FRAC_BITS) - 1)
    _U_ONE = np.uint64(1) << np.uint64(COUNT_SHIFT)
    # a packed bin is exact while its count < 2^24 (Σ fractions < 2^24 · 4095 < 2^36); at this count it is
    # moved into the lane's int64 spill pair (count, Σ fractions) and restarted: no overflow, no re-run
    _LOW_MASK = np.int64((1 << COUNT_SHIFT) - 1)

    @njit(fastmath=True, cache=True, inline="never")
    def _pair_row(hp, sp, xs, ys, zs, xi, yi, zi, buf, scale, spill_at):  # pragma: no cover - compiled
        """One atom against a contiguous run of atoms: distances (vectorized, float32) into buf, then
        one packed int64 add per pair into hp (spilled into sp before its count field could overflow).
        The run arrives as slices so every index is provably non-negative: no wraparound test in the
        loop, which lets LLVM vectorize the distance loop."""
        m = xs.shape[0]
        for j in range(m):
            dx = xs[j] - xi
            dy = ys[j] - yi
            dz = zs[j] - zi
            buf[j] = np.uint64(math.sqrt(dx * dx + dy * dy + dz * dz) * scale + np.float32(0.5))
        for j in range(m):
            u = buf[j]
            b = u >> _U_FRAC
            v = hp[b] + np.int64(_U_ONE | (u & _U_MASK))
            if v >= spill_at:
                sp[b, 0] += v >> COUNT_SHIFT
                sp[b, 1] += v & _LOW_MASK
                v = np.int64(0)
            hp[b] = v

    @njit(parallel=True, fastmath=True, cache=True)
    def pair_histogram_packed(pos, seg, pair_index, inv_dr, nbins, nthreads, block_i, block_j, spill_at):  # pragma: no cover - compiled
        """Packed linear-spread pair-distance histograms, one per element pair (pairs i < j).

        pos: (N, 3) float32 Å (centred), atoms sorted by element and, within each element, along a
        space-filling curve; seg: (ne + 1,) start of each element's block. For a pair at r,
        r/dr = k + t: bin k gets one count and t (quantized to 1/4096) in a single packed int64 add
        (count in the high bits, Σt in the low 36 bits); the caller unpacks (1 − t) to bin k and t to
        bin k + 1. Work: tiles of block_i atoms × block_j atoms (spatially compact, so a tile's
        distances fall in a narrow band of bins that stays in cache); row blocks dealt round-robin to
        nthreads lanes (consecutive blocks differ little in work, so the lanes stay balanced), each
        lane adding into its own histogram (no races). Returns the packed histograms
        (nthreads, npair, nbins + 2) and the spill (nthreads, npair, nbins + 2, 2): (count, Σ fractions) of
        bins whose packed value reached ``spill_at`` (count (2^24 − 1) << 36 at most) in a lane.
        """
        ne = seg.shape[0] - 1
        npair = ne * (ne + 1) // 2
        hist = np.zeros((nthreads, npair, nbins + 2), np.int64)
        spill = np.zeros((nthreads, npair, nbins + 2, 2), np.int64)
        x = pos[:, 0].copy()
        y = pos[:, 1].copy()
        z = pos[:, 2].copy()
        nblk = 0
        for e in range(ne):
            nblk += (seg[e + 1] - seg[e] + block_i - 1) // block_i
        bstart = np.empty(nblk, np.int64)
        bend = np.empty(nblk, np.int64)
        belem = np.empty(nblk, np.int64)
        k = 0
        for e in range(ne):
            for s in range(seg[e], seg[e + 1], block_i):
                bstart[k] = s
                bend[k] = min(s + block_i, seg[e + 1])
                belem[k] = e
                k += 1
        scale = np.float32(inv_dr * 4096.0)
        for lane in prange(nthreads):
            h = hist[lane]
            hs = spill[lane]
            buf = np.empty(block_j, np.uint64)
            for b in range(lane, nblk, nthreads):
                i0 = bstart[b]
                i1 = bend[b]
                ei = belem[b]
                for e in range(ei, ne):
                    hp = h[pair_index[ei, e]]
                    sp = hs[pair_index[ei, e]]
                    js = seg[e] if e != ei else i0
                    je = seg[e + 1]
                    for j0 in range(js, je, block_j):
                        j1 = min(j0 + block_j, je)
                        for i in range(i0, i1):
                            a = j0
                            if e == ei and a < i + 1:
                                a = i + 1
                            if a < j1:
                                _pair_row(hp, sp, x[a:j1], y[a:j1], z[a:j1], x[i], y[i], z[i], buf, scale, spill_at)
        return hist, spill

    @njit(parallel=True, fastmath=False, cache=True)
    def sinc_transform(hist_t, dr, q):  # pragma: no cover - compiled
        """S[iq, p] = Σ_k hist_t[k, p] · sin(q r_k)/(q r_k), r_k = k·dr (Å), sinc(0) = 1.

        sin(k q dr) by the three-term recurrence s_{k+1} = 2 cos(q dr) s_k − s_{k−1} (one multiply-add
        per bin and q), vectorized across blocks of 64 q values (one block per task) and re-seeded
        exactly every 512 bins, so rounding stays below ~512² ε ≈ 1e-10 relative.
        """
        nb, npair = hist_t.shape
        nq = q.shape[0]
        w = np.zeros((nb, npair))
        for k in range(1, nb):
            for p in range(npair):
                w[k, p] = hist_t[k, p] / k
        tot = np.zeros(npair)
        for k in range(nb):
            for p in range(npair):
                tot[p] += hist_t[k, p]
        out = np.zeros((nq, npair))
        QB = 64
        nblk = (nq + QB - 1) // QB
        for b in prange(nblk):
            q0 = b * QB
            m = min(QB, nq - q0)
            xq = np.empty(m)
            c2 = np.empty(m)
            s = np.empty(m)
            sp = np.empty(m)
            acc = np.zeros((npair, m))
            for t in range(m):
                xq[t] = q[q0 + t] * dr
                c2[t] = 2.0 * math.cos(xq[t])
            k = 1
            while k < nb:
                kend = min(k + 512, nb)
                for t in range(m):
                    s[t] = math.sin(k * xq[t])
                    sp[t] = math.sin((k - 1) * xq[t])
                for kk in range(k, kend):
                    for p in range(npair):
                        wk = w[kk, p]
                        if wk != 0.0:
                            ap = acc[p]
                            for t in range(m):
                                ap[t] += s[t] * wk
                    for t in range(m):
                        st = s[t]
                        s[t] = c2[t] * st - sp[t]
                        sp[t] = st
                k = kend
            for t in range(m):
                for p in range(npair):
                    if xq[t] == 0.0:
                        out[q0 + t, p] = tot[p]
                    else:
                        out[q0 + t, p] = hist_t[0, p] + acc[p, t] / xq[t]
        return out

    @njit(parallel=True, fastmath=False, cache=True)
    def exact_pair_sum(pos, f, q):  # pragma: no cover - compiled
        """Exact Debye double sum over i < j: out[iq] = Σ_{i<j} f[iq, i] f[iq, j] sinc(q r_ij)."""
        n = pos.shape[0]
        nq = q.shape[0]
        out = np.zeros(nq)
        for iq in prange(nq):
            qq = q[iq]
            acc = 0.0
            for i in range(n - 1):
                fi = f[iq, i]
                for j in range(i + 1, n):
                    dx = pos[j, 0] - pos[i, 0]
                    dy = pos[j, 1] - pos[i, 1]
                    dz = pos[j, 2] - pos[i, 2]
                    x = qq * math.sqrt(dx * dx + dy * dy + dz * dz)
                    acc += fi * f[iq, j] * (math.sin(x) / x if x > 1e-12 else 1.0)
            out[iq] = acc
        return out
