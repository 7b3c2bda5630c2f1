"""Running sums and products along one axis: CumSum and Prod.

`axis` is a non-negative axis already checked by the caller (minigrad/products.py).
"""
from ..backend import array_module
from ..function import Function


class CumSum(Function):
    """out[..., i, ...] = sum of x[..., :i+1, ...] along `axis`. Shapes: x (*s) -> out (*s).

    Backward: each x[j] feeds every out[i] with i >= j, so its gradient is the reversed
    running sum of the output gradient.
    """

    @staticmethod
    def forward(ctx, x, axis):
        return array_module(x).cumsum(x, axis=axis)

    @staticmethod
    def backward(ctx, grad):
        _, axis = ctx.inputs
        xp = array_module(grad)
        return xp.flip(xp.cumsum(xp.flip(grad, axis), axis=axis), axis), None


def _exclusive_cumprod(xp, x, axis):
    """out[i] = product of x[:i] along axis (1 for i = 0), without dividing by x."""
    ones = xp.ones_like(xp.take(x, [0], axis=axis))
    inclusive = xp.cumprod(x, axis=axis)
    return xp.concatenate([ones, xp.take(inclusive, range(x.shape[axis] - 1), axis=axis)],
                          axis=axis)


class Prod(Function):
    """Product over `axis`, kept as size 1. Shapes: x (*s) -> out (*s with s[axis] = 1).

    Backward: d out / d x[i] = the product of all the other elements, computed as (product
    before i) * (product after i), so zeros in x give the exact gradient (no division).
    """

    @staticmethod
    def forward(ctx, x, axis):
        ctx.save_for_backward(x)
        return array_module(x).prod(x, axis=axis, keepdims=True)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        _, axis = ctx.inputs
        xp = array_module(x)
        if x.shape[axis] == 0:
            return xp.zeros(x.shape, dtype=grad.dtype), None
        before = _exclusive_cumprod(xp, x, axis)
        after = xp.flip(_exclusive_cumprod(xp, xp.flip(x, axis), axis), axis)
        return grad * before * after, None
