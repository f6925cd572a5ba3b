"""Energy stage: MLIP relaxations, anchoring energetics, DFT hand-off and scale-out.

Heavy dependencies (torch/chgnet, dask, jobflow) are imported lazily, inside the functions that
need them, so ``import latticeanchor.energy`` works without the extras.
"""

from latticeanchor.energy.relax import RelaxResult, get_calculator, relax, single_point

__all__ = ["relax", "single_point", "get_calculator", "RelaxResult"]
