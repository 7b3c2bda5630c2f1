"""Generic property tests over every row of tests/op_table.py.

For each op hypothesis draws shapes (0-d, size-1 dims, broadcasting) and values:
- forward: matches the NumPy reference (float64), and its shape;
- gradient: backward matches central finite differences in float64 (mg.gradcheck, which
  projects the output on a random upstream gradient, so this is not only `.sum()`);
- dtype: float32 inputs give float32 outputs and float32 gradients of the inputs' shapes.
"""
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from op_table import OPS

OP_PARAMS = [pytest.param(op, id=op.name) for op in OPS]


@pytest.mark.parametrize("op", OP_PARAMS)
def test_forward_matches_numpy(op):
    @given(op.cases)
    def check(case):
        expected = op.reference(*case.arrays(), **case.kwargs)
        out = op.fn(*case.tensors, **case.kwargs)
        assert isinstance(out, mg.Tensor)
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.data, expected, rtol=op.rtol, atol=op.atol)
        assert out.requires_grad == op.differentiable
    check()


@pytest.mark.parametrize("op", OP_PARAMS)
def test_gradient_matches_finite_differences(op):
    @given(op.cases)
    def check(case):
        assert mg.gradcheck(lambda *xs: op.fn(*xs, **case.kwargs), case.tensors)
    check()


@pytest.mark.parametrize("op", OP_PARAMS)
def test_float32_in_float32_out(op):
    @settings(max_examples=10)
    @given(op.cases)
    def check(case):
        inputs = tuple(mg.tensor(t.data.astype(np.float32), requires_grad=True)
                       for t in case.tensors)
        out = op.fn(*inputs, **case.kwargs)
        assert out.dtype == np.float32
        out.backward(np.ones(out.shape, dtype=np.float32))
        for t in inputs:
            assert t.grad is not None
            assert t.grad.dtype == np.float32
            assert t.grad.shape == t.shape
    check()
