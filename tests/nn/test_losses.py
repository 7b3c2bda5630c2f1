"""cross_entropy, nll_loss, mse_loss and their modules."""
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
import nn
from minigrad.testing import assert_gradients_match, tensors
from nn.loss import cross_entropy, mse_loss, nll_loss


def _reference_cross_entropy(logits, target):
    """Per-sample -log softmax(logits)[target], in float64 with the max subtracted."""
    shifted = logits.astype(np.float64) - logits.max(1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    return -log_probs[np.arange(len(target)), target]


@st.composite
def logits_and_targets(draw, dtype=np.float64):
    n, c = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    logits = draw(tensors(shape=(n, c), dtype=dtype, min_value=-10, max_value=10))
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return logits, target


@given(logits_and_targets())
def test_cross_entropy_matches_numpy_for_every_reduction(pair):
    logits, target = pair
    per_sample = _reference_cross_entropy(logits.data, target)
    np.testing.assert_allclose(cross_entropy(logits, target, reduction="none").data, per_sample,
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cross_entropy(logits, mg.tensor(target)).item(),
                               per_sample.mean(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(cross_entropy(logits, target, reduction="sum").item(),
                               per_sample.sum(), rtol=1e-10, atol=1e-12)


@given(logits_and_targets())
def test_cross_entropy_gradient_is_softmax_minus_onehot(pair):
    logits, target = pair
    cross_entropy(logits, target).backward()
    probs = np.exp(logits.data - logits.data.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    onehot = np.eye(logits.shape[1])[target]
    np.testing.assert_allclose(logits.grad.data, (probs - onehot) / len(target), atol=1e-12)


@given(logits_and_targets())
def test_cross_entropy_and_nll_gradcheck(pair):
    logits, target = pair
    assert_gradients_match(lambda z: cross_entropy(z, target, reduction="none"), logits)
    assert_gradients_match(lambda z: cross_entropy(z, target), logits)    # one NLL op (mean)
    assert_gradients_match(lambda z: nll_loss(z, target, reduction="sum"), logits)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_huge_logits_finite_and_warning_free(dtype):
    logits = mg.tensor(np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [1e4, 1e4, -1e4]],
                                dtype=dtype), requires_grad=True)
    target = np.array([1, 2, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = cross_entropy(logits, target, reduction="none")
        loss.sum().backward()
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [2e4, 0.0, np.log(2)], rtol=1e-6)
    assert np.isfinite(logits.grad.data).all()
    np.testing.assert_allclose(logits.grad.data,
                               [[1, -1, 0], [0, 0, 0], [-0.5, 0.5, 0]], atol=1e-6)


def test_nll_loss_picks_the_target_log_probability():
    log_probs = mg.tensor([[-0.1, -2.0, -3.0], [-1.5, -0.5, -4.0]])
    assert nll_loss(log_probs, [2, 0]).item() == pytest.approx((3.0 + 1.5) / 2)
    np.testing.assert_allclose(nll_loss(log_probs, [1, 1], reduction="none").data, [2.0, 0.5])
    assert nn.NLLLoss(reduction="sum")(log_probs, np.array([0, 1])).item() == pytest.approx(0.6)


def test_cross_entropy_unbatched_and_spatial_targets():
    logits = mg.randn(4, dtype=np.float64)
    np.testing.assert_allclose(cross_entropy(logits, np.array(2)).item(),
                               _reference_cross_entropy(logits.data[None], np.array([2]))[0])
    spatial = mg.randn(2, 3, 2, 2, dtype=np.float64)                  # (N, C, H, W)
    target = np.array([[[0, 1], [2, 0]], [[1, 1], [0, 2]]])           # (N, H, W)
    flat_logits = spatial.data.transpose(0, 2, 3, 1).reshape(-1, 3)
    expected = _reference_cross_entropy(flat_logits, target.reshape(-1)).reshape(2, 2, 2)
    np.testing.assert_allclose(cross_entropy(spatial, target, reduction="none").data, expected, rtol=1e-10)


@pytest.mark.parametrize("bad, shown", [(10, "10"), (-1, "-1")])
def test_out_of_range_target_raises_index_error(bad, shown):
    logits = mg.zeros(3, 10)
    with pytest.raises(IndexError, match=rf"cross_entropy: target {shown} is out of range for "
                                         r"10 classes .* \[0, 9\]"):
        cross_entropy(logits, np.array([0, bad, 3]))
    with pytest.raises(IndexError, match=rf"nll_loss: target {shown} is out of range"):
        nll_loss(logits, mg.tensor(np.array([bad, 0, 0])))


def test_cross_entropy_shape_and_type_errors():
    logits = mg.zeros(4, 3)
    with pytest.raises(ValueError, match=r"target of shape \(3,\) does not match input of shape "
                                         r"\(4, 3\); expected target shape \(4,\)"):
        cross_entropy(logits, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"target of shape \(4, 3\) .* not one-hot"):
        cross_entropy(logits, np.eye(3, dtype=np.int64)[[0, 1, 2, 0]])
    with pytest.raises(ValueError, match=r"a probability target \(float dtype\) must have the "
                                         r"input's shape \(4, 3\), got \(4,\)"):
        cross_entropy(logits, mg.zeros(4))
    with pytest.raises(TypeError, match="target must hold integer class indices, got dtype "
                                        "float32"):
        nll_loss(logits, mg.zeros(4))
    with pytest.raises(ValueError, match="reduction must be one of"):
        cross_entropy(logits, np.zeros(4, np.int64), reduction="avg")
    with pytest.raises(ValueError, match="cannot average over an empty batch"):
        cross_entropy(mg.zeros(0, 3), np.zeros(0, np.int64))


@given(tensors(shape=st.sampled_from([(3,), (2, 3), (2, 2, 2)])), st.data())
def test_mse_loss_matches_numpy_and_gradcheck(x, data):
    target = data.draw(tensors(shape=x.shape, requires_grad=False))
    diff = x.data - target.data
    np.testing.assert_allclose(mse_loss(x, target).item(), (diff ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(mse_loss(x, target.data, reduction="sum").item(), (diff ** 2).sum(),
                               rtol=1e-12)
    np.testing.assert_allclose(mse_loss(x, target, reduction="none").data, diff ** 2, rtol=1e-12)
    assert_gradients_match(lambda a: mse_loss(a, target), x)


def test_mse_loss_shape_mismatch():
    with pytest.raises(ValueError, match=r"mse_loss: input of shape \(4, 1\) and target of "
                                         r"shape \(4,\) differ"):
        mse_loss(mg.zeros(4, 1), mg.zeros(4))


def test_loss_modules():
    logits, target = mg.randn(5, 4), np.array([0, 3, 1, 1, 2])
    assert nn.CrossEntropyLoss()(logits, target).item() == pytest.approx(
        cross_entropy(logits, target).item())
    assert nn.CrossEntropyLoss(reduction="sum")(logits, target).item() == pytest.approx(
        cross_entropy(logits, target, reduction="sum").item(), rel=1e-6)
    a, b = mg.randn(3, 2), mg.randn(3, 2)
    assert nn.MSELoss()(a, b).item() == pytest.approx(mse_loss(a, b).item())
    assert repr(nn.MSELoss(reduction="none")) == "MSELoss(reduction='none')"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    with pytest.raises(ValueError, match="MSELoss: reduction must be one of"):
        nn.MSELoss(reduction="mean ")
