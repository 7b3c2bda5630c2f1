"""Optimizer.load_state_dict validates like the constructor: bad hyperparameters and malformed
per-parameter state are refused at load, naming the problem, and leave the optimizer as it was
(they used to be accepted and fail later, at step(), with a bare NumPy/KeyError)."""
import numpy as np
import pytest

import minigrad as mg
import nn
from nn.optim import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop

OPTIMIZERS = {
    "SGD": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: Adam(ps, lr=0.01),
    "AdamW": lambda ps: AdamW(ps, lr=0.01),
    "RMSprop": lambda ps: RMSprop(ps, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda ps: Adagrad(ps, lr=0.1),
    "Adadelta": lambda ps: Adadelta(ps),
}


def _trained(name):
    """An optimizer over two parameters after two steps, and its state dict."""
    params = [nn.Parameter(mg.tensor([1.0, -2.0])), nn.Parameter(mg.tensor([[0.5]]))]
    optimizer = OPTIMIZERS[name](params)
    for _ in range(2):
        for p in params:
            p.grad = mg.ones(*p.shape)
        optimizer.step()
    return optimizer, optimizer.state_dict()


def _unchanged(optimizer, before):
    after = optimizer.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for index, entries in before["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(after["state"][index][key], value)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lr, error, message", [
    (-5, ValueError, r"invalid lr -5.0: it must be >= 0"),
    ("0.1", TypeError, r"lr must be a number, got str"),
    (float("nan"), ValueError, r"invalid lr nan"),
])
def test_bad_learning_rate_is_refused_at_load(name, lr, error, message):
    optimizer, state = _trained(name)
    state["param_groups"][0]["lr"] = lr
    before = optimizer.state_dict()
    with pytest.raises(error, match=rf"{name}.load_state_dict: the saved hyperparameters are "
                                    rf"not valid \({name}: {message}"):
        optimizer.load_state_dict(state)
    _unchanged(optimizer, before)


@pytest.mark.parametrize("betas, message", [([0.9], r"betas must be a pair"),
                                             ([0.9, 1.5], r"invalid beta2 1.5"),
                                             ("0.9", r"betas must be a pair")])
def test_bad_betas_are_refused_at_load(betas, message):
    optimizer, state = _trained("Adam")
    state["param_groups"][0]["betas"] = betas
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(state)
    optimizer.step()                                    # still usable


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_missing_a_required_entry_is_refused_at_load(name):
    optimizer, state = _trained(name)
    required = sorted(type(optimizer).state_keys)
    assert required
    del state["state"][1][required[-1]]
    with pytest.raises(ValueError, match=rf"the state of parameter 1 lacks \['{required[-1]}'\]"
                                         r".*saved by another optimizer type"):
        optimizer.load_state_dict(state)


def test_the_issue_reproduction_adam_without_exp_avg():
    optimizer, state = _trained("Adam")
    del state["state"][0]["exp_avg"]
    with pytest.raises(ValueError, match=r"lacks \['exp_avg'\]; Adam keeps \['exp_avg', "
                                         r"'exp_avg_sq', 'step'\]"):
        optimizer.load_state_dict(state)
    optimizer.step()


def test_state_of_another_optimizer_type_is_refused():
    _, sgd_state = _trained("SGD")
    adam, _ = _trained("Adam")
    sgd_state["param_groups"] = adam.state_dict()["param_groups"]
    with pytest.raises(ValueError, match=r"lacks \['exp_avg', 'exp_avg_sq', 'step'\] and has "
                                         r"unknown entries \['momentum_buffer'\]"):
        adam.load_state_dict(sgd_state)


@pytest.mark.parametrize("key, value, message", [
    ("exp_avg", np.zeros(3, np.float32), r"exp_avg of parameter 0 has shape \(3,\) but the "
                                          r"parameter has shape \(2,\)"),
    ("exp_avg", np.zeros(2, np.int64), r"exp_avg of parameter 0 is a int64 array; expected a "
                                        r"floating array of the parameter's shape \(2,\)"),
    ("exp_avg", "zeros", r"exp_avg of parameter 0 is a str"),
    ("step", -1, r"step of parameter 0 must be a non-negative integer step count, got int -1"),
    ("step", 2.5, r"step of parameter 0 must be a non-negative integer"),
    ("step", "2", r"step of parameter 0 must be a non-negative integer"),
])
def test_malformed_state_values_are_refused(key, value, message):
    optimizer, state = _trained("Adam")
    state["state"][0][key] = value
    with pytest.raises(ValueError, match=message):
        optimizer.load_state_dict(state)


def test_valid_state_is_converted_as_before(tmp_path):
    optimizer, state = _trained("Adam")
    state["state"][0]["exp_avg"] = state["state"][0]["exp_avg"].astype(np.float64)
    state["state"][0]["step"] = np.array(2)              # a 0-d array, as after mg.load
    state["param_groups"][0]["betas"] = [0.8, 0.99]      # a list, as after mg.load
    state["param_groups"][0]["initial_lr"] = 0.01        # a scheduler's bookkeeping
    optimizer.load_state_dict(state)
    assert optimizer.param_groups[0]["betas"] == (0.8, 0.99)
    assert optimizer.param_groups[0]["initial_lr"] == 0.01
    assert optimizer.state[0]["exp_avg"].dtype == np.float32
    assert optimizer.state[0]["step"] == 2 and type(optimizer.state[0]["step"]) is int
    mg.save(optimizer.state_dict(), tmp_path / "opt.npz")
    optimizer.load_state_dict(mg.load(tmp_path / "opt.npz"))
    optimizer.step()


def test_a_scheduler_key_must_be_a_number():
    optimizer, state = _trained("SGD")
    state["param_groups"][0]["initial_lr"] = "fast"
    with pytest.raises(TypeError, match=r"initial_lr must be a number, got str"):
        optimizer.load_state_dict(state)

