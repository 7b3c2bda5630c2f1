"""max_pool2d / avg_pool2d and their modules: direct-loop references, finite differences,
first-maximum gradients on ties, and error messages."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nn
from nn.functional import avg_pool2d, max_pool2d


def reference_pool(x, kernel, stride, padding, reduce, fill):
    """Loops over windows; returns (out, grad_of_sum) where grad_of_sum for max pooling marks
    the first maximum of each window (row-major), as PyTorch."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    n, c, h, w = xp.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, c, oh, ow))
    first_max = np.zeros_like(xp)
    for b in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    window = xp[b, ch, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    out[b, ch, i, j] = reduce(window)
                    p, q = np.unravel_index(np.argmax(window), window.shape)
                    first_max[b, ch, i * sh + p, j * sw + q] += 1
    return out, first_max[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]


@st.composite
def pool_configs(draw, distinct=True):
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = draw(st.sampled_from([None, (1, 1), (2, 1), (2, 2), (1, 3)]))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    assume(h + 2 * padding[0] >= kernel[0] and w + 2 * padding[1] >= kernel[1])
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    if distinct:           # values at least 0.1 apart: no ties, max is differentiable
        x = rng.permutation(n * c * h * w).reshape(n, c, h, w) * 0.1 - 1.0
    else:                  # few distinct values: many ties
        x = rng.integers(0, 3, (n, c, h, w)).astype(np.float64)
    return x, kernel, stride, padding


@given(pool_configs())
def test_max_pool_matches_loops_and_finite_differences(cfg):
    x, kernel, stride, padding = cfg
    out = max_pool2d(mg.tensor(x), kernel, stride, padding)
    expected, _ = reference_pool(x, kernel, stride or kernel, padding, np.max, -np.inf)
    np.testing.assert_array_equal(out.data, expected)
    assert mg.gradcheck(lambda t: max_pool2d(t, kernel, stride, padding),
                        [mg.tensor(x, requires_grad=True)], atol=1e-6, rtol=1e-5)


@given(pool_configs(distinct=False))
def test_max_pool_gradient_goes_to_the_first_maximum_on_ties(cfg):
    x, kernel, stride, padding = cfg
    t = mg.tensor(x, requires_grad=True)
    max_pool2d(t, kernel, stride, padding).sum().backward()
    _, expected = reference_pool(x, kernel, stride or kernel, padding, np.max, -np.inf)
    np.testing.assert_array_equal(t.grad.data, expected)


@given(pool_configs(distinct=False), st.integers(0, 2**16))
def test_max_pool_nan_inf_and_signed_zeros_follow_the_first_maximum(cfg, seed):
    """NaN is the maximum (its first one takes the gradient), ties between -0.0 and 0.0 go to
    the first; the input is big enough for the per-window-position path of the Max op."""
    _, kernel, stride, padding = cfg
    rng = np.random.default_rng(seed)
    values = np.array([np.nan, -np.inf, -1.0, -0.0, 0.0, 1.0, np.inf])
    x = rng.choice(values, size=(2, 3, 6, 7), p=[0.05, 0.1, 0.2, 0.2, 0.2, 0.15, 0.1])
    t = mg.tensor(x, requires_grad=True)
    out = max_pool2d(t, kernel, stride, padding)
    out.backward(mg.ones(*out.shape, dtype=out.dtype))      # sum() would warn on inf - inf
    expected_out, expected_grad = reference_pool(x, kernel, stride or kernel, padding, np.max,
                                                 -np.inf)
    np.testing.assert_array_equal(out.data, expected_out)
    np.testing.assert_array_equal(t.grad.data, expected_grad)


def test_max_pool_all_equal_window_sends_everything_to_its_top_left():
    for stride in (None, 1):          # reshape fast path and sliding-window path
        t = mg.zeros(1, 1, 4, 4, requires_grad=True)
        max_pool2d(t, 2, stride).sum().backward()
        if stride is None:
            expected = np.array([[1, 0, 1, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
        else:                          # 3x3 overlapping windows, each picks its own top-left
            expected = np.array([[1, 1, 1, 0], [1, 1, 1, 0], [1, 1, 1, 0], [0, 0, 0, 0]])
        np.testing.assert_array_equal(t.grad.data[0, 0], expected)


@given(pool_configs())
def test_avg_pool_matches_loops_and_finite_differences(cfg):
    x, kernel, stride, padding = cfg
    out = avg_pool2d(mg.tensor(x), kernel, stride, padding)
    expected, _ = reference_pool(x, kernel, stride or kernel, padding, np.mean, 0.0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(lambda t: avg_pool2d(t, kernel, stride, padding),
                        [mg.tensor(x, requires_grad=True)], atol=1e-6, rtol=1e-5)


def test_avg_pool_counts_padded_zeros():
    out = avg_pool2d(mg.ones(1, 1, 2, 2), 3, stride=1, padding=1)
    # each 3x3 window holds the four ones and five padded zeros
    np.testing.assert_allclose(out.data, np.full((1, 1, 2, 2), 4 / 9), rtol=1e-6)


def test_max_pool_odd_size_drops_the_last_row_and_column():
    x = mg.arange(25.0).reshape(1, 1, 5, 5)
    x.requires_grad_()
    out = max_pool2d(x, 2)
    np.testing.assert_array_equal(out.data[0, 0], [[6, 8], [16, 18]])
    out.sum().backward()
    assert x.grad.data[0, 0, 4].sum() == 0 and x.grad.data[0, 0, :, 4].sum() == 0
    assert x.grad.data.sum() == 4


def test_pooling_keeps_float32():
    x = mg.randn(2, 3, 6, 6, requires_grad=True)
    for pool in (lambda t: max_pool2d(t, 2), lambda t: max_pool2d(t, 3, 2, 1),
                 lambda t: avg_pool2d(t, 2)):
        x.grad = None
        out = pool(x)
        out.sum().backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32


def test_pool_modules_defaults_and_repr():
    pool = nn.MaxPool2d(2)
    assert nn.MaxPool2d is nn.MaxPool2D and nn.AvgPool2d is nn.AvgPool2D
    assert pool.kernel_size == (2, 2) and pool.stride == (2, 2) and pool.padding == (0, 0)
    assert repr(pool) == "MaxPool2D(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    avg = nn.AvgPool2D(3, stride=1, padding=1)
    assert repr(avg) == "AvgPool2D(kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))"
    x = mg.randn(2, 3, 6, 6)
    np.testing.assert_array_equal(pool(x).data, max_pool2d(x, 2).data)
    np.testing.assert_array_equal(avg(x).data, avg_pool2d(x, 3, 1, 1).data)
    assert list(pool.parameters()) == []


@pytest.mark.parametrize("make, error, message", [
    (lambda: max_pool2d(mg.randn(1, 1, 3, 3), 4), ValueError,
     r"max_pool2d: the window \(4, 4\) does not fit the input of size \(3, 3\)"),
    (lambda: avg_pool2d(mg.randn(1, 1, 3, 5), (4, 2)), ValueError,
     r"avg_pool2d: the window \(4, 2\) does not fit the input of size \(3, 5\) "
     r"\(padded \(3, 5\)"),
    (lambda: max_pool2d(mg.randn(1, 1, 6, 6), 2, padding=2), ValueError,
     r"max_pool2d: padding \(2, 2\) must be at most half the kernel_size \(2, 2\)"),
    (lambda: avg_pool2d(mg.randn(1, 1, 6, 6), 3, padding=(1, 2)), ValueError,
     r"avg_pool2d: padding \(1, 2\) must be at most half"),
    (lambda: max_pool2d(mg.randn(6, 6), 2), ValueError,
     r"max_pool2d: expected input of shape \(N, C, H, W\), got 2-D shape \(6, 6\)"),
    (lambda: max_pool2d(mg.randn(1, 1, 6, 6), 0), ValueError,
     r"max_pool2d: kernel_size must be >= 1, got 0"),
    (lambda: max_pool2d(mg.randn(1, 1, 6, 6), 2, stride=0), ValueError,
     r"max_pool2d: stride must be >= 1"),
    (lambda: avg_pool2d(np.zeros((1, 1, 4, 4)), 2), TypeError,
     r"avg_pool2d: input must be a Tensor, got ndarray"),
    (lambda: nn.MaxPool2D(2.5), TypeError,
     r"MaxPool2D: kernel_size must be an int or a pair of ints, got 2.5"),
])
def test_pool_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()
