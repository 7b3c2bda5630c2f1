"""Shape primitives: Reshape, Permute, Expand, Pad, Cat, GetItem and its adjoint IndexAdd.

Arguments are validated by the public entry points (tensor.py / _checks.py) before these run.
The lower-case helpers (`reshape`, `permute`, `broadcast_to`, `getitem`, `index_add`,
`split`) take NumPy arrays and Tensors alike; backward formulas use them (function.py).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import buffers
from ..backend import array_module
from ..function import Function
from ..tensor import Tensor


def reshape(a: Any, shape: Any) -> Any:
    """`a` with a new shape (same elements); an array or a Tensor."""
    return Reshape.apply(a, tuple(shape)) if isinstance(a, Tensor) else a.reshape(shape)


def permute(a: Any, dims: Any) -> Any:
    """`a` with its axes reordered: out.shape[i] == a.shape[dims[i]]."""
    if isinstance(a, Tensor):
        return Permute.apply(a, tuple(dims))
    return array_module(a).transpose(a, dims)


def swap_last_axes(a: Any) -> Any:
    """`a` with its last two axes swapped (a batch of matrices transposed)."""
    dims = list(range(a.ndim))
    dims[-2], dims[-1] = dims[-1], dims[-2]
    return permute(a, dims)


def broadcast_to(a: Any, shape: Any) -> Any:
    """`a` broadcast to `shape` (a read-only view for arrays)."""
    if isinstance(a, Tensor):
        return a if a.shape == tuple(shape) else Expand.apply(a, tuple(shape))
    return array_module(a).broadcast_to(a, shape)


def getitem(a: Any, index: Any) -> Any:
    """a[index] for an index already in NumPy form (slices, ints, arrays)."""
    return GetItem.apply(a, index) if isinstance(a, Tensor) else a[index]


def index_add(grad: Any, shape: Any, index: Any) -> Any:
    """Zeros of `shape` with `grad` added at `index` (repeated indices accumulate): what
    x[index] sends back to x. Shapes: grad (shape of x[index]) -> (shape)."""
    if isinstance(grad, Tensor):
        return IndexAdd.apply(grad, tuple(shape), index)
    return _index_add(grad, shape, index)


def split(a: Any, sizes: Any, dim: int) -> list:
    """Cut `a` along `dim` into consecutive pieces of the given sizes."""
    pieces, start = [], 0
    for size in sizes:
        index = (slice(None),) * dim + (slice(start, start + size),)
        pieces.append(getitem(a, index))
        start += size
    return pieces


class Reshape(Function):
    """Same elements, new shape. Shapes: x (*s) -> out `shape` (same number of elements)."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: Any) -> Any:
        ctx.shape = x.shape
        if type(x) is np.ndarray and x.nbytes >= buffers.MIN_BYTES and -1 not in shape:
            try:
                return x.reshape(shape, copy=False)
            except ValueError:
                # Not expressible as a view, so NumPy would copy into freshly mapped memory.
                # A big copy (conv's im2col matrix) goes into a reused buffer instead.
                out = buffers.empty(shape, x.dtype)
                out.reshape(x.shape)[...] = x          # the same C-order copy as reshape
                return out
        return x.reshape(shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return reshape(grad, ctx.shape), None


class Permute(Function):
    """Reorder axes. Shapes: x (s0, s1, ...) -> out (s[dims[0]], s[dims[1]], ...)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any) -> Any:
        ctx.inverse = tuple(sorted(range(len(dims)), key=dims.__getitem__))   # argsort
        return x.transpose(dims)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return permute(grad, ctx.inverse), None


class Expand(Function):
    """Broadcast to `shape` without copying; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx: Any, x: Any, shape: Any) -> Any:
        return array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, None


class Pad(Function):
    """Constant padding, NumPy style. Shapes: x (*s) -> out (s_i + before_i + after_i, ...)."""

    @staticmethod
    def forward(ctx: Any, x: Any, pad_width: Any, value: Any) -> Any:
        ctx.inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        return array_module(x).pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return getitem(grad, ctx.inner), None, None


class Cat(Function):
    """Join tensors along `dim`. Shapes: (.., n_i, ..) for each input -> (.., sum n_i, ..)."""

    @staticmethod
    def forward(ctx: Any, dim: Any, *arrays: Any) -> Any:
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return array_module(*arrays).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return (None, *split(grad, ctx.sizes, ctx.dim))


def _is_basic_index(index: Any) -> bool:
    """True when `index` selects by slices/ints/None/Ellipsis only (no repeats possible)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, int, np.integer)) or p is None or p is Ellipsis
               for p in parts)


def _integer_form(index: Any) -> Any:
    """Replace boolean masks by the integer arrays they select (what np.add.at needs)."""
    parts = index if isinstance(index, tuple) else (index,)
    converted: list[Any] = []
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype == bool:
            converted.extend(np.nonzero(part))
        else:
            converted.append(part)
    return tuple(converted)


class GetItem(Function):
    """x[index]: slicing, integer arrays and boolean masks, as NumPy.

    Backward scatters the gradient into zeros of x's shape (`index_add`); repeated integer
    indices accumulate, so x[[0, 0]] sends twice the gradient to x[0].
    """

    @staticmethod
    def forward(ctx: Any, x: Any, index: Any) -> Any:
        ctx.shape = x.shape
        ctx.index = index
        return x[index]

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return index_add(grad, ctx.shape, ctx.index), None


class IndexAdd(Function):
    """Zeros of `shape` with x added at `index` (repeats accumulate): GetItem's backward as
    an op, so that backward is differentiable; its own backward is x's slice, grad[index].

    Shapes: x (shape of zeros(shape)[index]) -> out (shape).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, shape: Any, index: Any) -> Any:
        ctx.index = index
        return _index_add(x, shape, index)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return getitem(grad, ctx.index), None, None


def _index_add(grad: Any, shape: Any, index: Any) -> Any:
    xp = array_module(grad)
    full = xp.zeros(shape, dtype=grad.dtype)
    if _is_basic_index(index):
        full[index] = grad
    else:
        xp.add.at(full, _integer_form(index), grad)
    return full
