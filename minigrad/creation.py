"""Creation functions. Python floats become float32; arrays keep their dtype.

`zeros(2, 3)` and `zeros((2, 3))` both work. Random draws use the shared generator of
`minigrad.random`, so `mg.manual_seed(n)` makes them reproducible.
"""
import numpy as np

from . import random as _random
from ._checks import as_dtype, shape_args
from .tensor import Tensor

DEFAULT_FLOAT = np.float32


def tensor(data, dtype=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (number, nested list, array or Tensor)."""
    source = data.data if isinstance(data, Tensor) else data
    t = Tensor(source, requires_grad=False, dtype=dtype)
    if t.data is source or isinstance(source, np.ndarray) and np.shares_memory(t.data, source):
        t.data = t.data.copy()
    return t.requires_grad_(True) if requires_grad else t


def _sizes(shape, op) -> tuple:
    dims = shape_args(shape, op)
    if any(n < 0 for n in dims):
        raise ValueError(f"{op}: negative size in shape {dims}")
    return dims


def _filled(shape, value, dtype, requires_grad, op):
    dims = _sizes(shape, op)
    dtype = as_dtype(dtype, op) or DEFAULT_FLOAT
    return Tensor(np.full(dims, value, dtype=dtype), requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 0, dtype, requires_grad, "zeros")


def ones(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 1, dtype, requires_grad, "ones")


def full(shape, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` filled with `fill_value` (float32 unless `dtype` says otherwise)."""
    shape = shape if isinstance(shape, (tuple, list)) else (shape,)
    if isinstance(fill_value, Tensor) and fill_value.numel() == 1:
        fill_value = fill_value.item()
    if not isinstance(fill_value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"full: fill_value must be a number, got {type(fill_value).__name__}; "
                        "use mg.tensor(...) for tensors of varying values")
    return _filled(tuple(shape), fill_value, dtype, requires_grad, "full")


def zeros_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    dtype = as_dtype(dtype, "zeros_like")
    return Tensor(np.zeros_like(np.asarray(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    dtype = as_dtype(dtype, "ones_like")
    return Tensor(np.ones_like(np.asarray(t), dtype=dtype), requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... < end; int64 for int arguments, else float32."""
    if end is None:
        start, end = 0, start
    for name, value in (("start", start), ("end", end), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {type(value).__name__}")
    if step == 0:
        raise ValueError("arange: step must not be zero")
    values = np.arange(start, end, step)
    if dtype is None and values.dtype.kind == "f":
        dtype = DEFAULT_FLOAT
    return Tensor(values, requires_grad=requires_grad, dtype=dtype)


def randn(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    dims = _sizes(shape, "randn")
    dtype = as_dtype(dtype, "randn") or DEFAULT_FLOAT
    values = _random.generator().standard_normal(dims).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    dims = _sizes(shape, "rand")
    dtype = as_dtype(dtype, "rand") or DEFAULT_FLOAT
    values = _random.generator().random(dims).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def randint(low, high=None, size=(), dtype=np.int64) -> Tensor:
    """Integers from [low, high) (or [0, low) when high is omitted)."""
    if high is None:
        low, high = 0, low
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"randint: {name} must be an int, got {type(value).__name__}")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    dims = shape_args(size if isinstance(size, (tuple, list)) else (size,), "randint")
    if any(n < 0 for n in dims):
        raise ValueError(f"randint: negative size in shape {dims}")
    dtype = as_dtype(dtype, "randint")
    return Tensor(_random.generator().integers(low, high, size=dims).astype(dtype))


def randperm(n: int) -> Tensor:
    """A random permutation of 0..n-1 (int64)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    return Tensor(_random.generator().permutation(int(n)).astype(np.int64))
