"""conv2d / Conv2D: against a direct-loop reference, finite differences, a naive conv that
reuses one weight tensor, and every error message."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nn
from nn.functional import conv2d


def reference_conv(x, w, b, stride, pads, dilation, groups):
    """Direct loops: out[n, o, i, j] = b[o] + sum_{c, p, q} xpad[n, g*cg + c, i*sh + p*dh,
    j*sw + q*dw] * w[o, c, p, q], g = o // (C_out / groups)."""
    (sh, sw), (dh, dw), ((top, bottom), (left, right)) = stride, dilation, pads
    xp = np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))
    n, c_in, h, w_ = xp.shape
    c_out, cg, kh, kw = w.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w_ - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c_out, oh, ow))
    per_group = c_out // groups
    for o in range(c_out):
        first = (o // per_group) * cg
        for i in range(oh):
            for j in range(ow):
                total = np.zeros(n)
                for c in range(cg):
                    for p in range(kh):
                        for q in range(kw):
                            total += xp[:, first + c, i * sh + p * dh, j * sw + q * dw] * w[o, c, p, q]
                out[:, o, i, j] = total + (0.0 if b is None else b[o])
    return out


def same_pads(kernel, dilation):
    totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in totals)


@st.composite
def conv_configs(draw):
    groups = draw(st.sampled_from([1, 1, 2]))
    c_in = groups * draw(st.integers(1, 2))
    c_out = groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    kind = draw(st.sampled_from(["int", "pair", "same", "valid"]))
    stride = (1, 1) if kind == "same" else (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = {"int": draw(st.integers(0, 2)), "pair": (draw(st.integers(0, 2)),
                                                        draw(st.integers(0, 2))),
               "same": "same", "valid": "valid"}[kind]
    if kind == "same":
        pads = same_pads(kernel, dilation)
    elif kind == "valid":
        pads = ((0, 0), (0, 0))
    else:
        ph, pw = (padding, padding) if kind == "int" else padding
        pads = ((ph, ph), (pw, pw))
    h, w = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    for size, k, d, (a, b) in zip((h, w), kernel, dilation, pads):
        assume(size + a + b >= d * (k - 1) + 1)
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((n, c_in, h, w))
    weight = rng.standard_normal((c_out, c_in // groups) + kernel)
    b = rng.standard_normal(c_out) if bias else None
    return dict(x=x, weight=weight, bias=b, stride=stride, padding=padding, pads=pads,
                dilation=dilation, groups=groups)


def _tensors(cfg):
    x = mg.tensor(cfg["x"], requires_grad=True)
    w = mg.tensor(cfg["weight"], requires_grad=True)
    b = None if cfg["bias"] is None else mg.tensor(cfg["bias"], requires_grad=True)
    return x, w, b


def _conv(cfg, x, w, b):
    return conv2d(x, w, b, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])


@given(conv_configs())
def test_conv2d_matches_direct_loops(cfg):
    out = _conv(cfg, *_tensors(cfg))
    expected = reference_conv(cfg["x"], cfg["weight"], cfg["bias"], cfg["stride"], cfg["pads"],
                              cfg["dilation"], cfg["groups"])
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)


@given(conv_configs())
def test_conv2d_gradients_match_finite_differences(cfg):
    inputs = [t for t in _tensors(cfg) if t is not None]
    if cfg["bias"] is None:
        fn = lambda x, w: _conv(cfg, x, w, None)   # noqa: E731
    else:
        fn = lambda x, w, b: _conv(cfg, x, w, b)   # noqa: E731
    assert mg.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, rtol=1e-5)


def test_conv2d_gradcheck_fast_mode_on_a_bigger_input():
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((3, 4, 9, 8)), requires_grad=True)
    w = mg.tensor(rng.standard_normal((6, 2, 3, 3)), requires_grad=True)
    b = mg.tensor(rng.standard_normal(6), requires_grad=True)
    fn = lambda x, w, b: conv2d(x, w, b, stride=(2, 1), padding=1, dilation=(1, 2),  # noqa
                                groups=2)
    for seed in range(3):
        assert mg.gradcheck(fn, (x, w, b), fast_mode=True, seed=seed)


def test_naive_conv_with_one_shared_weight_gives_the_same_output_and_gradients():
    """A Python loop over output positions, each reusing the SAME weight tensor, is what
    conv2d computes: autodiff sums the kernel's gradient over every position it was used."""
    rng = np.random.default_rng(2)
    x = mg.tensor(rng.standard_normal((2, 3, 5, 6)))
    w1 = mg.tensor(rng.standard_normal((4, 3, 2, 3)), requires_grad=True)
    b1 = mg.tensor(rng.standard_normal(4), requires_grad=True)
    w2 = mg.tensor(w1.data.copy(), requires_grad=True)
    b2 = mg.tensor(b1.data.copy(), requires_grad=True)
    upstream = rng.standard_normal((2, 4, 4, 4))

    out = conv2d(x, w1, b1)
    out.backward(upstream)

    columns = []
    for i in range(4):
        row = []
        for j in range(4):
            patch = x[:, :, i:i + 2, j:j + 3]                      # (N, C, KH, KW)
            products = patch.unsqueeze(1) * w2                     # (N, C_out, C, KH, KW)
            row.append(products.sum(dim=(2, 3, 4)) + b2)           # (N, C_out)
        columns.append(mg.stack(row, dim=-1))                      # (N, C_out, OW)
    naive = mg.stack(columns, dim=-2)                              # (N, C_out, OH, OW)
    naive.backward(upstream)

    np.testing.assert_allclose(naive.data, out.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w2.grad.data, w1.grad.data, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b2.grad.data, b1.grad.data, rtol=1e-12, atol=1e-12)
    # the bias gradient is the upstream gradient summed over batch and all 16 positions
    np.testing.assert_allclose(b1.grad.data, upstream.sum(axis=(0, 2, 3)))


def test_same_padding_keeps_the_size_and_pads_even_kernels_bottom_right():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 1, 5, 6))
    w = rng.standard_normal((1, 1, 2, 4))
    out = conv2d(mg.tensor(x), mg.tensor(w), padding="same")
    assert out.shape == (1, 1, 5, 6)
    # KH=2: 1 extra row at the bottom; KW=4: 1 column left, 2 right
    expected = reference_conv(x, w, None, (1, 1), ((0, 1), (1, 2)), (1, 1), 1)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_float32_stays_float32_forward_and_backward():
    x = mg.randn(2, 3, 6, 6)
    layer = nn.Conv2D(3, 4, 3, padding=1)
    out = layer(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer.weight.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float32
    x.requires_grad_()
    conv2d(x, layer.weight).sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("padding", [0, 2])
def test_batch_first_and_batch_last_inputs_give_the_same_results(padding):
    """conv2d copies a batch-first input batch-last, and padding keeps the input's layout:
    neither changes a value of the output or of the gradients."""
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 2, 7, 6)).astype(np.float32)
    weight = mg.tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    batch_first = mg.tensor(data, requires_grad=True)
    batch_last = mg.tensor(data.transpose(1, 2, 3, 0), requires_grad=True)  # (C, H, W, N)
    results = []
    for x in (batch_first, batch_last.permute(3, 0, 1, 2)):
        assert (x.data.strides[0] == 4) == (x is not batch_first)
        weight.grad = None
        out = conv2d(x, weight, padding=padding)
        (out * out).sum().backward()
        results.append((out.numpy(), weight.grad.numpy()))
    for first, last in zip(*results):
        np.testing.assert_array_equal(first, last)
    np.testing.assert_array_equal(batch_first.grad.numpy(),
                                  batch_last.grad.numpy().transpose(3, 0, 1, 2))
    windows = mg.sliding_window(batch_last.permute(3, 0, 1, 2), 3, padding=padding, value=-1.0)
    assert windows.data.strides[0] == 4                  # the padded copy is batch-last too
    expected = np.lib.stride_tricks.sliding_window_view(
        np.pad(data, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2), constant_values=-1.0),
        (3, 3), axis=(2, 3))
    np.testing.assert_array_equal(windows.numpy(), expected)


def test_conv2d_module_attributes_init_and_repr():
    mg.manual_seed(0)
    layer = nn.Conv2d(1, 32, kernel_size=3)
    assert nn.Conv2d is nn.Conv2D
    assert layer.kernel_size == (3, 3) and layer.stride == (1, 1) and layer.dilation == (1, 1)
    assert layer.weight.shape == (32, 1, 3, 3) and layer.bias.shape == (32,)
    assert layer.weight.dtype == np.float32
    bound = math.sqrt(6 / (1 * 9 + 32 * 9))       # Glorot: fan_in = 1*3*3, fan_out = 32*3*3
    assert np.abs(layer.weight.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.8 * bound
    assert np.all(layer.bias.data == 0)
    assert [name for name, _ in layer.named_parameters()] == ["weight", "bias"]
    assert repr(layer) == "Conv2D(1, 32, kernel_size=(3, 3), stride=(1, 1))"
    grouped = nn.Conv2D(4, 8, (3, 5), stride=2, padding=1, dilation=2, groups=2, bias=False)
    assert grouped.weight.shape == (8, 2, 3, 5) and grouped.bias is None
    assert [name for name, _ in grouped.named_parameters()] == ["weight"]
    assert repr(grouped) == ("Conv2D(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), "
                             "dilation=(2, 2), groups=2, bias=False)")
    assert repr(nn.Conv2D(2, 2, 3, padding="same")).endswith("padding='same')")
    assert grouped(mg.randn(2, 4, 9, 9)).shape == (2, 8, 4, 2)


def test_conv2d_module_matches_functional():
    layer = nn.Conv2D(2, 3, 3, stride=2, padding=1)
    x = mg.randn(2, 2, 7, 7)
    expected = conv2d(x, layer.weight, layer.bias, stride=2, padding=1)
    np.testing.assert_array_equal(layer(x).data, expected.data)


@pytest.mark.parametrize("make, error, message", [
    (lambda: conv2d(mg.randn(3, 28, 28), mg.randn(32, 1, 3, 3)), ValueError,
     r"conv2d: expected input of shape \(N, C, H, W\), got 3-D shape \(3, 28, 28\)"),
    (lambda: conv2d(mg.randn(8, 3, 28, 28), mg.randn(32, 1, 3, 3)), ValueError,
     r"conv2d: input has 3 channels but weight expects 1 \(weight shape \(32, 1, 3, 3\)"),
    (lambda: conv2d(mg.randn(1, 1, 2, 2), mg.randn(1, 1, 3, 3)), ValueError,
     r"conv2d: a window spanning \(3, 3\).*does not fit the padded input of size \(2, 2\)"),
    (lambda: conv2d(mg.randn(1, 1, 4, 4), mg.randn(1, 1, 3, 3), dilation=2), ValueError,
     r"conv2d: a window spanning \(5, 5\).*\(4, 4\)"),
    (lambda: conv2d(mg.randn(1, 3, 5, 5), mg.randn(4, 1, 3, 3), groups=2), ValueError,
     r"conv2d: groups=2 must divide both the input channels \(3\)"),
    (lambda: conv2d(mg.randn(1, 2, 5, 5), mg.randn(3, 2, 3, 3), mg.randn(4)), ValueError,
     r"conv2d: bias must have shape \(3,\).*got \(4,\)"),
    (lambda: conv2d(mg.randn(1, 2, 5, 5), mg.randn(3, 2, 3)), ValueError,
     r"conv2d: weight must have shape \(C_out, C_in // groups, KH, KW\), got 3-D"),
    (lambda: conv2d(mg.randn(1, 1, 5, 5), mg.randn(1, 1, 3, 3), stride=2, padding="same"),
     ValueError, r"conv2d: padding='same' is not supported for stride \(2, 2\)"),
    (lambda: conv2d(mg.randn(1, 1, 5, 5), mg.randn(1, 1, 3, 3), padding="full"), ValueError,
     r"conv2d: padding must be an int, a pair, 'valid' or 'same', got 'full'"),
    (lambda: conv2d(mg.randn(1, 1, 5, 5), mg.randn(1, 1, 3, 3), stride=0), ValueError,
     r"conv2d: stride must be >= 1, got 0"),
    (lambda: conv2d(mg.randn(1, 1, 5, 5), mg.randn(1, 1, 3, 3), padding=-1), ValueError,
     r"conv2d: padding must be >= 0"),
    (lambda: conv2d(np.zeros((1, 1, 5, 5)), mg.randn(1, 1, 3, 3)), TypeError,
     r"conv2d: input must be a Tensor, got ndarray"),
    (lambda: conv2d(mg.randn(1, 1, 5, 5).double(), mg.randn(1, 1, 3, 3)), TypeError,
     r"conv2d: input dtype float64 differs from weight dtype float32"),
    (lambda: nn.Conv2D(3, 4, 3, groups=2), ValueError,
     r"Conv2D: groups=2 must divide in_channels \(3\) and out_channels \(4\)"),
    (lambda: nn.Conv2D(0, 4, 3), ValueError, r"Conv2D: in_channels must be a positive int"),
    (lambda: nn.Conv2D(1, 4, 3, stride=2, padding="same"), ValueError,
     r"Conv2D: padding='same' is not supported for stride"),
    (lambda: nn.Conv2D(1, 4, (3, 3, 3)), TypeError,
     r"Conv2D: kernel_size must be an int or a pair of ints"),
])
def test_conv_errors_name_the_shapes(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_module_reports_wrong_channels_with_the_fix():
    layer = nn.Conv2D(1, 32, 3)
    with pytest.raises(ValueError, match=r"input has 3 channels but weight expects 1 .*"
                                         r"in_channels=3"):
        layer(mg.randn(2, 3, 8, 8))
