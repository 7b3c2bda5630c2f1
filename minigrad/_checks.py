"""Validation shared by the public entry points; produces the standard error messages.

Errors follow `<op>: <what is wrong, with shapes/values>; <how to fix>`.
"""
import math
from typing import Any

import numpy as np
from numpy.typing import DTypeLike


class DimensionError(IndexError, ValueError):
    """A dim argument outside the tensor's range (both an IndexError, as PyTorch raises, and a
    ValueError, since it is a bad argument value)."""


def normalize_dim(dim: Any, ndim: int, op: str, shape: Any = None) -> int:
    """One dim as a non-negative axis, accepting -ndim..ndim-1."""
    if type(dim) is int and 0 <= dim < ndim:       # the common case, checked in one line
        return dim
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__} {dim!r}")
    low, high = -max(ndim, 1), max(ndim, 1) - 1
    if not low <= dim <= high:
        where = f" (shape {tuple(shape)})" if shape is not None else ""
        raise DimensionError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dims"
                             f"{where}; use a dim in [{low}, {high}]")
    return int(dim) % ndim if ndim else 0


def normalize_dims(dim: Any, ndim: int, op: str, shape: Any = None) -> tuple[int, ...]:
    """dim=None (all axes), an int or a tuple/list of ints -> a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    axes = [normalize_dim(d, ndim, op, shape) for d in dims]
    if ndim == 0:
        return ()
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: dim {dim} names the same axis twice (shape {tuple(shape)})")
    return tuple(sorted(axes))


def pick_dim(dim: Any, axis: Any, op: str) -> Any:
    """Accept NumPy's `axis` as an alias of `dim`."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; pass only one")
        return axis
    return dim


def pick_keepdim(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def shape_args(shape: Any, op: str) -> tuple[int, ...]:
    """f(2, 3) and f((2, 3)) both give (2, 3); every entry must be an int."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    plain = True                                    # Python ints only: no conversion needed
    for n in shape:
        if type(n) is not int:
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
                raise TypeError(f"{op}: sizes must be ints, got {tuple(shape)!r}")
            plain = False
    return tuple(shape) if plain else tuple(int(n) for n in shape)


def reshape_target(shape: tuple[int, ...], new_shape: tuple[int, ...],
                   op: str = "reshape") -> tuple[int, ...]:
    """Resolve one -1 in `new_shape` and check the number of elements is unchanged."""
    size = math.prod(shape)
    if -1 not in new_shape and math.prod(new_shape) == size and min(new_shape, default=0) >= 0:
        return new_shape                            # nothing to resolve (the common case)
    unknown = [i for i, n in enumerate(new_shape) if n == -1]
    if len(unknown) > 1 or any(n < -1 for n in new_shape):
        raise ValueError(f"{op}: invalid shape {new_shape}; sizes must be >= 0 with at most one -1")
    if unknown:
        known = math.prod([n for n in new_shape if n != -1])
        if known == 0 or size % known:
            raise ValueError(f"{op}: cannot reshape {size} elements (shape {shape}) to "
                             f"{new_shape}; the other sizes must divide {size}")
        new_shape = tuple(size // known if n == -1 else n for n in new_shape)
    if math.prod(new_shape) != size:
        raise ValueError(f"{op}: cannot reshape a tensor of shape {shape} ({size} elements) to "
                         f"{new_shape} ({math.prod(new_shape)} elements); the number of "
                         "elements must stay the same")
    return new_shape


def broadcast_shape(op: str, *shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The common broadcast shape, or a ValueError naming every shape."""
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{op}: cannot broadcast shapes {listed} together; dimensions are "
                         "matched from the right and must be equal or 1") from None


def as_dtype(dtype: DTypeLike | None, op: str) -> np.dtype | None:
    """None, or `dtype` as a np.dtype; TypeError naming the op for anything that is not one."""
    if dtype is None:
        return None
    try:
        return np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: {dtype!r} is not a dtype; use e.g. mg.float32, mg.float64 or "
                        "mg.int64") from None


def check_floating(dtype: DTypeLike, op: str = "requires_grad") -> None:
    if np.dtype(dtype).kind not in "fc":
        raise TypeError(f"{op}: only floating-point tensors can require gradients, got dtype "
                        f"{np.dtype(dtype)}; convert first, e.g. x.float()")
