"""The Tensor surface: creation, dtype rules, attributes, operators, comparisons, methods,
and the edge cases beside the op properties (0-d, empty, NaN, huge logits)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import Tensor
from minigrad.testing import shapes, tensors


# --- creation and dtypes ------------------------------------------------------------------------
@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2]], np.int64), (True, np.bool_),
    ([1, 2.5], np.float32), (np.arange(3, dtype=np.float64), np.float64),
    (np.arange(3, dtype=np.int32), np.int32), (np.array([1.0], dtype=np.float16), np.float16),
])
def test_dtype_rules(data, dtype):
    assert mg.tensor(data).dtype == dtype
    assert Tensor(data).dtype == dtype


def test_tensor_copies_but_Tensor_wraps():
    source = np.zeros(3)
    copied, wrapped = mg.tensor(source), Tensor(source)
    source[0] = 7.0
    assert copied.data[0] == 0.0 and wrapped.data[0] == 7.0
    again = mg.tensor(copied)
    assert not np.shares_memory(again.data, copied.data)


def test_explicit_dtype_and_requires_grad():
    t = mg.tensor([1, 2], dtype=np.float64, requires_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.is_leaf and t.grad is None


@pytest.mark.parametrize("make", [mg.zeros, mg.ones])
def test_zeros_ones_shape_forms(make):
    a, b = make(2, 3), make((2, 3))
    assert a.shape == b.shape == (2, 3) and a.dtype == np.float32
    assert make(()).shape == () and make(0).shape == (0,)
    assert make(2, dtype=np.int64).dtype == np.int64
    with pytest.raises(ValueError, match="negative size"):
        make(2, -1)


def test_full_like_and_arange():
    np.testing.assert_array_equal(mg.full((2, 2), 3.5).data, np.full((2, 2), 3.5))
    assert mg.full(3, 1).dtype == np.float32
    base = mg.tensor(np.ones((2, 3), dtype=np.float64))
    assert mg.zeros_like(base).dtype == np.float64 and mg.ones_like(base).shape == (2, 3)
    assert mg.zeros_like(base).data.sum() == 0 and mg.ones_like(base).data.sum() == 6
    np.testing.assert_array_equal(mg.arange(4).data, [0, 1, 2, 3])
    assert mg.arange(4).dtype == np.int64
    np.testing.assert_allclose(mg.arange(0, 1, 0.25).data, [0, 0.25, 0.5, 0.75])
    assert mg.arange(0, 1, 0.25).dtype == np.float32
    with pytest.raises(ValueError, match="step must not be zero"):
        mg.arange(0, 1, 0)


def test_manual_seed_makes_draws_reproducible():
    mg.manual_seed(123)
    first = (mg.randn(3).data, mg.rand(2, 2).data, mg.randint(0, 10, (4,)).data,
             mg.randperm(5).data)
    mg.manual_seed(123)
    second = (mg.randn(3).data, mg.rand(2, 2).data, mg.randint(0, 10, (4,)).data,
              mg.randperm(5).data)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert first[0].dtype == np.float32 and first[2].dtype == np.int64
    assert ((first[1] >= 0) & (first[1] < 1)).all()
    assert sorted(first[3].tolist()) == [0, 1, 2, 3, 4]
    mg.manual_seed(124)
    assert not np.array_equal(mg.randn(3).data, first[0])


def test_rng_state_round_trip():
    mg.manual_seed(5)
    state = mg.get_rng_state()
    a = mg.randn(4).data
    mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(4).data, a)
    with pytest.raises(ValueError, match="manual_seed: seed must be a non-negative int"):
        mg.manual_seed(-1)


def test_unsupported_data_raises_type_error():
    with pytest.raises(TypeError, match="tensor"):
        mg.tensor("abc")
    with pytest.raises(TypeError, match="tensor"):
        mg.tensor([[1.0], [1.0, 2.0]])


# --- attributes and conversions ---------------------------------------------------------------------
def test_attributes_and_conversions():
    x = mg.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.numel() == 6 and x.size() == (2, 3)
    assert x.size(-1) == 3 and len(x) == 2
    assert x.numpy() is x.data
    assert x.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert x.is_leaf and x.grad_fn is None
    y = x * 2
    assert not y.is_leaf and y.grad_fn is not None and y.grad_fn.name == "Mul"
    assert mg.tensor([[2.5]]).item() == 2.5 and isinstance(mg.tensor(3).item(), int)
    with pytest.raises(ValueError, match=r"one-element.*shape \(2, 3\)"):
        x.item()
    assert float(mg.tensor(2.0)) == 2.0 and int(mg.tensor(3)) == 3
    assert x.float().dtype == np.float32 and x.double().dtype == np.float64
    assert x.long().dtype == np.int64


def test_repr_names_grad_fn_and_requires_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert repr(mg.tensor([1, 2])) == "tensor([1, 2])"


# --- operators ----------------------------------------------------------------------------------------
@given(tensors(min_value=0.5, max_value=3), st.floats(0.5, 3))
def test_operators_and_reflected_forms_with_python_numbers(x, c):
    a = x.data
    cases = [(x + c, a + c), (c + x, c + a), (x - c, a - c), (c - x, c - a), (x * c, a * c),
             (c * x, c * a), (x / c, a / c), (c / x, c / a), (x ** c, a ** c), (c ** x, c ** a),
             (-x, -a), (+x, a), (abs(-x), a)]
    for out, expected in cases:
        assert isinstance(out, Tensor)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12)
        assert out.dtype == np.float64


def test_python_float_does_not_promote_float32():
    x = mg.tensor([1.0, 2.0])
    for out in (x + 1.5, 2.5 * x, x / 3.0, x ** 2.0, 1.0 - x, x * np.float64(2.0),
                np.float64(2.0) * x, mg.maximum(x, np.float64(0.5)), x.pow(np.float64(2))):
        assert out.dtype == np.float32


def test_operators_with_numpy_arrays_on_either_side():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    row = np.arange(3.0)
    for out, expected in [(row + x, row + 1), (x * row, row), (row - x, row - 1),
                          (row / (x + 1), row / 2), (row @ x.T, np.full(2, 3.0))]:
        assert isinstance(out, Tensor), type(out)
        np.testing.assert_allclose(out.data, np.broadcast_to(expected, out.shape))
    (row * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.tile(row, (2, 1)))


def test_comparisons_give_bool_tensors_without_grad():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = mg.tensor([3.0, 2.0, 1.0])
    for out, expected in [(x < y, [1, 0, 0]), (x <= y, [1, 1, 0]), (x > y, [0, 0, 1]),
                          (x >= y, [0, 1, 1]), (x == y, [0, 1, 0]), (x != y, [1, 0, 1]),
                          (x > 1.5, [0, 1, 1]), (2.0 == x, [0, 1, 0])]:
        assert out.dtype == np.bool_ and not out.requires_grad
        np.testing.assert_array_equal(out.data, np.array(expected, dtype=bool))
    np.testing.assert_array_equal((~(x > 1.5)).data, [True, False, False])
    np.testing.assert_array_equal(((x > 1.5) & (x < 2.5)).data, [False, True, False])
    with pytest.raises(ValueError, match=r"cannot compare shapes \(3,\) and \(2,\)"):
        x < mg.tensor([1.0, 2.0])


def test_truth_value_of_multi_element_tensor_raises():
    assert bool(mg.tensor([1.0]))
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mg.tensor([1.0, 2.0]))


# --- methods and their aliases -------------------------------------------------------------------------
def test_method_and_function_forms_agree():
    x = mg.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)))
    np.testing.assert_allclose(x.sum(1).data, mg.sum(x, dim=1).data)
    np.testing.assert_allclose(x.sum(axis=1, keepdims=True).data, x.sum(dim=1, keepdim=True).data)
    assert x.mean(axis=(0, 2)).shape == (3,)
    assert mg.reshape(x, (4, 6)).shape == x.view(4, 6).shape == mg.view(x, 4, 6).shape == (4, 6)
    assert mg.permute(x, (2, 0, 1)).shape == x.permute(2, 0, 1).shape == (4, 2, 3)
    assert mg.expand(mg.ones(1, 3), (2, 3)).shape == (2, 3)
    with pytest.raises(TypeError, match="both dim=1 and axis=1"):
        x.sum(1, axis=1)


def test_var_std_corrections():
    data = np.array([[1.0, 2.0, 4.0], [3.0, 5.0, 9.0]])
    x = mg.tensor(data)
    np.testing.assert_allclose(x.var().item(), np.var(data, ddof=1))
    np.testing.assert_allclose(x.var(1, correction=0).data, np.var(data, axis=1))
    np.testing.assert_allclose(x.var(unbiased=False).item(), np.var(data))
    np.testing.assert_allclose(x.std(0).data, np.sqrt(x.var(0).data))


def test_argmax_argmin():
    x = mg.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, -1.0]])
    assert x.argmax().item() == 3 and x.argmin().item() == 5     # flat indices
    np.testing.assert_array_equal(x.argmax(dim=1).data, [1, 0])  # first of the tie
    np.testing.assert_array_equal(mg.argmin(x, 0, keepdim=True).data, [[0, 1, 1]])
    assert x.argmax(1).dtype == np.int64 and not x.argmax(1).requires_grad


def test_max_min_of_two_tensors_are_elementwise():
    x, y = mg.tensor([1.0, 4.0]), mg.tensor([3.0, 2.0])
    np.testing.assert_array_equal(mg.max(x, y).data, [3.0, 4.0])
    np.testing.assert_array_equal(mg.min(x, y).data, [1.0, 2.0])
    np.testing.assert_array_equal(x.maximum(2.5).data, [2.5, 4.0])


def test_maximum_ties_split_the_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = mg.tensor([1.0, 3.0], requires_grad=True)
    mg.maximum(x, y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.5, 0.0])
    np.testing.assert_allclose(y.grad.data, [0.5, 1.0])


def test_max_gradient_goes_to_the_first_maximum():
    x = mg.tensor([[3.0, 1.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max(dim=1).values.sum().backward()
    np.testing.assert_allclose(x.grad.data, [[1, 0, 0], [1, 0, 0]])
    x.grad = None
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, [[1, 0, 0], [0, 0, 0]])


def test_relu_and_abs_gradient_at_zero_is_zero():
    x = mg.tensor([0.0, 0.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_clamp_gradient_includes_the_bounds_like_pytorch():
    x = mg.tensor([-1.0, 0.0, 0.5, 1.0, 2.0], requires_grad=True)
    x.clamp(0.0, 1.0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 1, 1, 1, 0])
    with pytest.raises(ValueError, match="at least one of min and max"):
        x.clamp()


def test_where_accepts_bool_tensor_or_array_and_scalars():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    out = mg.where(x > 0, x, 0.0)
    np.testing.assert_array_equal(out.data, [1.0, 0.0, 3.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(mg.where(np.array([True, False, True]), 1.0, x).data,
                                  [1.0, -2.0, 1.0])
    with pytest.raises(TypeError, match="condition must be bool"):
        mg.where(x, x, x)


def test_squeeze_unsqueeze_flatten_cat_stack_shapes():
    x = mg.ones(2, 1, 3, 1)
    assert x.squeeze().shape == (2, 3) and x.squeeze(1).shape == (2, 3, 1)
    assert x.squeeze(0).shape == (2, 1, 3, 1)
    assert x.unsqueeze(0).shape == (1, 2, 1, 3, 1) and x.unsqueeze(-1).shape == (2, 1, 3, 1, 1)
    assert x.flatten().shape == (6,) and x.flatten(1).shape == (2, 3)
    assert mg.flatten(mg.tensor(1.0)).shape == (1,)
    assert mg.cat([mg.ones(2, 3), mg.zeros(1, 3)]).shape == (3, 3)
    assert mg.stack([mg.ones(2), mg.zeros(2)], dim=1).shape == (2, 2)
    assert mg.pad(mg.ones(2, 2), 1).shape == (4, 4)
    assert mg.pad(mg.ones(2, 2), ((0, 1), (2, 0))).shape == (3, 4)


# --- edge cases: 0-d, empty, NaN, huge values ------------------------------------------------------------
def test_zero_dimensional_tensors():
    x = mg.tensor(2.0, requires_grad=True)
    y = (x * x).exp().log()
    assert y.shape == () and y.ndim == 0
    y.backward()
    assert x.grad.shape == () and x.grad.item() == pytest.approx(4.0)
    assert x.sum(dim=0).shape == () and x.sum(dim=-1).item() == 2.0
    assert x.reshape(1, 1).shape == (1, 1) and x.unsqueeze(0).shape == (1,)
    assert x.T.shape == ()
    with pytest.raises(TypeError, match="0-d"):
        len(x)


def test_empty_tensors():
    x = mg.tensor(np.zeros((0, 3)), requires_grad=True)
    y = (x * 2).sum(dim=0)
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 0.0])
    y.sum().backward()
    assert x.grad.shape == (0, 3)
    assert mg.zeros(0).sum().item() == 0.0
    with pytest.raises(ValueError, match="empty"):
        x.max()
    with pytest.raises(ValueError, match="empty"):
        x.mean(dim=0)
    with pytest.raises(ValueError, match="empty"):
        x.argmax()


@pytest.mark.parametrize("fn", [
    mg.exp, mg.tanh, mg.sigmoid, mg.relu, mg.abs, mg.sqrt, mg.log, lambda x: x * 2,
    lambda x: x.clamp(0, 1), lambda x: x.max(), lambda x: x.sum(), lambda x: x.softmax(0),
    lambda x: x.logsumexp(), lambda x: mg.maximum(x, 0.0), lambda x: x.var()],
    ids=["exp", "tanh", "sigmoid", "relu", "abs", "sqrt", "log", "mul", "clamp", "max", "sum",
         "softmax", "logsumexp", "maximum", "var"])
def test_nan_inputs_propagate(fn):
    x = mg.tensor([np.nan, 1.0, 2.0])
    out = fn(x)
    assert np.isnan(out.data.reshape(-1)[0])


@given(st.floats(-1e4, 1e4), shapes(min_dims=1, max_dims=2))
def test_huge_logits_stay_finite(offset, shape):
    logits = mg.tensor(np.random.default_rng(0).standard_normal(shape) * 1000 + offset,
                       requires_grad=True)
    probabilities = logits.softmax(dim=-1)
    log_probabilities = logits.log_softmax(dim=-1)
    lse = logits.logsumexp(dim=-1)
    assert np.isfinite(probabilities.data).all() and np.isfinite(log_probabilities.data).all()
    assert np.isfinite(lse.data).all()
    np.testing.assert_allclose(probabilities.data.sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(lse.data, logits.data.max(-1), rtol=1e-5, atol=1.0)
    (log_probabilities.sum() + lse.sum()).backward()
    assert np.isfinite(logits.grad.data).all()


def test_sigmoid_is_finite_and_exact_at_extremes():
    x = mg.tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    out = x.sigmoid()
    np.testing.assert_array_equal(out.data, [0.0, 0.5, 1.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.25, 0.0])


def test_cast_is_differentiable_and_gradient_returns_in_the_input_dtype():
    x = mg.tensor(np.array([1.0, 2.0]), requires_grad=True)        # float64
    y = x.float()
    assert y.dtype == np.float32 and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    assert x.double() is x                                         # no-op cast
    assert mg.cast(x, np.float64) is x
    with pytest.raises(TypeError, match="is not a dtype"):
        mg.cast(x, "not-a-dtype")


@pytest.mark.parametrize("fn, reference", [
    (lambda x: x.exp() * 2 + 1, lambda a: np.exp(a) * 2 + 1),
    (lambda x: x.tanh().sigmoid(), lambda a: 1 / (1 + np.exp(-np.tanh(a)))),
    (lambda x: x.relu().abs().clamp(0, 1), lambda a: np.clip(np.abs(np.maximum(a, 0)), 0, 1)),
    (lambda x: x.sum(dim=0), lambda a: a.sum(axis=0)),
    (lambda x: x.sum(dim=1, keepdim=True), lambda a: a.sum(axis=1, keepdims=True)),
    (lambda x: x.T @ x, lambda a: a.T @ a),
    (lambda x: x.reshape(3, 0).permute(1, 0), lambda a: a.reshape(3, 0).T),
    (lambda x: mg.cat([x, x], dim=0) * mg.ones(1, 3), lambda a: np.concatenate([a, a])),
    (lambda x: x[x > 0], lambda a: a[a > 0]),
    (lambda x: x.softmax(dim=1), lambda a: a),
    (lambda x: mg.pad(x, 1), lambda a: np.pad(a, 1)),
], ids=["elementwise", "tanh-sigmoid", "relu-abs-clamp", "sum0", "sum1", "matmul",
        "reshape-permute", "cat", "mask", "softmax", "pad"])
def test_empty_tensors_forward_and_backward(fn, reference):
    x = mg.tensor(np.zeros((0, 3)), requires_grad=True)
    out = fn(x)
    expected = reference(x.data)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    out.backward(np.ones(out.shape))
    assert x.grad.shape == (0, 3)


def test_python_floats_with_dtype_float64_keep_full_precision():
    value = 1.000001229510657                    # not representable in float32
    assert mg.tensor(value, dtype=mg.float64).item() == value
    assert mg.tensor([value, 2.0], dtype=np.float64).data[0] == value
    assert mg.tensor(value).dtype == np.float32  # without dtype: the default float dtype
