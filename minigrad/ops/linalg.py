"""Matrix product with NumPy's rules: batched, broadcast batch dims, 1-D operands promoted."""
from ..backend import array_module
from ..function import Function


class MatMul(Function):
    """out = x @ y.

    Shapes: x (*b1, n, k), y (*b2, k, m) -> out (*broadcast(b1, b2), n, m); a 1-D x is (1, k)
    with that axis dropped from out, a 1-D y is (k, 1) likewise.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return array_module(x, y).matmul(x, y)

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        xp = array_module(x, y)
        # Promote 1-D operands (and the gradient) to matrices so one formula serves all cases.
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        if x.ndim == 1:
            grad = xp.expand_dims(grad, -2 if y.ndim > 1 else 0)
        if y.ndim == 1:
            grad = grad[..., None]
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = xp.matmul(grad, xp.swapaxes(y2, -1, -2))       # (*b, n, k)
            if x.ndim == 1:
                grad_x = grad_x.reshape(-1, x.shape[0]).sum(axis=0)
        if ctx.needs_input_grad[1]:
            grad_y = xp.matmul(xp.swapaxes(x2, -1, -2), grad)       # (*b, k, m)
            if y.ndim == 1:
                grad_y = grad_y.reshape(-1, y.shape[0]).sum(axis=0)
        return grad_x, grad_y
