"""optim.lr_scheduler: learning-rate sequences equal to torch's over many steps, the call-order
warning, get_last_lr, state_dict round trips that resume exactly, and argument errors."""
import math
import warnings

import numpy as np
import pytest

import minigrad as mg
import nn
from nn import optim
from nn.optim import lr_scheduler


def make_optimizer(kind="SGD", **kwargs):
    p = nn.Parameter(np.zeros(2))
    kwargs = kwargs or (dict(lr=0.1, momentum=0.9) if kind == "SGD" else dict(lr=0.1))
    return getattr(optim, kind)([p], **kwargs)


SCHEDULES = [
    ("StepLR", dict(step_size=7, gamma=0.5), "SGD", 60),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 30], gamma=0.3), "SGD", 60),
    ("ExponentialLR", dict(gamma=0.93), "SGD", 60),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=0.001), "SGD", 60),   # past T_max: rises
    ("CosineAnnealingLR", dict(T_max=50), "Adam", 50),
    ("LambdaLR", dict(lr_lambda=lambda epoch: 1 / (epoch + 1)), "SGD", 30),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=60), "SGD", 60),
    ("OneCycleLR", dict(max_lr=0.5, epochs=3, steps_per_epoch=20, anneal_strategy="linear",
                        three_phase=True, div_factor=10.0), "Adam", 60),
    ("OneCycleLR", dict(max_lr=0.5, total_steps=20, cycle_momentum=False), "RMSprop", 20),
]


def momentum_of(group):
    return group["betas"][0] if "betas" in group else group.get("momentum")


@pytest.mark.parametrize("name, kwargs, kind, steps", SCHEDULES)
def test_learning_rates_equal_torch_step_for_step(name, kwargs, kind, steps):
    torch = pytest.importorskip("torch")
    ours = make_optimizer(kind)
    p = torch.zeros(2, requires_grad=True)
    ref_kwargs = dict(lr=0.1, momentum=0.9) if kind == "SGD" else dict(lr=0.1)
    theirs = getattr(torch.optim, kind)([p], **ref_kwargs)
    scheduler = getattr(lr_scheduler, name)(ours, **kwargs)
    reference = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    assert scheduler.get_last_lr() == reference.get_last_lr()
    for _ in range(steps):
        ours.step()
        theirs.step()
        scheduler.step()
        reference.step()
        assert scheduler.get_last_lr() == reference.get_last_lr()      # bit for bit
        assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"]
        assert momentum_of(ours.param_groups[0]) == momentum_of(theirs.param_groups[0])
    assert scheduler.last_epoch == reference.last_epoch == steps


@pytest.mark.parametrize("kwargs", [dict(patience=2, cooldown=1),
                                    dict(mode="max", factor=0.5, patience=0, threshold=0.1,
                                         threshold_mode="abs", min_lr=0.01)])
def test_reduce_on_plateau_equals_torch(kwargs):
    torch = pytest.importorskip("torch")
    metrics = np.random.default_rng(0).standard_normal(60).cumsum()
    ours = make_optimizer()
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.ReduceLROnPlateau(ours, **kwargs)
    reference = torch.optim.lr_scheduler.ReduceLROnPlateau(theirs, **kwargs)
    lrs = set()
    for value in metrics:
        scheduler.step(mg.tensor(value))          # a 0-d tensor works, as in torch
        reference.step(float(value))
        assert scheduler.get_last_lr() == reference.get_last_lr()
        assert scheduler.num_bad_epochs == reference.num_bad_epochs
        lrs.add(scheduler.get_last_lr()[0])
    assert len(lrs) > 2                               # the schedule did reduce, repeatedly


def test_closed_form_with_explicit_epoch_warns_and_matches_torch():
    torch = pytest.importorskip("torch")
    ours = make_optimizer()
    theirs = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1, momentum=0.9)
    scheduler = lr_scheduler.CosineAnnealingLR(ours, T_max=10)
    reference = torch.optim.lr_scheduler.CosineAnnealingLR(theirs, T_max=10)
    ours.step()
    theirs.step()
    with pytest.warns(UserWarning, match=r"step\(epoch\) is deprecated"):
        scheduler.step(7)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference.step(7)
    assert scheduler.get_last_lr() == reference.get_last_lr()


def test_constructing_sets_initial_lr_and_step_order_warning():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    assert scheduler.get_last_lr() == [0.1]
    with pytest.warns(UserWarning, match=r"StepLR.step\(\) was called before "
                                         r"optimizer.step\(\).*skips the first learning rate"):
        scheduler.step()
    assert scheduler.get_last_lr() == [0.05]


def test_no_warning_in_the_pytorch_order():
    opt = make_optimizer()
    scheduler = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.step()
            scheduler.step()
    assert scheduler.get_last_lr() == [0.1 * 0.5 ** 3]


def test_get_lr_outside_step_warns_and_points_to_get_last_lr():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=2)
    with pytest.warns(UserWarning, match=r"use get_last_lr\(\)"):
        scheduler.get_lr()


def test_get_last_lr_is_a_copy():
    opt = make_optimizer()
    scheduler = lr_scheduler.StepLR(opt, step_size=2)
    scheduler.get_last_lr()[0] = 123.0
    assert scheduler.get_last_lr() == [0.1] and opt.param_groups[0]["lr"] == 0.1


class Halving:
    """A callable object: its attributes are saved in LambdaLR's state_dict, as in torch."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, epoch):
        return self.base ** epoch


@pytest.mark.parametrize("make", [
    lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5, 5], gamma=0.5),
    lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9),
    lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=8, eta_min=0.01),
    lambda o: lr_scheduler.LambdaLR(o, Halving()),
    lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=12),
    lambda o: lr_scheduler.ReduceLROnPlateau(o, patience=0),
])
def test_state_dict_through_a_file_resumes_the_same_sequence(tmp_path, make):
    plateau = "ReduceLROnPlateau" in repr(make(make_optimizer()))
    metrics = [1.0, 2.0, 0.5, 0.7, 0.9, 0.4, 0.8, 0.9, 1.0, 0.3, 0.35]

    def advance(opt, scheduler, steps):
        out = []
        for i in steps:
            opt.step()
            scheduler.step(metrics[i]) if plateau else scheduler.step()
            out.append(scheduler.get_last_lr())
        return out

    opt = make_optimizer()
    straight = advance(opt, make(opt), range(10))

    opt1 = make_optimizer()
    first = make(opt1)
    if isinstance(first, lr_scheduler.LambdaLR):
        first.lr_lambdas[0].base = 0.5
    head = advance(opt1, first, range(4))
    mg.save({"opt": opt1.state_dict(), "sched": first.state_dict()}, tmp_path / "ck.npz")
    loaded = mg.load(tmp_path / "ck.npz")
    opt2 = make_optimizer()
    second = make(opt2)                       # torch's order: build, then load both
    opt2.load_state_dict(loaded["opt"])
    second.load_state_dict(loaded["sched"])
    assert head + advance(opt2, second, range(4, 10)) == straight


def test_lambda_state_dict_saves_callable_objects_not_functions():
    scheduler = lr_scheduler.LambdaLR(make_optimizer(), [Halving()])
    assert scheduler.state_dict()["lr_lambdas"] == [{"base": 0.5}]
    plain = lr_scheduler.LambdaLR(make_optimizer(), lambda e: 1.0)
    assert plain.state_dict()["lr_lambdas"] == [None]


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'.*load the "
                                       r"optimizer's saved state_dict first"):
        lr_scheduler.StepLR(make_optimizer(), step_size=2, last_epoch=4)
    opt = make_optimizer()
    opt.param_groups[0]["initial_lr"] = 0.1
    scheduler = lr_scheduler.StepLR(opt, step_size=2, last_epoch=4)
    assert scheduler.last_epoch == 5


def test_scheduler_keys_in_optimizer_state_load_into_a_fresh_optimizer():
    opt = make_optimizer()
    lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=10)
    state = opt.state_dict()
    assert {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"} \
        <= set(state["param_groups"][0])
    fresh = make_optimizer()
    fresh.load_state_dict(state)
    assert fresh.param_groups[0]["max_lr"] == 1.0


def test_one_cycle_past_total_steps_and_without_momentum():
    opt = make_optimizer()
    scheduler = lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(2):
        opt.step()
        scheduler.step()
    with pytest.raises(ValueError, match=r"step\(\) called 4 times, but total_steps is 3"):
        scheduler.step()
        scheduler.step()
    with pytest.raises(ValueError, match="Adagrad has neither momentum nor betas to cycle; "
                                         "pass cycle_momentum=False"):
        lr_scheduler.OneCycleLR(make_optimizer("Adagrad", lr=0.1), max_lr=1.0, total_steps=5)
    with pytest.raises(ValueError, match="give total_steps, or both epochs and"):
        lr_scheduler.OneCycleLR(make_optimizer(), max_lr=1.0, epochs=3)


@pytest.mark.parametrize("make, error, match", [
    (lambda o: lr_scheduler.StepLR(o, step_size=0), ValueError,
     "StepLR: step_size must be an int >= 1, got 0"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2.5), ValueError, "step_size must be an int"),
    (lambda o: lr_scheduler.MultiStepLR(o, milestones=5), TypeError,
     "milestones must be a list of epoch numbers, got int"),
    (lambda o: lr_scheduler.ExponentialLR(o, gamma="0.9"), ValueError,
     "gamma must be a number"),
    (lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=0), ValueError, "T_max must be an int"),
    (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError,
     "lr_lambda must be a function of the epoch, got float"),
    (lambda o: lr_scheduler.LambdaLR(o, [abs, abs]), ValueError, "expected 1 lr_lambdas"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=1.5),
     ValueError, r"pct_start must be in \[0, 1\]"),
    (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, anneal_strategy="x"),
     ValueError, "anneal_strategy must be 'cos' or 'linear'"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError,
     r"factor must be < 1"),
    (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError,
     "mode must be 'min' or 'max'"),
    (lambda o: lr_scheduler.StepLR(o, step_size=2, last_epoch=-3), ValueError,
     "last_epoch must be an int >= -1"),
    (lambda o: lr_scheduler.StepLR("sgd", step_size=2), TypeError,
     "optimizer must be an nn.optim Optimizer, got str"),
])
def test_argument_errors(make, error, match):
    with pytest.raises(error, match=match):
        make(make_optimizer())


def test_plateau_metric_must_be_a_number_and_load_refuses_other_types():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer())
    with pytest.raises(TypeError, match="metrics must be a number or a 1-element tensor"):
        scheduler.step("loss")
    step = lr_scheduler.StepLR(make_optimizer(), step_size=2)
    with pytest.raises(ValueError, match="was it saved by another scheduler type"):
        step.load_state_dict(lr_scheduler.ExponentialLR(make_optimizer(), 0.5).state_dict())
    assert math.isinf(scheduler.state_dict()["best"])
