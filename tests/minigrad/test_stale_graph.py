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


# Ops that save their OUTPUT for backward (exp, tanh ...): changing that output in place
# after the op ran must be refused like a changed input, not give a silently wrong gradient.
SAVES_OUTPUT = {
    "exp": lambda x: mg.exp(x),
    "sigmoid": lambda x: mg.sigmoid(x),
    "tanh": lambda x: mg.tanh(x),
    "sqrt": lambda x: mg.sqrt(x),
    "pow": lambda x: x ** 3,
    "maximum": lambda x: mg.maximum(x, x * 0.5),
    "minimum": lambda x: mg.minimum(x, x * 2.0),
    "max(dim)": lambda x: mg.max(x, dim=0).values if hasattr(mg.max(x, dim=0), "values")
    else mg.max(x, dim=0),
    "max(all)": lambda x: mg.max(x),
    "norm(dim)": lambda x: x.norm(dim=0),
}


@pytest.mark.parametrize("name", sorted(SAVES_OUTPUT))
@pytest.mark.parametrize("method, args", [("mul_", (10.0,)), ("add_", (1.0,)),
                                          ("__setitem__", (0, 5.0))])
def test_inplace_change_of_a_saved_output_is_refused(name, method, args):
    x = mg.tensor([[0.5, 1.0], [2.0, 0.25]], requires_grad=True)
    y = SAVES_OUTPUT[name](x)
    if y.ndim == 0 and method == "__setitem__":
        args = ((), 5.0)
    with mg.no_grad():
        getattr(y, method)(*args)
    with pytest.raises(RuntimeError, match=r": its output of shape \(.*\) was modified in "
                                           r"place \(version 0 -> 1\)"):
        y.sum().backward()
    assert x.grad is None                      # refused before any gradient reached x


def test_the_issue_reproduction_exp_times_ten():
    x = mg.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()
    with mg.no_grad():
        y.mul_(10)
    with pytest.raises(RuntimeError, match=r"Exp: its output of shape \(2,\) was modified"):
        y.sum().backward()


def test_saved_output_deep_in_the_graph_is_checked():
    x = mg.tensor([0.3, -0.2], requires_grad=True)
    hidden = mg.tanh(x)
    loss = (hidden * 2.0).sum()
    with mg.no_grad():
        hidden.add_(1.0)
    with pytest.raises(RuntimeError, match=r"Tanh: its output"):
        loss.backward()


def test_relu_saves_its_output_as_pytorch_does():
    # PyTorch's relu keeps its result for backward (ReluBackward0 reads it), so changing the
    # output in place before backward is refused there too.
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    y = mg.relu(x)
    with mg.no_grad():
        y.mul_(10)
    with pytest.raises(RuntimeError, match=r"ReLU: its output of shape \(2,\) was modified"):
        y.sum().backward()


def test_ops_that_do_not_save_their_output_still_allow_it():
    # abs keeps its input, not its output: changing the output is allowed, as in PyTorch.
    x = mg.tensor([-1.0, 2.0], requires_grad=True)
    y = mg.abs(x)
    with mg.no_grad():
        y.mul_(10)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-1.0, 1.0])


def test_a_custom_function_that_saves_its_output_is_checked_too():
    class Square(mg.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * x
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, grad):
            x, _ = ctx.saved_tensors
            return 2 * x * grad

    x = mg.tensor([3.0], requires_grad=True)
    y = Square.apply(x)
    with mg.no_grad():
        y.fill_(0.0)
    with pytest.raises(RuntimeError, match=r"Square: its output of shape \(1,\)"):
        y.backward()


def test_unchanged_saved_output_backward_matches_torch():
    torch = pytest.importorskip("torch")
    values = [[0.5, 1.0], [2.0, 0.25]]
    for name, fn in SAVES_OUTPUT.items():
        x = mg.tensor(values, dtype=mg.float64, requires_grad=True)
        fn(x).sum().backward()
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        torch_fns = {"exp": torch.exp, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "sqrt": torch.sqrt, "pow": lambda v: v ** 3,
                     "maximum": lambda v: torch.maximum(v, v * 0.5),
                     "minimum": lambda v: torch.minimum(v, v * 2.0),
                     "max(dim)": lambda v: torch.max(v, dim=0).values, "max(all)": torch.max,
                     "norm(dim)": lambda v: v.norm(dim=0)}
        torch_fns[name](t).sum().backward()
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-12, err_msg=name)


def test_torch_also_refuses_a_changed_saved_output():
    torch = pytest.importorskip("torch")
    t = torch.tensor([0.0, 1.0], requires_grad=True)
    y = t.exp()
    with torch.no_grad():
        y.mul_(10)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


@pytest.mark.parametrize("update", ["augmented", "method"])
def test_recorded_inplace_update_of_a_saved_output_is_refused_as_torch(update):
    # While recording, `y += 1` on a non-leaf is recorded (as in PyTorch), but Exp's saved
    # output is y's array, now overwritten: PyTorch refuses the backward, and so do we.
    def run(module, tensor):
        x = tensor([0.0, 1.0], requires_grad=True)
        y = module.exp(x)
        if update == "augmented":
            y += 1.0
        else:
            y.add_(1.0)
        y.sum().backward()

    with pytest.raises(RuntimeError, match=r"Exp: its output of shape \(2,\) was modified"):
        run(mg, mg.tensor)
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(torch, torch.tensor)


# --- changes made while backward runs ------------------------------------------------------------
# backward checks every node's inputs before it starts; an in-place change made by code that
# runs during the sweep (a hook) must still be caught before the node that needs the value runs.
def test_inplace_change_by_a_gradient_hook_during_backward_is_refused():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    scale = mg.tensor([3.0, 4.0])
    out = (w * scale) * 2.0

    def change_scale(grad):
        scale.add_(1.0)               # scale does not require grad: allowed, but tracked

    out.register_hook(change_scale)   # runs before the Mul that saved `scale` does
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified in "
                                           r"place \(version 0 -> 1\)"):
        out.sum().backward()
    assert w.grad is None


def test_inplace_change_by_a_post_accumulate_hook_during_backward_is_refused():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([0.5, 0.5], requires_grad=True)
    scale = mg.tensor([3.0, 4.0])
    # backward reaches `a` (through the last Add) before the Mul that saved `scale`
    loss = ((w * scale).exp() + a).sum()
    a.register_post_accumulate_grad_hook(lambda tensor: scale.mul_(2.0))
    with pytest.raises(RuntimeError, match=r"Mul: an input of shape \(2,\) was modified"):
        loss.backward()
    assert w.grad is None


# The in-place ops mark the op whose saved output they change (minigrad._inplace): every
# kind of in-place write, recorded or not, must do it.
IN_PLACE_WRITES = {
    "clamp_": lambda y: y.clamp_(max=1.0),
    "masked_fill_": lambda y: y.masked_fill_(y > 1.0, 0.0),
    "copy_": lambda y: y.copy_(mg.zeros(2, 2)),
    "zero_": lambda y: y.zero_(),
    "div_": lambda y: y.div_(2.0),
    "setitem": lambda y: y.__setitem__((0, 0), 5.0),
}


@pytest.mark.parametrize("recorded", [False, True])
@pytest.mark.parametrize("name", sorted(IN_PLACE_WRITES))
def test_every_in_place_write_of_a_saved_output_is_refused(name, recorded):
    x = mg.tensor([[0.5, 1.0], [2.0, 0.25]], requires_grad=True)
    y = mg.exp(x)
    with mg.set_grad_enabled(recorded):
        IN_PLACE_WRITES[name](y)
    with pytest.raises(RuntimeError, match=r"Exp: its output of shape \(2, 2\) was modified"):
        y.sum().backward()
    assert x.grad is None


def test_in_place_write_of_an_output_that_was_not_saved_is_allowed():
    # Mul keeps its inputs: writing into its output afterwards changes no saved array.
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    with mg.no_grad():
        y.mul_(10.0)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])


def test_recorded_matmul_in_place_gives_torchs_gradient():
    torch = pytest.importorskip("torch")
    values = [[0.5, 1.0], [2.0, 0.25]]
    weight = [[1.0, 2.0], [-1.0, 0.5]]
    x = mg.tensor(values, requires_grad=True)
    y = x * 2.0
    y @= mg.tensor(weight)
    y.sum().backward()
    tx = torch.tensor(values, requires_grad=True)
    ty = tx * 2.0
    ty @= torch.tensor(weight)
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)
