"""Creation functions. Python floats become the default dtype (float32 unless
`mg.set_default_dtype` says otherwise); arrays keep their dtype.

`zeros(2, 3)` and `zeros((2, 3))` both work. Random draws use the shared generator of
`minigrad.random`, so `mg.manual_seed(n)` makes them reproducible.
"""
from typing import Any, Sequence

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import random as _random
from ._checks import as_dtype, shape_args
from ._promotion import default_float
from .device import DeviceLike, as_device
from .tensor import Scalar, Tensor


def tensor(data: ArrayLike | Tensor, dtype: DTypeLike | None = None,
           device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of `data` (number, nested list, array or Tensor)."""
    as_device(device, "tensor")
    source = data.data if isinstance(data, Tensor) else data
    t = Tensor(source, requires_grad=False, dtype=dtype)
    if t.data is source or isinstance(source, np.ndarray) and np.shares_memory(t.data, source):
        t.data = t.data.copy()
    return t.requires_grad_(True) if requires_grad else t


def _sizes(shape: Sequence[int | Sequence[int]], op: str) -> tuple[int, ...]:
    dims = shape_args(shape, op)
    if any(n < 0 for n in dims):
        raise ValueError(f"{op}: negative size in shape {dims}")
    return dims


def _filled(shape: Sequence[int | Sequence[int]], value: Any, dtype: DTypeLike | None,
            requires_grad: bool, op: str, device: DeviceLike | None = None) -> Tensor:
    as_device(device, op)
    dims = _sizes(shape, op)
    dtype = as_dtype(dtype, op) or default_float()
    return Tensor(np.full(dims, value, dtype=dtype), requires_grad=requires_grad)


def zeros(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 0, dtype, requires_grad, "zeros", device)


def ones(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    return _filled(shape, 1, dtype, requires_grad, "ones", device)


def full(shape: int | Sequence[int], fill_value: Scalar | np.number | np.bool_ | Tensor,
         dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` filled with `fill_value` (float32 unless `dtype` says otherwise)."""
    shape = shape if isinstance(shape, (tuple, list)) else (shape,)
    fill_value = _fill_number(fill_value, "full")
    return _filled(tuple(shape), fill_value, dtype, requires_grad, "full", device)


def empty(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` whose values are to be overwritten (zeros here: NumPy's
    uninitialised memory could hold NaN or stale data, and zeros cost the same)."""
    return _filled(shape, 0, dtype, requires_grad, "empty", device)


def _source(t: Tensor | np.ndarray, op: str) -> Tensor:
    if isinstance(t, np.ndarray):
        return Tensor(t)
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t


def _like(t: Tensor | np.ndarray, value: Any, dtype: DTypeLike | None, device: DeviceLike | None,
          requires_grad: bool, op: str) -> Tensor:
    """A tensor of t's shape filled with `value`, with t's dtype unless `dtype` is given."""
    as_device(device, op)
    t = _source(t, op)
    dtype = as_dtype(dtype, op) or t.dtype
    return Tensor(np.full(t.shape, value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(t: Tensor | np.ndarray, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    return _like(t, 0, dtype, device, requires_grad, "zeros_like")


def ones_like(t: Tensor | np.ndarray, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    return _like(t, 1, dtype, device, requires_grad, "ones_like")


def empty_like(t: Tensor | np.ndarray, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Zeros of t's shape and dtype (see empty)."""
    return _like(t, 0, dtype, device, requires_grad, "empty_like")


def full_like(t: Tensor | np.ndarray, fill_value: Scalar | np.number | np.bool_ | Tensor,
              dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """A tensor of t's shape and dtype filled with `fill_value`."""
    return _like(t, _fill_number(fill_value, "full_like"), dtype, device, requires_grad,
                 "full_like")


def rand_like(t: Tensor | np.ndarray, dtype: DTypeLike | None = None,
              device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1) of t's shape and dtype."""
    as_device(device, "rand_like")
    t = _source(t, "rand_like")
    return rand(t.shape, dtype=as_dtype(dtype, "rand_like") or t.dtype, device=device,
                requires_grad=requires_grad)


def randn_like(t: Tensor | np.ndarray, dtype: DTypeLike | None = None,
               device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of t's shape and dtype."""
    as_device(device, "randn_like")
    t = _source(t, "randn_like")
    return randn(t.shape, dtype=as_dtype(dtype, "randn_like") or t.dtype, device=device,
                 requires_grad=requires_grad)


def _fill_number(value: Scalar | np.number | np.bool_ | Tensor,
                 op: str) -> Scalar | np.number | np.bool_:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if not isinstance(value, (int, float, bool, np.number, np.bool_)):
        raise TypeError(f"{op}: fill_value must be a number, got {type(value).__name__}; "
                        "use mg.tensor(...) for tensors of varying values")
    return value


def arange(start: Scalar, end: Scalar | None = None, step: Scalar = 1,
           dtype: DTypeLike | None = None, device: DeviceLike | None = None,
           requires_grad: bool = False) -> Tensor:
    """Values start, start+step, ... < end; int64 for int arguments, else float32."""
    as_device(device, "arange")
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
        dtype = default_float()
    return Tensor(values, requires_grad=requires_grad, dtype=dtype)


def randn(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
          device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    as_device(device, "randn")
    dims = _sizes(shape, "randn")
    dtype = as_dtype(dtype, "randn") or default_float()
    values = _random.generator().standard_normal(dims).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def rand(*shape: int | Sequence[int], dtype: DTypeLike | None = None,
         device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    as_device(device, "rand")
    dims = _sizes(shape, "rand")
    dtype = as_dtype(dtype, "rand") or default_float()
    values = _random.generator().random(dims).astype(dtype)
    return Tensor(values, requires_grad=requires_grad)


def randint(low: int, high: int | None = None, size: int | Sequence[int] = (),
            dtype: DTypeLike | None = np.int64, device: DeviceLike | None = None,
            requires_grad: bool = False) -> Tensor:
    """Integers from [low, high) (or [0, low) when high is omitted)."""
    as_device(device, "randint")
    if requires_grad:
        raise TypeError("randint: only floating-point tensors can require gradients")
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


def randperm(n: int, dtype: DTypeLike | None = np.int64, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of 0..n-1 (int64 unless `dtype` says otherwise)."""
    as_device(device, "randperm")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int, got {n!r}")
    values = _random.generator().permutation(int(n)).astype(as_dtype(dtype, "randperm"))
    return Tensor(values, requires_grad=requires_grad)


def eye(n: int, m: int | None = None, dtype: DTypeLike | None = None,
        device: DeviceLike | None = None, requires_grad: bool = False) -> Tensor:
    """The n x m identity matrix (m = n by default). Shapes: out (n, m)."""
    as_device(device, "eye")
    rows, columns = _sizes((n, n if m is None else m), "eye")
    dtype = as_dtype(dtype, "eye") or default_float()
    return Tensor(np.eye(rows, columns, dtype=dtype), requires_grad=requires_grad)


def linspace(start: Scalar | Tensor, end: Scalar | Tensor, steps: int,
             dtype: DTypeLike | None = None, device: DeviceLike | None = None,
             requires_grad: bool = False) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (float32 default)."""
    as_device(device, "linspace")
    start, end = (_endpoint(value, name) for name, value in (("start", start), ("end", end)))
    (count,) = _sizes((steps,), "linspace")
    dtype = as_dtype(dtype, "linspace") or default_float()
    values = np.linspace(start, end, count)
    if dtype.kind in "iu":
        values = np.trunc(values)                   # PyTorch truncates towards zero
    return Tensor(values.astype(dtype), requires_grad=requires_grad)


def _endpoint(value: Scalar | Tensor, name: str) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"linspace: {name} must be a number, got {type(value).__name__}")
    return float(value)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory (no copy): changes to one show in the other."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)
