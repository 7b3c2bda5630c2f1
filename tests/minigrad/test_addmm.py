"""mg.addmm: beta * input + alpha * (mat1 @ mat2) as one op, as PyTorch's addmm (nn.conv2d's
product and bias). Gradients, second derivatives and torch agreement: the op table."""
import numpy as np
import pytest

import minigrad as mg


def test_one_node_with_the_composed_numbers_and_a_row_bias():
    rng = np.random.default_rng(0)
    bias, a, b = (rng.standard_normal(s).astype(np.float32) for s in ((3, 1), (3, 4), (4, 5)))
    t_bias, t_a = mg.tensor(bias, requires_grad=True), mg.tensor(a, requires_grad=True)
    out = mg.addmm(t_bias, t_a, mg.tensor(b))
    assert out.grad_fn.name == "Addmm" and out.shape == (3, 5) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, (a @ b) + bias)     # the same float32 numbers
    out.sum().backward()
    np.testing.assert_allclose(t_bias.grad.data, np.full((3, 1), 5.0))
    np.testing.assert_allclose(t_a.grad.data, np.ones((3, 5)) @ b.T, rtol=1e-6)


def test_beta_zero_ignores_nan_in_input_and_alpha_scales_the_product():
    a, b = mg.tensor([[1.0, 2.0]]), mg.tensor([[3.0], [4.0]])
    out = mg.addmm(mg.tensor([[np.nan]]), a, b, beta=0, alpha=0.5)
    np.testing.assert_array_equal(out.data, [[5.5]])
    np.testing.assert_array_equal(mg.addmm(mg.tensor(1.0), a, b, beta=2).data, [[13.0]])


def test_bad_arguments_are_named():
    a, b = mg.randn(2, 3), mg.randn(3, 4)
    with pytest.raises(ValueError, match=r"addmm: mat1 \(2, 3\) and mat2 \(2, 4\) must be "
                                         r"matrices"):
        mg.addmm(mg.zeros(2, 4), a, mg.randn(2, 4))
    with pytest.raises(ValueError, match=r"addmm: input of shape \(3,\) does not broadcast "
                                         r"to the product's shape \(2, 4\)"):
        mg.addmm(mg.zeros(3), a, b)
    with pytest.raises(TypeError, match="addmm: input, mat1 and mat2 must have one dtype, got "
                                        "float64, float32, float32"):
        mg.addmm(mg.zeros(2, 4, dtype=mg.float64), a, b)
    with pytest.raises(TypeError, match="addmm: beta must be a number, got str"):
        mg.addmm(mg.zeros(2, 4), a, b, beta="1")


def test_nn_conv2d_is_one_graph_node_with_the_bias_inside():
    nn = pytest.importorskip("nn")
    layer = nn.Conv2D(2, 3, 3)
    out = layer(mg.randn(2, 2, 5, 5))
    names = set()
    stack = [out.grad_fn]
    while stack:
        node = stack.pop()
        names.add(node.name)
        stack.extend(t.grad_fn for t in node.inputs
                     if isinstance(t, mg.Tensor) and t.grad_fn is not None)
    assert names == {"Conv2d"}
