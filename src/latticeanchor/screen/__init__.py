"""Screening loop: rank matrix compositions, dot sizes, loadings and temperatures for lattice anchoring.

>>> from latticeanchor import screen
>>> result = screen.run()            # the default study, files in ./latticeanchor-results/default/
>>> result.ranked.head()             # pandas DataFrame
"""

from latticeanchor.screen.config import load_config
from latticeanchor.screen.run import ScreenResult, run, screen_table

__all__ = ["run", "ScreenResult", "load_config", "screen_table"]
