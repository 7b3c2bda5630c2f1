"""More elementwise primitives: sin, cos, and the piecewise-constant functions (sign, floor,
ceil, round), whose gradient is zero wherever it exists, as PyTorch defines it.

Shapes: x (*s) -> out (*s).
"""
import numpy as np

from ..backend import array_module
from ..function import Function


class Sin(Function):
    """out = sin(x); d/dx = cos(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).sin(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * array_module(x).cos(x)


class Cos(Function):
    """out = cos(x); d/dx = -sin(x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return -grad * array_module(x).sin(x)


class Step(Function):
    """out = xp.NAME(x, *args) for a piecewise-constant function NAME ("sign", "floor",
    "ceil", "round"): the gradient is 0 (PyTorch's choice at the jumps too)."""

    @staticmethod
    def forward(ctx, x, name, *args):
        xp = array_module(x)
        with np.errstate(invalid="ignore"):
            return xp.asarray(getattr(xp, name)(x, *args))

    @staticmethod
    def backward(ctx, grad):
        return (array_module(grad).zeros_like(grad),) + (None,) * (len(ctx.inputs) - 1)
