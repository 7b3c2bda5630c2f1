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


def _torch():
    import torch
    return torch


# --- the table -----------------------------------------------------------------------------------
KINK = {"avoid": [0.0]}
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
    OpInfo("sliding_window", mg.sliding_window, np_sliding_window, window_case(), torch_window),
]

OPS_BY_NAME = {op.name: op for op in OPS}
