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
    COUNT_SHIFT = 36  # packed bin: count << 36 | Σ quantized fractions (overflow only past 16.7 M pairs/bin/chunk)

    @njit(parallel=True, fastmath=True, cache=True)
    def pair_histogram_packed(pos, seg, pair_index, inv_dr, nbins, nchunk):  # pragma: no cover - compiled
        """Packed linear-spread pair-distance histograms, one per element pair (pairs i < j).

        pos: (N, 3) float32 Å (centred), atoms sorted by element; seg: (ne + 1,) start of each
        element's block. For a pair at r, r/dr = k + t: bin k gets one count and t (quantized to
        1/4096) in a single packed int64 add (count in the high bits, Σt in the low 36 bits); the
        caller unpacks (1 − t) to bin k and t to bin k + 1. Rows i and N − 2 − i go together so all
        chunks get equal work; each chunk owns its histogram (no races). Returns (nchunk, npair, nbins + 2).
        """
        n = pos.shape[0]
        ne = seg.shape[0] - 1
        npair = ne * (ne + 1) // 2
        hist = np.zeros((nchunk, npair, nbins + 2), np.int64)
        x = pos[:, 0].copy()
        y = pos[:, 1].copy()
        z = pos[:, 2].copy()
        elem = np.empty(n, np.int64)
        for e in range(ne):
            for i in range(seg[e], seg[e + 1]):
                elem[i] = e
        nrow = n - 1
        half = (nrow + 1) // 2
        scale = np.float32(inv_dr * 4096.0)
        one = np.int64(1) << 36
        for c in prange(nchunk):
            h = hist[c]
            buf = np.empty(n, np.float32)
            for r in range(c, half, nchunk):
                for rep in range(2):
                    i = r if rep == 0 else nrow - 1 - r
                    if rep == 1 and i == r:
                        break
                    xi = x[i]
                    yi = y[i]
                    zi = z[i]
                    ei = elem[i]
                    for e in range(ei, ne):
                        p = pair_index[ei, e]
                        hp = h[p]
                        j0 = seg[e]
                        if j0 < i + 1:
                            j0 = i + 1
                        j1 = seg[e + 1]
                        m = j1 - j0
                        for j in range(j0, j1):
                            dx = x[j] - xi
                            dy = y[j] - yi
                            dz = z[j] - zi
                            buf[j - j0] = math.sqrt(dx * dx + dy * dy + dz * dz) * scale
                        for jj in range(m):
                            iu = np.int64(buf[jj] + np.float32(0.5))
                            hp[iu >> 12] += one + (iu & 4095)
        return hist

    @njit(parallel=True, fastmath=False, cache=True)
    def sinc_transform(hist_t, dr, q):  # pragma: no cover - compiled
        """S[iq, p] = Σ_k hist_t[k, p] · sin(q r_k)/(q r_k), r_k = k·dr (Å), sinc(0) = 1.

        sin(q r_k) by a rotation recurrence over k, four q values at a time (independent dependency
        chains), re-seeded exactly every 128 bins (accumulated rounding < 1e-13).
        """
        nb, npair = hist_t.shape
        nq = q.shape[0]
        w = np.zeros((nb, npair))
        for k in range(1, nb):
            for p in range(npair):
                w[k, p] = hist_t[k, p] / k
        out = np.zeros((nq, npair))
        nblk = (nq + 3) // 4
        for b in prange(nblk):
            q0 = q[min(4 * b, nq - 1)]
            q1 = q[min(4 * b + 1, nq - 1)]
            q2 = q[min(4 * b + 2, nq - 1)]
            q3 = q[min(4 * b + 3, nq - 1)]
            x0 = q0 * dr
            x1 = q1 * dr
            x2 = q2 * dr
            x3 = q3 * dr
            c0 = math.cos(x0)
            c1 = math.cos(x1)
            c2 = math.cos(x2)
            c3 = math.cos(x3)
            n0 = math.sin(x0)
            n1 = math.sin(x1)
            n2 = math.sin(x2)
            n3 = math.sin(x3)
            acc = np.zeros((4, npair))
            k = 1
            while k < nb:
                kend = min(k + 128, nb)
                s0 = math.sin(k * x0)
                s1 = math.sin(k * x1)
                s2 = math.sin(k * x2)
                s3 = math.sin(k * x3)
                d0 = math.cos(k * x0)
                d1 = math.cos(k * x1)
                d2 = math.cos(k * x2)
                d3 = math.cos(k * x3)
                for kk in range(k, kend):
                    for p in range(npair):
                        wk = w[kk, p]
                        acc[0, p] += s0 * wk
                        acc[1, p] += s1 * wk
                        acc[2, p] += s2 * wk
                        acc[3, p] += s3 * wk
                    s0, d0 = s0 * c0 + d0 * n0, d0 * c0 - s0 * n0
                    s1, d1 = s1 * c1 + d1 * n1, d1 * c1 - s1 * n1
                    s2, d2 = s2 * c2 + d2 * n2, d2 * c2 - s2 * n2
                    s3, d3 = s3 * c3 + d3 * n3, d3 * c3 - s3 * n3
                k = kend
            xs = (x0, x1, x2, x3)
            for m in range(4):
                iq = 4 * b + m
                if iq >= nq:
                    break
                for p in range(npair):
                    if xs[m] == 0.0:
                        tot = 0.0
                        for kk in range(nb):
                            tot += hist_t[kk, p]
                        out[iq, p] = tot
                    else:
                        out[iq, p] = hist_t[0, p] + acc[m, p] / xs[m]
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
