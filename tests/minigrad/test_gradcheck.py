"""Testing the testers: mg.gradcheck passes correct ops, catches wrong backwards, tells a kink
from a wrong gradient, promotes float32, and names the input, element and both values."""
import numpy as np
import pytest
from hypothesis import given

import minigrad as mg
from minigrad.testing import tensors


class WrongSquare(mg.Function):
    """x**2 with a deliberately wrong backward (x instead of 2x)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * x


class OffByOneElement(mg.Function):
    """Identity whose backward is wrong for the element at flat position 4 only."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        grad = grad.copy()
        grad.reshape(-1)[4] *= 1.01
        return grad


class WrongSecondInput(mg.Function):
    """x * y whose gradient for y is wrong by a sign."""

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return x * y

    @staticmethod
    def backward(ctx, grad):
        x, y = ctx.saved_tensors
        return grad * y, -grad * x


def test_passes_correct_gradients_and_returns_true():
    x = mg.tensor(np.linspace(-2, 2, 6).reshape(2, 3), requires_grad=True)
    y = mg.tensor(np.linspace(0.5, 1.5, 3), requires_grad=True)
    assert mg.gradcheck(lambda a, b: (a * b).tanh() / b, (x, y)) is True


def test_catches_a_wrong_backward():
    x = mg.tensor([0.5, -1.5, 2.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongSquare.apply, x)
    error = info.value
    assert error.kind == "wrong_gradient"
    assert error.input_index == 0 and error.element == (0,)
    assert error.output_index == 0 and error.output_element == (0,)
    assert error.numeric == pytest.approx(2 * 0.5, rel=1e-6)       # d(x^2)/dx at 0.5
    assert error.analytic == pytest.approx(0.5, rel=1e-12)         # the wrong backward's x
    message = str(error)
    assert "wrong gradient for input 0 (shape (3,))" in message
    assert "element (0,)" in message and "relative error" in message
    assert "d output[0] / d input 0[0]" in message
    assert "analytic 0.5, numeric 1," in message
    assert "3 of 3 elements of input 0 have a wrong gradient" in message


class WrongCube(mg.Function):
    """x**3 whose backward returns 2x^2 instead of 3x^2 (the example of issue 13)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 2 * x ** 2 * grad


@pytest.mark.parametrize("shape", [(), (1,), (2, 1)])
def test_message_reports_jacobian_entries_not_projected_values(shape):
    """At x = 1.5 the user expects 4.5 (2x^2) and 6.75 (3x^2), whatever the random projection
    used to find the element."""
    x = mg.tensor(np.full(shape, 1.5), requires_grad=True)
    for seed in (0, 1, 7):
        with pytest.raises(mg.GradcheckError, match=r"analytic 4\.5, numeric 6\.75,") as info:
            mg.gradcheck(WrongCube.apply, x, seed=seed)
        assert info.value.analytic == pytest.approx(4.5, rel=1e-12)
        assert info.value.numeric == pytest.approx(6.75, rel=1e-6)


class FlipWithUnflippedBackward(mg.Function):
    """y[k] = x[n-1-k], with a backward that forgets to flip the gradient back."""

    @staticmethod
    def forward(ctx, x):
        return x[::-1].copy()

    @staticmethod
    def backward(ctx, grad):
        return grad


def test_message_names_the_output_element_of_an_off_diagonal_entry():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(FlipWithUnflippedBackward.apply, x)
    error = info.value
    assert (error.element, error.output_element) == ((0,), (0,))
    assert (error.analytic, error.numeric) == (1.0, pytest.approx(0.0, abs=1e-9))
    assert "d output[0] / d input 0[0]" in str(error)
    assert "2 of 3 elements" in str(error)          # the middle element's gradient is right


def test_multiple_outputs_are_named_by_position():
    x = mg.tensor([[0.3, 1.5]], requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"d output 1\[0, 1\] / d input 0\[0, 1\]") as info:
        mg.gradcheck(lambda t: (t.exp(), WrongCube.apply(t)), x, rtol=0.2)
    assert info.value.output_index == 1 and info.value.element == (0, 1)
    assert info.value.analytic == pytest.approx(4.5) and info.value.numeric == pytest.approx(6.75)


def test_names_the_failing_element_and_input():
    x = mg.tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(2, 3\)\) at element \(1, 1\)"):
        mg.gradcheck(OffByOneElement.apply, x)
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = mg.tensor([3.0, -1.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError, match=r"wrong gradient for input 1 \(shape \(2,\)\)"):
        mg.gradcheck(WrongSecondInput.apply, (a, b))


def test_raise_exception_false_returns_false():
    x = mg.tensor([0.5, 1.5], requires_grad=True)
    assert mg.gradcheck(WrongSquare.apply, x, raise_exception=False) is False
    assert mg.gradcheck(lambda t: t * t, x, raise_exception=False) is True


def test_fast_mode_checks_one_direction():
    x = mg.tensor(np.random.default_rng(3).standard_normal((4, 5)), requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).sum(0), x, fast_mode=True)
    with pytest.raises(mg.GradcheckError, match="fast mode.*directional derivative"):
        mg.gradcheck(WrongSquare.apply, x, fast_mode=True)


def test_kink_is_reported_as_not_differentiable_not_as_wrong():
    x = mg.tensor([1.0, 0.0, -2.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError, match="not differentiable at element \\(1,\\)") as info:
        mg.gradcheck(mg.relu, x)
    assert info.value.kind == "nondifferentiable"
    assert "one-sided slopes disagree" in str(info.value)


def test_tie_in_max_is_reported_as_not_differentiable():
    x = mg.tensor([2.0, 2.0, 1.0], requires_grad=True)
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda t: t.max(), x)
    assert info.value.kind == "nondifferentiable"


def test_float32_inputs_are_checked_in_float64():
    """In float32, central differences with eps=1e-6 are pure rounding noise; gradcheck
    promotes copies to float64, so a correct op passes and the inputs are left untouched."""
    data = np.linspace(-2, 2, 7).astype(np.float32)
    x = mg.tensor(data, requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).exp() * 0.1, x)
    assert x.dtype == np.float32 and x.grad is None
    np.testing.assert_array_equal(x.data, data)


def test_non_tensor_and_non_grad_inputs_are_passed_through():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    c = mg.tensor([3.0, 4.0])
    assert mg.gradcheck(lambda a, b, k: a * b * k, (x, c, 2.0))
    assert c.grad is None


def test_tuple_outputs_are_all_checked():
    x = mg.tensor([0.3, 0.7], requires_grad=True)
    assert mg.gradcheck(lambda t: (t.exp(), t * 3), x)

    with pytest.raises(mg.GradcheckError):
        mg.gradcheck(lambda t: (t.exp(), WrongSquare.apply(t)), x)


def test_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="no input requires grad"):
        mg.gradcheck(lambda t: t * 2, mg.tensor([1.0]))


def test_fn_must_return_tensors():
    x = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="fn must return a Tensor"):
        mg.gradcheck(lambda t: 3.0, x)


@given(tensors(shape=(3,), avoid=[0.0]))
def test_wrong_backward_fails_at_every_drawn_point(x):
    """Not a lucky example: wherever x != 0, the wrong x**2 backward is caught."""
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(WrongSquare.apply, x)
    assert info.value.kind == "wrong_gradient"
