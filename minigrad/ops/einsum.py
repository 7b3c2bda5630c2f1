"""Einsum: one primitive whose backward is again an einsum per operand.

The public entry (minigrad/products.py) turns the equation into explicit subscripts
(`terms`, one string of letters per operand, and `output`), with '...' already replaced by
letters, so forward and backward work on plain letters.
"""
import numpy as np

from ..backend import array_module
from ..function import Function


def _einsum(xp, inputs, output, arrays):
    return xp.asarray(xp.einsum(f"{','.join(inputs)}->{output}", *arrays,
                                optimize="greedy" if len(arrays) > 2 else False))


class Einsum(Function):
    """out = einsum(terms -> output, *operands).

    Backward for operand i: the output gradient contracted with every other operand onto
    operand i's letters; letters only operand i has (summed out in forward) get the gradient
    broadcast, and a repeated letter (a diagonal, as in 'ii->i') gets it on the diagonal.
    """

    @staticmethod
    def forward(ctx, spec, *arrays):
        terms, output = spec
        ctx.save_for_backward(*arrays)
        return _einsum(array_module(*arrays), terms, output, arrays)

    @staticmethod
    def backward(ctx, grad):
        terms, output = ctx.inputs[0]
        arrays = ctx.saved_tensors
        xp = array_module(grad, *arrays)
        grads = [None]
        for i, (term, x) in enumerate(zip(terms, arrays)):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(terms) if j != i]
            other_arrays = [a for j, a in enumerate(arrays) if j != i]
            letters = "".join(dict.fromkeys(term))           # unique, in order
            size = {letter: n for letter, n in zip(term, x.shape)}
            available = set(output).union(*others)
            kept = "".join(letter for letter in letters if letter in available)
            g = _einsum(xp, [output, *others], kept, [grad, *other_arrays])
            # letters summed out by this operand alone: broadcast the gradient over them
            g = g.reshape([size[letter] if letter in kept else 1 for letter in letters])
            g = xp.broadcast_to(g, [size[letter] for letter in letters])
            if len(letters) < len(term):                     # repeated letters: a diagonal
                full = xp.zeros(x.shape, dtype=g.dtype)
                position = {letter: k for k, letter in enumerate(letters)}
                index = tuple(np.arange(size[letter]).reshape(
                    [-1 if k == position[letter] else 1 for k in range(len(letters))])
                    for letter in term)
                full[index] = g
                g = full
            grads.append(g)
        return tuple(grads)
