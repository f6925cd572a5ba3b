"""Perovskite formability descriptors of CsPbBr_xI_(3−x) (or another matrix alloy) from Shannon radii (Å).

Goldschmidt t = (r_A + r_X)/[√2 (r_B + r_X)]; octahedral factor μ = r_B/r_X; Bartel et al.'s
τ = r_X/r_B − n_A [n_A − (r_A/r_B)/ln(r_A/r_B)], τ < 4.18 predicts a perovskite (Sci. Adv. 5,
eaav0693 (2019), DOI 10.1126/sciadv.aav0693). Radii: Shannon, Acta Cryst. A32, 751 (1976),
DOI 10.1107/S0567739476001551. The mixed-halide radius is the site average (1 − y) r_I + y r_Br.
"""

from __future__ import annotations

import numpy as np

from latticeanchor import data
from latticeanchor.validate import br_content, scalar_or_array

TAU_THRESHOLD = 4.18
__all__ = ["tolerance_factors", "TAU_THRESHOLD"]


def tolerance_factors(x, dataset=None, *, matrix: str | None = None) -> dict:
    """{'t': Goldschmidt, 'mu': octahedral factor, 'tau': Bartel τ} for Br content x (0..3).

    dataset: a name, a materials JSON file or a ``data.MaterialSet`` (its Shannon radii); matrix: the alloy
    (A, B and its two halides; molecular A cations use Kieslich's effective radii, see the data file).
    """
    y = br_content(x) / 3.0
    ms = data.resolve(dataset, matrix)
    m = ms.matrix()
    first, second = m.halides
    r_a, r_b = data.shannon_radius(m.A, ms), data.shannon_radius(m.B, ms)
    r_x = (1 - y) * data.shannon_radius(second, ms) + y * data.shannon_radius(first, ms)
    n_a = 1.0
    t = (r_a + r_x) / (np.sqrt(2.0) * (r_b + r_x))
    tau = r_x / r_b - n_a * (n_a - (r_a / r_b) / np.log(r_a / r_b))
    return {"t": scalar_or_array(t), "mu": scalar_or_array(r_b / r_x), "tau": scalar_or_array(tau)}
