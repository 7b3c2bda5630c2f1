"""The array module an op runs on: NumPy today; a CuPy array would select CuPy.

Ops call `xp = array_module(x)` instead of naming `np`, so a GPU backend with the same array
API does not require rewriting them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def array_module(*arrays: Any) -> Any:
    """The module (numpy or cupy) whose functions apply to `arrays`."""
    for a in arrays:
        kind = type(a)
        if kind is np.ndarray:                    # the common case, checked without strings
            continue
        if kind.__module__.startswith("cupy"):
            import cupy
            return cupy
    return np
