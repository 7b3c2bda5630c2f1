"""The README's "Higher-order gradients" section: its code blocks run and print what their
comments say, and its picture exists."""
import pytest

from test_readme import README, _python_blocks, _run

SECTION = "Higher-order gradients"


def test_gradients_of_gradients_block(tmp_path, monkeypatch, capsys):
    code = _python_blocks(SECTION)["Gradients of gradients"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    assert "tensor([ 0.75, 12.  ], dtype=float64, grad_fn=<" in out
    assert "tensor([ 3., 12.], dtype=float64)" in out
    assert "tensor([  4.5, 288. ], dtype=float64)" in out


def test_whole_function_derivatives_block(tmp_path, monkeypatch, capsys):
    code = _python_blocks(SECTION)["Derivatives of whole functions: `mg.functional`"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    assert "(tensor(9., dtype=float64), tensor([6., 6.], dtype=float64))" in out
    assert "[[ 6.,  0.],\n        [ 0., 12.]]" in out
    assert "[[2., 0.],\n        [0., 4.]]" in out
    assert out.count("(tensor([1., 4.], dtype=float64), tensor([2., 2.], dtype=float64))") == 2


def test_gradgradcheck_block(tmp_path, monkeypatch, capsys):
    code = _python_blocks(SECTION)["Checking second derivatives: `mg.gradgradcheck`"]
    _run(code, tmp_path, monkeypatch, capsys)


def test_quoted_gradgradcheck_failure_is_what_gradgradcheck_says():
    """The failure quoted in the section is the real message for a gradient with the right
    value (3x^2) whose own derivative is 4x instead of 6x, at x = 1.5."""
    import numpy as np

    import minigrad as mg

    def cube(x):
        square = x * x
        if square.requires_grad:
            square.register_hook(lambda grad: grad.detach())
        return x * square

    x = mg.tensor(np.array([0.3, 1.5, 2.0]), requires_grad=True)
    v = mg.tensor(np.array([0.0, 1.0, 0.0]))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradgradcheck(cube, x, grad_outputs=v)
    quoted = ("gradgradcheck: wrong second derivative d (grad of input 0[1]) / d input 0[1] "
              "(input 0 has shape (3,), element (1,)): analytic 6, numeric 9,")
    assert str(info.value).startswith(quoted)
    assert " ".join(quoted.split()) in " ".join(README.read_text().replace("`", "").split())
