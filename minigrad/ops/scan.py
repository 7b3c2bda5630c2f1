"""Running sums and products along one axis: CumSum and Prod.

`axis` is a non-negative axis already checked by the caller (minigrad/products.py). Backward
formulas follow the op contract (minigrad/function.py), so they are twice differentiable.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from ..tensor import Tensor
from .elementwise import where
from .shape import broadcast_to, getitem, permute, reshape


def _reversed(a: Any, axis: int) -> Any:
    return getitem(a, (slice(None),) * axis + (slice(None, None, -1),))


class CumSum(Function):
    """out[..., i, ...] = sum of x[..., :i+1, ...] along `axis`. Shapes: x (*s) -> out (*s).

    Backward: each x[j] feeds every out[i] with i >= j, so its gradient is the reversed
    running sum of the output gradient.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any) -> Any:
        ctx.axis = axis
        return array_module(x).cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        flipped = _reversed(grad, ctx.axis)
        if isinstance(grad, Tensor):
            summed = CumSum.apply(flipped, ctx.axis)
        else:
            summed = array_module(grad).cumsum(flipped, axis=ctx.axis)
        return _reversed(summed, ctx.axis), None


def _exclusive_cumprod(xp: Any, x: Any, axis: int) -> Any:
    """out[i] = product of x[:i] along axis (1 for i = 0), without dividing by x."""
    ones = xp.ones_like(xp.take(x, [0], axis=axis))
    inclusive = xp.cumprod(x, axis=axis)
    return xp.concatenate([ones, xp.take(inclusive, range(x.shape[axis] - 1), axis=axis)],
                          axis=axis)


def _product_of_others(x: Any, axis: int) -> Any:
    """out[i] = the product of every x[j], j != i, along axis (no division, so zeros are
    fine). Arrays: two running products. Tensors (create_graph): the product over a matrix
    whose row i is x with x[i] replaced by 1, recorded with differentiable ops."""
    if not isinstance(x, Tensor):
        xp = array_module(x)
        before = _exclusive_cumprod(xp, x, axis)
        return before * xp.flip(_exclusive_cumprod(xp, xp.flip(x, axis), axis), axis)
    n = x.shape[axis]
    order = [d for d in range(x.ndim) if d != axis] + [axis]
    moved = permute(x, order)                                     # (..., n)
    rows = broadcast_to(reshape(moved, moved.shape[:-1] + (1, n)), moved.shape[:-1] + (n, n))
    others = Prod.apply(where(np.eye(n, dtype=bool), 1.0, rows), moved.ndim)   # (..., n, 1)
    return permute(reshape(others, moved.shape), list(np.argsort(order)))


class Prod(Function):
    """Product over `axis`, kept as size 1. Shapes: x (*s) -> out (*s with s[axis] = 1).

    Backward: d out / d x[i] = the product of all the other elements, so zeros in x give the
    exact gradient (no division by x).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, axis: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.axis = axis
        return array_module(x).prod(x, axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        if x.shape[ctx.axis] == 0:
            return grad * 0.0 + array_module(grad).zeros(x.shape, dtype=grad.dtype), None
        return grad * _product_of_others(x, ctx.axis), None
