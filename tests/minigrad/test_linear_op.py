"""mg.linear: x @ weight.T + bias as one graph node (what nn.functional.linear uses)."""
import numpy as np
import pytest

import minigrad as mg
import nn


def test_one_node_with_the_composed_numbers():
    rng = np.random.default_rng(0)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((2, 5, 4), (3, 4), (3,)))
    out = mg.linear(mg.tensor(x), mg.tensor(w, requires_grad=True), mg.tensor(b))
    assert out.grad_fn.name == "Linear" and out.shape == (2, 5, 3)
    np.testing.assert_allclose(out.data, x @ w.T + b, rtol=1e-6)
    assert mg.linear(mg.tensor(x), mg.tensor(w)).shape == (2, 5, 3)      # no bias


def test_weight_gradient_keeps_the_weights_memory_order():
    w = mg.randn(3, 4, requires_grad=True)
    mg.linear(mg.randn(6, 4), w, mg.zeros(3, requires_grad=True)).sum().backward()
    assert w.grad.data.flags.c_contiguous and w.grad.shape == (3, 4)


def test_bad_shapes_and_mixed_dtypes_are_named():
    with pytest.raises(ValueError, match=r"linear: shapes x \(2, 5\), weight \(3, 4\)"):
        mg.linear(mg.randn(2, 5), mg.randn(3, 4))
    with pytest.raises(ValueError, match=r"bias \(4,\) do not fit"):
        mg.linear(mg.randn(2, 4), mg.randn(3, 4), mg.randn(4))
    with pytest.raises(TypeError, match="linear: x, weight and bias must have one dtype, got "
                                        "float32, float64"):
        mg.linear(mg.randn(2, 4), mg.randn(3, 4, dtype=mg.float64))


def test_nn_linear_with_mixed_dtypes_still_promotes():
    # nn.functional.linear keeps matmul's promotion for mixed dtypes (the composed form)
    out = nn.functional.linear(mg.randn(2, 4), mg.randn(3, 4, dtype=mg.float64))
    assert out.dtype == np.float64 and out.grad_fn is None
