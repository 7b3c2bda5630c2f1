"""Reductions: Sum and Max (min, mean, var, logsumexp ... are composed from these).

`dims` is a tuple of non-negative axes already checked by the caller (see _checks.normalize_dims).
Shapes: x (*s) -> out (*s with `dims` removed, or kept as size 1 when keepdim).
"""
import numpy as np

from ..backend import array_module
from ..function import Function


def _restore_reduced_axes(grad, dims, keepdim):
    """Give the gradient of a reduction back its reduced axes, as size 1."""
    if keepdim or not dims:
        return grad
    return array_module(grad).expand_dims(grad, dims)


class Sum(Function):
    """Sum over `dims`; the gradient is the upstream gradient copied to every summed element."""

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        ctx.shape = x.shape
        return x.sum(axis=dims, keepdims=keepdim)

    @staticmethod
    def backward(ctx, grad):
        _, dims, keepdim = ctx.inputs
        grad = _restore_reduced_axes(grad, dims, keepdim)
        return array_module(grad).broadcast_to(grad, ctx.shape), None, None


class Max(Function):
    """Max over `dims`; the gradient goes to the FIRST maximum of each reduced group.

    First in C order over the reduced axes, as PyTorch's max pooling and `max(dim)` do; this
    is also what max pooling (a window view + Max) relies on. NaN propagates.
    """

    @staticmethod
    def forward(ctx, x, dims, keepdim):
        out = x.max(axis=dims, keepdims=True)
        ctx.save_for_backward(x, out)
        return out if keepdim else out.reshape([n for i, n in enumerate(out.shape)
                                                if i not in dims])

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        _, dims, keepdim = ctx.inputs
        xp = array_module(x)
        grad = _restore_reduced_axes(grad, dims, keepdim)
        # Move the reduced axes last and flatten them: (*kept, R); pick the first argmax.
        kept = [i for i in range(x.ndim) if i not in dims]
        moved = xp.transpose(x, kept + list(dims)).reshape([x.shape[i] for i in kept] + [-1])
        first = xp.argmax(moved, axis=-1)[..., None]
        onehot = xp.arange(moved.shape[-1]) == first              # (*kept, R)
        onehot = onehot.reshape([x.shape[i] for i in kept] + [x.shape[i] for i in dims])
        inverse = np.argsort(kept + list(dims))
        mask = xp.transpose(onehot, inverse)                      # back to x's axis order
        return grad * mask, None, None
