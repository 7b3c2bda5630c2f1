"""Every tensor op as a function `mg.NAME(x, ...)`: validate, then apply primitives.

Functions backed by one primitive check their arguments and call `Primitive.apply`; the rest
(mean, var, softmax, ...) are compositions whose gradients come from the primitives they use.
Tensor methods are one-line calls into this module. Derivatives of whole functions
(vjp, jvp, vhp, hvp, jacobian, hessian, as torch.autograd.functional) live in
autograd_functional.py and are re-exported here.
"""
from __future__ import annotations

import builtins
import math
import warnings
from typing import Any, Callable, Sequence, overload

import numpy as np
from numpy.typing import DTypeLike

from .autograd_functional import hessian, hvp, jacobian, jvp, vhp, vjp
from ._checks import (DimensionError, broadcast_shape, normalize_dim, normalize_dims, pick_dim,
                      pick_keepdim, reshape_target, shape_args)
from .ops.elementwise import (Abs, Cast, Clamp, Exp, Log, Maximum, Minimum, Pow, ReLU,
                              Sigmoid, Sqrt, Tanh, Where)
from .ops.linalg import Addmm, Linear, MatMul
from .ops.reduce import Max, Sum, kept_shape
from .ops.softmax import LogSoftmax, Softmax
from .ops.shape import Cat, Expand, GetItem, Pad, Permute, Reshape
from .ops.conv import Conv2d
from .ops.window import Im2Col, SlidingWindow, window_output_size
from . import return_types
from .backend import array_module
from .tensor import Dim, Scalar, Tensor, TensorLike, promote_operands

__all__ = [
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "clamp", "pow", "maximum",
    "minimum", "where", "sum", "mean", "max", "min", "amax", "amin", "var", "std", "logsumexp",
    "softmax", "log_softmax", "argmax", "argmin", "reshape", "view", "transpose", "permute",
    "flatten", "squeeze", "unsqueeze", "expand", "matmul", "addmm", "linear", "cat", "stack",
    "pad", "cast",
    "sliding_window", "clone",
    "vjp", "jvp", "vhp", "hvp", "jacobian", "hessian",
]


def _tensor(x: Any, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if x is None or isinstance(x, (str, bytes)):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    return Tensor(x)


# --- elementwise ------------------------------------------------------------------------------
def exp(x: "TensorLike") -> Tensor:
    return Exp.apply(_tensor(x, "exp"))


def log(x: "TensorLike") -> Tensor:
    return Log.apply(_tensor(x, "log"))


def sqrt(x: "TensorLike") -> Tensor:
    return Sqrt.apply(_tensor(x, "sqrt"))


def tanh(x: "TensorLike") -> Tensor:
    return Tanh.apply(_tensor(x, "tanh"))


def sigmoid(x: "TensorLike") -> Tensor:
    return Sigmoid.apply(_tensor(x, "sigmoid"))


def relu(x: "TensorLike") -> Tensor:
    return ReLU.apply(_tensor(x, "relu"))


def abs(x: "TensorLike") -> Tensor:
    return Abs.apply(_tensor(x, "abs"))


def pow(x: "TensorLike", exponent: "TensorLike") -> Tensor:
    return _tensor(x, "pow") ** exponent


def _number_or_none(value: TensorLike | None, name: str, op: str) -> Scalar | np.number | None:
    if value is None or isinstance(value, Tensor) and value.data.size == 1:
        return value.item() if isinstance(value, Tensor) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number or None, got {type(value).__name__}")
    return value


def clamp_bounds(min: TensorLike | None, max: TensorLike | None,
                 op: str = "clamp") -> tuple[Any, Any]:
    """(low, high) as numbers or None, at least one given."""
    low = _number_or_none(min, "min", op)
    high = _number_or_none(max, "max", op)
    if low is None and high is None:
        raise ValueError(f"{op}: give at least one of min and max")
    return low, high


def clamp(x: "TensorLike", min: TensorLike | None = None, max: TensorLike | None = None) -> Tensor:
    """Limit values to [min, max]; either bound may be None (not both)."""
    low, high = clamp_bounds(min, max)
    return Clamp.apply(_tensor(x, "clamp"), low, high)


clip = clamp


def maximum(x: "TensorLike", other: "TensorLike") -> Tensor:
    """Elementwise max(x, other), broadcasting; ties split the gradient evenly."""
    return Maximum.apply(*promote_operands(_tensor(x, "maximum"),
                                           _binary_operand(other, "maximum")))


def minimum(x: "TensorLike", other: "TensorLike") -> Tensor:
    """Elementwise min(x, other), broadcasting; ties split the gradient evenly."""
    return Minimum.apply(*promote_operands(_tensor(x, "minimum"),
                                           _binary_operand(other, "minimum")))


def _binary_operand(other: Any, op: str) -> Any:
    if isinstance(other, np.generic):         # before float: np.float64 is a float subclass
        return other.item()
    if isinstance(other, (Tensor, int, float, np.ndarray)):
        return other
    return _tensor(other, op)


def where(condition: "TensorLike", x: Any, y: Any) -> Tensor:
    """x where condition else y; condition is a bool Tensor or NumPy bool array.

    Shapes: condition, x, y broadcast together -> out.
    """
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be bool, got {cond.dtype}; compare first, "
                        "e.g. mg.where(x > 0, x, 0.0)")
    x, y = _binary_operand(x, "where"), _binary_operand(y, "where")
    broadcast_shape("where", cond.shape, np.shape(x.data if isinstance(x, Tensor) else x),
                    np.shape(y.data if isinstance(y, Tensor) else y))
    if not isinstance(x, Tensor) and not isinstance(y, Tensor):
        x = Tensor(x)
    if isinstance(x, Tensor):
        x, y = promote_operands(x, y)
    else:
        y, x = promote_operands(y, x)
    return Where.apply(cond, x, y)


def cast(x: "TensorLike", dtype: DTypeLike) -> Tensor:
    x = _tensor(x, "to")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"to: {dtype!r} is not a dtype; use e.g. np.float32") from None
    if dtype == x.dtype:
        return x
    return Cast.apply(x, dtype)


def clone(x: "TensorLike") -> Tensor:
    """A copy of x with its own memory, differentiable (the gradient passes through)."""
    x = _tensor(x, "clone")
    return Cast.apply(x, x.dtype)


def checked_compare(a: Any, b: Any, compare: np.ufunc) -> np.ndarray:
    """A comparison of arrays (no grad) with broadcasting errors that name the shapes."""
    try:
        return compare(a, b)
    except (ValueError, TypeError) as error:
        raise ValueError(f"{compare.__name__}: cannot compare shapes {_shape_or_type(a)} and "
                         f"{_shape_or_type(b)}: {error}") from None


def _shape_or_type(value: Any) -> tuple[int, ...] | str:
    try:
        return np.shape(value)
    except ValueError:                       # a ragged list has no shape
        return f"a ragged {type(value).__name__}"


# --- reductions -------------------------------------------------------------------------------
def _reduction_args(x: "TensorLike", dim: Dim, keepdim: bool, axis: Dim, keepdims: bool | None,
                    op: str) -> tuple[Tensor, tuple[int, ...], bool]:
    x = _tensor(x, op)
    dims = normalize_dims(pick_dim(dim, axis, op), x.ndim, op, x.shape)
    return x, dims, pick_keepdim(keepdim, keepdims)


def sum(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, axis: Dim = None,
        keepdims: bool | None = None) -> Tensor:
    """Sum over `dim` (None: all). Shapes: x (*s) -> s without dim (size 1 if keepdim)."""
    x, dims, keepdim = _reduction_args(x, dim, keepdim, axis, keepdims, "sum")
    return Sum.apply(x, dims, keepdim)


def mean(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, axis: Dim = None,
         keepdims: bool | None = None) -> Tensor:
    x, dims, keepdim = _reduction_args(x, dim, keepdim, axis, keepdims, "mean")
    count = math.prod([x.shape[d] for d in dims])
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty dim (shape {x.shape}, dim {dim})")
    return Sum.apply(x, dims, keepdim) / count


@overload
def max(x: "TensorLike", dim: None = None, keepdim: bool = False, *, axis: None = None,
        keepdims: bool | None = None) -> Tensor: ...


@overload
def max(x: "TensorLike", dim: Tensor) -> Tensor: ...


@overload
def max(x: "TensorLike", dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> return_types.max: ...


@overload
def max(x: "TensorLike", dim: int | Tensor | None = None, keepdim: bool = False, *,
        axis: int | None = None, keepdims: bool | None = None) -> Tensor | return_types.max: ...


def max(x: "TensorLike", dim: int | Tensor | None = None, keepdim: bool = False, *,
        axis: int | None = None, keepdims: bool | None = None) -> Tensor | return_types.max:
    """The largest value, as torch.max: over everything -> a 0-d tensor; along one `dim` ->
    the named tuple `(values, indices)`; `mg.max(a, b)` with a Tensor b -> `maximum(a, b)`.

    Shapes: x (*s) -> values and indices (*s without dim, or size 1 there if keepdim).
    Ties: `indices` names the first maximum, and the gradient goes to it. NaN counts as the
    maximum. For several dims at once use `amax`.
    """
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    return _extreme(x, dim, keepdim, axis, keepdims, "max")


@overload
def min(x: "TensorLike", dim: None = None, keepdim: bool = False, *, axis: None = None,
        keepdims: bool | None = None) -> Tensor: ...


@overload
def min(x: "TensorLike", dim: Tensor) -> Tensor: ...


@overload
def min(x: "TensorLike", dim: int | None = None, keepdim: bool = False, *, axis: int | None = None,
        keepdims: bool | None = None) -> return_types.min: ...


@overload
def min(x: "TensorLike", dim: int | Tensor | None = None, keepdim: bool = False, *,
        axis: int | None = None, keepdims: bool | None = None) -> Tensor | return_types.min: ...


def min(x: "TensorLike", dim: int | Tensor | None = None, keepdim: bool = False, *,
        axis: int | None = None, keepdims: bool | None = None) -> Tensor | return_types.min:
    """The smallest value, as torch.min: like `max` (a 0-d tensor, or `(values, indices)`
    along one `dim`; `mg.min(a, b)` is `minimum`). Gradient to the first minimum."""
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    return _extreme(x, dim, keepdim, axis, keepdims, "min")


def amax(x: "TensorLike", dim: Dim = (), keepdim: bool = False, *, axis: Dim = None,
         keepdims: bool | None = None) -> Tensor:
    """The largest value over `dim` (an int or a tuple; () or None: all dims), values only.

    Shapes: x (*s) -> s without the dims (size 1 there if keepdim). The gradient goes to
    the first maximum of each group (PyTorch splits it evenly among ties).
    """
    x, dims, keepdim = _amax_args(x, dim, keepdim, axis, keepdims, "amax")
    return Max.apply(x, dims, keepdim)


def amin(x: "TensorLike", dim: Dim = (), keepdim: bool = False, *, axis: Dim = None,
         keepdims: bool | None = None) -> Tensor:
    """The smallest value over `dim` (see amax); the gradient goes to the first minimum."""
    x, dims, keepdim = _amax_args(x, dim, keepdim, axis, keepdims, "amin")
    return _smallest(x, dims, keepdim)


def _amax_args(x: "TensorLike", dim: Dim, keepdim: bool, axis: Dim, keepdims: bool | None,
               op: str) -> tuple[Tensor, tuple[int, ...], bool]:
    x, dims, keepdim = _reduction_args(x, None if dim == () else dim, keepdim, axis, keepdims,
                                       op)
    _check_nonempty(x, dims, op)
    return x, dims, keepdim


def _smallest(x: Tensor, dims: tuple[int, ...], keepdim: bool) -> Tensor:
    """min over dims: -max(-x) for floats (so the gradient goes to the first minimum); a plain
    NumPy min for integers and bools, where negation would wrap (uint8) or fail (bool)."""
    if x.dtype.kind in "fc":
        return -Max.apply(-x, dims, keepdim)
    return Tensor._wrap(array_module(x.data).asarray(x.data.min(axis=dims, keepdims=keepdim)))


def _extreme(x: "TensorLike", dim: int | None, keepdim: bool, axis: int | None,
             keepdims: bool | None, op: str) -> Any:
    x = _tensor(x, op)
    dim = pick_dim(dim, axis, op)
    keepdim = pick_keepdim(keepdim, keepdims)
    if dim is None:
        if keepdim:
            raise TypeError(f"{op}: keepdim needs a dim, e.g. {op}(x, dim=1, keepdim=True)")
        dims = tuple(range(x.ndim))
        _check_nonempty(x, dims, op)
        return Max.apply(x, dims, False) if op == "max" else _smallest(x, dims, False)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{op}: dim must be one int, got {dim!r}: {op}(x, dim) reduces one dim "
                        f"and returns (values, indices), as PyTorch; for several dims use "
                        f"mg.a{op}(x, dim={tuple(dim)!r})")
    axis = normalize_dim(dim, x.ndim, op, x.shape)
    dims = (axis,) if x.ndim else ()
    _check_nonempty(x, dims, op)
    if op == "max":
        values = Max.apply(x, dims, keepdim)
        picked = np.argmax(x.data, axis=axis, keepdims=keepdim) if x.ndim else np.array(0)
    else:
        values = _smallest(x, dims, keepdim)
        picked = np.argmin(x.data, axis=axis, keepdims=keepdim) if x.ndim else np.array(0)
    result = return_types.max if op == "max" else return_types.min
    return result(values, Tensor(picked.astype(np.int64, copy=False)))


def _check_nonempty(x: Tensor, dims: tuple[int, ...], op: str) -> None:
    if builtins.any(x.shape[d] == 0 for d in dims) or (not dims and x.data.size == 0):
        raise ValueError(f"{op}: cannot reduce over an empty dim (shape {x.shape}); the result "
                         "would have no value")


def var(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, correction: Scalar = 1,
        unbiased: bool | None = None, axis: Dim = None, keepdims: bool | None = None) -> Tensor:
    """Variance over `dim` with Bessel's correction by default (`correction=0`: population)."""
    x, dims, keepdim = _reduction_args(x, dim, keepdim, axis, keepdims, "var")
    if unbiased is not None:
        correction = 1 if unbiased else 0
    count = math.prod([x.shape[d] for d in dims])
    centered = x - Sum.apply(x, dims, True) / builtins.max(count, 1)
    squares = Sum.apply(centered * centered, dims, keepdim)
    if count - correction > 0:
        return squares / (count - correction)
    # No degrees of freedom left (an empty tensor, or one element with correction=1): NaN with
    # PyTorch's warning, not NumPy's divide-by-zero RuntimeWarning (forward and backward).
    warnings.warn(f"var: degrees of freedom is <= 0 ({count} elements reduced, "
                  f"correction={correction}), so the result is NaN", UserWarning, stacklevel=2)
    return squares * float("nan")


def std(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, correction: Scalar = 1,
        unbiased: bool | None = None, axis: Dim = None, keepdims: bool | None = None) -> Tensor:
    """sqrt(var(x, ...))."""
    return sqrt(var(x, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                    keepdims=keepdims))


def _shift(x: Tensor, dims: tuple[int, ...]) -> np.ndarray:
    """The (detached) max over dims, 0 where it is not finite: subtracting it keeps exp() in
    range without changing logsumexp/softmax."""
    with np.errstate(invalid="ignore"):
        peak = x.data.max(axis=dims, keepdims=True) if x.data.size else np.zeros(
            kept_shape(x.shape, dims), x.dtype)
    return np.where(np.isfinite(peak), peak, 0).astype(x.dtype, copy=False)


def logsumexp(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, axis: Dim = None,
              keepdims: bool | None = None) -> Tensor:
    """log(sum(exp(x))) over `dim`, stable for huge |x| (the max is subtracted first)."""
    x, dims, keepdim = _reduction_args(x, dim, keepdim, axis, keepdims, "logsumexp")
    peak = _shift(x, dims)
    with np.errstate(divide="ignore"):
        out = Log.apply(Sum.apply(Exp.apply(x - peak), dims, True)) + peak
    return out if keepdim else _drop_dims(out, dims)


def _drop_dims(x: Tensor, dims: tuple[int, ...]) -> Tensor:
    return Reshape.apply(x, tuple(n for i, n in enumerate(x.shape) if i not in dims))


def _required_dim(x: Tensor, dim: Dim, axis: Dim, op: str) -> tuple[int, ...]:
    dim = pick_dim(dim, axis, op)
    if dim is None:
        raise TypeError(f"{op}: pass dim explicitly, e.g. {op}(logits, dim=1) for (N, C) logits")
    return normalize_dims(dim, x.ndim, op, x.shape)


def softmax(x: "TensorLike", dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (required), with the max subtracted for stability."""
    x = _tensor(x, "softmax")
    dims = _required_dim(x, dim, axis, "softmax")
    return Softmax.apply(x, dims, _shift(x, dims))


def log_softmax(x: "TensorLike", dim: int | None = None, *, axis: int | None = None) -> Tensor:
    """x - logsumexp(x) along `dim` (required); finite for logits of any magnitude."""
    x = _tensor(x, "log_softmax")
    dims = _required_dim(x, dim, axis, "log_softmax")
    return LogSoftmax.apply(x, dims, _shift(x, dims))


def _arg_reduce(x: "TensorLike", dim: Dim, keepdim: bool, axis: Dim, keepdims: bool | None,
                op: str, pick: Callable[..., Any]) -> Tensor:
    x = _tensor(x, op)
    dim = pick_dim(dim, axis, op)
    if x.data.size == 0:
        raise ValueError(f"{op}: cannot take {op} of an empty tensor (shape {x.shape})")
    if dim is None:
        return Tensor(np.asarray(pick(x.data), dtype=np.int64))
    axis = normalize_dim(dim, x.ndim, op, x.shape)
    if x.ndim == 0:
        return Tensor(np.asarray(0, dtype=np.int64))
    out = pick(x.data, axis=axis, keepdims=pick_keepdim(keepdim, keepdims))
    return Tensor(out.astype(np.int64))


def argmax(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, axis: Dim = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the largest value along `dim` (dim=None: index into the flattened tensor)."""
    return _arg_reduce(x, dim, keepdim, axis, keepdims, "argmax", np.argmax)


def argmin(x: "TensorLike", dim: Dim = None, keepdim: bool = False, *, axis: Dim = None,
           keepdims: bool | None = None) -> Tensor:
    """Index of the smallest value along `dim` (dim=None: index into the flattened tensor)."""
    return _arg_reduce(x, dim, keepdim, axis, keepdims, "argmin", np.argmin)


# --- shape ----------------------------------------------------------------------------------
def reshape(x: "TensorLike", *shape: int | Sequence[int]) -> Tensor:
    """Same elements in a new shape; one size may be -1. `reshape(x, 2, 3)` or `(x, (2, 3))`."""
    x = _tensor(x, "reshape")
    target = reshape_target(x.shape, shape_args(shape, "reshape"))
    if target == x.shape:
        return x
    return Reshape.apply(x, target)


view = reshape


def permute(x: "TensorLike", *dims: int | Sequence[int]) -> Tensor:
    """Reorder the axes: out.shape[i] == x.shape[dims[i]]."""
    x = _tensor(x, "permute")
    dims = shape_args(dims, "permute")
    if sorted(dims) == list(range(x.ndim)):        # already non-negative axes, each once
        return Permute.apply(x, dims)
    axes = tuple(normalize_dim(d, x.ndim, "permute", x.shape) for d in dims)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} must list each of the {x.ndim} axes of shape "
                         f"{x.shape} exactly once")
    return Permute.apply(x, axes)


def transpose(x: "TensorLike", dim0: int, dim1: int) -> Tensor:
    """Swap two axes."""
    x = _tensor(x, "transpose")
    order = list(range(x.ndim))
    a = normalize_dim(dim0, x.ndim, "transpose", x.shape)
    b = normalize_dim(dim1, x.ndim, "transpose", x.shape)
    if x.ndim == 0:
        return x
    order[a], order[b] = order[b], order[a]
    return Permute.apply(x, tuple(order))


def flatten(x: "TensorLike", start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one. Shapes: (a, b, c, d) -> (a, b*c*d) for start 1."""
    x = _tensor(x, "flatten")
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_dim(start_dim, x.ndim, "flatten", x.shape)
    end = normalize_dim(end_dim, x.ndim, "flatten", x.shape)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for "
                         f"shape {x.shape}")
    merged = math.prod(x.shape[start:end + 1])
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x: "TensorLike", dim: Dim = None) -> Tensor:
    """Remove size-1 dims (all of them, or those in `dim`; other sizes are left alone)."""
    x = _tensor(x, "squeeze")
    dims = normalize_dims(dim, x.ndim, "squeeze", x.shape)
    return reshape(x, tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1)))


def unsqueeze(x: "TensorLike", dim: int) -> Tensor:
    """Insert a size-1 dim at `dim` (-ndim-1 <= dim <= ndim)."""
    x = _tensor(x, "unsqueeze")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"unsqueeze: dim must be an int, got {type(dim).__name__}")
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise DimensionError(f"unsqueeze: dim {dim} is out of range for a tensor with {x.ndim} "
                             f"dims (shape {x.shape}); use a dim in [{-x.ndim - 1}, {x.ndim}]")
    position = dim % (x.ndim + 1)
    return reshape(x, x.shape[:position] + (1,) + x.shape[position:])


def expand(x: "TensorLike", *shape: Any) -> Tensor:
    """Broadcast to `shape` without copying (-1 keeps a size); new dims go in front."""
    x = _tensor(x, "expand")
    shape = shape_args(shape, "expand")
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: target {shape} has fewer dims than the tensor {x.shape}")
    target = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(shape))
    for i, n in enumerate(x.shape):
        if n != 1 and n != target[lead + i]:
            raise ValueError(f"expand: cannot expand shape {x.shape} to {shape}: dim {i} has "
                             f"size {n}, which is not 1 and differs from {target[lead + i]}")
    if builtins.any(n < 0 for n in target):
        raise ValueError(f"expand: -1 is only allowed for existing dims, got {shape}")
    if target == x.shape:
        return x
    return Expand.apply(x, target)


def matmul(x: "TensorLike", y: "TensorLike") -> Tensor:
    """Matrix product with NumPy's rules. Shapes: (*b, n, k) @ (*b, k, m) -> (*b, n, m)."""
    x, y = _tensor(x, "matmul"), _tensor(y, "matmul")
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {x.shape} and "
                         f"{y.shape}; use * for scaling")
    k_x = x.shape[-1]
    k_y = y.shape[0] if y.ndim == 1 else y.shape[-2]
    if k_x != k_y:
        raise ValueError(f"matmul: inner dimensions differ: {x.shape} @ {y.shape} "
                         f"({k_x} != {k_y}); the last dim of the first operand must equal the "
                         "second-to-last dim of the second (transpose one of them?)")
    broadcast_shape("matmul (batch dims)", x.shape[:-2], y.shape[:-2])
    return MatMul.apply(x, y)


def addmm(input: "TensorLike", mat1: "TensorLike", mat2: "TensorLike", *, beta: Scalar = 1,
          alpha: Scalar = 1) -> Tensor:
    """beta * input + alpha * (mat1 @ mat2) as one op, as PyTorch's addmm.

    Shapes: input broadcastable to (n, m), mat1 (n, k), mat2 (k, m) -> (n, m); one dtype for
    all (convert first, e.g. x.float()). beta == 0 ignores input (NaN and inf in it too).
    Example: mg.addmm(bias.reshape(-1, 1), weight, columns) adds a bias to every row.
    """
    input, mat1, mat2 = (_tensor(t, "addmm") for t in (input, mat1, mat2))
    for name, number in (("beta", beta), ("alpha", alpha)):
        if isinstance(number, bool) or not isinstance(number, (int, float, np.integer,
                                                               np.floating)):
            raise TypeError(f"addmm: {name} must be a number, got {type(number).__name__} "
                            f"{number!r}")
    if mat1.ndim != 2 or mat2.ndim != 2 or mat1.shape[1] != mat2.shape[0]:
        raise ValueError(f"addmm: mat1 {mat1.shape} and mat2 {mat2.shape} must be matrices "
                         "(n, k) and (k, m); use matmul for other shapes")
    size = (mat1.shape[0], mat2.shape[1])
    if input.ndim > 2 or any(a not in (1, b) for a, b in zip(input.shape[::-1], size[::-1])):
        raise ValueError(f"addmm: input of shape {input.shape} does not broadcast to the "
                         f"product's shape {size}; reshape it, e.g. bias.reshape(-1, 1) for "
                         "one value per row")
    _check_one_dtype("addmm", "input, mat1 and mat2", input, mat1, mat2)
    return Addmm.apply(input, mat1, mat2, beta, alpha)


def linear(x: "TensorLike", weight: "TensorLike", bias: "TensorLike | None" = None) -> Tensor:
    """x @ weight.T + bias as one op (the computation of PyTorch's nn.functional.linear).

    Shapes: x (*, in), weight (out, in), bias (out,) or None -> (*, out); one dtype for all
    (convert first, e.g. x.float()). nn.functional.linear checks the shapes with
    layer-specific messages and calls this.
    """
    x, weight = _tensor(x, "linear"), _tensor(weight, "linear")
    bias = None if bias is None else _tensor(bias, "linear")
    if x.ndim == 0 or weight.ndim != 2 or x.shape[-1] != weight.shape[1] or (
            bias is not None and bias.shape != (weight.shape[0],)):
        raise ValueError(f"linear: shapes x {x.shape}, weight {weight.shape}, bias "
                         f"{None if bias is None else bias.shape} do not fit; need x (*, in), "
                         "weight (out, in), bias (out,)")
    _check_one_dtype("linear", "x, weight and bias", x, weight, bias)
    return Linear.apply(x, weight, bias)


def _check_one_dtype(op: str, names: str, *operands: Tensor | None) -> None:
    """TypeError unless the given operands (None: absent) share one dtype; the fused ops
    compute in that dtype rather than promote."""
    if len({t.dtype for t in operands if t is not None}) > 1:
        got = ", ".join(str(None if t is None else t.dtype) for t in operands)
        raise TypeError(f"{op}: {names} must have one dtype, got {got}; convert first, "
                        "e.g. x.float()")


def cat(tensors: Sequence[TensorLike], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim; all other sizes must match."""
    tensors = _tensor_list(tensors, "cat")
    first = tensors[0]
    axis = normalize_dim(dim, first.ndim, "cat", first.shape)
    if first.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use mg.stack")
    for t in tensors[1:]:
        if t.ndim != first.ndim or builtins.any(
                a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis):
            shapes = [t.shape for t in tensors]
            raise ValueError(f"cat: shapes {shapes} differ outside dim {dim}; only the size "
                             "along dim may differ")
    return Cat.apply(axis, *tensors)


def stack(tensors: Sequence[TensorLike], dim: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new dim."""
    tensors = _tensor_list(tensors, "stack")
    shapes = {t.shape for t in tensors}
    if len(shapes) > 1:
        raise ValueError(f"stack: all tensors must have the same shape, got "
                         f"{[t.shape for t in tensors]}")
    return cat([unsqueeze(t, dim) for t in tensors], dim)


def _tensor_list(tensors: Sequence[TensorLike], op: str) -> list[Tensor]:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty list of tensors")
    return [_tensor(t, op) for t in tensors]


def pad(x: "TensorLike", pad_width: Any, value: float = 0.0) -> Tensor:
    """Constant padding with NumPy's pad widths: n, (before, after), or one pair per dim."""
    x = _tensor(x, "pad")
    try:
        widths = np.broadcast_to(np.asarray(pad_width), (x.ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor of shape "
                         f"{x.shape}; give n, (before, after) or {x.ndim} such pairs") from None
    if widths.dtype.kind not in "iu" or (widths < 0).any():
        raise ValueError(f"pad: pad widths must be non-negative ints, got {pad_width!r}")
    return Pad.apply(x, tuple((int(a), int(b)) for a, b in widths), value)


# --- indexing ---------------------------------------------------------------------------------
def plain_index(index: Any) -> Any:
    """An index with Tensors and lists replaced by arrays, as NumPy expects."""
    if isinstance(index, tuple):
        return tuple(_index_part(p) for p in index)
    return _index_part(index)


def _index_part(part: Any) -> Any:
    if isinstance(part, Tensor):
        part = part.data
    elif isinstance(part, list):
        part = np.asarray(part)
    if isinstance(part, np.ndarray) and part.dtype.kind not in "iub":
        raise IndexError(f"index arrays must be integers or booleans, got {part.dtype}")
    return part


def getitem(x: Tensor, index: Any) -> Tensor:
    """x[index] (slices, ints, None, ..., integer arrays, boolean masks), as NumPy."""
    index = plain_index(index)
    try:
        return GetItem.apply(x, index)
    except IndexError as error:
        reason = str(error.__cause__ or error)
        raise IndexError(f"index {describe_index(index)} is invalid for a tensor of shape "
                         f"{x.shape}: {reason}") from None


def describe_index(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    described = [f"array{p.shape}" if isinstance(p, np.ndarray) and p.size > 6 else
                 repr(p.tolist()) if isinstance(p, np.ndarray) else repr(p) for p in parts]
    return "[" + ", ".join(described) + "]"


# --- sliding windows (convolution and pooling are built on this) -----------------------------
def _pair(value: Any, name: str, op: str, minimum: int) -> tuple:
    if type(value) is int and value >= minimum:
        return value, value
    if type(value) is tuple and len(value) == 2 and type(value[0]) is type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value                  # already a checked pair (conv2d's own): the hot path
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or builtins.any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                      for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if builtins.any(v < minimum for v in pair):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return tuple(int(v) for v in pair)


def _padding_pairs(padding: int | Sequence[int] | Sequence[Sequence[int]], op: str) -> tuple:
    """int p, (ph, pw) or ((top, bottom), (left, right)) -> ((top, bottom), (left, right))."""
    if isinstance(padding, (tuple, list)) and len(padding) == 2 and builtins.all(
            isinstance(p, (tuple, list)) for p in padding):
        return tuple(_pair(p, "padding", op, 0) for p in padding)
    ph, pw = _pair(padding, "padding", op, 0)
    return ((ph, ph), (pw, pw))


def sliding_window(x: "TensorLike", kernel_size: int | Sequence[int],
                   stride: int | Sequence[int] = 1,
                   padding: int | Sequence[int] | Sequence[Sequence[int]] = 0,
                   dilation: int | Sequence[int] = 1, value: float = 0.0,
                   op: str = "sliding_window") -> Tensor:
    """Every KH x KW window of the last two axes, as a differentiable view (im2col).

    Shapes:
        x:   (N, C, H, W)
        out: (N, C, OH, OW, KH, KW), out[n, c, oh, ow, i, j] =
             padded_x[n, c, oh*SH + i*DH, ow*SW + j*DW],
             OH = (H + top + bottom - DH*(KH - 1) - 1) // SH + 1 (likewise OW)
    `padding` is an int, a pair (ph, pw) or ((top, bottom), (left, right)), filled with
    `value`. The backward sums the gradients of overlapping windows (col2im), which is why a
    pixel under several windows, or a kernel reused everywhere, gets the sum of its uses.
    """
    x, kernel, strides, dilations, pads = _window_args(x, kernel_size, stride, padding,
                                                       dilation, op)
    return SlidingWindow.apply(x, kernel, strides, dilations, pads, value)


def im2col(x: "TensorLike", kernel_size: int | Sequence[int], stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | Sequence[Sequence[int]] = 0,
           dilation: int | Sequence[int] = 1, op: str = "im2col") -> Tensor:
    """The windows of sliding_window (zero padding) as the columns of one matrix, batch last:
    what a convolution multiplies its (C_out, C*KH*KW) kernel matrix with.

    Shapes:
        x:   (N, C, H, W)
        out: (C*KH*KW, OH*OW*N), out[(c*KH + i)*KW + j, (oh*OW + ow)*N + n] =
             padded_x[n, c, oh*SH + i*DH, ow*SW + j*DW]
    The same numbers as sliding_window(x, ...).permute(1, 4, 5, 2, 3, 0).reshape(C*KH*KW, -1),
    made as one op (one copy, one graph node). Not PyTorch's `unfold`, whose layout is
    (N, C*KH*KW, OH*OW): the batch goes last so that one matrix product serves the whole batch
    and every copy walks long contiguous runs.
    """
    x, kernel, strides, dilations, pads = _window_args(x, kernel_size, stride, padding,
                                                       dilation, op)
    return Im2Col.apply(x, kernel, strides, dilations, pads)


def conv2d(input: "TensorLike", weight: "TensorLike", bias: "TensorLike | None" = None,
           stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | Sequence[Sequence[int]] = 0,
           dilation: int | Sequence[int] = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation over NCHW input, as PyTorch's `torch.conv2d` (numeric padding:
    an int, (ph, pw) or ((top, bottom), (left, right)); nn.functional.conv2d also takes
    "same"/"valid").

    Shapes:
        input:  (N, C_in, H, W)
        weight: (C_out, C_in // groups, KH, KW)
        bias:   (C_out,) or None
        out:    (N, C_out, OH, OW), OH = (H + top + bottom - DH*(KH - 1) - 1) // SH + 1
    The numbers are those of im2col + one matrix product per group, kernels @ columns + bias
    (columns = mg.im2col(input, ...)); the op computes them in bands of output rows whose
    columns stay in the CPU's cache, on two cores when NumPy's OpenBLAS has two threads
    (ops/conv.py). The output is a batch-last (N, C_out, OH, OW) view.
    """
    x, weight = _tensor(input, "conv2d"), _tensor(weight, "conv2d")
    if bias is not None:
        bias = _tensor(bias, "conv2d")
    _check_conv_args(x, weight, bias, groups)
    x, _, strides, dilations, pads = _window_args(x, weight.shape[2:], stride, padding,
                                                  dilation, "conv2d")
    if array_module(x.data) is not np:     # CuPy: im2col + one product per group
        return _composed_conv2d(x, weight, bias, strides, dilations, pads, groups)
    return Conv2d.apply(x, weight, bias, strides, dilations, pads, int(groups))


def _composed_conv2d(x: Tensor, weight: Tensor, bias: Tensor | None, strides: tuple,
                     dilations: tuple, pads: tuple, groups: int) -> Tensor:
    """conv2d from im2col and matmul (what Conv2d computes in bands)."""
    n, c_in = x.shape[:2]
    c_out, kernel = weight.shape[0], weight.shape[2:]
    columns = Im2Col.apply(x, kernel, strides, dilations, pads)     # (C*KH*KW, OH*OW*N)
    oh, ow = (window_output_size(x.shape[2 + a], kernel[a], strides[a], dilations[a], pads[a])
              for a in range(2))
    per_group = c_in // groups * kernel[0] * kernel[1]
    kernels = reshape(weight, (groups, c_out // groups, per_group))
    out = matmul(kernels, reshape(columns, (groups, per_group, n * oh * ow)))
    if bias is not None:
        out = out + reshape(bias, (groups, c_out // groups, 1))
    return permute(reshape(out, (c_out, oh, ow, n)), (3, 0, 1, 2))


def _check_conv_args(x: Tensor, weight: Tensor, bias: Tensor | None, groups: Any) -> None:
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W), got {x.ndim}-D shape "
                         f"{x.shape}; add a batch dim with x.unsqueeze(0) or a channel dim "
                         "with x.unsqueeze(1)")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must have shape (C_out, C_in // groups, KH, KW), got "
                         f"{weight.ndim}-D shape {weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(f"conv2d: groups={groups} must divide both the input channels "
                         f"({c_in}) and the output channels ({c_out}); pick a common divisor")
    if weight.shape[1] * groups != c_in:
        raise ValueError(f"conv2d: input has {c_in} channels but weight expects "
                         f"{weight.shape[1] * groups} (weight shape {weight.shape}, groups "
                         f"{groups}); build the layer with in_channels={c_in}")
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"conv2d: bias must have shape ({c_out},) (one value per output "
                         f"channel of weight {weight.shape}), got {bias.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"conv2d: input dtype {x.dtype} differs from {name} dtype "
                            f"{t.dtype}; convert one, e.g. x.to({t.dtype}) (mixing would "
                            "silently compute in the wider type)")


def _window_args(x: "TensorLike", kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                 op: str) -> tuple:
    """Checked (x, kernel, strides, dilations, pads) for the window ops; the windows must fit."""
    x = _tensor(x, op)
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {x.ndim}-D shape "
                         f"{x.shape}; add a batch dim with x.unsqueeze(0) or channels with "
                         "x.unsqueeze(1)")
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    strides = _pair(stride, "stride", op, 1)
    dilations = _pair(dilation, "dilation", op, 1)
    pads = _padding_pairs(padding, op)
    out_size = [window_output_size(x.shape[2 + a], kernel[a], strides[a], dilations[a], pads[a])
                for a in range(2)]
    if builtins.min(out_size) < 1:
        span = tuple(dilations[a] * (kernel[a] - 1) + 1 for a in range(2))
        padded = tuple(x.shape[2 + a] + builtins.sum(pads[a]) for a in range(2))
        raise ValueError(f"{op}: a window spanning {span} (kernel_size {kernel}, dilation "
                         f"{dilations}) does not fit the padded input of size {padded} (input "
                         f"{x.shape}, padding {pads}); use a smaller kernel or more padding")
    return x, kernel, strides, dilations, pads
