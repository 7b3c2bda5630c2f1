"""Selecting, reordering and splitting elements, as PyTorch: gather, scatter, masked_fill,
sort/argsort/topk, flip, roll, diag, tril/triu, chunk/split, repeat/tile, view_as,
expand_as, t.

All are compositions of the indexing, where, cat, reshape and expand primitives (so their
gradients come from those), except scatter, which has its own primitive (ops/scatter.py).
Each is also a Tensor method.
"""
from __future__ import annotations

import builtins

from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

from . import return_types
from ._checks import normalize_dim, normalize_dims, shape_args
from .functional import (_tensor, cat, describe_index, expand, getitem, pad, reshape, transpose,
                         where)
from .ops.scatter import Scatter, mesh_index
from .tensor import Dim, Scalar, TensorLike, Tensor


# --- gather / scatter -------------------------------------------------------------------------
def _index_array(index: Any, x: Tensor, dim: int, op: str,
                 source_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """`index` as an int64 array checked against x (and against the source of values)."""
    if isinstance(index, Tensor):
        index = index.data
    elif not isinstance(index, np.ndarray):
        raise TypeError(f"{op}: index must be an integer Tensor, got {type(index).__name__}")
    if index.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer tensor (int64), got {index.dtype}")
    if index.ndim != x.ndim and not (x.ndim == 0 and index.ndim <= 1):
        raise ValueError(f"{op}: index has {index.ndim} dims but the tensor has {x.ndim} "
                         f"(shapes {index.shape} and {x.shape}); they must have the same "
                         "number of dims")
    limits = source_shape if source_shape is not None else x.shape
    for d, n in enumerate(index.shape):
        if d != dim and x.ndim and n > builtins.min(x.shape[d], limits[d]):
            raise ValueError(f"{op}: index of shape {index.shape} is larger than the tensor "
                             f"of shape {x.shape} in dim {d}; only dim {dim} may differ")
    size = x.shape[dim] if x.ndim else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{op}: index {int(bad)} is out of bounds for dim {dim} with size "
                         f"{size}")
    return index.astype(np.int64, copy=False).reshape(index.shape if x.ndim else ())


def gather(x: TensorLike, dim: int, index: TensorLike) -> Tensor:
    """out[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (likewise for other dims).

    Shapes: x (*s), index (*i) with the same number of dims and i[d] <= s[d] for d != dim
    -> out (*i). The gradient is scattered back, summed over repeated indices.
    """
    x = _tensor(x, "gather")
    dim = normalize_dim(dim, x.ndim, "gather", x.shape)
    index = _index_array(index, x, dim, "gather")
    if x.ndim == 0:
        return getitem(x, ())
    return getitem(x, mesh_index(index, dim))


def scatter(x: TensorLike, dim: int, index: TensorLike, src: TensorLike | None = None, *,
            value: Scalar | None = None, reduce: str | None = None) -> Tensor:
    """A copy of x with values written at `index` along `dim`:
    out[index[i][j]][j] = src[i][j] for dim 0. `src` is a tensor (its leading part of
    index's shape is used) or a number (`value=` also works), as torch.scatter.

    Shapes: x (*s), index (*i), src (*r) with i[d] <= r[d] -> out (*s). Where index repeats
    a position, one of the values wins (as PyTorch, which leaves it unspecified).
    """
    return _scatter(x, dim, index, src, value, reduce, "scatter", accumulate=False)


def scatter_add(x: TensorLike, dim: int, index: TensorLike, src: TensorLike) -> Tensor:
    """A copy of x with src's values added at `index` along `dim` (repeats accumulate).

    Shapes: as scatter.
    """
    return _scatter(x, dim, index, src, None, None, "scatter_add", accumulate=True)


def _scatter(x: TensorLike, dim: int, index: TensorLike, src: TensorLike | None,
             value: Scalar | None, reduce: str | None, op: str, accumulate: bool) -> Tensor:
    x = _tensor(x, op)
    if reduce is not None:
        raise ValueError(f"{op}: reduce={reduce!r} is not supported; use scatter_add for sums")
    if src is None:
        src = value
    elif value is not None:
        raise TypeError(f"{op}: give src or value, not both")
    if src is None:
        raise TypeError(f"{op}: missing the values: pass src (a tensor) or value (a number)")
    dim = normalize_dim(dim, x.ndim, op, x.shape)
    part: Any
    if isinstance(src, (int, float, np.integer, np.floating)) and not isinstance(src, bool):
        index = _index_array(index, x, dim, op)
        part = src
    else:
        src = _tensor(src, op)
        if src.dtype != x.dtype:
            raise TypeError(f"{op}: src has dtype {src.dtype} but the tensor has {x.dtype}; "
                            f"convert it, e.g. src.to({x.dtype})")
        if src.ndim != x.ndim:
            raise ValueError(f"{op}: src has {src.ndim} dims but the tensor has {x.ndim} "
                             f"(shapes {src.shape} and {x.shape})")
        index = _index_array(index, x, dim, op, src.shape)
        if builtins.any(n > m for n, m in zip(index.shape, src.shape)):
            raise ValueError(f"{op}: index of shape {index.shape} is larger than src of shape "
                             f"{src.shape}; src must cover index in every dim")
        part = getitem(src, tuple(slice(0, n) for n in index.shape))
    if x.ndim == 0:
        return Scatter.apply(x, part, (), accumulate)
    return Scatter.apply(x, part, mesh_index(index, dim), accumulate)


def index_put(x: Tensor, index: Any, value: Any) -> Tensor:
    """A copy of x with x[index] = value (value broadcast to x[index]'s shape), recorded:
    what `x[index] = value` does when gradients are recorded. `index` is in NumPy form."""
    try:
        target = x.data[index].shape
    except (IndexError, TypeError, ValueError) as error:
        raise IndexError(f"__setitem__: index {describe_index(index)} is invalid for a tensor "
                         f"of shape {x.shape}: {error}") from None
    if isinstance(value, Tensor):
        value = value if value.dtype == x.dtype else value.to(x.dtype)
        if not _broadcasts(value.shape, target) or np.broadcast_shapes(value.shape,
                                                                       target) != target:
            raise ValueError(f"__setitem__: cannot assign a tensor of shape {value.shape} to "
                             f"index {describe_index(index)} (shape {target}) of a tensor of "
                             f"shape {x.shape}")
        value = expand(value, target)
    elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
        value = Tensor(value).to(x.dtype)
        return index_put(x, index, value)
    return Scatter.apply(x, value, index, False)


def masked_fill(x: TensorLike, mask: TensorLike, value: TensorLike) -> Tensor:
    """x with `value` where `mask` is True. Shapes: mask broadcasts to x's shape -> x's shape.
    `value` is a number or a 0-d tensor (which then gets the gradient of the filled spots)."""
    x = _tensor(x, "masked_fill")
    mask = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype}; compare "
                        "first, e.g. x.masked_fill(x < 0, 0.0)")
    if not _broadcasts(mask.shape, x.shape) or np.broadcast_shapes(mask.shape,
                                                                  x.shape) != x.shape:
        raise ValueError(f"masked_fill: mask of shape {mask.shape} does not broadcast to the "
                         f"tensor's shape {x.shape}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
    elif isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
        raise TypeError(f"masked_fill: value must be a number, got {type(value).__name__}")
    out = where(mask, value, x)
    return out if out.dtype == x.dtype else out.to(x.dtype)


def _broadcasts(*shapes: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


# --- sorting ----------------------------------------------------------------------------------
def argsort(x: TensorLike, dim: int = -1, descending: bool = False,
            stable: bool = False) -> Tensor:
    """Indices that sort x along `dim`; equal elements keep their order (always stable);
    NaN sorts as the largest value, as PyTorch."""
    x = _tensor(x, "argsort")
    dim = normalize_dim(dim, x.ndim, "argsort", x.shape)
    if x.ndim == 0:
        return Tensor._wrap(np.zeros((), np.int64))
    if not descending:
        return Tensor._wrap(np.argsort(x.data, axis=dim, kind="stable").astype(np.int64))
    # Stable descending: sort the reversed array ascending, then reverse and map back.
    n = x.shape[dim]
    order = np.argsort(np.flip(x.data, dim), axis=dim, kind="stable")
    return Tensor._wrap((n - 1 - np.flip(order, dim)).astype(np.int64))


def sort(x: TensorLike, dim: int = -1, descending: bool = False,
         stable: bool = False) -> return_types.sort:
    """x sorted along `dim`, as the named tuple (values, indices) (torch.return_types.sort).

    Shapes: x (*s) -> values and indices (*s). Stable; the gradient flows to the sorted
    elements through `values = x.gather(dim, indices)`.
    """
    x = _tensor(x, "sort")
    indices = argsort(x, dim, descending)
    dim = normalize_dim(dim, x.ndim, "sort", x.shape)
    return return_types.sort(gather(x, dim, indices), indices)


def topk(x: TensorLike, k: int, dim: int = -1, largest: bool = True,
         sorted: bool = True) -> return_types.topk:
    """The k largest (or smallest) elements along `dim`, as (values, indices), sorted.

    Shapes: x (*s) -> values and indices (*s with s[dim] = k). Ties keep index order.
    """
    x = _tensor(x, "topk")
    dim = normalize_dim(dim, x.ndim, "topk", x.shape)
    size = x.shape[dim] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an int, got {type(k).__name__}")
    if not 0 <= k <= size:
        raise IndexError(f"topk: k={k} is out of range for dim {dim} of size {size} (shape "
                         f"{x.shape}); use 0 <= k <= {size}")
    indices = argsort(x, dim, descending=largest)
    if x.ndim:
        indices = Tensor._wrap(np.take(indices.data, np.arange(k), axis=dim))
    return return_types.topk(gather(x, dim, indices), indices)


# --- reordering -------------------------------------------------------------------------------
def flip(x: TensorLike, dims: int | Sequence[int | Sequence[int]]) -> Tensor:
    """Reverse the order of elements along `dims` (an int or a tuple). Shapes: unchanged."""
    x = _tensor(x, "flip")
    axes = normalize_dims(dims, x.ndim, "flip", x.shape)
    if not axes:
        return x
    return getitem(x, tuple(slice(None, None, -1) if d in axes else slice(None)
                            for d in range(x.ndim)))


def roll(x: TensorLike, shifts: int | Sequence[int],
         dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements along `dims` circularly (dims=None: over the flattened tensor, then
    reshaped back). `shifts` and `dims` are ints or tuples of the same length."""
    x = _tensor(x, "roll")
    shift_list = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    for s in shift_list:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"roll: shifts must be ints, got {shifts!r}")
    if dims is None:
        if len(shift_list) != 1:
            raise ValueError(f"roll: give dims for several shifts {tuple(shift_list)}")
        return reshape(roll(reshape(x, -1), shift_list[0], 0), x.shape)
    dim_list = dims if isinstance(dims, (tuple, list)) else (dims,)
    if len(dim_list) != len(shift_list):
        raise ValueError(f"roll: shifts {shifts!r} and dims {dims!r} must have the same length")
    for shift, dim in zip(shift_list, dim_list):
        axis = normalize_dim(dim, x.ndim, "roll", x.shape)
        n = x.shape[axis] if x.ndim else 1
        if x.ndim == 0 or n == 0 or shift % n == 0:
            continue
        cut = n - shift % n
        before = (slice(None),) * axis
        x = cat([getitem(x, before + (slice(cut, None),)),
                 getitem(x, before + (slice(0, cut),))], axis)
    return x


def repeat(x: TensorLike, *sizes: int | Sequence[int]) -> Tensor:
    """Tile x: `sizes[i]` copies along dim i (new leading dims when there are more sizes
    than dims), as torch.Tensor.repeat. Shapes: (*s) -> (sizes[i] * s[i], ...)."""
    x = _tensor(x, "repeat")
    sizes = shape_args(sizes, "repeat")
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: got {len(sizes)} sizes {sizes} for a tensor with {x.ndim} "
                         f"dims (shape {x.shape}); give at least one size per dim")
    if builtins.any(r < 0 for r in sizes):
        raise ValueError(f"repeat: sizes must be >= 0, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    interleaved = [m for n in shape for m in (1, n)]          # (1, s0, 1, s1, ...)
    stretched = [m for r, n in zip(sizes, shape) for m in (r, n)]   # (r0, s0, r1, s1, ...)
    out = expand(reshape(x, interleaved), stretched)
    return reshape(out, tuple(r * n for r, n in zip(sizes, shape)))


def tile(x: TensorLike, dims: int | Sequence[int | Sequence[int]]) -> Tensor:
    """repeat(x, *dims) with ones prepended to dims when x has more dims (torch.tile)."""
    x = _tensor(x, "tile")
    dims = shape_args(dims if isinstance(dims, (tuple, list)) else (dims,), "tile")
    return repeat(x, *((1,) * (x.ndim - len(dims)) + dims))


# --- matrices ---------------------------------------------------------------------------------
def diag(x: TensorLike, diagonal: int = 0) -> Tensor:
    """1-D x -> the square matrix with x on the given diagonal; 2-D x -> that diagonal.

    Shapes: (n,) -> (n + |k|, n + |k|); (r, c) -> (number of elements on diagonal k,).
    """
    x = _tensor(x, "diag")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"diag: diagonal must be an int, got {type(diagonal).__name__}")
    k = int(diagonal)
    if x.ndim == 1:
        n = x.shape[0]
        on_diagonal = np.eye(n, dtype=bool)
        square = where(on_diagonal, reshape(x, (1, n)), Tensor._wrap(np.zeros((), x.dtype)))
        offset = builtins.abs(k)
        return pad(square, ((0, offset), (offset, 0)) if k >= 0 else ((offset, 0), (0, offset)))
    if x.ndim == 2:
        rows, cols = x.shape
        start_row, start_col = (0, k) if k >= 0 else (-k, 0)
        count = builtins.max(0, builtins.min(rows - start_row, cols - start_col))
        positions = np.arange(count)
        return getitem(x, (positions + start_row, positions + start_col))
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")


def _triangle(x: TensorLike, diagonal: int, op: str, keep: Callable[..., np.ndarray]) -> Tensor:
    x = _tensor(x, op)
    if x.ndim < 2:
        raise ValueError(f"{op}: expected a tensor with at least 2 dims, got shape {x.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__}")
    mask = keep(np.ones(x.shape[-2:], dtype=bool), int(diagonal))
    return where(mask, x, Tensor._wrap(np.zeros((), x.dtype)))


def tril(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dims (on and below `diagonal`), zeros elsewhere."""
    return _triangle(x, diagonal, "tril", np.tril)


def triu(x: TensorLike, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dims (on and above `diagonal`), zeros elsewhere."""
    return _triangle(x, diagonal, "triu", np.triu)


def t(x: TensorLike) -> Tensor:
    """Transpose a 2-D tensor (0-D and 1-D are returned as they are), as torch.t."""
    x = _tensor(x, "t")
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dims, got shape {x.shape}; use "
                         "transpose(dim0, dim1) or permute")
    return transpose(x, 0, 1) if x.ndim == 2 else x


# --- splitting and shapes of others -----------------------------------------------------------
def split(x: TensorLike, split_size_or_sections: int | Sequence[int],
          dim: int = 0) -> tuple[Tensor, ...]:
    """Pieces along `dim`: of `split_size` each (the last may be smaller), or of the listed
    sizes (which must add up to the dim's size). Each piece is a differentiable view."""
    x = _tensor(x, "split")
    if x.ndim == 0:
        raise ValueError("split: a 0-d tensor cannot be split; it has no dims")
    axis = normalize_dim(dim, x.ndim, "split", x.shape)
    n = x.shape[axis]
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = shape_args(tuple(split_size_or_sections), "split")
        if builtins.any(s < 0 for s in sizes) or builtins.sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} must be >= 0 and add up to {n}, the size "
                             f"of dim {dim} (shape {x.shape})")
    else:
        (size,) = shape_args((split_size_or_sections,), "split")
        if size <= 0 and n > 0:
            raise ValueError(f"split: split_size must be > 0, got {size}")
        sizes = tuple([size] * (n // size) + ([n % size] if n % size else [])) if n else (0,)
    bounds = np.cumsum([0, *sizes])
    before = (slice(None),) * axis
    return tuple(getitem(x, before + (slice(int(a), int(b)),))
                 for a, b in zip(bounds[:-1], bounds[1:]))


def chunk(x: TensorLike, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into `chunks` pieces of ceil(size / chunks) along `dim` (possibly fewer pieces,
    the last smaller), as torch.chunk."""
    x = _tensor(x, "chunk")
    if isinstance(chunks, bool) or not isinstance(chunks, (int, np.integer)) or chunks < 1:
        raise ValueError(f"chunk: chunks must be an int >= 1, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a 0-d tensor cannot be split; it has no dims")
    axis = normalize_dim(dim, x.ndim, "chunk", x.shape)
    n = x.shape[axis]
    if n == 0:                              # as PyTorch: `chunks` empty pieces
        return split(x, [0] * int(chunks), axis)
    return split(x, -(-n // int(chunks)), axis)


def view_as(x: TensorLike, other: Tensor) -> Tensor:
    """reshape(x, other.shape)."""
    return reshape(_tensor(x, "view_as"), _tensor(other, "view_as").shape)


def expand_as(x: TensorLike, other: Tensor) -> Tensor:
    """expand(x, other.shape)."""
    return expand(_tensor(x, "expand_as"), _tensor(other, "expand_as").shape)
