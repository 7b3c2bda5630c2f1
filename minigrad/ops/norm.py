"""The p-norm over some axes, as one primitive: its gradient at a zero vector is 0
(PyTorch's subgradient) instead of the 0 * inf = NaN that sqrt(sum(x**2)) composed gives,
and tiny or huge values neither underflow nor overflow (each group is scaled by its largest
magnitude first). Backward follows the op contract (minigrad/function.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from .elementwise import value, where
from .reduce import dropped_shape, kept_shape
from .shape import reshape


class PNorm(Function):
    """out = (sum |x|**p over dims) ** (1/p), p > 0. Shapes: x (*s) -> s without dims (size 1
    there if keepdim).

    Backward: d out / d x = sign(x) (|x| / out)**(p-1), and 0 where out is 0.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, p: Any, dims: Any, keepdim: Any) -> Any:
        xp = array_module(x)
        ctx.p = p
        ctx.kept_shape = kept_shape(x.shape, dims)
        magnitude = xp.abs(x)
        if x.size:
            peak = magnitude.max(axis=dims, keepdims=True)
        else:
            peak = xp.zeros(ctx.kept_shape, x.dtype)
        scale = xp.where(peak > 0, peak, 1)
        out = scale * ((magnitude / scale) ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        if not keepdim:
            out = out.reshape(dropped_shape(out.shape, dims))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, out = ctx.saved_tensors
        grad, out = reshape(grad, ctx.kept_shape), reshape(out, ctx.kept_shape)
        positive = value(out) > 0
        sign = np.sign(value(x))
        ratio = x * sign / where(positive, out, 1.0)                  # |x| / out, in [0, 1]
        direction = sign * (ratio if ctx.p == 2 else ratio ** (ctx.p - 1))
        return where(positive, grad * direction, 0.0), None, None, None
