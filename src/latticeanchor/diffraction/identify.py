"""Phase identification: rank candidate phases by whole-pattern fit, with phase fractions.

Each candidate (one phase, or a mixture such as a halide-segregated Br-rich + I-rich pair written
'alpha-x2.7+alpha-x0.6') is fitted with :func:`refine_cubic`: its lattice may stretch by up to
``max_strain`` (films are strained, so a shifted pattern is not mistaken for another phase), with its own
scale and widths. Candidates are ranked by Rwp (lowest first). Phase fractions come from a
non-negative least-squares combination (scipy ``nnls``) of all single-phase refined profiles against
the background-subtracted pattern, converted to weight fractions by Hill & Howard,
J. Appl. Cryst. 20, 467 (1987), DOI 10.1107/S0021889887086199: W_p ∝ S_p·(M V)_p per cell, with S_p
the scale on |F|² per cell (electrons²), M the cell mass and V the cell volume (Å³).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from latticeanchor.errors import LatticeAnchorError

DEFAULT_CANDIDATES = ("alpha-x0", "alpha-x1.5", "alpha-x3", "delta", "ortho", "PbS", "PbSe",
                      "alpha-x2.7+alpha-x0.6")


@dataclass
class Match:
    """One candidate's fit: Rwp (fraction), Pearson r, its weight fraction in the global NNLS mixture,
    refined (pseudo-)cubic a per component (Å) and, for mixtures, the components' own weight fractions."""

    name: str
    rwp: float
    pearson: float
    fraction: float
    a: dict
    component_fractions: dict = field(default_factory=dict)
    result: object = None

    def __repr__(self) -> str:
        return f"Match({self.name!r}, rwp={self.rwp:.4f}, pearson={self.pearson:.4f}, fraction={self.fraction:.3f})"


def _weight_fractions(phases, scales):
    m = []
    for ph, s in zip(phases, scales):
        st = ph.structure
        m.append(max(s, 0.0) * st.composition.weight * st.lattice.volume)
    m = np.array(m, float)
    tot = m.sum()
    return m / tot if tot > 0 else m


def identify(pattern, candidates=None, *, wavelength=None, two_theta_range=None, max_strain: float = 0.02,
             fwhm0: float = 0.15, fit_displacement: bool = False, max_points: int | None = None,
             max_candidates: int = 64) -> list[Match]:
    """Rank candidate phases for a measured pattern, best (lowest Rwp) first.

    Parameters
    ----------
    pattern : MeasuredPattern or (2θ degrees, intensity).
    candidates : dict name → structure (or list of structures for a mixture), or a list of known names
        ('alpha-x1.5', 'delta', 'ortho', 'PbS', 'PbSe', 'alpha-x2.7+alpha-x0.6', ...); default
        ``DEFAULT_CANDIDATES``.
    max_strain : relative lattice-constant freedom per candidate.
    max_points, max_candidates : work budget (pattern rows, see :func:`refine_cubic`; candidates refined).
    """
    from scipy.optimize import nnls

    from latticeanchor.diffraction.refine import refine_cubic

    if candidates is None:
        candidates = list(DEFAULT_CANDIDATES)
    if isinstance(candidates, dict):
        items = list(candidates.items())
    elif not isinstance(candidates, (list, tuple)):
        raise LatticeAnchorError(f"candidates must be a dict name → structure or a list of phase names, got {candidates!r}")
    else:
        items = []
        for c in candidates:
            if not isinstance(c, str):
                raise LatticeAnchorError("candidates must be a dict name → structure or a list of phase names")
            items.append((c, None))
    if not items:
        raise LatticeAnchorError("identify needs at least one candidate")
    if len(items) > max_candidates:
        raise LatticeAnchorError(f"candidates: {len(items)} candidates, more than max_candidates {max_candidates}")
    budget = {} if max_points is None else {"max_points": max_points}
    matches = []
    singles = []  # (name, phase, unit profile)
    obs = None
    for name, st in items:
        if st is None:
            parts = [p.strip() for p in name.split("+")]
            comps = parts
        elif isinstance(st, (list, tuple)):
            comps = [(f"{name}[{i}]", s) for i, s in enumerate(st)]
        else:
            comps = [(name, st)]
        res = refine_cubic(pattern, comps, wavelength=wavelength, two_theta_range=two_theta_range,
                           max_strain=max_strain, fwhm0=fwhm0, fit_displacement=fit_displacement, n_background=2,
                           **budget)
        obs = res.observed
        scales = [res.scale[ph.name] for ph in res.phases]
        wf = _weight_fractions(res.phases, scales)
        m = Match(name, res.rwp, res.pearson, 0.0, dict(res.a),
                  {ph.name: float(f) for ph, f in zip(res.phases, wf)} if len(res.phases) > 1 else {}, res)
        matches.append(m)
        if len(res.phases) == 1:
            ph = res.phases[0]
            sc = res.scale[ph.name]
            singles.append((m, ph, res.components[ph.name] / sc if sc > 0 else res.components[ph.name]))
    if singles and obs is not None:
        A = np.column_stack([s[2] for s in singles])
        w = 1.0 / np.sqrt(np.maximum(np.abs(obs), 1.0))
        coef, _ = nnls(A * w[:, None], obs * w)
        wf = _weight_fractions([s[1] for s in singles], coef)
        for (m, _, _), f in zip(singles, wf):
            m.fraction = float(f)
    return sorted(matches, key=lambda m: m.rwp)
