"""The p-norm over some axes, as one primitive: its gradient at a zero vector is 0
(PyTorch's subgradient) instead of the 0 * inf = NaN that sqrt(sum(x**2)) composed gives,
and tiny or huge values neither underflow nor overflow (each group is scaled by its largest
magnitude first)."""
from ..backend import array_module
from ..function import Function


class PNorm(Function):
    """out = (sum |x|**p over dims) ** (1/p), p > 0. Shapes: x (*s) -> s without dims (size 1
    there if keepdim).

    Backward: d out / d x = sign(x) (|x| / out)**(p-1), and 0 where out is 0.
    """

    @staticmethod
    def forward(ctx, x, p, dims, keepdim):
        xp = array_module(x)
        magnitude = xp.abs(x)
        if x.size:
            peak = magnitude.max(axis=dims, keepdims=True)
        else:
            peak = xp.zeros([1 if i in dims else n for i, n in enumerate(x.shape)], x.dtype)
        scale = xp.where(peak > 0, peak, 1)
        out = scale * ((magnitude / scale) ** p).sum(axis=dims, keepdims=True) ** (1.0 / p)
        ctx.save_for_backward(x, out)
        return out if keepdim else out.reshape([n for i, n in enumerate(out.shape)
                                                if i not in dims])

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        _, p, dims, keepdim = ctx.inputs
        xp = array_module(x)
        if not keepdim:
            grad = xp.expand_dims(grad, dims)
        positive = out > 0
        ratio = xp.abs(x) / xp.where(positive, out, 1)               # in [0, 1]
        direction = xp.sign(x) * (ratio if p == 2 else ratio ** (p - 1))
        return grad * xp.where(positive, direction, 0), None, None, None
