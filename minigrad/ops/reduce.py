"""Reductions: Sum and Max (min, mean, var, logsumexp ... are composed from these).

`dims` is a tuple of non-negative axes already checked by the caller (see _checks.normalize_dims).
Shapes: x (*s) -> out (*s with `dims` removed, or kept as size 1 when keepdim).
"""
from __future__ import annotations

from typing import Any

import functools
import itertools
import math

import numpy as np

from .. import buffers, threads
from ..backend import array_module
from ..function import Function
from ..tensor import Tensor
from .elementwise import value
from .shape import broadcast_to, reshape


def sum_dims(a: Any, dims: Any, keepdim: bool = False) -> Any:
    """Sum over the axes `dims` (a tuple); an array or a Tensor."""
    if isinstance(a, Tensor):
        return Sum.apply(a, tuple(dims), keepdim)
    return a.sum(axis=tuple(dims), keepdims=keepdim)


def kept_shape(shape: Any, dims: Any) -> tuple:
    """`shape` with the reduced axes as size 1 (the keepdim form of a reduction's output)."""
    return tuple(1 if i in dims else n for i, n in enumerate(shape))


def dropped_shape(shape: Any, dims: Any) -> tuple:
    """`shape` without the reduced axes (a reduction's output without keepdim)."""
    return tuple(n for i, n in enumerate(shape) if i not in dims)


class Sum(Function):
    """Sum over `dims`; the gradient is the upstream gradient copied to every summed element."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: Any) -> Any:
        ctx.shape, ctx.dims = x.shape, dims
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        kept = kept_shape(ctx.shape, ctx.dims)
        return broadcast_to(reshape(grad, kept), ctx.shape), None, None


class Max(Function):
    """Max over `dims`; the gradient goes to the FIRST maximum of each reduced group.

    First in C order over the reduced axes, as PyTorch's max pooling and `max(dim)` do; this
    is also what max pooling (a window view + Max) relies on. NaN propagates. The choice of
    element is a constant of the input's values, so the second derivative is zero.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, keepdim: Any) -> Any:
        if _few_per_group(x.shape, dims):
            out = _max_by_slices(x, dims)
        else:
            out = x.max(axis=dims, keepdims=True)
        ctx.dims = dims
        ctx.kept_shape = out.shape
        if not keepdim:
            out = out.reshape(dropped_shape(out.shape, dims))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = (value(v) for v in ctx.saved_tensors)
        dims, kept = ctx.dims, ctx.kept_shape
        out = out.reshape(kept)
        if isinstance(grad, Tensor):             # the mask is a constant: grad times it
            mask = _first_max_grad(x, out, array_module(x).ones(kept, grad.dtype), dims)
            return reshape(grad, kept) * mask, None, None
        return _first_max_grad(x, out, grad.reshape(kept), dims), None, None


def _first_max_grad(x: Any, out: Any, grad: Any, dims: Any) -> Any:
    """grad (keepdim shape) sent to the first maximum of each group, zeros elsewhere."""
    if _few_per_group(x.shape, dims):
        return _first_max_grad_by_slices(x, out, grad, dims)
    xp = array_module(x)
    # Move the reduced axes last and flatten them: (*kept, R); pick the first argmax.
    kept = [i for i in range(x.ndim) if i not in dims]
    group = int(np.prod([x.shape[i] for i in dims]))          # not -1: x may be empty
    moved = xp.transpose(x, kept + list(dims)).reshape([x.shape[i] for i in kept] + [group])
    first = xp.argmax(moved, axis=-1)[..., None]
    onehot = xp.arange(moved.shape[-1]) == first              # (*kept, R)
    onehot = onehot.reshape([x.shape[i] for i in kept] + [x.shape[i] for i in dims])
    inverse = np.argsort(kept + list(dims))
    mask = xp.transpose(onehot, inverse)                      # back to x's axis order
    return grad * mask


# Max pooling reduces huge arrays over tiny groups (a 2x2 window: 4 elements). NumPy's
# reductions over such short, strided axes cost ~50x an elementwise pass, so for small groups
# both directions walk the group's positions instead, each step a vectorised elementwise op.
_SMALL_GROUP = 16


def _few_per_group(shape: Any, dims: Any) -> bool:
    group = 1
    for d in dims:
        group *= shape[d]
    return 0 < group <= _SMALL_GROUP and dims and group * group <= math.prod(shape)


@functools.lru_cache(maxsize=256)      # the same few pooling geometries every step
def _group_positions(shape: Any, dims: Any) -> list[tuple[Any, ...]]:
    """Index tuples selecting each position of the reduced axes, in C order (keepdim form)."""
    axes = [range(shape[d]) if d in dims else (slice(None),) for d in range(len(shape))]
    return [tuple(slice(i, i + 1) if isinstance(i, int) else i for i in index)
            for index in itertools.product(*axes)]


def _max_by_slices(x: Any, dims: Any) -> Any:
    positions = _group_positions(x.shape, dims)
    xp = array_module(x)
    out = xp.empty_like(x[positions[0]])              # keeps x's memory layout

    def max_of(part: tuple) -> None:
        x_part, out_part = x[part], out[part]
        out_part[...] = x_part[positions[0]]
        for index in positions[1:]:
            xp.maximum(out_part, x_part[index], out=out_part)   # propagates NaN, as x.max does
    threads.in_halves(x, max_of, dims)
    return out


def _first_max_grad_by_slices(x: Any, out: Any, grad: Any, dims: Any) -> Any:
    """grad (keepdim shape) sent to the first maximum of each group; NaN counts as the max."""
    xp = array_module(x)
    # x's layout (every element is written), in a reused buffer when big (buffers.py)
    result = (buffers.empty_like if xp is np else xp.empty_like)(x, dtype=grad.dtype)
    has_nan = bool(xp.isnan(out).any()) if out.dtype.kind == "f" else False
    if grad.strides != out.strides:     # one copy into x's layout beats strided reads per slice
        aligned = (buffers.empty_like if xp is np else xp.empty_like)(out, dtype=grad.dtype)
        aligned[...] = grad
        grad = aligned
    positions = _group_positions(x.shape, dims)

    def send_grad(part: tuple) -> None:
        x_part, out_part, grad_part, result_part = x[part], out[part], grad[part], result[part]
        taken = hit = None
        for index in positions[:-1]:
            hit = xp.equal(x_part[index], out_part, out=hit)
            if has_nan:
                hit |= xp.isnan(x_part[index])
            if taken is None:
                taken = hit.copy(order="K")
            else:
                xp.greater(hit, taken, out=hit)             # a hit, and no earlier one
                taken |= hit
            xp.multiply(grad_part, hit, out=result_part[index])
        if taken is None:                                   # a group of one: it is its maximum
            result_part[positions[-1]] = grad_part
        else:
            # Every group's maximum is one of its elements (NaN: a NaN element), so the last
            # position is the first maximum exactly where no earlier one was: x need not be read.
            hit = xp.logical_not(taken, out=hit)
            xp.multiply(grad_part, hit, out=result_part[positions[-1]])
    threads.in_halves(x, send_grad, dims)
    return result


