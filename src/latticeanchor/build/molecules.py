"""Molecular A-site cations of the hybrid perovskites, as rigid molecules centred on the A site (Å).

CH3NH3⁺ (methylammonium, MA): staggered C3v geometry, C–N 1.47 Å, C–H 1.09 Å, N–H 1.03 Å, tetrahedral angles;
HC(NH2)2⁺ (formamidinium, FA): planar, C–N 1.32 Å, N–C–N 124°, C–H 1.09 Å, N–H 1.01 Å, H–N–H 120°. Bond
lengths as in the neutron structures of α-FAPbI3 (Weller et al., J. Phys. Chem. Lett. 6, 3209 (2015),
DOI 10.1021/acs.jpclett.5b01432) and MAPbI3 (Weller et al., Chem. Commun. 51, 4180 (2015),
DOI 10.1039/C4CC09944C), rounded. Each site gets an orientation drawn uniformly from SO(3)
(``scipy.spatial.transform.Rotation.random`` with ``numpy.random.default_rng([seed, 1])``): the cations
are dynamically disordered at room temperature, so a seeded random orientation is a runnable starting cell.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MOLECULES", "molecule", "place"]

_TET = np.degrees(np.arccos(-1.0 / 3.0))  # 109.47°


def _ring(center, axis_sign, length, n=3, phase=0.0):
    theta = np.radians(180.0 - _TET)  # angle from the C–N axis
    return [center + length * np.array([np.sin(theta) * np.cos(phase + 2 * np.pi * k / n),
                                        np.sin(theta) * np.sin(phase + 2 * np.pi * k / n),
                                        axis_sign * np.cos(theta)]) for k in range(n)]


def _ma():
    c, n = np.array([0.0, 0.0, -0.735]), np.array([0.0, 0.0, 0.735])
    hc = _ring(c, -1.0, 1.09)
    hn = _ring(n, +1.0, 1.03, phase=np.pi / 3)  # staggered
    return ["C", "N"] + ["H"] * 6, np.array([c, n] + hc + hn)


def _fa():
    half = np.radians(124.0 / 2)
    c = np.zeros(3)
    n1 = 1.32 * np.array([np.sin(half), -np.cos(half), 0.0])
    n2 = 1.32 * np.array([-np.sin(half), -np.cos(half), 0.0])
    hc = np.array([0.0, 1.09, 0.0])
    hs = []
    for nn in (n1, n2):
        u = (c - nn) / np.linalg.norm(c - nn)
        for ang in (np.radians(120.0), np.radians(-120.0)):
            rot = np.array([[np.cos(ang), -np.sin(ang), 0], [np.sin(ang), np.cos(ang), 0], [0, 0, 1]])
            hs.append(nn + 1.01 * rot @ u)
    pos = np.array([c, n1, n2, hc] + hs)
    heavy = pos[:3].mean(axis=0)
    return ["C", "N", "N", "H"] + ["H"] * 4, pos - heavy


MOLECULES = {"MA": _ma(), "FA": _fa()}


def molecule(name: str) -> tuple[list[str], np.ndarray]:
    """(symbols, positions in Å about the heavy-atom centre) of 'MA' or 'FA'."""
    symbols, pos = MOLECULES[name]
    return list(symbols), pos.copy()


def place(name: str, centres: np.ndarray, seed: int) -> tuple[list[str], np.ndarray]:
    """Symbols and Cartesian positions (Å) of one molecule ``name`` at each of ``centres`` (n, 3), seeded orientations."""
    from scipy.spatial.transform import Rotation

    symbols, pos = molecule(name)
    rot = Rotation.random(len(centres), random_state=np.random.default_rng([seed, 1])).as_matrix()
    placed = centres[:, None, :] + np.einsum("nij,kj->nki", rot, pos)
    return symbols * len(centres), placed.reshape(-1, 3)
