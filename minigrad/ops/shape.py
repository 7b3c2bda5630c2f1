"""Shape primitives: Reshape, Permute, Expand, Pad, Cat, GetItem.

Arguments are validated by the public entry points (tensor.py / _checks.py) before these run.
"""
import numpy as np

from ..backend import array_module
from ..function import Function


class Reshape(Function):
    """Same elements, new shape. Shapes: x (*s) -> out `shape` (same number of elements)."""

    @staticmethod
    def forward(ctx, x, shape):
        ctx.shape = x.shape
        return x.reshape(shape)

    @staticmethod
    def backward(ctx, grad):
        return grad.reshape(ctx.shape), None


class Permute(Function):
    """Reorder axes. Shapes: x (s0, s1, ...) -> out (s[dims[0]], s[dims[1]], ...)."""

    @staticmethod
    def forward(ctx, x, dims):
        return array_module(x).transpose(x, dims)

    @staticmethod
    def backward(ctx, grad):
        _, dims = ctx.inputs
        return array_module(grad).transpose(grad, np.argsort(dims)), None


class Expand(Function):
    """Broadcast to `shape` without copying; the engine sums the gradient back."""

    @staticmethod
    def forward(ctx, x, shape):
        return array_module(x).broadcast_to(x, shape)

    @staticmethod
    def backward(ctx, grad):
        return grad, None


class Pad(Function):
    """Constant padding, NumPy style. Shapes: x (*s) -> out (s_i + before_i + after_i, ...)."""

    @staticmethod
    def forward(ctx, x, pad_width, value):
        ctx.shape = x.shape
        return array_module(x).pad(x, pad_width, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad):
        _, pad_width, _ = ctx.inputs
        inner = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, ctx.shape))
        return grad[inner], None, None


class Cat(Function):
    """Join tensors along `dim`. Shapes: (.., n_i, ..) for each input -> (.., sum n_i, ..)."""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.sizes = [a.shape[dim] for a in arrays]
        return array_module(*arrays).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad):
        dim = ctx.inputs[0]
        bounds = np.cumsum(ctx.sizes)[:-1]
        return (None, *array_module(grad).split(grad, bounds, axis=dim))


def _is_basic_index(index) -> bool:
    """True when `index` selects by slices/ints/None/Ellipsis only (no repeats possible)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (slice, int, np.integer)) or p is None or p is Ellipsis
               for p in parts)


def _integer_form(index):
    """Replace boolean masks by the integer arrays they select (what np.add.at needs)."""
    parts = index if isinstance(index, tuple) else (index,)
    converted = []
    for part in parts:
        if isinstance(part, np.ndarray) and part.dtype == bool:
            converted.extend(np.nonzero(part))
        else:
            converted.append(part)
    return tuple(converted)


class GetItem(Function):
    """x[index]: slicing, integer arrays and boolean masks, as NumPy.

    Backward scatters the gradient into zeros of x's shape; repeated integer indices
    accumulate (np.add.at), so x[[0, 0]] sends twice the gradient to x[0].
    """

    @staticmethod
    def forward(ctx, x, index):
        ctx.shape = x.shape
        return x[index]

    @staticmethod
    def backward(ctx, grad):
        _, index = ctx.inputs
        xp = array_module(grad)
        full = xp.zeros(ctx.shape, dtype=grad.dtype)
        if _is_basic_index(index):
            full[index] = grad
        else:
            xp.add.at(full, _integer_form(index), grad)
        return full, None
