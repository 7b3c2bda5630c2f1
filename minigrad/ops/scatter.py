"""Scatter: write (or add) values into a copy of a tensor at integer index positions.

`index` is a full NumPy index tuple (one integer array per axis, broadcast together) built by
the public entry (minigrad/selection.py) from PyTorch's (dim, index) form. Shapes: x (*s),
src (the broadcast shape of index) -> out (*s).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from .elementwise import where
from .shape import getitem


class Scatter(Function):
    """out = x, then out[index] = src (accumulate=False) or out[index] += src (True).

    Backward: x's gradient is the output gradient with the overwritten positions zeroed
    (kept whole when accumulating); src's is the output gradient read at `index`, so repeated
    positions all receive it, as PyTorch's scatter backward does.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, src: Any, index: Any, accumulate: Any) -> Any:
        xp = array_module(x)
        ctx.index, ctx.accumulate = index, accumulate
        out = x.copy()
        if accumulate:
            xp.add.at(out, index, src)
        else:
            out[index] = src
            ctx.written = xp.zeros(x.shape, dtype=bool)
            ctx.written[index] = True
        return out

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        grad_x = grad if ctx.accumulate else where(ctx.written, 0.0, grad)
        grad_src = getitem(grad, ctx.index) if ctx.needs_input_grad[1] else None
        return grad_x, grad_src, None, None


def mesh_index(index: np.ndarray, dim: int) -> tuple:
    """The NumPy index that reads x.gather(dim, index): `index` on axis `dim`, the position
    itself on every other axis. Shapes: index (*i) -> a tuple of arrays broadcasting to i."""
    positions: list = list(np.indices(index.shape, sparse=True))
    positions[dim] = index
    return tuple(positions)
