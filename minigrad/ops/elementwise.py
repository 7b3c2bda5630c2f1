"""Elementwise primitives. Each is one Function: forward and backward side by side.

Shapes: inputs (*a), (*b) -> out broadcast(a, b); backward returns gradients of the broadcast
shape and the engine sums them back to each input's shape.

Backward formulas use operators and the lower-case helpers below (`exp`, `log`, `where`,
`value`), which take NumPy arrays and Tensors alike, so each formula also runs on Tensors
under create_graph and is differentiable again (see function.py's contract).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import buffers, threads
from ..backend import array_module
from ..function import Function
from ..tensor import Tensor


def value(a: Any) -> Any:
    """The array behind `a` (a Tensor's data; arrays and numbers as they are). For masks and
    other constants computed in backward, whose own derivative is zero."""
    return a.data if isinstance(a, Tensor) else a


def _big_float(a: Any) -> bool:
    """A NumPy float array big enough for buffers.empty_like to reuse memory for it."""
    return type(a) is np.ndarray and a.dtype.kind == "f" and a.nbytes >= buffers.MIN_BYTES


def _big_float_pair(x: Any, y: Any) -> bool:
    """x big (see _big_float), y an array of x's dtype that broadcasts to x's shape."""
    return (_big_float(x) and type(y) is np.ndarray and y.dtype == x.dtype
            and y.ndim <= x.ndim and all(m in (1, n) for m, n in zip(y.shape[::-1],
                                                                    x.shape[::-1])))


# per floating dtype (by its character code): Python float -> read-only 0-d array
_FLOAT_ARRAYS: dict[str, dict[float, np.ndarray]] = {"e": {}, "f": {}, "d": {}}


def as_array_operand(value: float, like: Any) -> Any:
    """A Python float `value` as NumPy arithmetic with the floating array `like` uses it.

    NumPy casts a Python float to the array's dtype first (NEP 50), so a 0-d array of that
    dtype holding the cast value gives a bit-identical result, without NumPy's promotion of
    a Python scalar (about 0.3 us, as much as the arithmetic on a small array): the common
    `x * 0.5`, `y + 1e-5`. The arrays are cached per dtype and value. Anything else (a Tensor
    under create_graph, other dtypes, zeros, whose sign a dict key would lose, NaN, a value
    the dtype cannot hold) is returned as it is.
    """
    if type(like) is not np.ndarray:
        return value
    code = like.dtype.char
    cache = _FLOAT_ARRAYS.get(code)          # float16, float32, float64 (any byte order)
    if cache is None:
        return value
    array = cache.get(value)
    if array is None:
        if value == 0.0 or value != value:
            return value
        with np.errstate(over="ignore"):
            array = np.array(value, np.dtype(code))
        if not np.isfinite(array) and np.isfinite(value):
            return value                        # overflows the dtype: NumPy warns as before
        if len(cache) >= 256:
            cache.clear()
        array.flags.writeable = False
        cache[value] = array
    return array


def array_operands(x: Any, y: Any, like: Any = None) -> tuple:
    """(x, y) with a Python-float operand replaced by as_array_operand's 0-d array of the
    dtype of `like` (default: the other operand), for Add, Sub, Mul and Div."""
    if type(y) is float:
        return x, as_array_operand(y, x if like is None else like)
    if type(x) is float:
        return as_array_operand(x, y if like is None else like), y
    return x, y


def exp(a: Any) -> Any:
    """e ** a for an array or a Tensor."""
    return Exp.apply(a) if isinstance(a, Tensor) else _exp(array_module(a), a)


def log(a: Any) -> Any:
    """Natural log of an array or a Tensor."""
    if isinstance(a, Tensor):
        return Log.apply(a)
    with np.errstate(divide="ignore", invalid="ignore"):
        return array_module(a).log(a)


def where(condition: Any, a: Any, b: Any) -> Any:
    """a where `condition` (a bool array or bool Tensor: a constant) else b; arrays, Tensors
    or numbers. Shapes: all three broadcast together."""
    condition = value(condition)
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return Where.apply(condition, a, b)
    return array_module(a, b).where(condition, a, b)


class Add(Function):
    """out = x + y."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        if _big_float_pair(x, y):            # e.g. conv's bias add: into a reused buffer
            return np.add(x, y, out=buffers.empty_like(x))
        x, y = array_operands(x, y)
        return x + y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, grad


class Sub(Function):
    """out = x - y."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        x, y = array_operands(x, y)
        return x - y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return grad, -grad if ctx.needs_input_grad[1] else None


class Mul(Function):
    """out = x * y."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        x, y = array_operands(x, y)
        return x * y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, y = ctx.saved_tensors
        needs_x, needs_y = ctx.needs_input_grad
        x, y = array_operands(x, y, grad)
        return grad * y if needs_x else None, grad * x if needs_y else None


class Div(Function):
    """out = x / y."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        ctx.save_for_backward(x, y)
        x, y = array_operands(x, y)
        return x / y

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, y = ctx.saved_tensors
        x, y = array_operands(x, y, grad)
        grad_x = grad / y
        grad_y = -grad_x * x / y if ctx.needs_input_grad[1] else None
        return grad_x, grad_y


class Neg(Function):
    """out = -x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        return -x

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        return -grad


class Pow(Function):
    """out = x ** p; either may be a tensor. d/dp = out * log(x), taken as 0 where x <= 0."""

    @staticmethod
    def forward(ctx: Any, x: Any, p: Any) -> Any:
        out = x ** p
        ctx.save_for_backward(x, p, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, p, out = ctx.saved_tensors
        grad_x = grad * p * x ** (p - 1) if ctx.needs_input_grad[0] else None
        grad_p = None
        if ctx.needs_input_grad[1]:
            positive = value(x) > 0
            grad_p = grad * out * log(where(positive, x, 1)) * positive
        return grad_x, grad_p


def _exp(xp: Any, x: Any) -> Any:
    """e ** x, where underflow to 0 is the right answer, not an error: the retry keeps it
    quiet even under np.errstate(all="raise"), at no cost when nothing underflows."""
    try:
        return xp.exp(x)
    except FloatingPointError:
        with np.errstate(under="ignore"):
            return xp.exp(x)


class Exp(Function):
    """out = e ** x."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = _exp(array_module(x), x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad * out


class Log(Function):
    """out = natural log of x (NaN for x < 0, -inf at 0, as NumPy)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        with np.errstate(divide="ignore", invalid="ignore"):
            return array_module(x).log(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad / x


class Sqrt(Function):
    """out = sqrt(x)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        with np.errstate(invalid="ignore"):
            out = array_module(x).sqrt(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        return grad / (2 * out)


class Tanh(Function):
    """out = tanh(x); d/dx = 1 - out**2."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        out = array_module(x).tanh(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        one = as_array_operand(1.0, out)       # 1 (a cached 0-d array for NumPy: faster)
        return grad * (one - out * out)


class Sigmoid(Function):
    """out = 1 / (1 + e**-x), computed without overflow for large |x|; d/dx = out (1 - out)."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        xp = array_module(x)
        e = _exp(xp, -xp.abs(x))                    # never overflows
        out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        one = as_array_operand(1.0, out)       # 1 (a cached 0-d array for NumPy: faster)
        return grad * out * (one - out)


class ReLU(Function):
    """out = max(x, 0); gradient 0 at x == 0 (as PyTorch); NaN stays NaN."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        if _big_float(x):
            out = buffers.empty_like(x)
            threads.in_halves(x, lambda part: np.maximum(x[part], 0, out=out[part]))
        else:
            out = array_module(x).maximum(x, 0)
        # The output, not the input, is kept (as PyTorch): out > 0 exactly where x > 0 (NaN
        # stays NaN in both), and the output is what the next layer (max pooling) reads, so
        # in backward it is likelier to be still in the CPU's cache than x.
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (out,) = ctx.saved_tensors
        if _big_float_pair(grad, out) and grad.shape == out.shape:
            positive = buffers.empty_like(out, bool)
            result = buffers.empty_like(grad)

            def pass_positive(part: tuple) -> None:
                np.greater(out[part], 0, out=positive[part])
                np.multiply(grad[part], positive[part], out=result[part])
            threads.in_halves(out, pass_positive)
            return result
        return grad * (value(out) > 0)


class Abs(Function):
    """out = |x|; gradient sign(x), 0 at x == 0."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        ctx.save_for_backward(x)
        return array_module(x).abs(x)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        x = value(x)
        return grad * array_module(x).sign(x)


class Maximum(Function):
    """Elementwise max(x, y); ties split the gradient evenly (half to each input)."""

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        out = array_module(x, y).maximum(x, y)
        ctx.save_for_backward(x, y, out)
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, y, out = (value(v) for v in ctx.saved_tensors)
        x_share = (x == out) * array_module(x).where(x == y, 0.5, 1.0)
        return grad * x_share, grad * (1.0 - x_share)


class Minimum(Maximum):
    """Elementwise min(x, y); ties split the gradient evenly.

    The backward is Maximum's: the gradient goes to whichever input equals the output.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, y: Any) -> Any:
        out = array_module(x, y).minimum(x, y)
        ctx.save_for_backward(x, y, out)
        return out


class Where(Function):
    """out = x where cond else y. Shapes: cond, x, y broadcast together."""

    @staticmethod
    def forward(ctx: Any, cond: Any, x: Any, y: Any) -> Any:
        ctx.cond = cond
        return array_module(x, y).where(cond, x, y)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        cond = ctx.cond
        return None, grad * cond, grad * ~cond


class Clamp(Function):
    """out = min(max(x, low), high); gradient 1 where low <= x <= high (as PyTorch)."""

    @staticmethod
    def forward(ctx: Any, x: Any, low: Any, high: Any) -> Any:
        ctx.save_for_backward(x)
        ctx.bounds = (low, high)
        return array_module(x).clip(x, low, high)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x = value(ctx.saved_tensors[0])
        low, high = ctx.bounds
        inside = array_module(x).ones(x.shape, dtype=bool)
        if low is not None:
            inside &= x >= low
        if high is not None:
            inside &= x <= high
        return grad * inside, None, None


class Cast(Function):
    """out = x converted to `dtype`; the gradient is converted back."""

    @staticmethod
    def forward(ctx: Any, x: Any, dtype: Any) -> Any:
        ctx.input_dtype = x.dtype
        return _quiet_astype(x, dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            return Cast.apply(grad, ctx.input_dtype), None
        return _quiet_astype(grad, ctx.input_dtype), None


def _quiet_astype(x: Any, dtype: Any) -> Any:
    """x.astype(dtype) without NumPy's RuntimeWarning for values out of the target's range
    (they become inf, or an undefined integer, silently, as in PyTorch)."""
    if x.dtype.kind in "fc" and np.dtype(dtype).itemsize <= x.dtype.itemsize or (
            x.dtype.kind in "fc" and np.dtype(dtype).kind in "iub"):
        with np.errstate(over="ignore", invalid="ignore"):
            return x.astype(dtype)
    return x.astype(dtype)
