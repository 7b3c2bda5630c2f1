"""conv2d, pooling and the optimizers against PyTorch (skipped when torch is missing)."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
import nn
from nn.functional import avg_pool2d, conv2d, max_pool2d

torch = pytest.importorskip("torch")
TF = torch.nn.functional
# torch warns that "same" padding with an even kernel copies the input; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@st.composite
def conv_cases(draw):
    groups = draw(st.sampled_from([1, 2, 3]))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 3))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    padding = draw(st.sampled_from(["same", "valid", 0, 1, 2, (2, 0), (0, 1)]))
    stride = (1, 1) if padding == "same" else (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    if padding != "same":
        pads = {"valid": (0, 0)}.get(padding, padding) if isinstance(padding, str) else (
            padding if isinstance(padding, tuple) else (padding, padding))
        assume(h + 2 * pads[0] >= dilation[0] * (kernel[0] - 1) + 1)
        assume(w + 2 * pads[1] >= dilation[1] * (kernel[1] - 1) + 1)
    return dict(shape=(draw(st.integers(1, 3)), c_in, h, w),
                weight=(c_out, c_in // groups) + kernel, bias=draw(st.booleans()),
                stride=stride, padding=padding, dilation=dilation, groups=groups,
                seed=draw(st.integers(0, 2**16)))


@given(conv_cases())
def test_conv2d_forward_and_backward_match_torch(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal(case["shape"])
    w = rng.standard_normal(case["weight"])
    b = rng.standard_normal(case["weight"][0]) if case["bias"] else None
    args = (case["stride"], case["padding"], case["dilation"], case["groups"])
    ours = [mg.tensor(v, requires_grad=True) if v is not None else None for v in (x, w, b)]
    theirs = [torch.tensor(v, requires_grad=True) if v is not None else None for v in (x, w, b)]
    out = conv2d(*ours, *args)
    expected = TF.conv2d(*theirs, *args)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-10)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for mine, reference in zip(ours, theirs):
        if mine is not None:
            np.testing.assert_allclose(mine.grad.data, reference.grad.numpy(), rtol=1e-10,
                                       atol=1e-10)


def test_conv2d_float32_keras_layer_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 32, 12, 12)).astype(np.float32)
    layer = nn.Conv2D(32, 64, 3)
    out = layer(mg.tensor(x))
    expected = TF.conv2d(torch.tensor(x), torch.tensor(layer.weight.data),
                         torch.tensor(layer.bias.data))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected.numpy(), rtol=1e-4, atol=1e-5)


@st.composite
def pool_cases(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = draw(st.sampled_from([None, 1, 2, (1, 2), (3, 1)]))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    assume(h + 2 * padding[0] >= kernel[0] and w + 2 * padding[1] >= kernel[1])
    ties = draw(st.booleans())
    return dict(shape=(draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w), kernel=kernel,
                stride=stride, padding=padding, ties=ties, seed=draw(st.integers(0, 2**16)))


@given(pool_cases())
def test_pooling_forward_and_backward_match_torch(case):
    rng = np.random.default_rng(case["seed"])
    x = (rng.integers(0, 3, case["shape"]).astype(np.float64) if case["ties"]
         else rng.standard_normal(case["shape"]))
    args = (case["kernel"], case["stride"], case["padding"])
    for ours_fn, torch_fn in ((max_pool2d, TF.max_pool2d), (avg_pool2d, TF.avg_pool2d)):
        mine = mg.tensor(x, requires_grad=True)
        theirs = torch.tensor(x, requires_grad=True)
        out = ours_fn(mine, *args)
        expected = torch_fn(theirs, *args)
        np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-12, atol=1e-12)
        upstream = rng.standard_normal(out.shape)
        out.backward(upstream)
        expected.backward(torch.tensor(upstream))
        np.testing.assert_allclose(mine.grad.data, theirs.grad.numpy(), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("ours, theirs, kwargs", [
    (nn.optim.SGD, torch.optim.SGD, dict(lr=0.1)),
    (nn.optim.SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    (nn.optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True,
                                         weight_decay=0.01)),
    (nn.optim.SGD, torch.optim.SGD, dict(lr=0.1, weight_decay=0.1)),
    (nn.optim.Adam, torch.optim.Adam, dict()),
    (nn.optim.Adam, torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6,
                                           weight_decay=0.1)),
    (nn.optim.AdamW, torch.optim.AdamW, dict()),
    (nn.optim.AdamW, torch.optim.AdamW, dict(lr=0.01, weight_decay=0.3)),
])
def test_optimizer_steps_match_torch(ours, theirs, kwargs):
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((3, 4)), rng.standard_normal(5)]
    mine = [nn.Parameter(v) for v in start]
    reference = [torch.tensor(v, requires_grad=True) for v in start]
    opt, torch_opt = ours(mine, **kwargs), theirs(reference, **kwargs)
    for _ in range(6):
        for p, q in zip(mine, reference):
            g = rng.standard_normal(p.shape)
            p.grad, q.grad = mg.tensor(g), torch.tensor(g)
        opt.step()
        torch_opt.step()
        for p, q in zip(mine, reference):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-10, atol=1e-12)
