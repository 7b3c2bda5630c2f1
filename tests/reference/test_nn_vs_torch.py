"""nn layers and losses against PyTorch, with the same weights copied across."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
import nn
from minigrad.testing import tensors
from nn.dropout import dropout
from nn.linear import linear
from nn.loss import cross_entropy, mse_loss, nll_loss
from nn.normalization import batch_norm

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _torch(t: mg.Tensor, requires_grad: bool = True):
    return torch.tensor(t.data, requires_grad=requires_grad and t.dtype.kind == "f")


def _close(ours, theirs, tol=1e-10):
    np.testing.assert_allclose(ours.data if isinstance(ours, mg.Tensor) else ours,
                               theirs.detach().numpy(), rtol=tol, atol=tol)


@given(st.data())
def test_linear_forward_backward(data):
    n_in, n_out = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    x = data.draw(tensors(shape=(2, 3, n_in)))
    w, b = data.draw(tensors(shape=(n_out, n_in))), data.draw(tensors(shape=(n_out,)))
    upstream = np.random.default_rng(0).standard_normal((2, 3, n_out))
    out = linear(x, w, b)
    out.backward(upstream)
    tx, tw, tb = _torch(x), _torch(w), _torch(b)
    expected = F.linear(tx, tw, tb)
    expected.backward(torch.tensor(upstream))
    _close(out, expected)
    for ours, theirs in ((x, tx), (w, tw), (b, tb)):
        _close(ours.grad, theirs.grad)


def test_dense_module_with_copied_weights():
    ours = nn.Dense(5, 3)
    theirs = torch.nn.Linear(5, 3)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.data))
        theirs.bias.copy_(torch.tensor(ours.bias.data) + 0.5)
    ours.load_state_dict({"weight": theirs.weight.detach().numpy(),
                          "bias": theirs.bias.detach().numpy()})
    x = mg.randn(4, 5)
    _close(ours(x), theirs(torch.tensor(x.data)), tol=1e-6)


@given(st.data(), st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_and_nll(data, reduction):
    n, c = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    logits = data.draw(tensors(shape=(n, c), min_value=-20, max_value=20))
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    t_logits, t_target = _torch(logits), torch.tensor(target)
    for ours_fn, theirs_fn in ((cross_entropy, F.cross_entropy), (nll_loss, F.nll_loss)):
        logits.grad, t_logits.grad = None, None
        out = ours_fn(logits, target, reduction=reduction)
        expected = theirs_fn(t_logits, t_target, reduction=reduction)
        _close(out, expected)
        out.sum().backward()
        expected.sum().backward()
        _close(logits.grad, t_logits.grad)


def test_cross_entropy_huge_logits_float32():
    logits = mg.tensor(np.array([[1e4, -1e4, 3.0], [0.0, 1e4, 1e4]], np.float32),
                       requires_grad=True)
    target = np.array([2, 1])
    t_logits = _torch(logits)
    out = cross_entropy(logits, target)
    expected = F.cross_entropy(t_logits, torch.tensor(target))
    _close(out, expected, tol=1e-4)
    out.backward()
    expected.backward()
    _close(logits.grad, t_logits.grad, tol=1e-6)


@given(st.sampled_from([(3,), (2, 3), (2, 2, 2)]), st.sampled_from(["mean", "sum", "none"]),
       st.data())
def test_mse_loss(shape, reduction, data):
    x, y = data.draw(tensors(shape=shape)), data.draw(tensors(shape=shape))
    tx, ty = _torch(x), _torch(y)
    out = mse_loss(x, y, reduction=reduction)
    expected = F.mse_loss(tx, ty, reduction=reduction)
    _close(out, expected)
    out.sum().backward()
    expected.sum().backward()
    _close(x.grad, tx.grad)
    _close(y.grad, ty.grad)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2, 3)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional(shape, training):
    x = mg.randn(*shape, dtype=np.float64, requires_grad=True)
    weight = mg.randn(3, dtype=np.float64, requires_grad=True)
    bias = mg.randn(3, dtype=np.float64, requires_grad=True)
    mean, var = mg.randn(3, dtype=np.float64), mg.rand(3, dtype=np.float64) + 0.5
    t_mean, t_var = torch.tensor(mean.data.copy()), torch.tensor(var.data.copy())
    tx, tw, tb = _torch(x), _torch(weight), _torch(bias)
    out = batch_norm(x, mean, var, weight, bias, training=training, momentum=0.3)
    expected = F.batch_norm(tx, t_mean, t_var, tw, tb, training=training, momentum=0.3)
    _close(out, expected)
    _close(mean, t_mean)
    _close(var, t_var)
    upstream = np.random.default_rng(1).standard_normal(shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for ours, theirs in ((x, tx), (weight, tw), (bias, tb)):
        _close(ours.grad, theirs.grad, tol=1e-9)


def test_batchnorm2d_module_train_steps_then_eval():
    ours, theirs = nn.BatchNorm2D(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
        theirs.bias.copy_(torch.tensor([0.1, 0.0, 2.0]))
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    for _ in range(3):
        x = mg.randn(4, 3, 2, 2) * 2 + 1
        _close(ours(x), theirs(torch.tensor(x.data)), tol=1e-5)
    _close(ours.running_mean, theirs.running_mean, tol=1e-6)
    _close(ours.running_var, theirs.running_var, tol=1e-6)
    ours.eval()
    theirs.eval()
    x = mg.randn(2, 3, 3, 3)
    _close(ours(x), theirs(torch.tensor(x.data)), tol=1e-5)


def test_dropout_eval_is_identity_in_both():
    x = mg.randn(3, 4)
    _close(dropout(x, 0.4, training=False), F.dropout(torch.tensor(x.data), 0.4, training=False))
    ours, theirs = nn.Dropout(0.4).eval(), torch.nn.Dropout(0.4).eval()
    _close(ours(x), theirs(torch.tensor(x.data)))


def test_dropout_train_scaling_matches():
    """Different random streams, same rule: kept elements are scaled by 1 / (1 - p)."""
    x = mg.ones(50, 50)
    ours = dropout(x, 0.25).data
    theirs = F.dropout(torch.ones(50, 50), 0.25).numpy()
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-6)


def test_glorot_bound_matches_torch_xavier():
    """torch's xavier_uniform_ bound for a (32, 1, 3, 3) weight equals ours."""
    torch.manual_seed(0)
    theirs = torch.nn.init.xavier_uniform_(torch.empty(200, 1, 3, 3)).abs().max().item()
    ours = nn.init.glorot_uniform_(mg.zeros(200, 1, 3, 3)).data
    bound = np.sqrt(6 / (9 + 200 * 9))
    assert theirs <= bound and np.abs(ours).max() <= bound
    assert theirs > 0.99 * bound and np.abs(ours).max() > 0.99 * bound
