"""More elementwise primitives: sin, cos, and the piecewise-constant functions (sign, floor,
ceil, round), whose gradient is zero wherever it exists, as PyTorch defines it.

Shapes: x (*s) -> out (*s). Backward formulas follow the op contract (minigrad/function.py),
so they are twice differentiable.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from ..tensor import Tensor
from .elementwise import value, where


def sin(a: Any) -> Any:
    """sin of an array or a Tensor (recorded)."""
    return Sin.apply(a) if isinstance(a, Tensor) else array_module(a).sin(a)


def cos(a: Any) -> Any:
    """cos of an array or a Tensor (recorded)."""
    return Cos.apply(a) if isinstance(a, Tensor) else array_module(a).cos(a)


class Sin(Function):
    """out = sin(x); d/dx = cos(x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * cos(x)


class Cos(Function):
    """out = cos(x); d/dx = -sin(x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return -grad * sin(x)


class Step(Function):
    """out = xp.NAME(x, *args) for a piecewise-constant function NAME ("sign", "floor",
    "ceil", "round"): the gradient is 0 (PyTorch's choice at the jumps too)."""

    @staticmethod
    def forward(ctx: Any, x: Any, name: Any, *args: Any) -> Any:
        ctx.arguments = 1 + len(args)
        xp = array_module(x)
        with np.errstate(invalid="ignore"):
            return xp.asarray(getattr(xp, name)(x, *args))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        nowhere = array_module(value(grad)).zeros(value(grad).shape, dtype=bool)
        return (where(nowhere, grad, 0.0),) + (None,) * ctx.arguments
