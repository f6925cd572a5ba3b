"""The package's one exception type: a clear, one-line message naming the bad input."""


class LatticeAnchorError(ValueError):
    """Bad input or an impossible request (the message names the parameter and the value)."""
