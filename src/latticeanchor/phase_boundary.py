"""TEMPORARY STUB (not committed): assumed line until the computed boundary lands."""
import numpy as np
from latticeanchor.validate import br_content, scalar_or_array
def transition_enthalpy(x):
    return scalar_or_array(np.full(np.shape(br_content(x)), 14200.0))
def transition_temperature(x):
    x = br_content(x)
    return scalar_or_array(603.0 + (298.15 - 603.0) * x / 2.5)
