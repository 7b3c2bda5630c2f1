"""Numerically delicate ops stay finite and warning-free for inputs of magnitude 1e4."""
import warnings

import numpy as np
import pytest

import minigrad as mg


def _huge(dtype, sign_mix=True):
    """A (3, 4) batch with entries of magnitude ~1e4 (and a row of equal values)."""
    values = np.array([[1e4, -1e4, 5e3, 0.0],
                       [-1e4, -1e4, -1e4, -1e4],
                       [1e4, 1e4 - 1, -3e3, 2.5e3]])
    if not sign_mix:
        values = np.abs(values)
    return values.astype(dtype)


def _reference_log_softmax(x):
    x = x.astype(np.float64)
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _cross_entropy():
    import nn
    return nn.functional.cross_entropy


def _ops():
    """name -> fn(tensor) returning a tensor, and a float64 NumPy reference."""
    target = np.array([1, 2, 0])
    return {
        "softmax": (lambda x: mg.softmax(x, dim=1),
                    lambda x: np.exp(_reference_log_softmax(x))),
        "log_softmax": (lambda x: mg.log_softmax(x, dim=1), _reference_log_softmax),
        "logsumexp": (lambda x: mg.logsumexp(x, dim=1),
                      lambda x: x.max(axis=1) + np.log(np.exp(x - x.max(axis=1,
                                                                     keepdims=True)).sum(1))),
        "sigmoid": (mg.sigmoid,
                    lambda x: np.exp(-np.logaddexp(0.0, -x.astype(np.float64)))),
        "cross_entropy": (lambda x: _cross_entropy()(x, target),
                          lambda x: -_reference_log_softmax(x)[np.arange(3), target].mean()),
        "cross_entropy_sum": (lambda x: _cross_entropy()(x, target, reduction="sum"),
                              lambda x: -_reference_log_softmax(x)[np.arange(3), target].sum()),
    }


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp", "sigmoid",
                                  "cross_entropy", "cross_entropy_sum"])
@pytest.mark.parametrize("scale", [1.0, -1.0])
def test_huge_inputs_stay_finite_and_warning_free(name, dtype, scale):
    fn, reference = _ops()[name]
    values = _huge(dtype) * dtype(scale)
    x = mg.tensor(values, requires_grad=True)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        out = fn(x)
        upstream = np.linspace(-1.0, 1.0, out.data.size).reshape(out.shape).astype(dtype)
        out.backward(upstream)
    assert out.dtype == dtype and x.grad.dtype == dtype
    assert np.isfinite(out.data).all(), out.data
    assert np.isfinite(x.grad.data).all(), x.grad.data
    expected = reference(values.astype(np.float64))
    np.testing.assert_allclose(out.data, expected, rtol=1e-6, atol=1e-6 * 1e4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_gradient_at_saturation_matches_analytic(dtype):
    # softmax saturates to one-hot; its Jacobian there is ~0, so the gradient must be ~0
    x = mg.tensor(np.array([[1e4, -1e4, 0.0]], dtype), requires_grad=True)
    with np.errstate(all="raise"):
        (mg.softmax(x, dim=1) * mg.tensor(np.array([[1.0, 2.0, 3.0]], dtype))).sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.0, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_gradient_at_huge_logits_is_softmax_minus_onehot(dtype):
    cross_entropy = _cross_entropy()
    logits = np.array([[1e4, -1e4, 0.0], [0.0, 1e4, 1e4]], dtype)
    x = mg.tensor(logits, requires_grad=True)
    with np.errstate(all="raise"):
        cross_entropy(x, np.array([1, 2])).backward()
    expected = np.array([[1.0, -1.0, 0.0], [0.0, 0.5, -0.5]]) / 2
    np.testing.assert_allclose(x.grad.data, expected, atol=1e-6)
    assert cross_entropy(mg.tensor(logits), np.array([1, 2])).item() == \
        pytest.approx((2e4 + np.log(2)) / 2, rel=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_tails_are_exact(dtype):
    x = mg.tensor(np.array([-1e4, -100.0, 0.0, 100.0, 1e4], dtype), requires_grad=True)
    with np.errstate(all="raise"):
        y = mg.sigmoid(x)
        y.sum().backward()
    np.testing.assert_array_equal(y.data[[0, 2, 4]], np.array([0.0, 0.5, 1.0], dtype))
    assert 0 <= y.data[1] < 1e-40 and y.data[3] == 1.0
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0, 0.25, 0.0, 0.0], atol=1e-40)
