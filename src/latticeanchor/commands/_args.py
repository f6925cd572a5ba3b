"""Argument parsers shared by the CLI commands."""

from __future__ import annotations

import argparse

import numpy as np


def float_range(text: str) -> np.ndarray:
    """'0:3:0.25' -> 0, 0.25, ..., 3 (stop included); '1.5' -> [1.5]; '0,1,2' -> [0, 1, 2]."""
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3:
                raise ValueError
            start, stop, step = parts
            if step <= 0 or stop < start:
                raise argparse.ArgumentTypeError(f"range {text!r} needs start ≤ stop and step > 0")
            n = int(np.floor((stop - start) / step + 1e-9)) + 1
            return start + step * np.arange(n)
        return np.array([float(p) for p in text.split(",")])
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, a list 'a,b,c' or a range 'start:stop:step', got {text!r}") from None
