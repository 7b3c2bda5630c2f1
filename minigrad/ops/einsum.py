"""Einsum: one primitive whose backward is again an einsum per operand.

The public entry (minigrad/products.py) turns the equation into explicit subscripts
(`terms`, one string of letters per operand, and `output`), with '...' already replaced by
letters, so forward and backward work on plain letters.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import array_module
from ..function import Function
from ..tensor import Tensor
from .shape import broadcast_to, index_add, reshape


def _einsum(inputs: Any, output: Any, arrays: Any) -> Any:
    """einsum of arrays, or of Tensors (recorded, for create_graph)."""
    if any(isinstance(a, Tensor) for a in arrays):
        return Einsum.apply((tuple(inputs), output), *arrays)
    xp = array_module(*arrays)
    return xp.asarray(xp.einsum(f"{','.join(inputs)}->{output}", *arrays,
                                optimize="greedy" if len(arrays) > 2 else False))


class Einsum(Function):
    """out = einsum(terms -> output, *operands).

    Backward for operand i: the output gradient contracted with every other operand onto
    operand i's letters; letters only operand i has (summed out in forward) get the gradient
    broadcast, and a repeated letter (a diagonal, as in 'ii->i') gets it on the diagonal.
    """

    @staticmethod
    def forward(ctx: Any, spec: Any, *arrays: Any) -> Any:
        ctx.terms, ctx.output = spec
        ctx.shapes = [a.shape for a in arrays]
        ctx.save_for_backward(*arrays)
        return _einsum(ctx.terms, ctx.output, arrays)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        terms, output = ctx.terms, ctx.output
        arrays = ctx.saved_tensors
        grads = [None]
        for i, (term, shape) in enumerate(zip(terms, ctx.shapes)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            other_arrays = [a for j, a in enumerate(arrays) if j != i]
            letters = "".join(dict.fromkeys(term))           # unique, in order
            size = {letter: n for letter, n in zip(term, shape)}
            available = set(output).union(*others)
            kept = "".join(letter for letter in letters if letter in available)
            g = _einsum([output, *others], kept, [grad, *other_arrays])
            # letters summed out by this operand alone: broadcast the gradient over them
            g = reshape(g, [size[letter] if letter in kept else 1 for letter in letters])
            g = broadcast_to(g, tuple(size[letter] for letter in letters))
            if len(letters) < len(term):                     # repeated letters: a diagonal
                position = {letter: k for k, letter in enumerate(letters)}
                index = tuple(np.arange(size[letter]).reshape(
                    [-1 if k == position[letter] else 1 for k in range(len(letters))])
                    for letter in term)
                g = index_add(g, shape, index)
            grads.append(g)
        return tuple(grads)
