"""The create_graph engine: backward(create_graph=True), mg.grad, and every built-in op
differentiable twice (its backward recorded as ops when it runs on Tensors)."""
import gc

import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from minigrad.hooks import TOOLS
from op_table import OPS


def _directional_gradient(fn, inputs, weights, direction, eps=1e-6):
    """d/de of the first-order gradients of sum(weights * fn(inputs + e*direction)) at e=0,
    by central differences of the (first-order, already verified) backward."""
    def gradients(shift):
        moved = [mg.tensor(t.data + shift * d, requires_grad=True)
                 for t, d in zip(inputs, direction)]
        (fn(*moved) * weights).sum().backward()
        return [np.zeros(t.shape) if t.grad is None else t.grad.data for t in moved]
    plus, minus = gradients(eps), gradients(-eps)
    return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS])
def test_second_derivative_of_every_op_matches_finite_differences(op):
    @settings(max_examples=8)
    @given(op.cases)
    def check(case):
        inputs = [t for t in case.tensors if t.requires_grad]
        others = [t for t in case.tensors if not t.requires_grad]
        rng = np.random.default_rng(0)

        def fn(*xs):
            merged, it = [], iter(xs)
            for t in case.tensors:
                merged.append(next(it) if t.requires_grad else t)
            return op.fn(*merged, **case.kwargs)

        out = fn(*inputs)
        weights = rng.standard_normal(out.shape)
        direction = [rng.standard_normal(t.shape) for t in inputs]
        grads = mg.grad((out * weights).sum(), inputs, create_graph=True, allow_unused=True)
        assert all(g is None or isinstance(g, mg.Tensor) for g in grads)
        assert all(t.grad is None for t in inputs)
        dot = sum(((g * d).sum() for g, d in zip(grads, direction) if g is not None
                   and g.requires_grad), mg.tensor(0.0, dtype=np.float64))
        if dot.requires_grad:
            second = mg.grad(dot, inputs, allow_unused=True)
        else:                                     # a linear op: the gradient is constant
            second = [None] * len(inputs)
        expected = _directional_gradient(fn, inputs, weights, direction)
        for got, want in zip(second, expected):
            got = np.zeros_like(want) if got is None else got.data
            # central differences carry rounding error ~1e-16 * |gradient| / eps: with
            # entries near 1e9 (prod of many 3s) an exact 0 is off by ~1e-4 there
            noise = 1e-10 * np.abs(want).max(initial=0.0)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 + noise)
        assert not others or all(t.grad is None for t in others)
    check()


# --- mg.grad ---------------------------------------------------------------------------------
def test_grad_returns_a_tuple_and_writes_no_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    result = mg.grad((x * w).sum(), [x, w])
    assert isinstance(result, tuple) and len(result) == 2
    np.testing.assert_allclose(result[0].data, [3.0, 4.0])
    np.testing.assert_allclose(result[1].data, [1.0, 2.0])
    assert x.grad is None and w.grad is None
    assert not result[0].requires_grad


def test_grad_of_an_intermediate_and_of_several_outputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    y = h.sum()
    z = (h * 3).sum()
    (gh,) = mg.grad([y, z], h, retain_graph=True)
    np.testing.assert_allclose(gh.data, [4.0, 4.0])
    (gx,) = mg.grad(y * 2, x, grad_outputs=mg.tensor(0.5))
    np.testing.assert_allclose(gx.data, [2.0, 4.0])


def test_grad_unused_input_is_named_unless_allowed():
    x = mg.tensor([1.0], requires_grad=True)
    unused = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(2,\)\) was not used.*allow_unused=True"):
        mg.grad((x * 2).sum(), [x, unused], retain_graph=True)
    gx, gu = mg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2.0


def test_grad_bad_arguments():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="input 0 .* does not require grad"):
        mg.grad((x * 2).sum(), mg.tensor([1.0]))
    with pytest.raises(RuntimeError, match="gradient can be omitted only for a one-element"):
        mg.grad(x * 2, x)
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        mg.grad((x * 2).sum(), x, grad_outputs=[None, None])
    with pytest.raises(TypeError, match=r"inputs\[1\] is a list"):
        mg.grad((x * 2).sum(), [x, [1.0]])


def test_grad_frees_the_graph_unless_retained():
    x = mg.tensor([1.0], requires_grad=True)
    y = (x * x).sum()
    mg.grad(y, x)
    with pytest.raises(RuntimeError, match="already freed"):
        mg.grad(y, x)
    y = (x * x).sum()
    mg.grad(y, x, retain_graph=True)
    assert mg.grad(y, x)[0].item() == 2.0


def test_grad_skips_branches_that_lead_to_no_input():
    class Exploding(mg.Function):
        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("this branch leads to no requested input")

    x = mg.tensor([1.0], requires_grad=True)
    w = mg.tensor([2.0], requires_grad=True)
    y = (x * 3).sum() + Exploding.apply(w).sum()
    assert mg.grad(y, x)[0].item() == 3.0


# --- backward(create_graph=True) -------------------------------------------------------------
def test_backward_create_graph_writes_a_differentiable_grad():
    x = mg.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    (x ** 3).sum().backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.grad_fn is not None
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2)
    first = x.grad
    x.grad = None
    first.sum().backward()
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_newton_steps_on_a_scalar_function():
    x = mg.tensor(2.0, requires_grad=True, dtype=np.float64)
    for _ in range(12):                      # f(x) = x^4 - 2x^2 + x: a local minimum near 0.84
        y = x ** 4 - 2 * x ** 2 + x
        (g,) = mg.grad(y, x, create_graph=True)
        (h,) = mg.grad(g, x)
        with mg.no_grad():
            x = mg.tensor(x.data - g.data / h.data, requires_grad=True)
    assert abs(4 * x.item() ** 3 - 4 * x.item() + 1) < 1e-10


def test_third_derivative_of_tanh():
    x = mg.tensor([0.3, -0.7], requires_grad=True, dtype=np.float64)
    y = mg.tanh(x)
    for _ in range(3):
        (y,) = mg.grad(y.sum(), x, create_graph=True)
    t = np.tanh(x.data)
    np.testing.assert_allclose(y.data, -2 * (1 - t ** 2) * (1 - 3 * t ** 2), rtol=1e-12)


def _live_nodes() -> int:
    gc.collect()
    return sum(isinstance(o, mg.Context) for o in gc.get_objects())


def test_plain_backward_records_nothing_and_holds_no_gradient_graph():
    recorded = []

    class Recorder:
        def record(self, ctx, output):
            recorded.append(ctx.name)

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (mg.tanh(x * x) @ x).sum()
    before = _live_nodes()
    handle = TOOLS.subscribe(Recorder())
    try:
        y.backward(retain_graph=True)
        assert recorded == []                 # no op of the gradient computation ran as an op
    finally:
        handle.remove()
    assert _live_nodes() == before            # no graph node was made for the gradient
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    x.grad = None
    y.backward(create_graph=True)             # the same graph with create_graph does make them
    assert _live_nodes() > before and x.grad.grad_fn is not None


def test_backward_inputs_limits_accumulation():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    h = x * w
    (h * h).sum().backward(inputs=[w, h])
    assert x.grad is None
    np.testing.assert_allclose(w.grad.data, 2 * (x.data * w.data) * x.data)
    np.testing.assert_allclose(h.grad.data, 2 * h.data)


def test_hooks_under_create_graph_get_graph_tensors():
    x = mg.tensor([1.0, 2.0], requires_grad=True, dtype=np.float64)
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad) or g * 2)
    (g,) = mg.grad((x ** 2).sum(), x, create_graph=True)
    assert seen == [True]
    np.testing.assert_allclose(g.data, 4 * x.data)
    (h,) = mg.grad(g.sum(), x)                 # the hook runs again here (as in PyTorch)
    assert seen == [True, False]
    np.testing.assert_allclose(h.data, [8.0, 8.0])


# --- custom Functions under create_graph ------------------------------------------------------
class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class NumpySoftplus(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.logaddexp(0, x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad / (1 + np.exp(-x))


class NumpyWhere(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return np.where(x > 0, x * x, 0.1 * x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * np.where(x > 0, 2 * x, 0.1)   # np.where reads x's values: detached


class SavesIntermediate(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(np.cos(x))
        return np.sin(x)

    @staticmethod
    def backward(ctx, grad):
        (cos,) = ctx.saved_tensors
        return grad * cos


def test_custom_function_written_with_operators_is_twice_differentiable():
    x = mg.tensor([0.5, 2.0], requires_grad=True, dtype=np.float64)
    (g,) = mg.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)


@pytest.mark.parametrize("function", [NumpySoftplus, NumpyWhere])
def test_custom_function_using_numpy_fails_clearly_under_create_graph(function):
    x = mg.tensor([0.5, -2.0], requires_grad=True, dtype=np.float64)
    y = function.apply(x).sum()
    with pytest.raises(RuntimeError, match=rf"{function.__name__}.backward is not twice "
                                           r"differentiable.*minigrad.ops.dual"):
        mg.grad(y, x, create_graph=True)
    y = function.apply(x).sum()              # the first derivative still works as before
    (g,) = mg.grad(y, x)
    assert g.shape == (2,)


def test_custom_function_reading_numpy_of_a_graph_tensor_fails_clearly():
    class ViaNumpy(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 2 * mg.tensor(x.numpy() if isinstance(x, mg.Tensor) else x)

    x = mg.tensor([0.5], requires_grad=True, dtype=np.float64)
    with pytest.raises(RuntimeError, match="ViaNumpy.backward is not twice differentiable"):
        mg.grad(ViaNumpy.apply(x).sum(), x, create_graph=True)


def test_custom_function_saving_an_intermediate_fails_clearly_under_create_graph():
    x = mg.tensor([0.5], requires_grad=True, dtype=np.float64)
    with pytest.raises(RuntimeError, match=r"SavesIntermediate: under create_graph=True.*"
                                           r"neither"):
        mg.grad(SavesIntermediate.apply(x).sum(), x, create_graph=True)
    (g,) = mg.grad(SavesIntermediate.apply(x).sum(), x)
    np.testing.assert_allclose(g.data, np.cos(0.5))


def test_numpy_masks_from_comparisons_are_fine_under_create_graph():
    class LeakyReLU(mg.Function):               # as in the README: masks are constants
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.where(x > 0, x, 0.1 * x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * np.where(x > 0, 1.0, 0.1)

    x = mg.tensor([0.5, -2.0], requires_grad=True, dtype=np.float64)
    (g,) = mg.grad((LeakyReLU.apply(x) * x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, [2.0, 0.2])


def test_dual_helpers_make_a_numpy_style_backward_twice_differentiable():
    from minigrad.ops import dual

    class Softplus(mg.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0, x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (1 + dual.exp(-x))

    x = mg.tensor([0.5, -2.0], requires_grad=True, dtype=np.float64)
    (g,) = mg.grad(Softplus.apply(x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    s = 1 / (1 + np.exp(-x.data))
    np.testing.assert_allclose(h.data, s * (1 - s))


def test_old_return_convention_names_the_change():
    class PerTensorOnly(mg.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.scale = scale
            return x * scale

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.scale               # one per Tensor argument: no longer accepted

    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one gradient per argument of forward.*no longer"):
        PerTensorOnly.apply(x, 2.0).sum().backward()


# --- against PyTorch -------------------------------------------------------------------------
def test_hessian_vector_product_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x0, w0, v0 = rng.standard_normal(5), rng.standard_normal((5, 3)), rng.standard_normal(5)
    results = []
    for lib in (mg, torch):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        y = (lib.tanh(x @ w) ** 2).sum() + (x * x).sum().sqrt()
        if lib is torch:
            (g,) = torch.autograd.grad(y, x, create_graph=True)
            (hv,) = torch.autograd.grad((g * torch.tensor(v0)).sum(), x)
        else:
            (g,) = mg.grad(y, x, create_graph=True)
            (hv,) = mg.grad((g * mg.tensor(v0)).sum(), x)
        results.append(hv.detach().numpy() if lib is torch else hv.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)
