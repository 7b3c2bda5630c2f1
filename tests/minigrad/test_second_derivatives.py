"""Second derivatives of every op of tests/op_table.py with mg.gradgradcheck (every entry).

For each op hypothesis draws inputs (away from kinks and ties, as for the first-order tests)
and mg.gradgradcheck compares a backward through the op's backward (create_graph=True) with
central differences of the analytic gradient, for a random upstream gradient v that is itself
differentiated too. Ops that are linear or piecewise linear (shape ops, indexing, relu, max)
must give zero second derivatives with respect to their inputs and the right dependence on v.
(tests/minigrad/test_create_graph.py checks the engine itself: Hessian-vector products per op,
mg.grad's arguments and errors, hooks and custom Functions under create_graph.)
"""
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad as mg
from minigrad.testing import assert_second_derivatives_match
from op_table import OPS

OP_PARAMS = [pytest.param(op, id=op.name) for op in OPS if op.differentiable]


@pytest.mark.parametrize("op", OP_PARAMS)
def test_second_derivatives_match_finite_differences(op):
    @settings(max_examples=6)
    @given(op.cases)
    def check(case):
        assert_second_derivatives_match(lambda *xs: op.fn(*xs, **case.kwargs), *case.tensors)
    check()


@pytest.mark.slow
@pytest.mark.parametrize("op", OP_PARAMS)
def test_second_derivatives_match_finite_differences_many_examples(op):
    @settings(max_examples=60)
    @given(op.cases)
    def check(case):
        assert_second_derivatives_match(lambda *xs: op.fn(*xs, **case.kwargs), *case.tensors)
    check()


# --- a gradient penalty, against its closed form ----------------------------------------------
def test_gradient_penalty_reaches_the_weights():
    """d/dw |d(w.x)^2/dx|^2 = d/dw |2(w.x) w|^2: the input-gradient penalty of WGAN-GP."""
    x = mg.tensor(np.array([0.5, -1.0]), requires_grad=True)
    w = mg.tensor(np.array([2.0, 1.0]), requires_grad=True)
    (gx,) = mg.grad([((w * x).sum()) ** 2], [x], create_graph=True)
    (gx * gx).sum().backward()
    s, wv = float((w.data * x.data).sum()), w.data
    # penalty = 4 s^2 |w|^2 with s = w.x; d/dw = 8 s |w|^2 x + 8 s^2 w
    expected = 8 * s * (wv @ wv) * x.data + 8 * s ** 2 * wv
    np.testing.assert_allclose(w.grad.data, expected, rtol=1e-12)
