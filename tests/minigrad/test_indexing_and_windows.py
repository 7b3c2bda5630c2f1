"""Indexing gradients (repeated indices accumulate, masks, Tensor indices) and the sliding-window
primitive convolution and pooling are built on (overlaps sum back, vectorised col2im)."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad.testing import tensors


# --- indexing ----------------------------------------------------------------------------------------
def test_repeated_integer_indices_accumulate():
    x = mg.tensor([10.0, 20.0, 30.0], requires_grad=True)
    y = x[[0, 0, 2, 0]]
    np.testing.assert_array_equal(y.data, [10.0, 10.0, 30.0, 10.0])
    y.backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.data, [7.0, 0.0, 3.0])


@given(tensors(shape=(4, 3)), st.lists(st.integers(-4, 3), min_size=1, max_size=8))
def test_integer_index_gradient_counts_uses(x, rows):
    x[np.array(rows)].sum().backward()
    counts = np.bincount(np.array(rows) % 4, minlength=4)
    np.testing.assert_array_equal(x.grad.data, np.repeat(counts[:, None], 3, axis=1))


def test_integer_tensor_and_two_array_indices():
    x = mg.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    picked = x[mg.tensor([2, 2]), mg.tensor([1, 1])]
    np.testing.assert_array_equal(picked.data, [9.0, 9.0])
    picked.sum().backward()
    expected = np.zeros((3, 4))
    expected[2, 1] = 2
    np.testing.assert_array_equal(x.grad.data, expected)


def test_boolean_mask_indexing_and_gradient():
    x = mg.tensor([[1.0, -2.0], [-3.0, 4.0]], requires_grad=True)
    positive = x[x > 0]
    np.testing.assert_array_equal(positive.data, [1.0, 4.0])
    (positive * mg.tensor([2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 0.0], [0.0, 3.0]])
    rows = mg.tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows[np.array([True, False, True])].sum().backward()
    np.testing.assert_array_equal(rows.grad.data, [[1, 1], [0, 0], [1, 1]])


def test_basic_slicing_gradient_with_steps_newaxis_ellipsis():
    x = mg.tensor(np.arange(24.0).reshape(2, 3, 4), requires_grad=True)
    y = x[..., ::-2][:, None, 1]
    np.testing.assert_array_equal(y.data, x.data[..., ::-2][:, None, 1])
    y.sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[:, 1, 3] = expected[:, 1, 1] = 1
    np.testing.assert_array_equal(x.grad.data, expected)


def test_one_element_int_tensor_works_as_python_index():
    x = mg.tensor([5.0, 6.0, 7.0])
    assert x[mg.tensor(2)].item() == 7.0
    assert [1, 2, 3][mg.tensor(1)] == 2


def test_setitem_on_constant_writes_and_bumps_version():
    x = mg.zeros(3)
    x[mg.tensor([0, 2])] = 1.0
    np.testing.assert_array_equal(x.data, [1.0, 0.0, 1.0])
    assert x._version == 1


# --- sliding windows -----------------------------------------------------------------------------------
def test_window_values_match_positions():
    x = mg.tensor(np.arange(16.0).reshape(1, 1, 4, 4))
    windows = mg.sliding_window(x, kernel_size=2, stride=2)
    assert windows.shape == (1, 1, 2, 2, 2, 2)
    np.testing.assert_array_equal(windows.data[0, 0, 1, 0], [[8.0, 9.0], [12.0, 13.0]])
    dilated = mg.sliding_window(x, kernel_size=2, dilation=2)
    assert dilated.shape == (1, 1, 2, 2, 2, 2)
    np.testing.assert_array_equal(dilated.data[0, 0, 0, 1], [[1.0, 3.0], [9.0, 11.0]])
    padded = mg.sliding_window(x, kernel_size=3, padding=1, value=-1.0)
    assert padded.shape == (1, 1, 4, 4, 3, 3)
    np.testing.assert_array_equal(padded.data[0, 0, 0, 0], [[-1, -1, -1], [-1, 0, 1], [-1, 4, 5]])


def test_overlapping_windows_sum_their_gradients():
    """With a 3x3 kernel and stride 1, pixel (r, c) of a 5x5 image lies in as many windows as
    there are valid window origins covering it: the gradient of windows.sum() counts them."""
    x = mg.tensor(np.random.default_rng(0).standard_normal((1, 1, 5, 5)), requires_grad=True)
    mg.sliding_window(x, 3).sum().backward()
    cover = np.array([1, 2, 3, 2, 1])
    np.testing.assert_array_equal(x.grad.data[0, 0], np.outer(cover, cover))


def test_padding_gradient_is_dropped_and_pooling_style_value():
    x = mg.tensor(np.ones((1, 2, 2, 2)), requires_grad=True)
    windows = mg.sliding_window(x, 2, padding=1, value=-np.inf)          # max-pool padding
    assert windows.shape == (1, 2, 3, 3, 2, 2)
    assert np.isneginf(windows.data[0, 0, 0, 0, 0, 0])
    windows.amax(dim=(-2, -1)).sum().backward()
    expected = np.zeros((4, 4))                   # each window's first maximum, in C order
    padded = np.pad(np.ones((2, 2)), 1, constant_values=-np.inf)
    for r in range(3):
        for c in range(3):
            i, j = np.unravel_index(np.argmax(padded[r:r + 2, c:c + 2]), (2, 2))
            expected[r + i, c + j] += 1
    np.testing.assert_array_equal(x.grad.data, np.broadcast_to(expected[1:3, 1:3], (1, 2, 2, 2)))


def test_window_backward_uses_no_add_at_or_output_loops(monkeypatch):
    """The col2im backward is vectorised: np.add.at (the slow scatter the issue rules out)
    is never called; the result still sums every overlap (checked against a loop)."""
    x = mg.tensor(np.random.default_rng(1).standard_normal((2, 3, 9, 9)), requires_grad=True)
    kwargs = {"kernel_size": (3, 2), "stride": (2, 1), "padding": 1, "dilation": (1, 2)}
    windows = mg.sliding_window(x, **kwargs)
    upstream = np.random.default_rng(2).standard_normal(windows.shape)
    monkeypatch.setattr(np, "add", _AddWithoutAt(np.add))
    windows.backward(upstream)
    monkeypatch.undo()

    expected = np.zeros((2, 3, 11, 11))                  # padded, then cropped
    for r in range(windows.shape[2]):
        for c in range(windows.shape[3]):
            for i in range(3):
                for j in range(2):
                    expected[:, :, 2 * r + i, c + 2 * j] += upstream[:, :, r, c, i, j]
    np.testing.assert_allclose(x.grad.data, expected[:, :, 1:-1, 1:-1], rtol=1e-12)


class _AddWithoutAt:
    """np.add stand-in whose .at raises (ufunc attributes can't be patched directly)."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return self._ufunc(*args, **kwargs)

    def at(self, *args, **kwargs):
        raise AssertionError("np.add.at called in the sliding-window backward")

    def __getattr__(self, name):
        return getattr(self._ufunc, name)


def test_conv_from_windows_matches_direct_loop_and_gradcheck():
    """Convolution = window view + matmul; its gradient checked in one random direction."""
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.standard_normal((2, 3, 6, 5)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((4, 3, 3, 2)), requires_grad=True)

    def conv(x, w):
        windows = mg.sliding_window(x, (3, 2), stride=(2, 1), padding=1)  # (N, C, OH, OW, KH, KW)
        n, c, oh, ow, kh, kw = windows.shape
        columns = windows.permute(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
        out = columns @ w.reshape(w.shape[0], -1).T                       # (N*OH*OW, C_out)
        return out.reshape(n, oh, ow, -1).permute(0, 3, 1, 2)

    out = conv(x, w)
    padded = np.pad(x.data, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.zeros(out.shape)
    for r in range(out.shape[2]):
        for c in range(out.shape[3]):
            patch = padded[:, :, 2 * r:2 * r + 3, c:c + 2]
            expected[:, :, r, c] = np.einsum("nchw,ochw->no", patch, w.data)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    assert mg.gradcheck(conv, (x, w), fast_mode=True)


@pytest.mark.parametrize("kwargs, message", [
    ({"kernel_size": 0}, "kernel_size must be >= 1"),
    ({"kernel_size": 2, "stride": 0}, "stride must be >= 1"),
    ({"kernel_size": 2, "padding": -1}, "padding must be >= 0"),
    ({"kernel_size": (2, 2, 2)}, "kernel_size must be an int or a pair"),
    ({"kernel_size": 7}, r"does not fit the padded input of size \(5, 5\)"),
    ({"kernel_size": 3, "dilation": 3}, r"a window spanning \(7, 7\)"),
])
def test_window_argument_errors(kwargs, message):
    x = mg.ones(1, 1, 5, 5)
    with pytest.raises((ValueError, TypeError), match=message):
        mg.sliding_window(x, **kwargs)


def test_window_needs_4d_input():
    with pytest.raises(ValueError, match=r"expected input of shape \(N, C, H, W\), got 3-D shape "
                                         r"\(1, 5, 5\)"):
        mg.sliding_window(mg.ones(1, 5, 5), 3)


# --- im2col: the windows as one matrix, batch last ----------------------------------------------
@given(st.integers(1, 3), st.integers(1, 3), st.booleans())
def test_im2col_is_the_permuted_window_view_for_either_input_layout(n, c, batch_last):
    rng = np.random.default_rng(n * 10 + c)
    images = rng.standard_normal((n, c, 6, 5))
    # the layout conv2d's outputs have (batch innermost), or the user's NCHW batch
    data = np.ascontiguousarray(images.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2) \
        if batch_last else images
    x = mg.tensor(data, requires_grad=True)
    cols = mg.im2col(x, (3, 2), stride=(2, 1), padding=((1, 0), (0, 1)), dilation=(1, 2))
    windows = mg.sliding_window(mg.tensor(images), (3, 2), (2, 1), ((1, 0), (0, 1)), (1, 2))
    expected = windows.data.transpose(1, 4, 5, 2, 3, 0).reshape(c * 3 * 2, -1)
    np.testing.assert_array_equal(cols.data, expected)
    weights = rng.standard_normal(cols.shape)
    (cols * mg.tensor(weights)).sum().backward()
    # col2im: each pixel gets the sum of the column entries that read it
    reference = mg.tensor(images, requires_grad=True)
    windows = mg.sliding_window(reference, (3, 2), (2, 1), ((1, 0), (0, 1)), (1, 2))
    flat = windows.permute(1, 4, 5, 2, 3, 0).reshape(c * 3 * 2, -1)
    (flat * mg.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.data, reference.grad.data, rtol=1e-12)


def test_im2col_errors_name_the_op():
    with pytest.raises(ValueError, match=r"im2col: expected input of shape \(N, C, H, W\)"):
        mg.im2col(mg.ones(1, 5, 5), 3)
    with pytest.raises(ValueError, match=r"im2col: a window spanning \(7, 7\)"):
        mg.im2col(mg.ones(1, 1, 5, 5), 7)
