"""Helpers for backward formulas: each takes NumPy arrays and Tensors alike.

A backward written with operators and these runs on arrays in a plain `backward()` and on
Tensors under `create_graph=True`, where it records its ops (so the gradient can be
differentiated again). See the contract in minigrad/function.py.

    from minigrad.ops import dual

    class Softplus(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0, x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (1 + dual.exp(-x))       # not np.exp: twice differentiable
"""
from .elementwise import exp, log, value, where
from .linalg import matmul
from .reduce import sum_dims
from .shape import broadcast_to, getitem, index_add, permute, reshape, split, swap_last_axes

__all__ = ["value", "exp", "log", "where", "matmul", "sum_dims", "reshape", "permute",
           "swap_last_axes", "broadcast_to", "getitem", "index_add", "split"]
