"""Products and running sums, as PyTorch: mm, bmm, einsum, prod, cumsum, norm.

Shapes are given per function. Each is also a Tensor method (`x.prod(1)`), except einsum.
"""
from __future__ import annotations

import builtins
import string

from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

from ._checks import normalize_dim, normalize_dims, pick_keepdim
from ._promotion import result_type
from .functional import _tensor, abs, amax, amin, matmul, reshape, sum
from .ops.einsum import Einsum
from .ops.norm import PNorm
from .ops.scan import CumSum, Prod
from .tensor import Dim, TensorLike, Tensor


def mm(x: TensorLike, y: TensorLike) -> Tensor:
    """Matrix product of two 2-D tensors. Shapes: (n, k) @ (k, m) -> (n, m)."""
    x, y = _tensor(x, "mm"), _tensor(y, "mm")
    if x.ndim != 2 or y.ndim != 2:
        raise ValueError(f"mm: both operands must be 2-D, got shapes {x.shape} and {y.shape}; "
                         "use matmul for batched or 1-D operands")
    return matmul(x, y)


def bmm(x: TensorLike, y: TensorLike) -> Tensor:
    """Batched matrix product of two 3-D tensors. Shapes: (b, n, k) @ (b, k, m) -> (b, n, m)."""
    x, y = _tensor(x, "bmm"), _tensor(y, "bmm")
    if x.ndim != 3 or y.ndim != 3 or x.shape[0] != y.shape[0]:
        raise ValueError(f"bmm: expected two 3-D tensors with the same batch size, got shapes "
                         f"{x.shape} and {y.shape}; use matmul to broadcast batch dims")
    return matmul(x, y)


def _cast_dtype(x: Tensor, dtype: DTypeLike | None, op: str) -> Tensor:
    from ._checks import as_dtype
    dtype = as_dtype(dtype, op)
    return x if dtype is None or dtype == x.dtype else x.to(dtype)


def cumsum(x: TensorLike, dim: int, dtype: DTypeLike | None = None) -> Tensor:
    """Running sum along `dim`. Shapes: x (*s) -> out (*s). Integer and bool input gives
    int64 (as PyTorch); `dtype` converts first."""
    x = _cast_dtype(_tensor(x, "cumsum"), dtype, "cumsum")
    axis = normalize_dim(dim, x.ndim, "cumsum", x.shape)
    if x.dtype.kind in "biu":
        x = x.to(np.int64)
    if x.ndim == 0:
        return CumSum.apply(reshape(x, 1), 0).reshape(())
    return CumSum.apply(x, axis)


def prod(x: TensorLike, dim: int | None = None, keepdim: bool = False,
         dtype: DTypeLike | None = None, *, axis: int | None = None,
         keepdims: bool | None = None) -> Tensor:
    """Product of the elements over one `dim` (None: all). Shapes: x (*s) -> s without dim
    (size 1 there if keepdim). Exact gradients with zeros present; integers give int64."""
    x = _cast_dtype(_tensor(x, "prod"), dtype, "prod")
    if axis is not None:
        if dim is not None:
            raise TypeError(f"prod: got both dim={dim!r} and axis={axis!r}; pass only one")
        dim = axis
    keepdim = pick_keepdim(keepdim, keepdims)
    if x.dtype.kind in "biu":
        x = x.to(np.int64)
    if dim is None:
        out = Prod.apply(reshape(x, -1), 0)
        return reshape(out, (1,) * x.ndim if keepdim else ())
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"prod: dim must be one int (as PyTorch), got {dim!r}; reduce one dim "
                        "at a time")
    d = normalize_dim(dim, x.ndim, "prod", x.shape)
    if x.ndim == 0:
        return x
    out = Prod.apply(x, d)
    return out if keepdim else reshape(out, x.shape[:d] + x.shape[d + 1:])


def norm(x: TensorLike, p: float | str | None = "fro", dim: Dim = None, keepdim: bool = False,
         dtype: DTypeLike | None = None) -> Tensor:
    """The vector p-norm over `dim` (None: all elements), as torch.norm: p = 'fro' or 2
    (Euclidean), 1, inf, -inf, 0 (count of non-zeros) or any other p > 0.

    Shapes: x (*s) -> s without dim (size 1 there if keepdim). The gradient at a zero
    vector is 0, as PyTorch's.
    """
    x = _cast_dtype(_tensor(x, "norm"), dtype, "norm")
    if x.dtype.kind not in "fc":
        raise TypeError(f"norm: expected a floating tensor, got {x.dtype}; convert first, e.g. "
                        "x.float()")
    dims = normalize_dims(dim, x.ndim, "norm", x.shape)
    keepdim = bool(keepdim)
    if p == "fro":
        p = 2
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise ValueError(f"norm: p must be a number or 'fro', got {p!r} (nuclear norms are not "
                         "offered)")
    if p == np.inf:
        return amax(abs(x), dims, keepdim)
    if p == -np.inf:
        return amin(abs(x), dims, keepdim)
    if p == 0:
        return sum(Tensor._wrap((x.data != 0).astype(x.dtype)), dims, keepdim)
    if p == 1:
        return sum(abs(x), dims, keepdim)
    if p < 0 or np.isnan(p):
        raise ValueError(f"norm: p must be > 0, inf, -inf or 0, got {p}")
    return PNorm.apply(x, float(p), dims, keepdim)


# --- einsum -------------------------------------------------------------------------------------
def einsum(equation: str, *operands: Tensor | Sequence[Tensor]) -> Tensor:
    """Einstein summation, as torch.einsum: `einsum("ij,jk->ik", a, b)`; operands may also be
    passed as one list. '...' stands for the same leading dims in every operand; without
    '->' the output has the letters that appear once, in alphabetical order.

    Shapes: each operand has one dim per letter of its term; out has one per output letter.
    """
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string such as 'ij,jk->ik', got "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: give at least one operand")
    tensors = [_tensor(t, "einsum") for t in operands]
    terms, output = _parse(equation, [t.shape for t in tensors])
    dtype = result_type(*tensors)
    tensors = [t if t.dtype == dtype else t.to(dtype) for t in tensors]
    return Einsum.apply((tuple(terms), output), *tensors)


def _parse(equation: str, shapes: list) -> tuple:
    """Explicit per-operand letter strings and the output letters, validated."""
    text = equation.replace(" ", "")
    lhs, arrow, output = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} has {len(terms)} operand terms but "
                         f"{len(shapes)} operands were given")
    used = set(c for c in text if c.isalpha())
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    ellipsis_dims = 0
    for term, shape in zip(terms, shapes):
        if "..." in term:
            ellipsis_dims = builtins.max(ellipsis_dims, len(shape) - (len(term) - 3))
    batch = "".join(spare[:ellipsis_dims])
    expanded = []
    for term, shape in zip(terms, shapes):
        if "..." in term:
            count = len(shape) - (len(term) - 3)
            if count < 0:
                raise ValueError(f"einsum: term {term!r} has more letters than operand shape "
                                 f"{tuple(shape)} has dims")
            term = term.replace("...", batch[ellipsis_dims - count:])
        expanded.append(term)
    for term, shape in zip(expanded, shapes):
        if not term.isalpha() and term:
            raise ValueError(f"einsum: invalid subscripts {equation!r}; use letters, ',', '->' "
                             "and '...'")
        if len(term) != len(shape):
            raise ValueError(f"einsum: term {term!r} has {len(term)} letters but the operand has "
                             f"shape {tuple(shape)} ({len(shape)} dims)")
    sizes: dict[str, int] = {}
    for term, shape in zip(expanded, shapes):
        for letter, n in zip(term, shape):
            if sizes.setdefault(letter, n) != n:
                raise ValueError(f"einsum: letter {letter!r} stands for sizes {sizes[letter]} "
                                 f"and {n} in {equation!r} (shapes "
                                 f"{[tuple(s) for s in shapes]}); they must be equal")
    if arrow:
        output = output.replace("...", batch)
        if not (output.isalpha() or output == "") or len(set(output)) != len(output) or \
                builtins.any(letter not in sizes for letter in output):
            raise ValueError(f"einsum: invalid output {output!r} in {equation!r}: each letter "
                             "must appear once and in some operand")
    else:
        counts: dict[str, int] = {}
        for letter in "".join(expanded):
            counts[letter] = counts.get(letter, 0) + 1
        output = batch + "".join(sorted(c for c, k in counts.items()
                                        if k == 1 and c not in batch))
    return expanded, output
