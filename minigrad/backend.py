"""The array module an op runs on: NumPy today; a CuPy array would select CuPy.

Ops call `xp = array_module(x)` instead of naming `np`, so a GPU backend with the same array
API does not require rewriting them.
"""
import numpy as np


def array_module(*arrays):
    """The module (numpy or cupy) whose functions apply to `arrays`."""
    for a in arrays:
        module = type(a).__module__
        if module.startswith("cupy"):
            import cupy
            return cupy
    return np
