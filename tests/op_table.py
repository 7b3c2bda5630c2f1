"""One row per differentiable op: how to call it, a NumPy reference, the inputs to draw.

The generic tests (tests/minigrad/test_op_properties.py, tests/reference/test_ops_vs_torch.py)
loop over `OPS`; adding an op to the suite means adding a row here.

A row's `cases` strategy draws a `Case`: the Tensors (float64, requires_grad) plus keyword
arguments such as dim or shape. `fn(*tensors, **kwargs)` is the minigrad call,
`reference(*arrays, **kwargs)` the NumPy one, `torch_fn(*torch_tensors, **kwargs)` PyTorch's
(None when PyTorch has no direct equivalent). Non-smooth ops draw inputs away from their kinks
and ties (`avoid=`, `distinct=`), so a gradient check fails only for a wrong backward.
Shapes stay small (sides <= 4) so hypothesis runs fast on two cores.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad.testing import broadcastable_shapes, shapes, tensors

MAX_SIDE = 4


@dataclass
class Case:
    tensors: tuple
    kwargs: dict = field(default_factory=dict)

    def arrays(self):
        return tuple(t.data.copy() for t in self.tensors)

    def __repr__(self):
        return f"Case(shapes={[t.shape for t in self.tensors]}, kwargs={self.kwargs})"


@dataclass
class OpInfo:
    name: str
    fn: Callable
    reference: Callable
    cases: st.SearchStrategy
    torch_fn: Callable = None
    rtol: float = 1e-7
    atol: float = 1e-10
    differentiable: bool = True

    def __repr__(self):
        return self.name


# --- input strategies ---------------------------------------------------------------------------
def any_shape(min_dims=0, max_dims=3, min_side=1):
    return shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=MAX_SIDE)


def unary(**tensor_kwargs):
    """One tensor of any shape (0-d and size-1 dims included)."""
    return tensors(any_shape(), **tensor_kwargs).map(lambda t: Case((t,)))


@st.composite
def binary(draw, x_kwargs=None, y_kwargs=None):
    """Two tensors whose shapes broadcast (either may be the bigger one)."""
    shape = draw(any_shape())
    other = draw(broadcastable_shapes(shape, max_dims=3, max_side=MAX_SIDE))
    if draw(st.booleans()):
        shape, other = other, shape
    x = draw(tensors(shape, **(x_kwargs or {})))
    y = draw(tensors(other, **(y_kwargs or {})))
    return Case((x, y))


@st.composite
def binary_without_ties(draw):
    """Two broadcastable tensors with no x value within 1e-2 of any y value (max/min ties)."""
    case = draw(binary())
    x, y = case.tensors
    x = draw(tensors(x.shape, avoid=y.data.reshape(-1).tolist()))
    return Case((x, y))


@st.composite
def where_case(draw):
    cond_shape, x_shape, y_shape = draw(hnp.mutually_broadcastable_shapes(
        num_shapes=3, max_dims=3, max_side=MAX_SIDE)).input_shapes
    cond = draw(hnp.arrays(np.bool_, cond_shape))
    return Case((draw(tensors(x_shape)), draw(tensors(y_shape))), {"cond": cond})


@st.composite
def dims_for(draw, ndim, allow_none=True):
    """None, one dim (negative allowed) or a tuple of distinct dims of an `ndim`-d tensor."""
    if ndim == 0:
        return None
    options = [st.integers(-ndim, ndim - 1),
               st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                        unique=True).map(tuple)]
    if allow_none:
        options.append(st.none())
    return draw(st.one_of(*options))


def reduced_count(shape, dim):
    if dim is None:
        return int(np.prod(shape))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return int(np.prod([shape[d] for d in dims]))


@st.composite
def reduction(draw, distinct=False, min_count=1, keepdim=True):
    x = draw(tensors(any_shape(), distinct=distinct))
    dim = draw(dims_for(x.ndim))
    assume(reduced_count(x.shape, dim) >= min_count)
    kwargs = {"dim": dim}
    if keepdim:
        kwargs["keepdim"] = draw(st.booleans())
    return Case((x,), kwargs)


@st.composite
def one_dim_reduction(draw, distinct=False):
    """A tensor with at least one dim, one dim of it (negative allowed) and keepdim."""
    x = draw(tensors(any_shape(min_dims=1), distinct=distinct))
    return Case((x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1)),
                       "keepdim": draw(st.booleans())})


@st.composite
def variance_case(draw):
    case = draw(reduction(distinct=True))
    correction = draw(st.sampled_from([0, 1]))
    assume(reduced_count(case.tensors[0].shape, case.kwargs["dim"]) > max(correction, 1))
    case.kwargs["correction"] = correction
    return case


@st.composite
def along_one_dim(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    return Case((x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1))})


@st.composite
def reshape_case(draw):
    x = draw(tensors(any_shape()))
    target = list(draw(st.permutations(x.shape))) + [1] * draw(st.integers(0, 1))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return Case((x,), {"shape": tuple(target)})


@st.composite
def permute_case(draw):
    x = draw(tensors(any_shape()))
    return Case((x,), {"dims": tuple(draw(st.permutations(range(x.ndim))))})


@st.composite
def transpose_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    dim = st.integers(-x.ndim, x.ndim - 1)
    return Case((x,), {"dim0": draw(dim), "dim1": draw(dim)})


@st.composite
def flatten_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    start = draw(st.integers(0, x.ndim - 1))
    end = draw(st.integers(start, x.ndim - 1))
    return Case((x,), {"start_dim": start, "end_dim": end - x.ndim * draw(st.booleans())})


@st.composite
def squeeze_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    return Case((x,), {"dim": draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1)))})


@st.composite
def unsqueeze_case(draw):
    x = draw(tensors(any_shape()))
    return Case((x,), {"dim": draw(st.integers(-x.ndim - 1, x.ndim))})


@st.composite
def expand_case(draw):
    x = draw(tensors(any_shape()))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    kept = [draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1]))
            for n in x.shape]
    return Case((x,), {"shape": tuple(lead + kept)})


@st.composite
def cat_case(draw):
    base = list(draw(any_shape(min_dims=1)))
    dim = draw(st.integers(-len(base), len(base) - 1))
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        shape = list(base)
        shape[dim] = draw(st.integers(1, 3))
        parts.append(draw(tensors(tuple(shape))))
    return Case(tuple(parts), {"dim": dim})


@st.composite
def stack_case(draw):
    shape = draw(any_shape())
    parts = tuple(draw(tensors(shape)) for _ in range(draw(st.integers(1, 3))))
    return Case(parts, {"dim": draw(st.integers(-len(shape) - 1, len(shape)))})


@st.composite
def pad_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    widths = tuple((draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(x.ndim))
    return Case((x,), {"pad_width": widths, "value": draw(st.sampled_from([0.0, -1.5]))})


@st.composite
def basic_index_case(draw):
    x = draw(tensors(any_shape()))
    index = draw(hnp.basic_indices(x.shape, allow_newaxis=True, allow_ellipsis=True))
    return Case((x,), {"index": index})


@st.composite
def integer_index_case(draw):
    """Integer-array indices, repeats included (their gradients must accumulate)."""
    x = draw(tensors(any_shape(min_dims=1)))
    index = draw(hnp.integer_array_indices(x.shape, result_shape=any_shape(max_dims=2)))
    return Case((x,), {"index": index})


@st.composite
def mask_index_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    leading = draw(st.integers(1, x.ndim))
    mask = draw(hnp.arrays(np.bool_, x.shape[:leading]))
    return Case((x,), {"index": mask})


@st.composite
def matmul_case(draw):
    """Shapes from the gufunc signature of matmul: 1-D operands and batch broadcasting."""
    x_shape, y_shape = draw(hnp.mutually_broadcastable_shapes(
        signature="(m?,n),(n,p?)->(m?,p?)", max_dims=4, max_side=MAX_SIDE)).input_shapes
    return Case((draw(tensors(x_shape)), draw(tensors(y_shape))))


@st.composite
def linear_case(draw):
    """x (*, in), weight (out, in) and, or not, bias (out,): nn.functional.linear's shapes."""
    lead = draw(st.lists(st.integers(1, MAX_SIDE), max_size=2).map(tuple))
    n_in, n_out = draw(st.integers(1, MAX_SIDE)), draw(st.integers(1, MAX_SIDE))
    operands = [draw(tensors(lead + (n_in,))), draw(tensors((n_out, n_in)))]
    if draw(st.booleans()):
        operands.append(draw(tensors((n_out,))))
    return Case(tuple(operands))


@st.composite
def addmm_case(draw):
    """input broadcastable to (n, m), mat1 (n, k), mat2 (k, m); beta and alpha as keywords."""
    n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    input_shape = draw(st.sampled_from([(n, m), (n, 1), (1, m), (m,), ()]))
    operands = (draw(tensors(input_shape)), draw(tensors((n, k))), draw(tensors((k, m))))
    kwargs = {}
    if draw(st.booleans()):
        kwargs = {"beta": draw(st.sampled_from([0.0, 0.5, 2])),
                  "alpha": draw(st.sampled_from([1, -1.5]))}
    return Case(operands, kwargs)


@st.composite
def window_case(draw):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = ((draw(st.integers(0, 1)), draw(st.integers(0, 2))),
               (draw(st.integers(0, 2)), draw(st.integers(0, 1))))
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)),
             draw(st.integers(1, 5)), draw(st.integers(1, 5)))
    for axis in range(2):
        span = dilation[axis] * (kernel[axis] - 1) + 1
        assume(shape[2 + axis] + sum(padding[axis]) >= span)
    x = draw(tensors(shape))
    return Case((x,), {"kernel_size": kernel, "stride": stride, "dilation": dilation,
                       "padding": padding, "value": draw(st.sampled_from([0.0, 2.5]))})


@st.composite
def conv2d_case(draw):
    """Input, weight and (maybe) bias of a conv2d whose window fits, with symmetric padding
    (what torch's conv2d takes), a stride, a dilation and groups."""
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    size = [draw(st.integers(1, 5)) for _ in range(2)]
    for axis in range(2):
        assume(size[axis] + 2 * padding[axis] >= dilation[axis] * (kernel[axis] - 1) + 1)
    x = draw(tensors((draw(st.integers(1, 2)), c_in, *size)))
    weight = draw(tensors((c_out, c_in // groups) + kernel))
    arguments = (x, weight, draw(tensors((c_out,)))) if draw(st.booleans()) else (x, weight)
    return Case(arguments, {"stride": stride, "padding": padding, "dilation": dilation,
                            "groups": groups})


def im2col_case():
    """window_case without the padding value (im2col pads with zeros)."""
    return window_case().map(lambda case: Case(case.tensors, {k: v for k, v in case.kwargs.items()
                                                            if k != "value"}))


# --- strategies for the PyTorch-breadth ops (gather/scatter, sorting, einsum, ...) -------------
@st.composite
def gather_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    shape = [draw(st.integers(1, n)) if d != dim % x.ndim else draw(st.integers(1, MAX_SIDE))
             for d, n in enumerate(x.shape)]
    assume(all(n > 0 for n in x.shape))
    index = draw(hnp.arrays(np.int64, tuple(shape),
                            elements=st.integers(0, x.shape[dim] - 1)))
    return Case((x,), {"dim": dim, "index": index})


@st.composite
def scatter_case(draw, unique=True):
    """x, src and an index; with unique=True no two entries of a line along dim collide."""
    x = draw(tensors(any_shape(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    axis = dim % x.ndim
    n = x.shape[axis]
    shape = [draw(st.integers(1, m)) for m in x.shape]
    if unique:
        order = np.argsort(draw(hnp.arrays(np.float64, tuple(s if d != axis else n for d, s
                                                              in enumerate(shape)),
                                           elements=st.floats(0, 1), unique=False)), axis=axis,
                           kind="stable")
        index = np.take(order, np.arange(shape[axis]), axis=axis).astype(np.int64)
    else:
        index = draw(hnp.arrays(np.int64, tuple(shape), elements=st.integers(0, n - 1)))
    # src of index's shape: PyTorch's backward refuses a larger src (minigrad gives its unused
    # part a zero gradient; tests/minigrad/test_torch_breadth.py checks that)
    return Case((x, draw(tensors(tuple(shape)))), {"dim": dim, "index": index})


@st.composite
def masked_fill_case(draw):
    x = draw(tensors(any_shape()))
    mask_shape = draw(broadcastable_shapes(x.shape, max_dims=x.ndim, max_side=MAX_SIDE))
    assume(np.broadcast_shapes(mask_shape, x.shape) == x.shape)
    return Case((x,), {"mask": draw(hnp.arrays(np.bool_, mask_shape)),
                       "value": draw(st.sampled_from([0.0, -2.5]))})


@st.composite
def sort_case(draw):
    x = draw(tensors(any_shape(min_dims=1), distinct=True))
    return Case((x,), {"dim": draw(st.integers(-x.ndim, x.ndim - 1)),
                       "descending": draw(st.booleans())})


@st.composite
def topk_case(draw):
    x = draw(tensors(any_shape(min_dims=1), distinct=True))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    return Case((x,), {"k": draw(st.integers(0, x.shape[dim])), "dim": dim,
                       "largest": draw(st.booleans())})


@st.composite
def flip_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    dims = draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim, unique=True))
    return Case((x,), {"dims": tuple(dims)})


@st.composite
def roll_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    if draw(st.booleans()):
        return Case((x,), {"shifts": draw(st.integers(-5, 5)), "dims": None})
    dims = draw(st.lists(st.integers(-x.ndim, x.ndim - 1), min_size=1, max_size=2))
    shifts = tuple(draw(st.integers(-5, 5)) for _ in dims)
    return Case((x,), {"shifts": shifts, "dims": tuple(dims)})


@st.composite
def repeat_case(draw):
    x = draw(tensors(any_shape(max_dims=2)))
    extra = draw(st.integers(0 if x.ndim else 1, 1))            # torch: x.repeat() needs a size
    sizes = tuple(draw(st.integers(1, 3)) for _ in range(x.ndim + extra))
    return Case((x,), {"sizes": sizes})


@st.composite
def tile_case(draw):
    x = draw(tensors(any_shape(max_dims=3)))
    return Case((x,), {"dims": tuple(draw(st.integers(1, 2))
                                     for _ in range(draw(st.integers(1, 3))))})


@st.composite
def diag_case(draw):
    x = draw(tensors(any_shape(min_dims=1, max_dims=2)))
    return Case((x,), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def triangle_case(draw):
    x = draw(tensors(any_shape(min_dims=2)))
    return Case((x,), {"diagonal": draw(st.integers(-2, 2))})


@st.composite
def split_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    size = draw(st.integers(1, 4))
    pieces = -(-x.shape[dim] // size)
    return Case((x,), {"size": size, "dim": dim, "piece": draw(st.integers(0, pieces - 1))})


@st.composite
def chunk_case(draw):
    x = draw(tensors(any_shape(min_dims=1)))
    dim = draw(st.integers(-x.ndim, x.ndim - 1))
    chunks = draw(st.integers(1, 4))
    size = -(-x.shape[dim] // chunks)                       # torch.chunk's piece size
    count = -(-x.shape[dim] // size)
    return Case((x,), {"chunks": chunks, "dim": dim, "piece": draw(st.integers(0, count - 1))})


@st.composite
def mm_case(draw, batched=False):
    n, k, m = (draw(st.integers(1, MAX_SIDE)) for _ in range(3))
    lead = (draw(st.integers(1, 3)),) if batched else ()
    return Case((draw(tensors(lead + (n, k))), draw(tensors(lead + (k, m)))))


EINSUM_EQUATIONS = ["ij,jk->ik", "bij,bjk->bik", "ii->i", "ii->", "ij->ji", "i,j->ij", "ij->",
                    "...ij,...jk->...ik", "ijk,ik->j", "ij,ij->i", "iij->j", "ij,jk,kl->il",
                    "ij,jk"]


@st.composite
def einsum_case(draw):
    equation = draw(st.sampled_from(EINSUM_EQUATIONS))
    sizes = {letter: draw(st.integers(1, 3)) for letter in "bijkl"}
    batch = tuple(draw(st.integers(1, 2)) for _ in range(draw(st.integers(0, 2))))
    terms = equation.split("->")[0].split(",")
    shapes = [(batch if term.startswith("...") else ()) +
              tuple(sizes[c] for c in term.replace("...", "")) for term in terms]
    return Case(tuple(draw(tensors(s)) for s in shapes), {"equation": equation})


@st.composite
def prod_case(draw):
    x = draw(tensors(any_shape()))
    dim = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1))) if x.ndim else None
    return Case((x,), {"dim": dim, "keepdim": draw(st.booleans())})


@st.composite
def norm_case(draw):
    p = draw(st.sampled_from([2, "fro", 1, 3, 1.5, np.inf, -np.inf]))
    # |x| has a kink at 0 (a norm of one element is |x|); inf-norms pick one element: no ties
    x = draw(tensors(any_shape(), distinct=p in (np.inf, -np.inf), min_value=0.1
                     if p in (np.inf, -np.inf) else -3.0, avoid=[0.0], margin=0.1))
    return Case((x,), {"p": p, "dim": draw(dims_for(x.ndim)), "keepdim": draw(st.booleans())})


# --- NumPy references (written independently of minigrad's code) --------------------------------
def np_reduce(function):
    def reference(x, dim=None, keepdim=False):
        return function(x, axis=dim, keepdims=keepdim)
    return reference


def np_logsumexp(x, dim=None, keepdim=False):
    peak = np.max(x, axis=dim, keepdims=True)
    out = np.log(np.sum(np.exp(x - peak), axis=dim, keepdims=True)) + peak
    return out if keepdim else np.squeeze(out, axis=dim)


def np_softmax(x, dim):
    e = np.exp(x - np.max(x, axis=dim, keepdims=True))
    return e / e.sum(axis=dim, keepdims=True)


def np_sliding_window(x, kernel_size, stride, dilation, padding, value):
    """Loop reference: out[n, c, oh, ow, i, j] = padded[n, c, oh*SH + i*DH, ow*SW + j*DW]."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    padded = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=value)
    oh = (padded.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (padded.shape[3] - dw * (kw - 1) - 1) // sw + 1
    out = np.empty(x.shape[:2] + (oh, ow, kh, kw), dtype=x.dtype)
    for r in range(oh):
        for c in range(ow):
            for i in range(kh):
                for j in range(kw):
                    out[:, :, r, c, i, j] = padded[:, :, r * sh + i * dh, c * sw + j * dw]
    return out


def np_im2col(x, kernel_size, stride, dilation, padding):
    """(N, C, OH, OW, KH, KW) windows -> (C*KH*KW, OH*OW*N) columns, batch last."""
    windows = np_sliding_window(x, kernel_size, stride, dilation, padding, 0.0)
    n, c, oh, ow, kh, kw = windows.shape
    return windows.transpose(1, 4, 5, 2, 3, 0).reshape(c * kh * kw, oh * ow * n)


def np_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Per group: kernels (C_out/G, C/G*KH*KW) @ im2col columns, + bias; back to NCHW."""
    n, c_out = x.shape[0], weight.shape[0]
    pads = ((padding[0], padding[0]), (padding[1], padding[1]))
    windows = np_sliding_window(x, weight.shape[2:], stride, dilation, pads, 0.0)
    oh, ow = windows.shape[2:4]
    columns = np_im2col(x, weight.shape[2:], stride, dilation, pads)   # (C*KH*KW, OH*OW*N)
    rows = columns.reshape(groups, -1, columns.shape[1])
    kernels = weight.reshape(groups, c_out // groups, -1)
    out = (kernels @ rows).reshape(c_out, -1)
    if bias is not None:
        out = out + bias[:, None]
    return out.reshape(c_out, oh, ow, n).transpose(3, 0, 1, 2)


def np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    return np.squeeze(x, axis=dim) if x.shape[dim] == 1 else x


def np_flatten(x, start_dim, end_dim):
    end = end_dim % x.ndim
    return x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end + 1:])


def np_expand(x, shape):
    lead = len(shape) - x.ndim
    target = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(shape))
    return np.broadcast_to(x, target)


def torch_reduce(name):
    def call(x, dim=None, keepdim=False, **kwargs):
        if dim is None:
            dim = tuple(range(x.ndim))
        return getattr(x, name)(dim=dim, keepdim=keepdim, **kwargs)
    return call


def torch_tensor_index(index):
    """A NumPy-style index for torch (arrays become tensors)."""
    import torch
    parts = index if isinstance(index, tuple) else (index,)
    converted = tuple(torch.from_numpy(p) if isinstance(p, np.ndarray) else p for p in parts)
    return converted if isinstance(index, tuple) else converted[0]


def torch_basic_index(x, index):
    """torch has no negative slice steps: gather the same elements through flat positions."""
    import torch
    positions = np.arange(x.numel()).reshape(tuple(x.shape))[index]
    return x.reshape(-1)[torch.from_numpy(np.array(positions))]


def torch_pad(x, pad_width, value):
    import torch
    flat = [w for pair in reversed(pad_width) for w in pair]
    return torch.nn.functional.pad(x, flat, value=value) if flat else x.clone()


def torch_window(x, kernel_size, stride, dilation, padding, value):
    """unfold gives (N, C*KH*KW, OH*OW); reorder to (N, C, OH, OW, KH, KW)."""
    import torch
    (top, bottom), (left, right) = padding
    padded = torch.nn.functional.pad(x, (left, right, top, bottom), value=value)
    n, c = x.shape[:2]
    kh, kw = kernel_size
    cols = torch.nn.functional.unfold(padded, kernel_size, dilation=dilation, stride=stride)
    oh = (padded.shape[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (padded.shape[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    return cols.reshape(n, c, kh, kw, oh, ow).permute(0, 1, 4, 5, 2, 3)


def torch_im2col(x, kernel_size, stride, dilation, padding):
    windows = torch_window(x, kernel_size, stride, dilation, padding, 0.0)
    n, c, oh, ow, kh, kw = windows.shape
    return windows.permute(1, 4, 5, 2, 3, 0).reshape(c * kh * kw, oh * ow * n)


def torch_conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    import torch
    return torch.nn.functional.conv2d(x, weight, bias, stride, padding, dilation, groups)


def resolved(shape, target):
    """`target` with its -1 worked out for `shape`."""
    return np.empty(shape).reshape(target).shape


def np_gather(x, dim, index):
    out = np.empty(index.shape, x.dtype)
    for position in np.ndindex(index.shape):
        source = list(position)
        source[dim] = index[position]
        out[position] = x[tuple(source)]
    return out


def np_scatter(x, src, dim, index, add=False):
    out = x.copy()
    for position in np.ndindex(index.shape):
        target = list(position)
        target[dim] = index[position]
        if add:
            out[tuple(target)] += src[position]
        else:
            out[tuple(target)] = src[position]
    return out


def np_sort(x, dim, descending):
    out = np.sort(x, axis=dim)
    return np.flip(out, dim) if descending else out


def np_topk(x, k, dim, largest):
    ordered = np_sort(x, dim, largest)
    return np.take(ordered, np.arange(k), axis=dim)


def np_repeat(x, sizes):
    return np.tile(x, sizes)


def np_diag(x, diagonal):
    return np.diag(x, diagonal)


def np_piece(x, bounds, dim, piece):
    return np.split(x, bounds, axis=dim)[piece]


def np_split(x, size, dim, piece):
    return np_piece(x, list(range(size, x.shape[dim], size)), dim, piece)


def np_chunk(x, chunks, dim, piece):
    return np_split(x, -(-x.shape[dim] // chunks), dim, piece)


def np_prod(x, dim, keepdim):
    if dim is None:
        out = np.prod(x)
        return out.reshape((1,) * x.ndim) if keepdim else out
    return np.prod(x, axis=dim, keepdims=keepdim)


def np_norm(x, p, dim, keepdim):
    p = 2 if p == "fro" else p
    if p == np.inf:
        return np.max(np.abs(x), axis=dim, keepdims=keepdim)
    if p == -np.inf:
        return np.min(np.abs(x), axis=dim, keepdims=keepdim)
    return np.sum(np.abs(x) ** p, axis=dim, keepdims=keepdim) ** (1 / p)


def torch_norm(x, p, dim, keepdim):
    torch = _torch()
    dim = tuple(range(x.ndim)) if dim is None else dim
    return torch.linalg.vector_norm(x, 2 if p == "fro" else p, dim=dim, keepdim=keepdim)


def torch_index(array):
    return _torch().from_numpy(array)


def _torch():
    import torch
    return torch


# --- the table -----------------------------------------------------------------------------------
KINK = {"avoid": [0.0]}
STEPS = [float(k) for k in range(-3, 4)]
HALVES = [k + 0.5 for k in range(-4, 4)]
OPS = [
    # elementwise, unary
    OpInfo("neg", lambda x: -x, np.negative, unary(), lambda x: -x),
    OpInfo("exp", mg.exp, np.exp, unary(), lambda x: x.exp()),
    OpInfo("log", mg.log, np.log, unary(min_value=0.1), lambda x: x.log()),
    OpInfo("sqrt", mg.sqrt, np.sqrt, unary(min_value=0.1), lambda x: x.sqrt()),
    OpInfo("tanh", mg.tanh, np.tanh, unary(), lambda x: x.tanh()),
    OpInfo("sigmoid", mg.sigmoid, lambda x: 1 / (1 + np.exp(-x)), unary(min_value=-20,
           max_value=20), lambda x: x.sigmoid()),
    OpInfo("relu", mg.relu, lambda x: np.maximum(x, 0), unary(**KINK), lambda x: x.relu()),
    OpInfo("abs", mg.abs, np.abs, unary(**KINK), lambda x: x.abs()),
    OpInfo("clamp", lambda x: x.clamp(-0.5, 0.7), lambda x: np.clip(x, -0.5, 0.7),
           unary(avoid=[-0.5, 0.7]), lambda x: x.clamp(-0.5, 0.7)),
    OpInfo("clamp_min", lambda x: mg.clamp(x, min=0.25), lambda x: np.maximum(x, 0.25),
           unary(avoid=[0.25]), lambda x: x.clamp(min=0.25)),
    OpInfo("pow_int", lambda x: x ** 3, lambda x: x ** 3, unary(), lambda x: x ** 3),
    OpInfo("pow_frac", lambda x: x.pow(2.5), lambda x: x ** 2.5, unary(min_value=0.1),
           lambda x: x.pow(2.5)),
    OpInfo("pow_negative", lambda x: mg.pow(x, -1), lambda x: x ** -1.0,
           unary(avoid=[0.0], margin=0.3), lambda x: x ** -1),
    OpInfo("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x, unary(), lambda x: 2.0 ** x),
    OpInfo("rdiv", lambda x: 1.5 / x, lambda x: 1.5 / x, unary(avoid=[0.0], margin=0.3),
           lambda x: 1.5 / x),
    OpInfo("rsub", lambda x: 2 - x, lambda x: 2 - x, unary(), lambda x: 2 - x),
    # elementwise, binary with broadcasting
    OpInfo("add", lambda x, y: x + y, np.add, binary(), lambda x, y: x + y),
    OpInfo("sub", lambda x, y: x - y, np.subtract, binary(), lambda x, y: x - y),
    OpInfo("mul", lambda x, y: x * y, np.multiply, binary(), lambda x, y: x * y),
    OpInfo("div", lambda x, y: x / y, np.divide, binary(y_kwargs={"avoid": [0.0], "margin": 0.3}),
           lambda x, y: x / y),
    OpInfo("pow_tensor", lambda x, y: x ** y, np.power,
           binary(x_kwargs={"min_value": 0.5}, y_kwargs={"min_value": -2, "max_value": 2}),
           lambda x, y: x ** y),
    OpInfo("maximum", mg.maximum, np.maximum, binary_without_ties(),
           lambda x, y: _torch().maximum(x, y)),
    OpInfo("minimum", lambda x, y: x.minimum(y), np.minimum, binary_without_ties(),
           lambda x, y: _torch().minimum(x, y)),
    OpInfo("where", lambda x, y, cond: mg.where(cond, x, y),
           lambda x, y, cond: np.where(cond, x, y), where_case(),
           lambda x, y, cond: _torch().where(_torch().from_numpy(cond), x, y)),
    # reductions
    OpInfo("sum", lambda x, **k: x.sum(**k), np_reduce(np.sum), reduction(),
           torch_reduce("sum")),
    OpInfo("mean", lambda x, **k: mg.mean(x, **k), np_reduce(np.mean), reduction(),
           torch_reduce("mean")),
    OpInfo("amax", lambda x, **k: x.amax(**k), np_reduce(np.max), reduction(distinct=True),
           torch_reduce("amax")),
    OpInfo("amin", lambda x, **k: mg.amin(x, **k), np_reduce(np.min), reduction(distinct=True),
           torch_reduce("amin")),
    OpInfo("max", lambda x: x.max(), np.max, unary(distinct=True), lambda x: x.max()),
    OpInfo("max_dim", lambda x, dim, keepdim: mg.max(x, dim, keepdim).values,
           lambda x, dim, keepdim: np.max(x, axis=dim, keepdims=keepdim),
           one_dim_reduction(distinct=True), lambda x, dim, keepdim: x.max(dim, keepdim).values),
    OpInfo("min_dim", lambda x, dim, keepdim: x.min(dim=dim, keepdim=keepdim)[0],
           lambda x, dim, keepdim: np.min(x, axis=dim, keepdims=keepdim),
           one_dim_reduction(distinct=True), lambda x, dim, keepdim: x.min(dim, keepdim)[0]),
    OpInfo("var", lambda x, **k: x.var(**k),
           lambda x, dim, keepdim, correction: np.var(x, axis=dim, keepdims=keepdim,
                                                      ddof=correction),
           variance_case(), torch_reduce("var")),
    OpInfo("std", lambda x, **k: mg.std(x, **k),
           lambda x, dim, keepdim, correction: np.std(x, axis=dim, keepdims=keepdim,
                                                      ddof=correction),
           variance_case(), torch_reduce("std")),
    OpInfo("logsumexp", lambda x, **k: x.logsumexp(**k), np_logsumexp, reduction(),
           torch_reduce("logsumexp")),
    OpInfo("softmax", lambda x, dim: x.softmax(dim), np_softmax, along_one_dim(),
           lambda x, dim: x.softmax(dim)),
    OpInfo("log_softmax", lambda x, dim: mg.log_softmax(x, dim=dim),
           lambda x, dim: np.log(np_softmax(x, dim)), along_one_dim(),
           lambda x, dim: x.log_softmax(dim)),
    # shape and indexing
    OpInfo("reshape", lambda x, shape: x.reshape(*shape), lambda x, shape: x.reshape(shape),
           reshape_case(), lambda x, shape: x.reshape(shape)),
    OpInfo("view", lambda x, shape: mg.view(x, shape), lambda x, shape: x.reshape(shape),
           reshape_case(), lambda x, shape: x.reshape(shape)),
    OpInfo("permute", lambda x, dims: x.permute(*dims), lambda x, dims: np.transpose(x, dims),
           permute_case(),
           lambda x, dims: x.permute(dims)),
    OpInfo("transpose", lambda x, dim0, dim1: x.transpose(dim0, dim1),
           lambda x, dim0, dim1: np.swapaxes(x, dim0, dim1), transpose_case(),
           lambda x, dim0, dim1: x.transpose(dim0, dim1)),
    OpInfo("T", lambda x: x.T, np.transpose, unary(), lambda x: x.permute(tuple(reversed(range(x.ndim))))),
    OpInfo("flatten", lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim), np_flatten,
           flatten_case(), lambda x, start_dim, end_dim: x.flatten(start_dim, end_dim)),
    OpInfo("squeeze", lambda x, dim: x.squeeze(dim), np_squeeze, squeeze_case(),
           lambda x, dim: x.squeeze() if dim is None else x.squeeze(dim)),
    OpInfo("unsqueeze", lambda x, dim: x.unsqueeze(dim),
           lambda x, dim: np.expand_dims(x, dim), unsqueeze_case(),
           lambda x, dim: x.unsqueeze(dim)),
    OpInfo("expand", lambda x, shape: x.expand(*shape), np_expand, expand_case(),
           lambda x, shape: x.expand(shape)),
    OpInfo("cat", lambda *xs, dim: mg.cat(list(xs), dim=dim),
           lambda *xs, dim: np.concatenate(xs, axis=dim), cat_case(),
           lambda *xs, dim: _torch().cat(xs, dim=dim)),
    OpInfo("stack", lambda *xs, dim: mg.stack(xs, dim=dim),
           lambda *xs, dim: np.stack(xs, axis=dim), stack_case(),
           lambda *xs, dim: _torch().stack(xs, dim=dim)),
    OpInfo("pad", lambda x, pad_width, value: mg.pad(x, pad_width, value),
           lambda x, pad_width, value: np.pad(x, pad_width, constant_values=value),
           pad_case(), torch_pad),
    OpInfo("getitem_basic", lambda x, index: x[index], lambda x, index: x[index],
           basic_index_case(), torch_basic_index),
    OpInfo("getitem_integer", lambda x, index: x[index], lambda x, index: x[index],
           integer_index_case(), lambda x, index: x[torch_tensor_index(index)]),
    OpInfo("getitem_mask", lambda x, index: x[index], lambda x, index: x[index],
           mask_index_case(), lambda x, index: x[torch_tensor_index(index)]),
    # linear algebra and windows
    OpInfo("matmul", lambda x, y: x @ y, np.matmul, matmul_case(), lambda x, y: x @ y),
    OpInfo("addmm", mg.addmm, lambda i, a, b, beta=1, alpha=1: beta * i + alpha * (a @ b),
           addmm_case(), lambda i, a, b, **kw: _torch().addmm(i, a, b, **kw)),
    OpInfo("linear", lambda *operands: mg.linear(*operands),
           lambda x, w, b=0.0: x @ w.T + b, linear_case(),
           lambda *operands: _torch().nn.functional.linear(*operands)),
    OpInfo("sliding_window", mg.sliding_window, np_sliding_window, window_case(), torch_window),
    OpInfo("im2col", mg.im2col, np_im2col, im2col_case(), torch_im2col),
    OpInfo("conv2d", mg.conv2d, np_conv2d, conv2d_case(), torch_conv2d),
    # PyTorch breadth: pointwise
    OpInfo("sin", mg.sin, np.sin, unary(), lambda x: x.sin()),
    OpInfo("cos", lambda x: x.cos(), np.cos, unary(), lambda x: x.cos()),
    OpInfo("sign", mg.sign, np.sign, unary(**KINK), lambda x: x.sign()),
    OpInfo("floor", lambda x: x.floor(), np.floor, unary(avoid=STEPS), lambda x: x.floor()),
    OpInfo("ceil", mg.ceil, np.ceil, unary(avoid=STEPS), lambda x: x.ceil()),
    OpInfo("round", lambda x: mg.round(x), np.round, unary(avoid=HALVES), lambda x: x.round()),
    OpInfo("nan_to_num", lambda x: x.nan_to_num(), np.nan_to_num, unary(),
           lambda x: x.nan_to_num()),
    OpInfo("clone", mg.clone, np.copy, unary(), lambda x: x.clone()),
    # PyTorch breadth: selection
    OpInfo("gather", lambda x, dim, index: x.gather(dim, mg.tensor(index)), np_gather,
           gather_case(), lambda x, dim, index: x.gather(dim, torch_index(index))),
    OpInfo("scatter", lambda x, src, dim, index: mg.scatter(x, dim, mg.tensor(index), src),
           np_scatter, scatter_case(),
           lambda x, src, dim, index: x.scatter(dim, torch_index(index), src)),
    OpInfo("scatter_add", lambda x, src, dim, index: x.scatter_add(dim, mg.tensor(index), src),
           lambda x, src, dim, index: np_scatter(x, src, dim, index, add=True),
           scatter_case(unique=False),
           lambda x, src, dim, index: x.scatter_add(dim, torch_index(index), src)),
    OpInfo("masked_fill", lambda x, mask, value: x.masked_fill(mg.tensor(mask), value),
           lambda x, mask, value: np.where(mask, value, x), masked_fill_case(),
           lambda x, mask, value: x.masked_fill(torch_index(mask), value)),
    OpInfo("sort", lambda x, dim, descending: x.sort(dim, descending).values, np_sort,
           sort_case(), lambda x, dim, descending: x.sort(dim, descending).values),
    OpInfo("topk", lambda x, **k: mg.topk(x, **k)[0], np_topk, topk_case(),
           lambda x, **k: x.topk(**k)[0]),
    OpInfo("flip", lambda x, dims: x.flip(dims), lambda x, dims: np.flip(x, dims), flip_case(),
           lambda x, dims: x.flip(dims)),
    OpInfo("roll", lambda x, shifts, dims: mg.roll(x, shifts, dims),
           lambda x, shifts, dims: np.roll(x, shifts, dims), roll_case(),
           lambda x, shifts, dims: x.roll(shifts, dims)),
    OpInfo("repeat", lambda x, sizes: x.repeat(*sizes), np_repeat, repeat_case(),
           lambda x, sizes: x.repeat(*sizes)),
    OpInfo("tile", lambda x, dims: mg.tile(x, dims), lambda x, dims: np.tile(x, dims),
           tile_case(), lambda x, dims: x.tile(dims)),
    OpInfo("diag", lambda x, diagonal: x.diag(diagonal), np_diag, diag_case(),
           lambda x, diagonal: x.diag(diagonal)),
    OpInfo("tril", lambda x, diagonal: x.tril(diagonal), lambda x, diagonal: np.tril(x, diagonal),
           triangle_case(), lambda x, diagonal: x.tril(diagonal)),
    OpInfo("triu", lambda x, diagonal: mg.triu(x, diagonal),
           lambda x, diagonal: np.triu(x, diagonal), triangle_case(),
           lambda x, diagonal: x.triu(diagonal)),
    OpInfo("t", lambda x: x.t(), np.transpose, tensors(any_shape(max_dims=2)).map(
           lambda x: Case((x,))), lambda x: x.t()),
    OpInfo("split", lambda x, size, dim, piece: x.split(size, dim)[piece], np_split,
           split_case(), lambda x, size, dim, piece: x.split(size, dim)[piece]),
    OpInfo("chunk", lambda x, chunks, dim, piece: mg.chunk(x, chunks, dim)[piece], np_chunk,
           chunk_case(), lambda x, chunks, dim, piece: x.chunk(chunks, dim)[piece]),
    OpInfo("view_as", lambda x, shape: x.view_as(mg.zeros(resolved(x.shape, shape))),
           lambda x, shape: x.reshape(shape), reshape_case(),
           lambda x, shape: x.view_as(_torch().zeros(resolved(tuple(x.shape), shape)))),
    OpInfo("expand_as", lambda x, shape: x.expand_as(mg.zeros(np_expand(np.zeros(x.shape),
                                                                          shape).shape)),
           np_expand, expand_case(),
           lambda x, shape: x.expand_as(_torch().zeros(np_expand(np.zeros(x.shape),
                                                                 shape).shape))),
    # PyTorch breadth: products, scans, norms
    OpInfo("mm", mg.mm, np.matmul, mm_case(), lambda x, y: x.mm(y)),
    OpInfo("bmm", lambda x, y: x.bmm(y), np.matmul, mm_case(batched=True),
           lambda x, y: _torch().bmm(x, y)),
    OpInfo("einsum", lambda *xs, equation: mg.einsum(equation, *xs),
           lambda *xs, equation: np.einsum(equation, *xs), einsum_case(),
           lambda *xs, equation: _torch().einsum(equation, *xs)),
    OpInfo("prod", lambda x, dim, keepdim: x.prod(dim, keepdim), np_prod, prod_case(),
           lambda x, dim, keepdim: x.prod() if dim is None and not keepdim else
           x.prod().reshape((1,) * x.ndim) if dim is None else x.prod(dim, keepdim)),
    OpInfo("cumsum", lambda x, dim: mg.cumsum(x, dim),
           lambda x, dim: np.cumsum(x, axis=dim) if x.ndim else x, along_one_dim(),
           lambda x, dim: x.cumsum(dim)),
    OpInfo("norm", lambda x, **k: x.norm(**k), np_norm, norm_case(), torch_norm),
]

OPS_BY_NAME = {op.name: op for op in OPS}
