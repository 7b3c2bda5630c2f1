"""SGD, Adam, AdamW against updates computed by hand; argument checks; state_dict round trip."""
import math

import numpy as np
import pytest

import minigrad as mg
import nn
from nn.optim import SGD, Adam, AdamW


def param(values):
    return nn.Parameter(np.array(values, dtype=np.float32))


def set_grad(p, values):
    p.grad = mg.tensor(np.array(values, dtype=np.float32))


def test_sgd_plain_step():
    p = param([1.0, -2.0])
    opt = SGD([p], lr=0.1)
    set_grad(p, [0.5, 1.0])
    opt.step()
    np.testing.assert_allclose(p.data, [1.0 - 0.05, -2.0 - 0.1], rtol=1e-6)
    assert p.dtype == np.float32


def test_sgd_momentum_first_buffer_is_the_gradient_then_accumulates():
    p = param([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    set_grad(p, [1.0])
    opt.step()                      # b = 1, p = 1 - 0.1
    np.testing.assert_allclose(p.data, [0.9], rtol=1e-6)
    set_grad(p, [2.0])
    opt.step()                      # b = 0.9*1 + 2 = 2.9, p = 0.9 - 0.29
    np.testing.assert_allclose(p.data, [0.61], rtol=1e-6)
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"], [2.9], rtol=1e-6)


def test_sgd_nesterov_and_weight_decay():
    p = param([2.0])
    opt = SGD([p], lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.1)
    set_grad(p, [1.0])
    opt.step()       # g = 1 + 0.2 = 1.2; b = 1.2; step g + 0.5 b = 1.8; p = 2 - 0.18
    np.testing.assert_allclose(p.data, [1.82], rtol=1e-6)
    set_grad(p, [1.0])
    opt.step()       # g = 1 + 0.182 = 1.182; b = 0.6 + 1.182 = 1.782; g + 0.5b = 2.073
    np.testing.assert_allclose(p.data, [1.82 - 0.2073], rtol=1e-6)


def test_sgd_weight_decay_without_momentum():
    p = param([3.0])
    opt = SGD([p], lr=0.5, weight_decay=0.2)
    set_grad(p, [0.0])
    opt.step()                      # p = 3 - 0.5 * 0.6
    np.testing.assert_allclose(p.data, [2.7], rtol=1e-6)


def test_adam_steps_by_hand():
    p = param([1.0, -1.0])
    opt = Adam([p], lr=0.1, betas=(0.9, 0.99), eps=1e-8)
    grads = [[0.5, -2.0], [1.0, 1.0], [-0.3, 0.2]]
    expected = np.array([1.0, -1.0])
    m = v = np.zeros(2)
    for t, g in enumerate(grads, start=1):
        g = np.array(g)
        m = 0.9 * m + 0.1 * g
        v = 0.99 * v + 0.01 * g * g
        expected = expected - 0.1 / (1 - 0.9 ** t) * m / (np.sqrt(v) / math.sqrt(1 - 0.99 ** t)
                                                           + 1e-8)
        set_grad(p, g)
        opt.step()
        np.testing.assert_allclose(p.data, expected, rtol=1e-5)
    assert opt.state[0]["step"] == 3


def test_adam_first_step_moves_by_lr_against_the_gradient_sign():
    p = param([0.0, 0.0])
    opt = Adam([p], lr=0.01)
    set_grad(p, [3.0, -1e-3])
    opt.step()
    np.testing.assert_allclose(p.data, [-0.01, 0.01], rtol=1e-4)


def test_adam_weight_decay_is_added_to_the_gradient():
    p = param([2.0])
    opt = Adam([p], lr=0.1, weight_decay=0.5)
    set_grad(p, [-1.0])             # g = -1 + 1 = 0: no move at all
    opt.step()
    np.testing.assert_allclose(p.data, [2.0], rtol=1e-6)


def test_adamw_decays_the_weight_before_the_adam_step():
    p = param([2.0])
    opt = AdamW([p], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    set_grad(p, [1.0])              # p = 2 * (1 - 0.001), then Adam's first step of -lr
    opt.step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.1 * 0.01) - 0.1], rtol=1e-6)
    q = param([2.0])
    adamw = AdamW([q], lr=0.1, weight_decay=0.5)
    set_grad(q, [-1.0])             # unlike Adam, the decay does not cancel the gradient
    adamw.step()
    np.testing.assert_allclose(q.data, [2.0 * (1 - 0.05) + 0.1], rtol=1e-6)


def test_params_without_grad_are_skipped_and_zero_grad_clears():
    a, b = param([1.0]), param([1.0])
    for opt in (SGD([a, b], lr=0.1, momentum=0.9), Adam([a, b]), AdamW([a, b])):
        set_grad(a, [1.0])
        b.grad = None
        before = b.data.copy()
        opt.step()
        np.testing.assert_array_equal(b.data, before)
        assert 1 not in opt.state
        opt.zero_grad()
        assert a.grad is None
    set_grad(a, [3.0])
    SGD([a], lr=0.1).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.data, [0.0])


def test_optimizers_accept_generators_and_train_a_linear_fit():
    mg.manual_seed(0)
    model = nn.Dense(3, 1)
    x = mg.randn(64, 3)
    y = x @ mg.tensor([[1.0], [-2.0], [0.5]]) + 0.3
    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for _ in range(200):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-6
    np.testing.assert_allclose(model.weight.data, [[1.0, -2.0, 0.5]], atol=1e-3)


@pytest.mark.parametrize("make, error, message", [
    (lambda p: SGD([], lr=0.1), ValueError, r"SGD: got an empty parameter list"),
    (lambda p: SGD(iter([]), lr=0.1), ValueError, r"SGD: got an empty parameter list"),
    (lambda p: SGD([p], lr=-0.1), ValueError, r"SGD: invalid lr -0.1: it must be >= 0"),
    (lambda p: SGD([p], lr=float("nan")), ValueError, r"SGD: invalid lr nan"),
    (lambda p: SGD([p], lr="0.1"), TypeError, r"SGD: lr must be a number, got str"),
    (lambda p: SGD([p], lr=0.1, momentum=-1), ValueError, r"SGD: invalid momentum -1.0"),
    (lambda p: SGD([p], lr=0.1, weight_decay=-1), ValueError, r"SGD: invalid weight_decay"),
    (lambda p: SGD([p], lr=0.1, nesterov=True), ValueError,
     r"SGD: nesterov=True needs momentum > 0"),
    (lambda p: SGD(p, lr=0.1), TypeError, r"SGD: params must be an iterable of Tensors, got a "
                                          r"single Tensor"),
    (lambda p: SGD([p, p], lr=0.1), ValueError, r"SGD: parameter 1 .* appears twice"),
    (lambda p: SGD([p, 3.0], lr=0.1), TypeError, r"SGD: parameter 1 is a float, not a Tensor"),
    (lambda p: SGD([p * 2], lr=0.1), ValueError, r"SGD: parameter 0 .* is not a leaf"),
    (lambda p: Adam([p], lr=-1), ValueError, r"Adam: invalid lr -1.0"),
    (lambda p: Adam([p], betas=(0.9, 1.0)), ValueError,
     r"Adam: invalid beta2 1.0: it must be >= 0.0 and < 1.0"),
    (lambda p: Adam([p], betas=0.9), ValueError, r"Adam: betas must be a pair"),
    (lambda p: AdamW([p], eps=-1e-8), ValueError, r"AdamW: invalid eps"),
    (lambda p: AdamW([p], weight_decay=-0.1), ValueError, r"AdamW: invalid weight_decay"),
])
def test_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(param([1.0]))


def _train(model, opt, x, y, steps):
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.mark.parametrize("make", [
    lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    lambda ps: Adam(ps, lr=0.01, weight_decay=1e-3),
    lambda ps: AdamW(ps, lr=0.01),
])
def test_state_dict_round_trip_through_save_and_load_resumes_exactly(make, tmp_path):
    mg.manual_seed(1)
    x, y = mg.randn(16, 4), mg.randn(16, 2)

    def build():
        mg.manual_seed(2)
        return nn.Sequential(nn.Dense(4, 8), nn.ReLU(), nn.Dense(8, 2))

    reference = build()
    reference_opt = make(reference.parameters())
    _train(reference, reference_opt, x, y, 3)
    mg.save({"model": reference.state_dict(), "optim": reference_opt.state_dict()},
            tmp_path / "checkpoint.npz")
    expected = _train(reference, reference_opt, x, y, 4)

    resumed = build()
    resumed_opt = make(resumed.parameters())
    checkpoint = mg.load(tmp_path / "checkpoint.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_opt.load_state_dict(checkpoint["optim"])
    assert _train(resumed, resumed_opt, x, y, 4) == expected
    for a, b in zip(resumed.parameters(), reference.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
        assert a.dtype == np.float32


def test_state_dict_is_a_copy_and_holds_hyperparameters():
    p = param([1.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    set_grad(p, [1.0])
    opt.step()
    state = opt.state_dict()
    assert state["param_groups"] == [{"lr": 0.1, "momentum": 0.9, "nesterov": False,
                                      "weight_decay": 0.0, "params": [0]}]
    state["state"][0]["momentum_buffer"][...] = 100
    assert opt.state[0]["momentum_buffer"][0] == 1.0
    opt.param_groups[0]["lr"] = 0.0          # PyTorch-style learning-rate change
    opt.step()
    np.testing.assert_allclose(p.data, [0.9], rtol=1e-6)


def test_load_state_dict_errors():
    a, b = param([1.0]), param([1.0, 2.0])
    opt = SGD([a, b], lr=0.1, momentum=0.9)
    set_grad(a, [1.0])
    set_grad(b, [1.0, 1.0])
    opt.step()
    state = opt.state_dict()
    with pytest.raises(ValueError, match=r"the state holds 2 parameters but this optimizer has 1"):
        SGD([a], lr=0.1, momentum=0.9).load_state_dict(state)
    with pytest.raises(ValueError, match=r"momentum_buffer of parameter 1 has shape \(2,\) but "
                                         r"the parameter has shape \(3,\)"):
        SGD([a, param([1.0, 2.0, 3.0])], lr=0.1, momentum=0.9).load_state_dict(state)
    with pytest.raises(ValueError, match=r"hyperparameters .* do not match"):
        Adam([a, b]).load_state_dict(state)
    with pytest.raises(ValueError, match=r"expected a dict with keys 'state' and 'param_groups'"):
        opt.load_state_dict({"lr": 0.1})
