"""An optimizer step between forward and a (retained) backward is caught by the version
counter: a clear RuntimeError, never a gradient computed from the updated weights."""
import numpy as np
import pytest

import minigrad as mg
import nn

OPTIMIZERS = {
    "SGD": lambda params: nn.optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: nn.optim.Adam(params, lr=0.1),
    "AdamW": lambda params: nn.optim.AdamW(params, lr=0.1),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_between_forward_and_retained_backward_raises(name):
    model = nn.Sequential(nn.Dense(3, 4), nn.Tanh(), nn.Dense(4, 2))
    opt = OPTIMIZERS[name](model.parameters())
    loss = nn.functional.cross_entropy(model(mg.randn(5, 3)), np.array([0, 1, 1, 0, 1]))
    loss.backward(retain_graph=True)
    opt.step()                                            # the weights the graph used change
    with pytest.raises(RuntimeError, match=r"Linear: an input of shape \(.*\) was "
                                           r"modified in place \(version \d+ -> \d+\)"):
        loss.backward()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_step_before_first_backward_raises(name):
    model = nn.Dense(3, 2)
    opt = OPTIMIZERS[name](model.parameters())
    loss = model(mg.randn(4, 3)).pow(2).sum()
    for p in model.parameters():                          # gradients from an earlier batch
        p.grad = mg.ones_like(p)
    opt.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_normal_loop_is_unaffected():
    model = nn.Dense(3, 2)
    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = mg.randn(4, 3)
    start = model.weight._version
    for _ in range(3):
        loss = model(x).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model.weight._version == start + 3        # each step bumped it; no error raised
