"""Structure builders: α and δ perovskite matrices, rock-salt cores, the embedded hybrid, and checks.

ASE ``Atoms`` in and out; every builder records its parameters in ``atoms.info['latticeanchor']`` so
the writers of ``latticeanchor.io`` can put provenance in the files. Lengths in Å, temperatures in K.
"""

from latticeanchor.build.alpha import alpha_matrix
from latticeanchor.build.check import CheckReport, check
from latticeanchor.build.cores import DEFAULT_SURFACE_ENERGIES, rocksalt_cell, rocksalt_core
from latticeanchor.build.delta import delta_cell_parameters, delta_matrix
from latticeanchor.build.contacts import min_contact
from latticeanchor.build.embed import charge_of, embed
from latticeanchor.build.sizing import SupercellChoice, candidate_params, supercell_for_loading

__all__ = ["alpha_matrix", "delta_matrix", "delta_cell_parameters", "rocksalt_core", "rocksalt_cell", "embed",
           "check", "CheckReport", "charge_of", "DEFAULT_SURFACE_ENERGIES", "min_contact", "supercell_for_loading",
           "SupercellChoice", "candidate_params"]
