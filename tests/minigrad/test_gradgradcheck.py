"""mg.gradgradcheck: passes correct second derivatives, catches a gradient whose value is right
but whose own derivative is wrong, names the gradient entry, the input and both values, and
rejects bad arguments with messages that say what to pass."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.testing import assert_second_derivatives_match


def test_passes_correct_second_derivatives_and_returns_true():
    x = mg.tensor(np.linspace(-1.5, 1.5, 6).reshape(2, 3), requires_grad=True)
    y = mg.tensor(np.linspace(0.5, 1.5, 3), requires_grad=True)
    assert mg.gradgradcheck(lambda a, b: (a * b).tanh() / b + a.exp() * a, (x, y)) is True
    assert mg.gradgradcheck(lambda a: (a @ a.T).sum(), x) is True


def cube_with_a_detached_gradient(x):
    """x * (x * x) whose gradient has the right value, 3x^2, but is detached halfway: the
    hook replaces the gradient flowing into x * x by a copy cut from the graph, so under
    create_graph=True the second derivative is 4x instead of 6x."""
    square = x * x
    if square.requires_grad:                        # not when gradgradcheck only evaluates
        square.register_hook(lambda grad: grad.detach())
    return x * square


def test_catches_a_gradient_whose_derivative_is_wrong():
    x = mg.tensor([1.5], requires_grad=True)
    assert mg.gradcheck(cube_with_a_detached_gradient, x)          # first derivative right
    v = mg.tensor([1.0])                                           # d^2/dx^2 x^3 = 6x = 9
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradgradcheck(cube_with_a_detached_gradient, x, grad_outputs=v)
    error = info.value
    assert error.kind == "wrong_gradient"
    assert error.input_index == 0 and error.element == (0,)
    assert error.output_index == 0 and error.output_element == (0,)
    assert error.numeric == pytest.approx(9.0, rel=1e-6)
    assert error.analytic == pytest.approx(6.0, rel=1e-9)          # 4x
    message = str(error)
    assert message.startswith("gradgradcheck: wrong second derivative d (grad of input 0[0]) "
                              "/ d input 0[0] (input 0 has shape (1,), element (0,))")
    assert "analytic 6, numeric 9" in message and "relative error" in message


def test_random_grad_outputs_are_checked_too():
    """With grad_outputs=None, gradgradcheck draws v and also differentiates with respect to
    it: the gradient v * 3x^2 must be linear in v with the right slope."""
    x = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    assert mg.gradgradcheck(lambda t: t ** 3, x)
    with pytest.raises(mg.GradcheckError, match=r"d \(grad of input 0\[0\]\) / d input 0\[0\]"):
        mg.gradgradcheck(cube_with_a_detached_gradient, x)


def test_names_the_input_position_and_shape():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([[0.5, -1.0], [1.5, 2.0]], requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"d \(grad of input 1\[0, 0\]\) / d input "
                                                r"1\[0, 0\] \(input 1 has shape \(2, 2\), "
                                                r"element \(0, 0\)\)"):
        mg.gradgradcheck(lambda p, q: p.exp().sum() + cube_with_a_detached_gradient(q).sum(),
                         (a, b))


def test_raise_exception_false_returns_false():
    x = mg.tensor([1.5, -0.5], requires_grad=True)
    assert mg.gradgradcheck(cube_with_a_detached_gradient, x, raise_exception=False) is False
    assert mg.gradgradcheck(lambda t: t ** 3, x, raise_exception=False) is True


def test_assert_second_derivatives_match_reports_as_assertion():
    x = mg.tensor([1.5], requires_grad=True)
    assert_second_derivatives_match(mg.tanh, x)
    with pytest.raises(AssertionError, match="wrong second derivative"):
        assert_second_derivatives_match(cube_with_a_detached_gradient, x)


def test_float32_inputs_are_checked_in_float64_and_left_untouched():
    data = np.linspace(-1, 1, 5).astype(np.float32)
    x = mg.tensor(data, requires_grad=True)
    assert mg.gradgradcheck(lambda t: (t * t).exp() * t, x)
    assert x.dtype == np.float32 and x.grad is None
    np.testing.assert_array_equal(x.data, data)


def test_inputs_that_do_not_require_grad_and_unused_inputs():
    x = mg.tensor([0.3, 0.7], requires_grad=True)
    unused = mg.tensor([1.0, 2.0], requires_grad=True)
    constant = mg.tensor([2.0, 3.0])
    assert mg.gradgradcheck(lambda a, b, c: a.tanh() * c, (x, unused, constant))
    assert mg.gradgradcheck(lambda a: a * 2.0, x)        # linear: second derivative zero


def test_tuple_outputs():
    x = mg.tensor([0.3, -0.7], requires_grad=True)
    assert mg.gradgradcheck(lambda t: (t.exp(), t.tanh()), x)
    v = (mg.tensor([1.0, 2.0]), mg.tensor([0.5, 0.5]))
    assert mg.gradgradcheck(lambda t: (t.exp(), t * t), x, grad_outputs=v)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="gradgradcheck: no input requires grad"):
        mg.gradgradcheck(lambda t: t * t, mg.tensor([1.0]))


def test_grad_outputs_must_match_the_outputs():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"grad_outputs\[0\] has shape \(3,\) but output 0 of "
                                         r"fn has shape \(2,\)"):
        mg.gradgradcheck(lambda t: t * t, x, grad_outputs=mg.ones(3))
    with pytest.raises(ValueError, match="got 2 grad_outputs for 1 outputs"):
        mg.gradgradcheck(lambda t: t * t, x, grad_outputs=(mg.ones(2), mg.ones(2)))
    with pytest.raises(TypeError, match=r"grad_outputs\[0\] must be a Tensor, got list"):
        mg.gradgradcheck(lambda t: t * t, x, grad_outputs=[[1.0, 1.0]])


def test_fn_must_return_tensors():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="gradgradcheck: fn must return a Tensor"):
        mg.gradgradcheck(lambda t: 3.0, x)
