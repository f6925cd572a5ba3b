"""latticeanchor: lattice anchoring of CsPbBr_xI_(3-x) perovskites by rock-salt PbS/PbSe quantum dots.

Liu et al., Nature 570, 96 (2019), DOI 10.1038/s41586-019-1239-7.

Data flows one way: ``data`` -> models (``vegard``, ``strain``, ``geometry``) -> ``build`` ->
``screen`` / ``diffraction`` / ``energy`` -> ``cli``.
"""

__version__ = "0.1.0"

from latticeanchor.errors import LatticeAnchorError

__all__ = ["__version__", "LatticeAnchorError"]
