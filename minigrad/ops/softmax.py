"""Softmax and log-softmax along some dims, each one op with its own backward.

They could be composed (shift, exp, sum, log, subtract: five ops, and five more in backward),
and used to be; as single ops a classifier's loss costs a third of the bookkeeping, and the
backward is the textbook formula. Forward subtracts the (detached) max first, so exp never
overflows: the result is the same for any shift, the max only keeps it finite.

Shapes: x (*s) -> out (*s); `dims` is a tuple of non-negative axes checked by the caller, and
`peak` the max over them with keepdims (0 where it is not finite), computed by the caller.
Both backward formulas use operators and `sum_dims` only, so they are twice differentiable.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from .elementwise import _exp, exp
from .reduce import sum_dims


class LogSoftmax(Function):
    """out = x - log(sum(exp(x))) over dims; grad_x = grad - softmax(x) * sum(grad)."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, peak: Any) -> Any:
        xp = array_module(x)
        shifted = x - peak
        with np.errstate(divide="ignore"):         # log(0) = -inf for an all -inf group
            out = shifted - xp.log(_exp(xp, shifted).sum(axis=dims, keepdims=True))
        ctx.dims = dims
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad - exp(out) * sum_dims(grad, ctx.dims, True), None, None


class Softmax(Function):
    """out = exp(x) / sum(exp(x)) over dims; grad_x = out * (grad - sum(grad * out))."""

    @staticmethod
    def forward(ctx: Any, x: Any, dims: Any, peak: Any) -> Any:
        e = _exp(array_module(x), x - peak)
        out = e / e.sum(axis=dims, keepdims=True)
        ctx.dims = dims
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return out * (grad - sum_dims(grad * out, ctx.dims, True)), None, None
