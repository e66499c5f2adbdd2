"""Checked reads of the index file's arrays, and the narrowest type for counts: shared by the file
format (fileformat.py) and the channels that lay their own arrays out in it (channels.py)."""

from __future__ import annotations

import numpy as np


def narrow(counts: np.ndarray) -> np.ndarray:
    """Counts in the smallest unsigned type that holds them (most are below 256): less to write and read."""
    top = int(counts.max()) if len(counts) else 0
    for dtype in (np.uint8, np.uint16, np.uint32):
        if top <= np.iinfo(dtype).max:
            return counts.astype(dtype, copy=False)
    return counts


def ints(arrays: dict[str, np.ndarray], name: str, n: int | None = None) -> np.ndarray:
    """arrays[name], a flat integer array (of n items when n is given); ValueError otherwise."""
    a = arrays[name]
    if a.ndim != 1 or a.dtype.kind not in "iu" or (n is not None and len(a) != n):
        raise ValueError(f"{name}: wrong type or length")
    return a


def offsets(arrays: dict[str, np.ndarray], name: str, n: int, total: int) -> np.ndarray:
    """Monotonic offsets, n + 1 of them, from 0 to total."""
    a = ints(arrays, name, n + 1)
    if len(a) and (a[0] != 0 or a[-1] != total or (np.diff(a) < 0).any()):
        raise ValueError(f"{name}: offsets out of order or range")
    return a
