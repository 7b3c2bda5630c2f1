"""Matrix product with NumPy's rules: batched, broadcast batch dims, 1-D operands promoted."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import buffers
from ..backend import array_module
from ..function import Function
from ..tensor import Tensor
from .reduce import sum_dims
from .shape import reshape, swap_last_axes


class MatMul(Function):
    """out = x @ y.

    Shapes: x (*b1, n, k), y (*b2, k, m) -> out (*broadcast(b1, b2), n, m); a 1-D x is (1, k)
    with that axis dropped from out, a 1-D y is (k, 1) likewise.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        return matmul(x, y)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, y = ctx.saved_tensors
        if x.ndim == 2 and y.ndim == 2:                   # matrices, the training case
            return _product_grads(x, y, grad, *ctx.needs_input_grad)
        # Promote 1-D operands (and the gradient) to matrices so one formula serves all cases.
        x2 = reshape(x, (1,) + x.shape) if x.ndim == 1 else x
        y2 = reshape(y, y.shape + (1,)) if y.ndim == 1 else y
        if x.ndim == 1:                       # the dropped row axis, back in place
            at = grad.ndim - 1 if y.ndim > 1 else 0
            grad = reshape(grad, grad.shape[:at] + (1,) + grad.shape[at:])
        if y.ndim == 1:
            grad = reshape(grad, grad.shape + (1,))
        grad_x = grad_y = None
        if ctx.needs_input_grad[0]:
            grad_x = matmul(grad, swap_last_axes(y2))                # (*b, n, k)
            if x.ndim == 1:
                grad_x = sum_dims(reshape(grad_x, (-1, x.shape[0])), (0,))
        if ctx.needs_input_grad[1]:
            grad_y = matmul(swap_last_axes(x2), grad)                # (*b, k, m)
            if y.ndim == 1:
                grad_y = sum_dims(reshape(grad_y, (-1, y.shape[0])), (0,))
        return grad_x, grad_y


class Linear(Function):
    """out = x @ weight.T + bias: a fully connected layer as one op.

    The same numbers as matmul(x, weight.T) + bias, with one graph node instead of three
    (transpose, product, bias add): a small network's step is mostly such bookkeeping.
    Shapes: x (*, in), weight (out, in), bias (out,) or None -> out (*, out). All three
    have one dtype (the caller checks; mixed dtypes take the composed form).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, weight: Any, bias: Any) -> Any:
        ctx.save_for_backward(x, weight)
        rows = x.reshape(-1, x.shape[-1])                        # (M, in)
        out = matmul(rows, weight.T)
        if bias is not None:
            out += bias                                          # a fresh array: in place
        return out.reshape(x.shape[:-1] + (weight.shape[0],))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, weight = ctx.saved_tensors
        grads = reshape(grad, (-1, weight.shape[0]))             # (M, out)
        rows = reshape(x, (-1, x.shape[-1]))                     # (M, in)
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = matmul(grad, weight)                        # (*, in)
        if ctx.needs_input_grad[1]:
            if type(grads) is np.ndarray and type(rows) is np.ndarray:
                grad_w = _product_like(weight, grads.T, rows)    # (out, in), weight's order
            else:
                grad_w = matmul(swap_last_axes(grads), rows)
        if ctx.needs_input_grad[2]:
            grad_b = sum_dims(grads, (0,))                       # (out,)
        return grad_x, grad_w, grad_b


class Addmm(Function):
    """out = beta * input + alpha * (mat1 @ mat2) as one op (PyTorch's addmm).

    The term is added into the product's fresh array, so a layer's bias costs one pass and
    no second array of the output's size (nn.conv2d's bias, broadcast along each row).
    Shapes: input broadcastable to (n, m), mat1 (n, k), mat2 (k, m) -> out (n, m); one dtype
    (the caller checks). beta == 0 ignores input (its NaN and inf too), as PyTorch.
    """

    @staticmethod
    def forward(ctx: Any, input: Any, mat1: Any, mat2: Any, beta: Any, alpha: Any) -> Any:
        ctx.save_for_backward(mat1, mat2)
        ctx.beta, ctx.alpha = beta, alpha
        out = matmul(mat1, mat2)
        if alpha != 1:
            out *= alpha
        if beta != 0:
            out += input if beta == 1 else beta * input      # a fresh array: in place
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        mat1, mat2 = ctx.saved_tensors
        beta, alpha = ctx.beta, ctx.alpha
        grad_input = None
        if ctx.needs_input_grad[0]:                 # the engine sums it to input's shape
            grad_input = grad if beta == 1 else grad * beta
        product_grad = grad if alpha == 1 else grad * alpha
        grad_1, grad_2 = _product_grads(mat1, mat2, product_grad, ctx.needs_input_grad[1],
                                        ctx.needs_input_grad[2])
        return grad_input, grad_1, grad_2, None, None


def matmul(a: Any, b: Any) -> Any:
    """a @ b for arrays or Tensors (NumPy's matmul rules); two NumPy matrices go through
    _matmul (a reused buffer for a big result, the faster orientation)."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return MatMul.apply(a, b)
    if type(a) is np.ndarray and type(b) is np.ndarray and a.ndim == 2 and b.ndim == 2:
        return _matmul(a, b)
    return array_module(a, b).matmul(a, b)


def _product_grads(a: Any, b: Any, grad: Any, need_a: bool, need_b: bool) -> tuple:
    """The gradients of the matrix product a @ b: (grad @ b.T, a.T @ grad), None where not
    needed. NumPy arrays (a plain backward) get each in its input's memory order, so a Linear
    weight used as weight.T gets a C-ordered gradient like itself and the optimizer's update
    walks both arrays in the same order; Tensors (create_graph) record the products."""
    if type(a) is np.ndarray and type(b) is np.ndarray and type(grad) is np.ndarray:
        return (_product_like(a, grad, b.T) if need_a else None,
                _product_like(b, a.T, grad) if need_b else None)
    return (matmul(grad, swap_last_axes(b)) if need_a else None,
            matmul(swap_last_axes(a), grad) if need_b else None)


def _product_like(like: Any, a: Any, b: Any) -> Any:
    """a @ b (2-D NumPy arrays), stored in the memory order of `like` (Fortran or C)."""
    return _matmul(a, b, f_order=like.flags.f_contiguous and not like.flags.c_contiguous)


# A product (m, k) @ (k, n) with m < n and k this many times n is computed transposed.
LONG_INNER = 16


def _matmul(a: Any, b: Any, f_order: bool = False) -> Any:
    """a @ b for matrices, C-ordered (Fortran-ordered if `f_order`); a big result goes into
    a reused buffer (see buffers.py).

    With a long inner dim k, e.g. a convolution's weight gradient, (C_out, N*OH*OW) @
    (N*OH*OW, C_in*KH*KW), which sums over every position of the batch, OpenBLAS is faster on
    the transposed problem (b.T @ a.T).T when that puts the longer outer dim first: 0.66-0.87x
    the time on the conv and Dense shapes of benchmarks/train_step.py's models (one thread;
    a short k or m > n gets slower, so only these are turned).
    """
    (m, k), n = a.shape, b.shape[1]
    if not (f_order or (m < n and k >= LONG_INNER * n)):
        return _product(a, b)
    out = _product(b.T, a.T).T                      # Fortran-ordered (m, n)
    if f_order:
        return out
    c_ordered = buffers.empty(out.shape, out.dtype)
    c_ordered[...] = out
    return c_ordered


def _product(a: Any, b: Any) -> Any:
    dtype = np.result_type(a, b)
    if a.shape[0] * b.shape[1] * dtype.itemsize < buffers.MIN_BYTES:
        return np.matmul(a, b)
    return np.matmul(a, b, out=buffers.empty((a.shape[0], b.shape[1]), dtype))
