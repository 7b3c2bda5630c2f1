"""Bad input gets a clear exception naming the shapes or values involved (issue: "Bad input"),
raised before NumPy sees the data; hypothesis draws the mismatched shapes."""
import re

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minigrad as mg
from minigrad.testing import shapes

SMALL = shapes(min_dims=1, max_dims=3, min_side=1, max_side=5)


def _shape_text(shape):
    return re.escape(str(tuple(shape)))


def _broadcasts(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


@given(SMALL, SMALL, st.sampled_from(["+", "-", "*", "/", "**", "maximum"]))
def test_incompatible_broadcasting_names_both_shapes(a, b, op):
    assume(not _broadcasts(a, b))
    x, y = mg.ones(a, requires_grad=True), mg.ones(b)
    call = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y,
            "**": lambda: x ** y, "maximum": lambda: mg.maximum(x, y)}[op]
    with pytest.raises(ValueError, match=rf"cannot broadcast.*{_shape_text(a)}.*"
                                         rf"{_shape_text(b)}") as info:
        call()
    assert "equal or 1" in str(info.value)


@given(SMALL, SMALL)
def test_where_broadcast_error_names_the_shapes(a, b):
    assume(not _broadcasts(a, b))
    with pytest.raises(ValueError, match=rf"where: cannot broadcast.*{_shape_text(b)}"):
        mg.where(np.ones(a, dtype=bool), mg.ones(a), mg.ones(b))


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_matmul_inner_dimension_mismatch(n, k1, k2, m):
    assume(k1 != k2)
    with pytest.raises(ValueError, match=rf"matmul: inner dimensions differ: \({n}, {k1}\) @ "
                                         rf"\({k2}, {m}\) \({k1} != {k2}\)"):
        mg.ones(n, k1) @ mg.ones(k2, m)
    with pytest.raises(ValueError, match=rf"\({k1},\) @ \({k2},\)"):
        mg.matmul(mg.ones(k1), mg.ones(k2))


def test_matmul_needs_one_dim_and_compatible_batches():
    with pytest.raises(ValueError, match=r"at least 1 dim.*\(\) and \(2,\)"):
        mg.tensor(2.0) @ mg.ones(2)
    with pytest.raises(ValueError, match=r"matmul \(batch dims\): cannot broadcast.*\(2,\).*\(3,\)"):
        mg.ones(2, 4, 5) @ mg.ones(3, 5, 6)


@given(SMALL, SMALL)
def test_reshape_to_a_different_number_of_elements(a, b):
    assume(np.prod(a) != np.prod(b))
    x = mg.ones(a)
    with pytest.raises(ValueError, match=rf"cannot reshape a tensor of shape {_shape_text(a)} "
                                         rf"\({int(np.prod(a))} elements\) to {_shape_text(b)}"):
        x.reshape(*b)


def test_reshape_bad_minus_one():
    with pytest.raises(ValueError, match="at most one -1"):
        mg.ones(2, 3).reshape(-1, -1)
    with pytest.raises(ValueError, match=r"cannot reshape 6 elements \(shape \(2, 3\)\) to \(4, -1\)"):
        mg.ones(2, 3).reshape(4, -1)


@given(SMALL, st.integers(-8, 8), st.sampled_from(
    ["sum", "mean", "max", "min", "softmax", "log_softmax", "argmax", "squeeze", "size",
     "var", "logsumexp"]))
def test_dim_out_of_range(shape, dim, method):
    assume(not -len(shape) <= dim < len(shape))
    x = mg.ones(shape)
    pattern = rf"dim {dim} is out of range for a tensor with {len(shape)} dims \(shape " \
              rf"{_shape_text(shape)}\); use a dim in \[{-len(shape)}, {len(shape) - 1}\]"
    with pytest.raises(IndexError, match=pattern):
        getattr(x, method)(dim)


def test_other_dim_errors():
    x = mg.ones(2, 3)
    with pytest.raises(IndexError, match=r"transpose: dim 2 is out of range"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match=r"unsqueeze: dim 3 is out of range.*\[-3, 2\]"):
        x.unsqueeze(3)
    with pytest.raises(ValueError, match=r"permute: dims \(0, 0\) must list each of the 2 axes"):
        x.permute(0, 0)
    with pytest.raises(ValueError, match="names the same axis twice"):
        x.sum(dim=(1, -1))
    with pytest.raises(TypeError, match="dim must be an int"):
        x.sum(dim=1.5)
    with pytest.raises(IndexError, match=r"cat: dim 2 is out of range"):
        mg.cat([x, x], dim=2)
    with pytest.raises(ValueError, match=r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside dim 0"):
        mg.cat([x, mg.ones(2, 4)])
    with pytest.raises(ValueError, match=r"stack: all tensors must have the same shape"):
        mg.stack([x, mg.ones(3, 2)])
    with pytest.raises(ValueError, match=r"expand: cannot expand shape \(2, 3\) to \(2, 4\)"):
        x.expand(2, 4)


def test_softmax_needs_an_explicit_dim():
    with pytest.raises(TypeError, match="pass dim explicitly"):
        mg.ones(2, 3).softmax()


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_requires_grad_on_non_float_names_the_dtype(dtype):
    with pytest.raises(TypeError, match=rf"only floating-point tensors can require gradients, "
                                        rf"got dtype {np.dtype(dtype)}"):
        mg.tensor(np.zeros(2, dtype=dtype), requires_grad=True)


@given(SMALL, st.data())
def test_index_out_of_bounds_names_index_and_shape(shape, data):
    axis = data.draw(st.integers(0, len(shape) - 1))
    bad = data.draw(st.one_of(st.integers(shape[axis], shape[axis] + 5),
                              st.integers(-shape[axis] - 5, -shape[axis] - 1)))
    index = (slice(None),) * axis + (bad,)
    with pytest.raises(IndexError, match=rf"index .*{bad}.* is invalid for a tensor of shape "
                                         rf"{_shape_text(shape)}.*out of bounds"):
        mg.ones(shape)[index]
    with pytest.raises(IndexError, match=rf"shape {_shape_text(shape)}"):
        mg.ones(shape)[(slice(None),) * axis + (np.array([0, bad]),)]


def test_other_indexing_errors():
    x = mg.ones(3, 2)
    with pytest.raises(IndexError, match=r"index \[\[True, False\]\] is invalid for a tensor of "
                                         r"shape \(3, 2\)"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="must be integers or booleans, got float64"):
        x[np.array([0.0, 1.0])]
    with pytest.raises(IndexError, match=r"shape \(3, 2\)"):
        x[0, 0, 0]


def test_errors_are_raised_before_numpy_warns():
    """Validation happens at the public entry: no NumPy warnings or half-built graphs."""
    x = mg.ones(2, 3, requires_grad=True)
    with np.errstate(all="raise"):
        with pytest.raises(ValueError, match="matmul"):
            x @ x
        with pytest.raises(ValueError, match="reshape"):
            x.reshape(7)


def test_nan_propagates_through_forward_and_backward():
    x = mg.tensor([np.nan, 1.0], requires_grad=True)
    y = (x * 2).exp().sum()
    assert np.isnan(y.item())
    y.backward()
    assert np.isnan(x.grad.data[0]) and np.isfinite(x.grad.data[1])
