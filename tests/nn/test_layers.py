"""Dense/linear, activations, dropout, batch_norm/BatchNorm2D and Flatten."""
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minigrad as mg
import nn
from minigrad.testing import assert_gradients_match, tensors
from nn.activation import log_softmax, relu, sigmoid, softmax, tanh
from nn.dropout import dropout
from nn.linear import linear
from nn.normalization import batch_norm


# --- linear / Dense -------------------------------------------------------------------------
@given(st.data())
def test_linear_matches_numpy(data):
    batch = data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple))
    n_in, n_out = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    x = data.draw(tensors(shape=batch + (n_in,)))
    w = data.draw(tensors(shape=(n_out, n_in)))
    b = data.draw(tensors(shape=(n_out,)))
    out = linear(x, w, b)
    assert out.shape == batch + (n_out,)
    np.testing.assert_allclose(out.data, x.data @ w.data.T + b.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(linear(x, w).data, x.data @ w.data.T, rtol=1e-12, atol=1e-12)


@given(tensors(shape=(2, 3)), tensors(shape=(4, 3)), tensors(shape=(4,)))
def test_linear_gradients(x, w, b):
    assert_gradients_match(linear, x, w, b)


def test_dense_defaults_shapes_and_forward():
    layer = nn.Dense(6, 4)
    assert layer.weight.shape == (4, 6) and layer.bias.shape == (4,)
    assert layer.weight.dtype == np.float32 and layer.weight.requires_grad
    assert not layer.bias.data.any()
    bound = np.sqrt(6 / (6 + 4))
    assert np.abs(layer.weight.data).max() <= bound
    x = mg.randn(3, 6)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T, rtol=1e-6)
    assert nn.Linear is nn.Dense
    no_bias = nn.Dense(6, 4, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert repr(no_bias) == "Dense(in_features=6, out_features=4, bias=False)"


def test_dense_backward_reaches_weight_and_bias():
    layer = nn.Dense(3, 2)
    x = mg.randn(5, 3)
    layer(x).sum().backward()
    np.testing.assert_allclose(layer.weight.grad.data, np.tile(x.data.sum(0), (2, 1)),
                               rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.data, [5.0, 5.0])


def test_dense_wrong_feature_size_names_shapes():
    layer = nn.Dense(9216, 128)
    with pytest.raises(ValueError, match=r"Dense: input of shape \(2, 64, 12, 12\) has 12 "
                                         r"features .* in_features=9216"):
        layer(mg.zeros(2, 64, 12, 12))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 5\) has 5 features .* "
                                         r"weight \(3, 4\) expects 4"):
        linear(mg.zeros(2, 5), mg.zeros(3, 4))
    with pytest.raises(ValueError, match=r"bias has shape \(4,\) .* needs \(3,\)"):
        linear(mg.zeros(2, 4), mg.zeros(3, 4), mg.zeros(4))
    with pytest.raises(ValueError, match="weight must have shape"):
        linear(mg.zeros(2, 4), mg.zeros(4))


@pytest.mark.parametrize("args", [(0, 3), (3, -1), (2.5, 3), (True, 2)])
def test_dense_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a positive int"):
        nn.Dense(*args)


# --- activations ----------------------------------------------------------------------------
ACTIVATIONS = [
    (relu, nn.ReLU(), lambda a: np.maximum(a, 0)),
    (sigmoid, nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    (tanh, nn.Tanh(), np.tanh),
]


@pytest.mark.parametrize("fn, module, reference", ACTIVATIONS)
@given(x=tensors(shape=(2, 3), avoid=[0.0]))
def test_activations_match_numpy_and_gradcheck(fn, module, reference, x):
    np.testing.assert_allclose(fn(x).data, reference(x.data), rtol=1e-12)
    np.testing.assert_allclose(module(x).data, reference(x.data), rtol=1e-12)
    assert_gradients_match(fn, x)


def test_softmax_and_log_softmax_modules():
    x = mg.randn(2, 5, dtype=np.float64)
    expected = np.exp(x.data) / np.exp(x.data).sum(1, keepdims=True)
    np.testing.assert_allclose(softmax(x, 1).data, expected, rtol=1e-12)
    np.testing.assert_allclose(nn.Softmax(dim=1)(x).data, expected, rtol=1e-12)
    np.testing.assert_allclose(nn.LogSoftmax(1)(x).data, np.log(expected), rtol=1e-12)
    np.testing.assert_allclose(log_softmax(x, -1).data, np.log(expected), rtol=1e-12)
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"


# --- dropout --------------------------------------------------------------------------------
def test_dropout_statistics_and_scaling():
    x = mg.ones(200, 500)
    out = dropout(x, p=0.3, training=True)
    kept = out.data != 0
    assert abs(kept.mean() - 0.7) < 0.01                 # 100,000 draws: std ~ 0.0015
    np.testing.assert_allclose(out.data[kept], 1 / 0.7, rtol=1e-6)
    assert abs(out.data.mean() - 1.0) < 0.02             # inverted scaling keeps the mean
    assert out.dtype == np.float32


def test_dropout_gradient_uses_the_same_mask():
    x = mg.randn(50, 40, requires_grad=True)
    out = dropout(x, p=0.5)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, (out.data != 0) * 2.0)


def test_dropout_eval_and_p0_are_identity():
    x = mg.randn(4, 5)
    assert dropout(x, 0.5, training=False) is x
    assert dropout(x, 0.0) is x
    layer = nn.Dropout(0.5).eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    layer.train()
    assert (layer(mg.ones(100, 100)).data == 0).any()


def test_dropout_reproducible_under_manual_seed():
    mg.manual_seed(3)
    first = nn.Dropout(0.5)(mg.ones(10, 10)).data
    mg.manual_seed(3)
    np.testing.assert_array_equal(nn.Dropout(0.5)(mg.ones(10, 10)).data, first)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", None])
def test_dropout_bad_p(p):
    with pytest.raises(ValueError, match=r"must be in \[0, 1\)"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=r"dropout: p .* must be in \[0, 1\)"):
        dropout(mg.ones(2), p)


# --- batch norm -----------------------------------------------------------------------------
def _batch_norm_reference(x, mean, var, weight, bias, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return ((x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * weight.reshape(shape)
            + bias.reshape(shape))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 5)])
def test_batch_norm_training_forward_and_running_stats(shape):
    x = mg.randn(*shape, dtype=np.float64) * 3 + 1
    dims = (0,) + tuple(range(2, len(shape)))
    weight, bias = mg.randn(3, dtype=np.float64), mg.randn(3, dtype=np.float64)
    running_mean, running_var = mg.zeros(3) + 0.5, mg.ones(3) * 2
    out = batch_norm(x, running_mean, running_var, weight, bias, training=True, momentum=0.2)
    mean, var = x.data.mean(dims), x.data.var(dims)
    expected = _batch_norm_reference(x.data, mean, var, weight.data, bias.data, 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    count = x.numel() // 3
    np.testing.assert_allclose(running_mean.data, 0.8 * 0.5 + 0.2 * mean, rtol=1e-6)
    np.testing.assert_allclose(running_var.data, 0.8 * 2 + 0.2 * var * count / (count - 1),
                               rtol=1e-6)
    assert running_mean.dtype == np.float32


def test_batch_norm_eval_uses_running_stats():
    x = mg.randn(3, 2, 2, 2)
    running_mean, running_var = mg.tensor([0.5, -1.0]), mg.tensor([4.0, 0.25])
    out = batch_norm(x, running_mean, running_var, training=False)
    expected = _batch_norm_reference(x.data, running_mean.data, running_var.data,
                                     np.ones(2), np.zeros(2), 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    np.testing.assert_array_equal(running_mean.data, [0.5, -1.0])     # untouched in eval


@given(tensors(shape=(3, 2, 2, 2)), tensors(shape=(2,)), tensors(shape=(2,)))
def test_batch_norm_training_gradients(x, weight, bias):
    spread = np.ptp(x.data.transpose(1, 0, 2, 3).reshape(2, -1), axis=1)
    assume((spread > 0.1).all())                 # a near-constant channel has var ~ 0
    assert_gradients_match(lambda a, w, b: batch_norm(a, None, None, w, b, training=True),
                           x, weight, bias)


@given(tensors(shape=(4, 3)), tensors(shape=(3,)))
def test_batch_norm_eval_gradients(x, weight):
    mean, var = mg.tensor([0.1, 0.2, 0.3]), mg.tensor([1.0, 2.0, 0.5])
    assert_gradients_match(lambda a, w: batch_norm(a, mean, var, w, None), x, weight)


def test_batch_norm_errors():
    with pytest.raises(ValueError, match=r"running_mean has shape \(4,\) but the input "
                                         r"\(2, 3\) has 3 channels"):
        batch_norm(mg.zeros(2, 3), mg.zeros(4), mg.ones(3), training=True)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        batch_norm(mg.zeros(1, 3), mg.zeros(3), mg.ones(3), training=True)
    with pytest.raises(ValueError, match="needs running_mean and running_var"):
        batch_norm(mg.zeros(2, 3), None, None, training=False)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C\)"):
        batch_norm(mg.zeros(3), None, None, training=True)
    with pytest.raises(ValueError, match=r"BatchNorm2D: expected input of shape \(N, 3, H, W\), "
                                         r"got \(2, 4, 5, 5\)"):
        nn.BatchNorm2D(3)(mg.zeros(2, 4, 5, 5))
    with pytest.raises(ValueError, match="num_features must be a positive int"):
        nn.BatchNorm2D(0)


def test_batchnorm2d_module_train_then_eval():
    layer = nn.BatchNorm2D(2, momentum=0.5)
    assert nn.BatchNorm2d is nn.BatchNorm2D
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                        "num_batches_tracked"]
    x = mg.randn(8, 2, 3, 3) * 2 + 3
    out = layer(x)
    np.testing.assert_allclose(out.data.mean((0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(out.data.var((0, 2, 3)), 1, rtol=1e-3)
    batch_var = x.data.var((0, 2, 3), ddof=1)
    np.testing.assert_allclose(layer.running_var.data, 0.5 + 0.5 * batch_var, rtol=1e-5)
    layer.eval()
    before = layer.running_mean.data.copy()
    out = layer(x)
    expected = _batch_norm_reference(x.data, layer.running_mean.data, layer.running_var.data,
                                     np.ones(2), np.zeros(2), 1e-5)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5)
    np.testing.assert_array_equal(layer.running_mean.data, before)


def test_batch_norm_float32_warning_free():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = nn.BatchNorm2D(3)(mg.full((2, 3, 2, 2), 5.0))      # zero variance in every channel
    np.testing.assert_array_equal(out.data, 0)


# --- Flatten --------------------------------------------------------------------------------
def test_flatten_shapes_and_gradient():
    x = mg.randn(2, 3, 4, 5, requires_grad=True)
    out = nn.Flatten()(x)
    assert out.shape == (2, 60)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 60))
    assert nn.Flatten(0)(x).shape == (120,)
    assert nn.Flatten(1, 2)(x).shape == (2, 12, 5)
    (out * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((2, 3, 4, 5), 2.0, np.float32))
    with pytest.raises(ValueError, match="flatten: dim 1 is out of range"):
        nn.Flatten()(mg.zeros(3))


# --- the functional namespace ---------------------------------------------------------------
def test_functional_namespace_reexports_the_concept_files():
    import nn.functional as F
    from nn import conv, loss, normalization, pooling
    assert F.conv2d is conv.conv2d and F.max_pool2d is pooling.max_pool2d
    assert F.avg_pool2d is pooling.avg_pool2d and F.batch_norm is normalization.batch_norm
    assert F.cross_entropy is loss.cross_entropy and F.linear is linear
    assert F.relu is relu and F.dropout is dropout and F.log_softmax is log_softmax
    assert {"conv2d", "max_pool2d", "avg_pool2d", "relu", "sigmoid", "tanh", "softmax",
            "log_softmax", "dropout", "linear", "cross_entropy", "nll_loss", "mse_loss",
            "batch_norm", "pad", "interpolate", "gelu", "kl_div"} <= set(F.__all__)
    x = mg.randn(2, 3)
    np.testing.assert_array_equal(F.relu(x).data, np.maximum(x.data, 0))
