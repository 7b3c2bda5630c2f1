"""RMSprop, Adagrad, Adadelta: updates by hand, against torch over many steps, argument checks,
state_dict round trips (through mg.save) that resume exactly."""
import math

import numpy as np
import pytest

import minigrad as mg
import nn
from nn.optim import Adadelta, Adagrad, RMSprop


def param(values, dtype=np.float64):
    return nn.Parameter(np.array(values, dtype=dtype))


def set_grad(p, values):
    p.grad = mg.tensor(np.array(values, dtype=p.dtype))


def test_rmsprop_two_steps_by_hand():
    p = param([1.0])
    opt = RMSprop([p], lr=0.1, alpha=0.5, eps=0.0)
    set_grad(p, [2.0])
    opt.step()                      # v = 0.5 * 4 = 2; p = 1 - 0.1 * 2 / sqrt(2)
    expected = 1 - 0.1 * 2 / math.sqrt(2)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-12)
    set_grad(p, [1.0])
    opt.step()                      # v = 1 + 0.5 = 1.5; p -= 0.1 / sqrt(1.5)
    np.testing.assert_allclose(p.data, [expected - 0.1 / math.sqrt(1.5)], rtol=1e-12)
    assert opt.state[0]["step"] == 2
    assert set(opt.state[0]) == {"step", "square_avg"}


def test_rmsprop_centered_momentum_state_entries():
    p = param([1.0, 2.0])
    opt = RMSprop([p], momentum=0.9, centered=True)
    set_grad(p, [1.0, -1.0])
    opt.step()
    assert set(opt.state[0]) == {"step", "square_avg", "grad_avg", "momentum_buffer"}
    # centered: v - a^2 = 0.01 - 0.0001; buffer = g / (sqrt(0.0099) + eps)
    np.testing.assert_allclose(opt.state[0]["momentum_buffer"],
                               np.array([1.0, -1.0]) / (math.sqrt(0.0099) + 1e-8), rtol=1e-12)


def test_adagrad_lr_decay_by_hand_and_state_from_construction():
    p = param([0.0])
    opt = Adagrad([p], lr=1.0, lr_decay=0.5, initial_accumulator_value=1.0, eps=0.0)
    assert opt.state[0]["step"] == 0 and opt.state[0]["sum"].tolist() == [1.0]
    set_grad(p, [1.0])
    opt.step()                      # s = 2; p = -1/sqrt(2)
    set_grad(p, [2.0])
    opt.step()                      # s = 6; clr = 1/1.5; p -= clr * 2/sqrt(6)
    np.testing.assert_allclose(p.data, [-1 / math.sqrt(2) - 2 / 1.5 / math.sqrt(6)], rtol=1e-12)


def test_adadelta_first_step_by_hand():
    p = param([1.0])
    opt = Adadelta([p], rho=0.9, eps=1e-6)
    set_grad(p, [2.0])
    opt.step()     # v = 0.4; delta = sqrt(1e-6) / sqrt(0.4 + 1e-6) * 2; lr = 1
    delta = math.sqrt(1e-6) / math.sqrt(0.4 + 1e-6) * 2
    np.testing.assert_allclose(p.data, [1 - delta], rtol=1e-12)
    np.testing.assert_allclose(opt.state[0]["acc_delta"], [0.1 * delta ** 2], rtol=1e-12)


def test_defaults_match_pytorch():
    p = param([1.0])
    assert RMSprop([p]).defaults == dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0,
                                         momentum=0.0, centered=False)
    assert Adagrad([p]).defaults == dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                                         initial_accumulator_value=0.0, eps=1e-10)
    assert Adadelta([p]).defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)


def test_params_without_grad_are_skipped():
    a, b = param([1.0]), param([2.0])
    for cls in (RMSprop, Adagrad, Adadelta):
        opt = cls([a, b])
        set_grad(a, [1.0])
        b.grad = None
        opt.step()
        assert b.data.tolist() == [2.0]
        assert opt.state.get(1, {"step": 0})["step"] == 0


@pytest.mark.parametrize("cls, kwargs, match", [
    (RMSprop, dict(lr=-1.0), "RMSprop: invalid lr -1.0"),
    (RMSprop, dict(alpha=-0.1), "RMSprop: invalid alpha"),
    (RMSprop, dict(momentum=-0.5), "RMSprop: invalid momentum"),
    (RMSprop, dict(eps=float("nan")), "RMSprop: invalid eps"),
    (Adagrad, dict(lr_decay=-1), "Adagrad: invalid lr_decay"),
    (Adagrad, dict(initial_accumulator_value=-1), "Adagrad: invalid initial_accumulator_value"),
    (Adagrad, dict(weight_decay=-1), "Adagrad: invalid weight_decay"),
    (Adadelta, dict(rho=1.5), r"Adadelta: invalid rho 1.5: it must be >= 0.0 and <= 1.0"),
    (Adadelta, dict(lr="1"), "Adadelta: lr must be a number, got str"),
])
def test_argument_errors(cls, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        cls([param([1.0])], **kwargs)


CASES = [
    ("RMSprop", {}), ("RMSprop", dict(lr=0.05, alpha=0.9, weight_decay=0.1)),
    ("RMSprop", dict(momentum=0.9)), ("RMSprop", dict(centered=True)),
    ("RMSprop", dict(centered=True, momentum=0.5, weight_decay=0.01, eps=1e-3)),
    ("Adagrad", {}), ("Adagrad", dict(lr=0.5, lr_decay=0.05, weight_decay=0.1,
                                      initial_accumulator_value=0.3, eps=1e-6)),
    ("Adadelta", {}), ("Adadelta", dict(lr=0.3, rho=0.5, eps=1e-3, weight_decay=0.2)),
]


@pytest.mark.parametrize("name, kwargs", CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch_over_many_steps(name, kwargs, dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    shapes = [(3, 4), (5,)]
    starts = [rng.standard_normal(s).astype(dtype) for s in shapes]
    ours = [nn.Parameter(s.copy()) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    opt = getattr(nn.optim, name)(ours, **kwargs)
    ref = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(40):
        for p, q in zip(ours, theirs):
            g = rng.standard_normal(p.shape).astype(dtype)
            p.grad = mg.tensor(g)
            q.grad = torch.tensor(g)
        opt.step()
        ref.step()
    tol = dict(rtol=1e-12, atol=1e-12) if dtype == np.float64 else dict(rtol=2e-5, atol=2e-6)
    for p, q in zip(ours, theirs):
        assert p.dtype == dtype
        np.testing.assert_allclose(p.data, q.detach().numpy(), **tol)
    for i, q in enumerate(theirs):
        for key, value in ref.state[q].items():
            np.testing.assert_allclose(np.asarray(opt.state[i][key], dtype=np.float64),
                                       value.double().numpy(), **tol)


@pytest.mark.parametrize("name, kwargs", [("RMSprop", dict(momentum=0.9, centered=True)),
                                          ("Adagrad", dict(lr_decay=0.1)),
                                          ("Adadelta", dict(weight_decay=0.1))])
def test_state_dict_round_trip_through_a_file_resumes_exactly(tmp_path, name, kwargs):
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal((2, 3)) for _ in range(6)]

    def train(opt, p, gs):
        for g in gs:
            p.grad = mg.tensor(g)
            opt.step()

    straight = param(np.ones((2, 3)))
    opt = getattr(nn.optim, name)([straight], **kwargs)
    train(opt, straight, grads)

    first = param(np.ones((2, 3)))
    opt1 = getattr(nn.optim, name)([first], **kwargs)
    train(opt1, first, grads[:3])
    mg.save({"p": first, "opt": opt1.state_dict()}, tmp_path / "ck.npz")
    loaded = mg.load(tmp_path / "ck.npz")
    second = param(loaded["p"].data)
    opt2 = getattr(nn.optim, name)([second], **kwargs)
    opt2.load_state_dict(loaded["opt"])
    train(opt2, second, grads[3:])
    np.testing.assert_array_equal(second.data, straight.data)


def test_load_state_dict_from_another_optimizer_type_is_refused():
    p = param([1.0])
    with pytest.raises(ValueError, match=r"Adadelta.load_state_dict: hyperparameters .* do not "
                                         r"match .*another optimizer type"):
        Adadelta([p]).load_state_dict(RMSprop([p]).state_dict())
