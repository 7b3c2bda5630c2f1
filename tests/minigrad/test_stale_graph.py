"""The version counter: an in-place change to a tensor a pending backward needs is an error,
never a silently wrong gradient."""
import numpy as np
import pytest

import minigrad as mg


def test_inplace_under_no_grad_after_use_is_refused_at_backward():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    with mg.no_grad():
        x.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(3,\) was modified in "
                                           r"place \(version 0 -> 1\)"):
        y.backward()
    assert x.grad is None


def test_inplace_on_a_constant_input_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    data = mg.tensor([5.0, 6.0])
    loss = (w * data).sum()
    data.mul_(2.0)                    # data does not require grad: allowed, but tracked
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


@pytest.mark.parametrize("method, args", [("add_", (1.0,)), ("sub_", (1.0,)), ("mul_", (2.0,)),
                                          ("copy_", (np.zeros(2, np.float32),)),
                                          ("fill_", (0.5,)), ("zero_", ()),
                                          ("__setitem__", (0, 9.0))])
def test_every_inplace_method_bumps_the_version(method, args):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = mg.exp(x).sum()
    with mg.no_grad():
        getattr(x, method)(*args)
    with pytest.raises(RuntimeError, match="modified in place"):
        loss.backward()


def test_sgd_like_step_between_forward_and_retained_backward():
    w = mg.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    x = mg.tensor([[1.0, 1.0]])
    loss = mg.tanh(x @ w).sum()
    loss.backward(retain_graph=True)
    first = w.grad.data.copy()
    with mg.no_grad():                # what an optimizer step does
        w.sub_(w.grad, alpha=0.1)
    with pytest.raises(RuntimeError, match=r"MatMul: an input of shape \(2, 2\) was modified"):
        loss.backward()
    np.testing.assert_array_equal(w.grad.data, first)     # nothing half-accumulated


def test_update_after_backward_is_fine_and_a_new_forward_works():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with mg.no_grad():
        w.sub_(w.grad, alpha=0.5)
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.data, [0.0, 0.0])


def test_retained_graph_twice_without_modification_accumulates():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(w.grad.data, [4.0, 8.0])


def test_inplace_on_requires_grad_tensor_while_recording_is_refused():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add_: in-place update .* mg.no_grad"):
        w.add_(1.0)
