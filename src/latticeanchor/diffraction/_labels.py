"""hkl family labels of Bragg peaks as arrays: pymatgen's ``get_unique_families`` per peak and the parent-cell
labels of a supercell, with Python objects (the dicts of ``DiffractionPattern.hkls``) made only for the result.

A family table is three aligned arrays, ordered by peak and, within a peak, by first occurrence:
``gid`` (peak index), ``rep`` (F, ncomp) int64 (the family's lexicographically largest member) and ``mult``.
"""

from __future__ import annotations

import numpy as np


def _sorted_rows(a: np.ndarray) -> np.ndarray:
    """Each row of ``a`` in ascending order; three columns by min, middle and max (np.sort is slow on short rows)."""
    if a.shape[1] != 3:
        return np.sort(a, axis=1)
    x, y, z = a.T
    lo = np.minimum(np.minimum(x, y), z)
    hi = np.maximum(np.maximum(x, y), z)
    return np.column_stack([lo, (x + y + z) - lo - hi, hi])


def family_table(hkl: np.ndarray, gid: np.ndarray):
    """Families of permutations (up to sign) of the Miller indices ``hkl`` (M, ncomp) of each peak ``gid`` (M,),
    counting each reflection's Friedel mate −hkl with it (pymatgen enumerates both), as pymatgen's
    ``get_unique_families``: representative = largest member, multiplicity = members, order = first occurrence
    in the order of ``hkl``. Returns (gid, rep, mult) of the families (see the module doc)."""
    ncomp = hkl.shape[1]
    h64 = hkl.astype(np.int64)
    absmax = int(np.abs(h64).max()) if h64.size else 0
    base, base2 = absmax + 1, 2 * absmax + 1
    fk = _sorted_rows(np.abs(h64))
    code = gid.astype(np.int64)
    lex = np.zeros(len(h64), dtype=np.int64)
    neg = np.zeros(len(h64), dtype=np.int64)
    for i in range(ncomp):
        code = code * base + fk[:, i]
        lex = lex * base2 + (h64[:, i] + absmax)
        neg = neg * base2 + (absmax - h64[:, i])
    srt = np.argsort(code, kind="stable")  # stable: a family's first member comes first
    code_s = code[srt]
    starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    mult = 2 * np.diff(np.r_[starts, len(code_s)])  # with the Friedel mates
    top = np.maximum.reduceat(np.maximum(lex, neg)[srt], starts)
    first = srt[starts]
    fam_gid = gid[first]
    order = np.lexsort((first, fam_gid))
    rep = np.empty((len(top), ncomp), dtype=np.int64)
    rest = top[order]
    for i in range(ncomp - 1, -1, -1):
        rep[:, i] = rest % base2 - absmax
        rest = rest // base2
    return fam_gid[order], rep, mult[order]


def relabel(table, new_id: np.ndarray):
    """The family table with peak ``i`` renamed ``new_id[i]`` and reordered by the new ids (stable)."""
    gid, rep, mult = table
    g = new_id[gid]
    o = np.argsort(g, kind="stable")
    return g[o], rep[o], mult[o]


def concat(tables, sizes):
    """One family table of several, peak ids of table j shifted by the peaks ``sizes`` of the tables before it."""
    shift = np.cumsum([0, *sizes[:-1]])
    return (np.concatenate([t[0] + s for t, s in zip(tables, shift)]),
            np.concatenate([t[1] for t in tables]), np.concatenate([t[2] for t in tables]))


def _as_lists(n_peaks: int, gid, keys, mult) -> list[list]:
    out: list[list] = [[] for _ in range(n_peaks)]
    for g, k, m in zip(gid.tolist(), keys, mult.tolist()):
        out[g].append({"hkl": k, "multiplicity": m})
    return out


def family_dicts(table, n_peaks: int) -> list[list]:
    """Per peak, its families as pymatgen's [{"hkl": tuple of ints, "multiplicity": int}, ...]."""
    gid, rep, mult = table
    return _as_lists(n_peaks, gid, [tuple(r) for r in rep.tolist()], mult)


def _parent_value(v: float):
    """One parent index |h|/n as a label: an int when whole (within 1e-9), else rounded to 4 decimals."""
    r = round(v)
    return int(r) if abs(v - r) < 1e-9 else round(v, 4)


def parent_dicts(table, n_peaks: int, n) -> list[list]:
    """Per peak, the supercell families relabelled in the parent cell's indices (h/n1, k/n2, l/n3): absolute
    values in descending order, whole ones as ints, others to 4 decimals; families with the same label merged
    (multiplicities added), parent (all-integer) labels first, otherwise in order of first occurrence.
    Hexagonal 4-index tables have no cubic parent: their plain families are returned."""
    gid, rep, mult = table
    if rep.shape[1] != 3:
        return family_dicts(table, n_peaks)
    raw = -np.sort(-(np.abs(rep).astype(float) / np.asarray(n, dtype=float)), axis=1)  # descending
    values, where = np.unique(raw, return_inverse=True)
    where = where.reshape(raw.shape)
    labels = [_parent_value(v) for v in values.tolist()]
    ids: dict = {}
    label_id = np.array([ids.setdefault(v, len(ids)) for v in labels], dtype=np.int64)  # 1 and 1.0: one label
    whole = np.array([isinstance(v, int) for v in labels])
    nv = max(len(ids), 1)
    lid = label_id[where]
    code = ((gid.astype(np.int64) * nv + lid[:, 0]) * nv + lid[:, 1]) * nv + lid[:, 2]
    srt = np.argsort(code, kind="stable")
    code_s = code[srt]
    starts = np.flatnonzero(np.r_[True, code_s[1:] != code_s[:-1]])
    total = np.add.reduceat(mult[srt], starts)
    first = srt[starts]  # the first family of each label: its label objects are the ones kept
    fractional = ~whole[where[first]].all(axis=1)
    order = np.lexsort((first, fractional, gid[first]))
    keys = [(labels[a], labels[b], labels[c]) for a, b, c in where[first[order]].tolist()]
    return _as_lists(n_peaks, gid[first[order]], keys, total[order])
