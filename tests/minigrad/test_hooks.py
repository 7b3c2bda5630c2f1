"""Tensor gradient hooks (register_hook, register_post_accumulate_grad_hook), as PyTorch."""
import numpy as np
import pytest

import minigrad as mg


def test_leaf_hook_sees_the_summed_gradient_once_and_may_replace_it():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda grad: seen.append(grad.tolist()) or grad * 2)
    ((x * x).sum() + x.sum()).backward()          # two uses: 2x and 1
    assert seen == [[3.0, 5.0]]
    np.testing.assert_allclose(x.grad.data, [6.0, 10.0])


def test_hook_on_an_intermediate_changes_what_flows_on():
    x = mg.tensor([1.0, -2.0], requires_grad=True)
    y = x * 3
    y.register_hook(lambda grad: grad * 0 + 1)       # replace the incoming gradient by ones
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_hook_on_the_root_sees_the_initial_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).sum()
    seen = []
    y.register_hook(lambda grad: seen.append(grad.item()))
    y.backward()
    assert seen == [1.0]


def test_hooks_run_in_registration_order_and_remove_unregisters():
    x = mg.tensor([1.0], requires_grad=True)
    order = []
    first = x.register_hook(lambda g: order.append("first"))
    x.register_hook(lambda g: order.append("second"))
    (x * 1).sum().backward()
    assert order == ["first", "second"]
    first.remove()
    first.remove()                                   # removing twice is harmless
    order.clear()
    (x * 1).sum().backward()
    assert order == ["second"]


def test_handle_as_context_manager_removes_the_hook():
    x = mg.tensor([1.0], requires_grad=True)
    calls = []
    with x.register_hook(lambda g: calls.append(1)):
        (x * 1).sum().backward()
    (x * 1).sum().backward()
    assert calls == [1]


def test_post_accumulate_hook_runs_once_after_grad_is_complete():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    (w * w + w * 3).sum().backward()                  # several uses of w
    assert seen == [[5.0, 7.0]]
    (w * 1).sum().backward()                          # accumulates onto the previous .grad
    assert seen[-1] == [6.0, 8.0]


def test_post_accumulate_hook_fires_before_backward_finishes():
    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([2.0], requires_grad=True)
    events = []
    a.register_post_accumulate_grad_hook(lambda t: events.append("a done"))
    y = (a * 2).exp()                                 # a's only use is early in the graph
    z = y * b
    b.register_post_accumulate_grad_hook(lambda t: events.append("b done"))
    z.sum().backward()
    assert events == ["b done", "a done"]


def test_post_accumulate_hook_for_a_leaf_root():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
    w.backward(mg.tensor([1.0, 1.0]))
    assert seen == [[1.0, 1.0]]


def test_hook_on_an_unused_leaf_is_not_called():
    x = mg.tensor([1.0], requires_grad=True)
    unused = mg.tensor([1.0], requires_grad=True)
    calls = []
    unused.register_hook(lambda g: calls.append(1))
    unused.register_post_accumulate_grad_hook(lambda t: calls.append(2))
    (x * 2).sum().backward()
    assert calls == [] and unused.grad is None


def test_register_hook_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).register_hook(lambda g: g)
    with pytest.raises(TypeError, match="must be callable"):
        mg.tensor([1.0], requires_grad=True).register_hook(3)
    y = mg.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="non-leaf"):
        y.register_post_accumulate_grad_hook(lambda t: None)


def test_hook_returning_the_wrong_shape_is_named():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: mg.ones(3))
    with pytest.raises(RuntimeError, match=r"output of Mul.*shape \(3,\).*shape \(2,\)"):
        y.sum().backward()


def test_hooks_match_torch():
    torch = pytest.importorskip("torch")
    values = np.array([0.5, -1.5, 2.0])
    results = []
    for lib in (mg, torch):
        x = lib.tensor(values, requires_grad=True)
        h = x * x
        h.register_hook(lambda g: g * 3)
        x.register_hook(lambda g: g + 1)
        posted = []
        x.register_post_accumulate_grad_hook(
            lambda t: posted.append(t.grad.detach().numpy().copy()))
        (h * x).sum().backward()
        results.append((x.grad.detach().numpy() if lib is torch else x.grad.numpy(), posted))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1][0], results[1][1][0])
