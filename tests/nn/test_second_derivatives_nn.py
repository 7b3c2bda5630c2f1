"""Second derivatives of the nn ops (convolution, pooling, cross-entropy, batch norm, dropout
with a fixed mask, linear) against finite differences of their analytic gradients
(mg.gradgradcheck, float64), on small hypothesis-drawn shapes; the rest of nn.functional at
random points."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
import nn.functional as nn_f
from minigrad.testing import assert_second_derivatives_match, tensors
from nn.functional import (avg_pool2d, batch_norm, conv2d, cross_entropy, dropout, linear,
                           log_softmax, max_pool2d)

FEW = settings(max_examples=6)


def _images(draw, distinct=False):
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(2, 4)),
             draw(st.integers(2, 4)))
    return draw(tensors(shape, distinct=distinct, min_value=-2, max_value=2))


@FEW
@given(st.data())
def test_conv2d(data):
    x = _images(data.draw)
    c_out, kh, kw = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)),
                     data.draw(st.integers(1, 2)))
    w = data.draw(tensors((c_out, x.shape[1], kh, kw), min_value=-1, max_value=1))
    b = data.draw(tensors((c_out,)))
    stride, padding = data.draw(st.integers(1, 2)), data.draw(st.integers(0, 1))
    assume(x.shape[2] + 2 * padding >= kh and x.shape[3] + 2 * padding >= kw)
    # conv is bilinear: d2/dx dw is the only nonzero block, and it must be right
    assert_second_derivatives_match(
        lambda a, k, c: conv2d(a, k, c, stride=stride, padding=padding), x, w, b)


@FEW
@given(st.data())
def test_conv2d_followed_by_a_nonlinearity(data):
    x = _images(data.draw)
    w = data.draw(tensors((2, x.shape[1], 2, 2), min_value=-1, max_value=1))
    assume(x.shape[2] >= 2 and x.shape[3] >= 2)
    assert_second_derivatives_match(lambda a, k: conv2d(a, k, padding=1).tanh(), x, w)


@FEW
@given(st.data())
def test_max_pool2d(data):
    """Distinct values: no ties, so the max is locally one element and smooth around it."""
    x = _images(data.draw, distinct=True)
    kernel, stride = data.draw(st.integers(1, 2)), data.draw(st.sampled_from([None, 1]))
    assume(min(x.shape[2:]) >= kernel)
    assert_second_derivatives_match(lambda a: max_pool2d(a, kernel, stride) ** 2, x)


@FEW
@given(st.data())
def test_avg_pool2d(data):
    x = _images(data.draw)
    kernel, padding = data.draw(st.integers(1, 2)), data.draw(st.integers(0, 1))
    assume(min(x.shape[2:]) >= kernel and padding <= kernel // 2)
    assert_second_derivatives_match(lambda a: avg_pool2d(a, kernel, 1, padding).exp(), x)


@FEW
@given(st.data())
def test_cross_entropy_and_log_softmax(data):
    n, c = data.draw(st.integers(1, 3)), data.draw(st.integers(2, 4))
    logits = data.draw(tensors((n, c)))
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    assert_second_derivatives_match(lambda z: cross_entropy(z, target, reduction=reduction), logits)
    assert_second_derivatives_match(lambda z: log_softmax(z, dim=1), logits)


@FEW
@given(st.data())
def test_batch_norm_training(data):
    shape = (data.draw(st.integers(2, 3)), data.draw(st.integers(1, 2)), 2,
             data.draw(st.integers(1, 2)))
    x = data.draw(tensors(shape, distinct=True, min_gap=0.1))   # spread: variance well above 0
    weight, bias = data.draw(tensors((shape[1],))), data.draw(tensors((shape[1],)))
    assert_second_derivatives_match(
        lambda a, w, b: batch_norm(a, None, None, w, b, training=True), x, weight, bias,
        atol=1e-4)


@FEW
@given(tensors((2, 3, 2)), st.integers(0, 1000))
def test_dropout_with_a_fixed_mask(x, seed):
    def dropped(a):
        mg.manual_seed(seed)                         # the same mask on every call
        return dropout(a.tanh(), p=0.4, training=True) * a
    assert_second_derivatives_match(dropped, x)


@FEW
@given(st.data())
def test_linear(data):
    n_in, n_out = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    x = data.draw(tensors((2, n_in)))
    w, b = data.draw(tensors((n_out, n_in))), data.draw(tensors((n_out,)))
    assert_second_derivatives_match(lambda a, k, c: linear(a, k, c).sigmoid(), x, w, b)


def test_max_pool2d_at_a_tie_is_not_blamed_on_the_backward():
    """At a tie the gradient itself jumps: gradgradcheck calls the point non-differentiable
    instead of reporting a wrong second derivative."""
    x = mg.tensor([[[[1.0, 1.0], [0.0, -1.0]]]], requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradgradcheck(lambda a: max_pool2d(a, 2) ** 2, x)
    assert info.value.kind == "nondifferentiable"


def test_batchnorm2d_and_dropout_modules_in_training_mode():
    """The modules themselves (not only their functional forms): BatchNorm2D normalising with
    batch statistics, and Dropout replaying one mask from a fixed seed."""
    import nn
    mg.manual_seed(0)
    norm, drop = nn.BatchNorm2D(2).train(), nn.Dropout(0.5).train()
    x = mg.tensor(np.random.default_rng(1).standard_normal((3, 2, 2, 2)), requires_grad=True)

    def model(a):
        mg.manual_seed(5)
        return drop(norm(a).tanh())

    assert_second_derivatives_match(model, x, atol=1e-4)


def _uniform(rng, *shape):
    return mg.tensor(rng.uniform(-2, 2, shape), requires_grad=True)


# The rest of nn.functional, each at random points (smooth there: no value within 1e-3 of a
# kink has probability ~0 for these draws, and the check would call a kink by its name).
MORE_OPS = {
    "elu": (lambda a: nn_f.elu(a), [(5,)]),
    "gelu": (nn_f.gelu, [(5,)]),
    "gelu_tanh": (lambda a: nn_f.gelu(a, approximate="tanh"), [(5,)]),
    "leaky_relu": (lambda a: nn_f.leaky_relu(a, 0.1) ** 2, [(5,)]),
    "silu": (nn_f.silu, [(5,)]),
    "softplus": (nn_f.softplus, [(5,)]),
    "conv_transpose2d": (lambda a, w: nn_f.conv_transpose2d(a, w, stride=2).tanh(),
                         [(1, 1, 2, 3), (1, 2, 2, 2)]),
    "dropout2d": (lambda a: _fixed_mask(lambda: nn_f.dropout2d(a.tanh(), 0.5)) * a,
                  [(2, 3, 2, 2)]),
    "embedding": (lambda w: nn_f.embedding(mg.tensor(np.array([0, 2, 2])), w).tanh(), [(3, 2)]),
    "smooth_l1_loss": (nn_f.smooth_l1_loss, [(4,), (4,)]),
    "huber_loss": (lambda a, b: nn_f.huber_loss(a, b, delta=0.5), [(4,), (4,)]),
    "mse_loss": (nn_f.mse_loss, [(4,), (4,)]),
    "binary_cross_entropy": (lambda a: nn_f.binary_cross_entropy(
        a.sigmoid(), mg.tensor(np.array([0.0, 1.0, 1.0]))), [(3,)]),
    "binary_cross_entropy_with_logits": (lambda a: nn_f.binary_cross_entropy_with_logits(
        a, mg.tensor(np.array([0.0, 1.0, 0.3]))), [(3,)]),
    "kl_div": (lambda a, b: nn_f.kl_div(a.log_softmax(1), b.softmax(1), reduction="batchmean"),
               [(2, 3), (2, 3)]),
    "nll_loss": (lambda a: nn_f.nll_loss(a.log_softmax(1), mg.tensor(np.array([0, 2]))),
                 [(2, 3)]),
    "cross_entropy_label_smoothing": (lambda a: nn_f.cross_entropy(
        a, mg.tensor(np.array([0, 2])), label_smoothing=0.1), [(2, 3)]),
    "layer_norm": (lambda a, w, b: nn_f.layer_norm(a, (3,), w, b), [(2, 3), (3,), (3,)]),
    "group_norm": (lambda a: nn_f.group_norm(a, 2), [(2, 4, 2)]),
    "normalize": (lambda a: nn_f.normalize(a, dim=1), [(2, 3)]),
    "pad_reflect": (lambda a: nn_f.pad(a, (1, 1, 1, 1), mode="reflect").tanh(), [(1, 2, 3, 3)]),
    "pad_circular": (lambda a: nn_f.pad(a, (1, 1), mode="circular").tanh(), [(1, 2, 3)]),
    "interpolate_bilinear": (lambda a: nn_f.interpolate(a, size=(4, 5), mode="bilinear")
                             .tanh(), [(1, 2, 3, 3)]),
    "adaptive_avg_pool2d": (lambda a: nn_f.adaptive_avg_pool2d(a, 2).exp(), [(1, 2, 3, 3)]),
    "adaptive_max_pool2d": (lambda a: nn_f.adaptive_max_pool2d(a, 2) ** 2, [(1, 2, 4, 4)]),
}


def _fixed_mask(make):
    mg.manual_seed(11)
    return make()


@pytest.mark.parametrize("name", sorted(MORE_OPS))
def test_more_nn_functional_ops(name):
    fn, shapes = MORE_OPS[name]
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        assert mg.gradgradcheck(fn, [_uniform(rng, *shape) for shape in shapes], atol=1e-4)
