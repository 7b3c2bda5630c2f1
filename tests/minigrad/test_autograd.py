"""Semantics of backward(): accumulation, graph freeing, grad modes, detach, deep graphs,
weight sharing, custom Functions."""
import gc
import sys
import time

import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.testing import tensors


# --- accumulation --------------------------------------------------------------------------------
def test_multiple_uses_of_a_leaf_are_summed():
    x = mg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (x * x + x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 1)


@given(tensors(min_value=-2, max_value=2))
def test_polynomial_gradient_property(x):
    """d/dx sum(x*x*x - 2x + x/x) = 3x^2 - 2, for x of any shape."""
    x = mg.tensor(x.data + np.sign(x.data) * 0.5 + (x.data == 0), requires_grad=True)
    (x * x * x - 2 * x + x / x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 3 * x.data ** 2 - 2, rtol=1e-10, atol=1e-10)


def test_two_backward_calls_accumulate_into_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (3 * x).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])


def test_grad_has_leaf_dtype_and_shape_and_is_not_aliased():
    x = mg.tensor(np.ones((2, 1), dtype=np.float32), requires_grad=True)
    y = x * np.ones((2, 3))                      # broadcast against a float64 array
    upstream = np.arange(6.0).reshape(2, 3)
    y.backward(upstream)
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 1)
    np.testing.assert_allclose(x.grad.data, [[3.0], [12.0]])
    upstream[:] = 100                            # the caller's array must not be reused
    np.testing.assert_allclose(x.grad.data, [[3.0], [12.0]])


def test_identity_gradient_is_copied_not_aliased():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    gradient = np.array([5.0, 7.0], dtype=np.float32)
    (x + 0.0).backward(gradient)
    gradient[:] = 0
    np.testing.assert_allclose(x.grad.data, [5.0, 7.0])
    (x + 0.0).backward(mg.tensor([1.0, 1.0]))
    np.testing.assert_allclose(x.grad.data, [6.0, 8.0])


def test_only_leaves_receive_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    hidden = x * 2
    (hidden * hidden).sum().backward()
    assert hidden.grad is None
    assert not hidden.is_leaf and x.is_leaf
    np.testing.assert_allclose(x.grad.data, 8 * x.data)


def test_leaf_without_requires_grad_gets_nothing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.data, [3.0, 4.0])


def test_diamond_graph_sums_both_paths():
    x = mg.tensor(2.0, requires_grad=True)
    a = x.exp()
    b = a * 3
    c = a.log()
    (b + c).backward()                           # d/dx (3 e^x + x) = 3 e^x + 1
    np.testing.assert_allclose(x.grad.item(), 3 * np.exp(2.0) + 1, rtol=1e-6)


def test_unused_branch_gets_zero_gradient_from_a_dead_end():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x[0] * 0 + x[1]                          # x[0] reached, with gradient zero
    y.backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0])


# --- retain_graph and freed graphs ---------------------------------------------------------------
def test_second_backward_through_freed_graph_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_backward_through_freed_intermediate_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    hidden = x.exp()
    hidden.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        (hidden * 2).sum().backward()


def test_retain_graph_allows_a_second_backward_that_accumulates():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2 * 2 * x.data)
    with pytest.raises(RuntimeError, match="freed"):
        y.backward()


def test_freeing_releases_saved_arrays():
    x = mg.tensor(np.ones(3), requires_grad=True)
    y = x * x
    node = y.grad_fn
    assert len(node.saved_tensors) == 2
    y.sum().backward()
    assert node.saved_tensors == () and node.freed


# --- errors of backward() ----------------------------------------------------------------------------
def test_backward_without_gradient_on_non_scalar_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"one-element.*shape \(2,\)"):
        (x * 2).backward()


def test_backward_on_one_element_non_scalar_is_allowed():
    x = mg.tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_allclose(x.grad.data, [[6.0]])


def test_backward_gradient_of_wrong_shape_raises():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\).*\(2,\)"):
        (x * 2).backward(np.ones(3))


def test_backward_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mg.tensor([1.0]).sum().backward()


def test_in_place_change_of_saved_input_is_detected():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    scale = mg.tensor([3.0, 4.0])
    y = (w * scale).sum()
    scale.add_(1.0)
    with pytest.raises(RuntimeError, match=r"modified in place \(version 0 -> 1\)"):
        y.backward()


def test_in_place_update_of_leaf_requiring_grad_needs_no_grad():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.sub_(1.0)
    with mg.no_grad():
        w.sub_(mg.tensor([0.5, 0.5]))
    np.testing.assert_allclose(w.data, [0.5, 1.5])


# --- grad modes and detach ---------------------------------------------------------------------------
def test_no_grad_records_nothing():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert mg.is_grad_enabled()
    with mg.no_grad():
        assert not mg.is_grad_enabled()
        y = x * 2
    assert mg.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad
    np.testing.assert_allclose(y.data, [2.0, 4.0])


def test_enable_grad_inside_no_grad_and_nesting_restores():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        with mg.enable_grad():
            y = x * 2
        z = x * 2
        assert not mg.is_grad_enabled()
    assert y.requires_grad and y.grad_fn is not None
    assert not z.requires_grad


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with mg.no_grad():
            1 / 0
    assert mg.is_grad_enabled()


def test_no_grad_as_decorator():
    x = mg.tensor([1.0], requires_grad=True)

    @mg.no_grad()
    def double(t):
        return t * 2

    assert not double(x).requires_grad
    assert mg.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_data():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.data, y.data)
    (x * d).sum().backward()                     # d is a constant: grad = d
    np.testing.assert_allclose(x.grad.data, [3.0, 6.0])


def test_requires_grad_on_integer_tensor_raises():
    with pytest.raises(TypeError, match="only floating-point.*int64"):
        mg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point"):
        mg.ones(2, dtype=np.int32, requires_grad=True)
    with pytest.raises(TypeError, match="only floating-point.*bool"):
        mg.tensor([True]).requires_grad_()


def test_ops_on_integer_tensors_do_not_require_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    index = mg.tensor([1, 0]) * 1
    assert index.dtype == np.int64 and not index.requires_grad
    x[index].sum().backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


# --- deep graphs: iterative, linear -----------------------------------------------------------------
def _chain(length):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0
    return x, y.sum()


def test_chain_deeper_than_the_recursion_limit():
    length = 3 * sys.getrecursionlimit()
    x, y = _chain(length)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_backward_time_is_linear_in_chain_length():
    timings = {}
    for length in (4_000, 16_000):
        best = float("inf")
        for _ in range(3):
            x, y = _chain(length)
            gc.collect()
            start = time.perf_counter()
            y.backward()
            best = min(best, time.perf_counter() - start)
        timings[length] = best
    # 4x the ops: linear gives ~4x; a quadratic sweep gives ~16x. 9x leaves room for noise.
    assert timings[16_000] < 9 * timings[4_000], timings


@pytest.mark.slow
def test_chain_of_one_million_ops():
    x, y = _chain(1_000_000)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [1.0, 1.0])


def test_wide_graph_many_uses_of_one_leaf():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    total = mg.zeros(2)
    for k in range(1, 501):
        total = total + x * float(k)
    total.sum().backward()
    np.testing.assert_allclose(x.grad.data, [500 * 501 / 2] * 2)


# --- weight sharing from first principles ------------------------------------------------------------
def test_kernel_shared_over_900_positions_gets_the_sum_of_their_gradients():
    """A 3x3 kernel used at every position of a 32x32 image (30*30 = 900 uses), built only
    from indexing, multiply and sum: its gradient is the sum of the 900 per-position
    gradients, i.e. the sum of the image patches weighted by the upstream gradient."""
    rng = np.random.default_rng(0)
    image = mg.tensor(rng.standard_normal((32, 32)))
    kernel = mg.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    upstream = rng.standard_normal((30, 30))
    loss = mg.zeros((), dtype=np.float64)
    for r in range(30):
        for c in range(30):
            response = (image[r:r + 3, c:c + 3] * kernel).sum()
            loss = loss + response * float(upstream[r, c])
    loss.backward()

    expected = np.zeros((3, 3))
    for r in range(30):
        for c in range(30):
            expected += upstream[r, c] * image.data[r:r + 3, c:c + 3]
    np.testing.assert_allclose(kernel.grad.data, expected, rtol=1e-10, atol=1e-10)

    # The same number from the sliding-window primitive (im2col + weighted sum).
    kernel2 = mg.tensor(kernel.data, requires_grad=True)
    windows = mg.sliding_window(image.reshape(1, 1, 32, 32), 3)      # (1, 1, 30, 30, 3, 3)
    (windows * kernel2 * upstream[None, None, :, :, None, None]).sum().backward()
    np.testing.assert_allclose(kernel2.grad.data, expected, rtol=1e-10, atol=1e-10)


# --- custom Functions --------------------------------------------------------------------------------
class Cube(mg.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad


class ScaledAdd(mg.Function):
    """out = x + alpha * y with a non-tensor argument; returns one gradient per argument."""

    @staticmethod
    def forward(ctx, x, alpha, y):
        ctx.alpha = alpha
        return x + alpha * y

    @staticmethod
    def backward(ctx, grad):
        return grad, None, ctx.alpha * grad


def test_custom_function_as_in_the_spec():
    t = mg.tensor([1.0, -2.0, 0.5], requires_grad=True)
    y = Cube.apply(t)
    assert isinstance(y, mg.Tensor) and y.grad_fn is not None and y.grad_fn.name == "Cube"
    np.testing.assert_allclose(y.data, t.data ** 3)
    y.sum().backward()
    np.testing.assert_allclose(t.grad.data, 3 * t.data ** 2)


@given(tensors(shape=(2, 3)))
def test_custom_function_passes_gradcheck(x):
    assert mg.gradcheck(Cube.apply, x)


def test_custom_function_with_plain_argument_and_broadcasting():
    x = mg.tensor(np.ones((2, 3)), requires_grad=True)
    y = mg.tensor(np.ones(3), requires_grad=True)
    out = ScaledAdd.apply(x, 2.5, y)             # the engine sums y's gradient back to (3,)
    out.backward(np.ones((2, 3)))
    np.testing.assert_allclose(x.grad.data, np.ones((2, 3)))
    np.testing.assert_allclose(y.grad.data, [5.0, 5.0, 5.0])
    assert mg.gradcheck(lambda a, b: ScaledAdd.apply(a, 2.5, b), (x, y))


def test_custom_function_under_no_grad_records_nothing():
    t = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = Cube.apply(t)
    assert y.grad_fn is None and not y.requires_grad


def test_custom_function_returning_wrong_number_of_gradients_raises():
    class Broken(mg.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, grad):
            return grad, grad, grad

    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Broken.backward returned 3 gradients"):
        Broken.apply(x, x).sum().backward()


def test_custom_function_returning_wrong_shape_raises():
    class WrongShape(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return np.ones((4, 4))

    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape"):
        WrongShape.apply(x).sum().backward()


@pytest.mark.parametrize("first, second", [(False, False), (False, True), (True, False),
                                           (True, True)])
def test_needs_input_grad_for_each_combination_of_one_and_two_arguments(first, second):
    """apply shares the common flag and version tuples between nodes: each node still gets
    its own arguments' flags, and the version check still sees later in-place changes."""
    a = mg.tensor([1.0, 2.0], requires_grad=first)
    b = mg.tensor([3.0, 4.0], requires_grad=second)
    with mg.no_grad():
        a_plain, b_plain = a * 1.0, b * 1.0            # fresh leaves (version 0)
    a_plain.requires_grad_(first)
    b_plain.requires_grad_(second)
    product = a_plain * b_plain
    if first or second:
        assert product.grad_fn.needs_input_grad == (first, second)
        assert product.grad_fn.input_versions == (0, 0)
    scaled = a_plain * 2.0
    if first:
        assert scaled.grad_fn.needs_input_grad == (True, False)
        assert a_plain.exp().grad_fn.needs_input_grad == (True,)
        with mg.no_grad():
            a_plain += 1.0                      # changes a saved input: backward must refuse
        with pytest.raises(RuntimeError, match="modified by an inplace operation|in-place"):
            product.sum().backward()            # its node recorded version 0


def test_a_requires_grad_that_is_not_a_bool_records_nothing_and_does_not_crash():
    t = mg.tensor([1.0, 2.0])
    t.requires_grad = "yes"                     # set directly, bypassing requires_grad_
    assert (t * 2.0).grad_fn is None and t.exp().grad_fn is None
