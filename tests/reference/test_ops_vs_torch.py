"""Differential tests: every op of tests/op_table.py against PyTorch, forward and backward.

The same float64 inputs go through minigrad and torch; outputs must agree, and so must the
gradients of every input for the same random upstream gradient.
"""
import numpy as np
import pytest
from hypothesis import given, strategies as st

from op_table import OPS

torch = pytest.importorskip("torch")

TORCH_OPS = [pytest.param(op, id=op.name) for op in OPS if op.torch_fn is not None]


@pytest.mark.parametrize("op", TORCH_OPS)
def test_forward_and_backward_match_torch(op):
    @given(op.cases, st.integers(0, 2**16))
    def check(case, seed):
        out = op.fn(*case.tensors, **case.kwargs)
        torch_inputs = [torch.tensor(t.data, requires_grad=True) for t in case.tensors]
        expected = op.torch_fn(*torch_inputs, **case.kwargs)
        assert out.shape == tuple(expected.shape)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-7, atol=1e-10)

        upstream = np.random.default_rng(seed).standard_normal(out.shape)
        out.backward(upstream)
        if expected.requires_grad:
            expected.backward(torch.from_numpy(upstream))
        for mine, theirs in zip(case.tensors, torch_inputs):
            reference = np.zeros(mine.shape) if theirs.grad is None else theirs.grad.numpy()
            np.testing.assert_allclose(mine.grad.data, reference, rtol=1e-7, atol=1e-10)
    check()
