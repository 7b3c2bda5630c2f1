"""2-D matmul picks the faster of two equivalent BLAS calls; the result must not tell."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.ops import linalg

# (m, k, n) with m < n and k >= LONG_INNER * n: computed as (b.T @ a.T).T; and a plain one
LONG = (6, linalg.LONG_INNER * 25, 25)
PLAIN = (25, 40, 6)


@pytest.mark.parametrize("m, k, n", [LONG, PLAIN])
def test_product_is_c_ordered_and_equals_numpy(m, k, n):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((m, k)), rng.standard_normal((k, n))
    out = linalg._matmul(a, b)
    assert out.flags.c_contiguous and out.shape == (m, n)
    np.testing.assert_allclose(out, a @ b, rtol=1e-12)
    fortran = linalg._matmul(a, b, f_order=True)
    assert fortran.flags.f_contiguous
    np.testing.assert_allclose(fortran, a @ b, rtol=1e-12)


def test_conv_like_weight_gradient_keeps_the_weight_layout():
    # out = kernels @ cols, as nn.conv2d computes it: the kernels' gradient grad @ cols.T has
    # a long inner dim (the turned product) and still comes back C-ordered like the kernels.
    m, k, n = LONG
    rng = np.random.default_rng(1)
    kernels = mg.tensor(rng.standard_normal((m, n)), requires_grad=True)
    cols = mg.tensor(rng.standard_normal((n, k)), requires_grad=True)
    upstream = rng.standard_normal((m, k))
    (kernels @ cols).backward(upstream)
    assert kernels.grad.data.flags.c_contiguous
    np.testing.assert_allclose(kernels.grad.data, upstream @ cols.data.T, rtol=1e-12)
    np.testing.assert_allclose(cols.grad.data, kernels.data.T @ upstream, rtol=1e-12)
