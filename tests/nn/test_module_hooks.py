"""nn.Module forward hooks and forward pre-hooks, with removable handles (as PyTorch)."""
import numpy as np
import pytest

import minigrad as mg
import nn


def test_forward_hook_sees_args_and_output_and_may_replace_it():
    layer = nn.Linear(3, 2)
    seen = []

    def hook(module, args, output):
        seen.append((module, args, output.shape))
        return output * 0

    handle = layer.register_forward_hook(hook)
    x = mg.ones(4, 3)
    out = layer(x)
    assert seen[0][0] is layer and seen[0][1][0] is x and seen[0][2] == (4, 2)
    assert np.all(out.data == 0)
    handle.remove()
    assert np.any(layer(x).data != 0)


def test_forward_pre_hook_may_replace_the_args():
    layer = nn.ReLU()
    layer.register_forward_pre_hook(lambda module, args: args[0] * -1)   # one value -> (value,)
    out = layer(mg.tensor([1.0, -2.0]))
    np.testing.assert_allclose(out.data, [0.0, 2.0])


def test_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    module = Scale()
    order = []
    module.register_forward_hook(lambda m, a, o: order.append("second"))
    module.register_forward_hook(lambda m, a, o: order.append("first"), prepend=True)
    module.register_forward_pre_hook(lambda m, a, k: (a, {"factor": 3.0}), with_kwargs=True)
    module.register_forward_hook(lambda m, a, k, o: order.append(k), with_kwargs=True)
    out = module(mg.tensor([2.0]), factor=5.0)
    assert out.item() == 6.0
    assert order == ["first", "second", {"factor": 3.0}]


def test_with_kwargs_pre_hook_bad_return_is_named():
    module = nn.ReLU()
    module.register_forward_pre_hook(lambda m, a, k: "oops", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or a tuple \(args, kwargs\)"):
        module(mg.tensor([1.0]))


def test_hooks_fire_for_every_submodule_in_call_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    calls = []
    handles = [m.register_forward_hook(lambda m, a, o, name=name: calls.append(name))
               for name, m in model.named_modules()]
    model(mg.ones(1, 2))
    assert calls == ["0", "1", "2", ""]
    for handle in handles:
        handle.remove()
    calls.clear()
    model(mg.ones(1, 2))
    assert calls == []


def test_register_forward_hook_rejects_non_callables():
    with pytest.raises(TypeError, match="must be callable"):
        nn.ReLU().register_forward_hook("not a function")


def test_forward_hooks_match_torch():
    torch = pytest.importorskip("torch")
    seen = {}
    for name, lib_nn, lib in (("mg", nn, mg), ("torch", torch.nn, torch)):
        layer = lib_nn.ReLU()
        captured = []
        layer.register_forward_pre_hook(lambda m, args: (args[0] - 1,))
        layer.register_forward_hook(lambda m, args, out: captured.append(len(args)) or out + 10)
        out = layer(lib.tensor([0.5, 3.0]))
        seen[name] = (np.asarray(out.tolist()), captured)
    np.testing.assert_allclose(seen["mg"][0], seen["torch"][0])
    assert seen["mg"][1] == seen["torch"][1]
