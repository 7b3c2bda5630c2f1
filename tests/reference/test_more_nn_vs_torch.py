"""The layers and losses of issue 13 against PyTorch: forward values and every input's gradient,
float64, on hypothesis-drawn inputs (one table, one test per row)."""
import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import minigrad as mg
import nn
import nn.functional as MF
from minigrad.testing import tensors

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _probabilities(shape):
    return tensors(shape=shape, min_value=0.02, max_value=0.98)


LOGITS = tensors(shape=(4, 3), min_value=-5, max_value=5)
IMAGE = tensors(shape=(2, 3, 5, 4))
TARGET = np.array([0, 2, -100, 1])                       # one ignored sample
CLASS_WEIGHT = np.array([0.5, 2.0, 1.25])

# id -> (inputs strategy per argument, minigrad call, torch call)
CASES = {
    "leaky_relu": ([IMAGE], lambda x: MF.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2)),
    "elu": ([IMAGE], lambda x: MF.elu(x, 0.7), lambda x: F.elu(x, 0.7)),
    "silu": ([IMAGE], MF.silu, F.silu),
    "gelu": ([IMAGE], MF.gelu, F.gelu),
    "gelu_tanh": ([IMAGE], lambda x: MF.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh")),
    "softplus": ([tensors(shape=(3, 4), min_value=-30, max_value=30)],
                 lambda x: MF.softplus(x, 2.0, 10.0), lambda x: F.softplus(x, 2.0, 10.0)),
    "adaptive_avg_pool2d": ([IMAGE], lambda x: MF.adaptive_avg_pool2d(x, (3, 3)),
                            lambda x: F.adaptive_avg_pool2d(x, (3, 3))),
    "adaptive_avg_pool2d_divisible": ([IMAGE], lambda x: MF.adaptive_avg_pool2d(x, (5, 2)),
                                      lambda x: F.adaptive_avg_pool2d(x, (5, 2))),
    "adaptive_max_pool2d": ([IMAGE], lambda x: MF.adaptive_max_pool2d(x, (2, 3)),
                            lambda x: F.adaptive_max_pool2d(x, (2, 3))),
    "pad_constant": ([IMAGE], lambda x: MF.pad(x, (1, 2, 0, -1), value=0.5),
                     lambda x: F.pad(x, (1, 2, 0, -1), value=0.5)),
    "pad_reflect": ([IMAGE], lambda x: MF.pad(x, (3, 1, 2, 4), "reflect"),
                    lambda x: F.pad(x, (3, 1, 2, 4), "reflect")),
    "pad_replicate": ([IMAGE], lambda x: MF.pad(x, (2, 0, 1, 3), "replicate"),
                      lambda x: F.pad(x, (2, 0, 1, 3), "replicate")),
    "pad_circular": ([IMAGE], lambda x: MF.pad(x, (4, 1, 0, 5), "circular"),
                     lambda x: F.pad(x, (4, 1, 0, 5), "circular")),
    "layer_norm": ([IMAGE, tensors(shape=(5, 4)), tensors(shape=(5, 4))],
                   lambda x, w, b: MF.layer_norm(x, (5, 4), w, b),
                   lambda x, w, b: F.layer_norm(x, (5, 4), w, b)),
    "group_norm": ([tensors(shape=(2, 4, 3, 2)), tensors(shape=(4,)), tensors(shape=(4,))],
                   lambda x, w, b: MF.group_norm(x, 2, w, b),
                   lambda x, w, b: F.group_norm(x, 2, w, b)),
    "normalize": ([IMAGE], lambda x: MF.normalize(x, 3.0, 1), lambda x: F.normalize(x, 3.0, 1)),
    "embedding": ([tensors(shape=(6, 3))],
                  lambda w: MF.embedding(np.array([[0, 5, 2], [2, 2, 1]]), w, padding_idx=2),
                  lambda w: F.embedding(torch.tensor([[0, 5, 2], [2, 2, 1]]), w, padding_idx=2)),
    "interpolate_nearest": ([IMAGE], lambda x: MF.interpolate(x, scale_factor=1.7),
                            lambda x: F.interpolate(x, scale_factor=1.7)),
    "interpolate_bilinear": ([IMAGE], lambda x: MF.interpolate(x, size=(7, 9),
                                                               mode="bilinear"),
                             lambda x: F.interpolate(x, size=(7, 9), mode="bilinear")),
    "interpolate_bilinear_align": (
        [IMAGE], lambda x: MF.interpolate(x, scale_factor=2, mode="bilinear",
                                          align_corners=True),
        lambda x: F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)),
    "conv_transpose2d": (
        [tensors(shape=(2, 4, 3, 4)), tensors(shape=(4, 3, 3, 2)), tensors(shape=(6,))],
        lambda x, w, b: MF.conv_transpose2d(x, w, b, stride=(2, 3), padding=1,
                                            output_padding=(1, 0), groups=2),
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=(2, 3), padding=1,
                                           output_padding=(1, 0), groups=2)),
    "conv_transpose2d_dilated": (
        [tensors(shape=(1, 2, 4, 3)), tensors(shape=(2, 3, 2, 3))],
        lambda x, w: MF.conv_transpose2d(x, w, dilation=2, padding=(2, 1)),
        lambda x, w: F.conv_transpose2d(x, w, dilation=2, padding=(2, 1))),
    "l1_loss": ([IMAGE, IMAGE], MF.l1_loss, F.l1_loss),
    "smooth_l1_loss": ([IMAGE, IMAGE], lambda x, y: MF.smooth_l1_loss(x, y, beta=0.5),
                       lambda x, y: F.smooth_l1_loss(x, y, beta=0.5)),
    "huber_loss": ([IMAGE, IMAGE], lambda x, y: MF.huber_loss(x, y, "sum", 0.7),
                   lambda x, y: F.huber_loss(x, y, "sum", 0.7)),
    "binary_cross_entropy": (
        [_probabilities((3, 4)), _probabilities((3, 4)), tensors(shape=(4,))],
        lambda x, y, w: MF.binary_cross_entropy(x, y, w),
        lambda x, y, w: F.binary_cross_entropy(x, y, w)),
    "binary_cross_entropy_with_logits": (
        [tensors(shape=(3, 4), min_value=-40, max_value=40), _probabilities((3, 4)),
         tensors(shape=(4,), min_value=0.1, max_value=3)],
        lambda x, y, p: MF.binary_cross_entropy_with_logits(x, y, pos_weight=p,
                                                            reduction="none"),
        lambda x, y, p: F.binary_cross_entropy_with_logits(x, y, pos_weight=p,
                                                           reduction="none")),
    "kl_div_batchmean": ([tensors(shape=(3, 4)), _probabilities((3, 4))],
                         lambda x, y: MF.kl_div(x, y, reduction="batchmean"),
                         lambda x, y: F.kl_div(x, y, reduction="batchmean")),
    "kl_div_log_target": ([tensors(shape=(3, 4)), tensors(shape=(3, 4))],
                          lambda x, y: MF.kl_div(x, y, reduction="sum", log_target=True),
                          lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True)),
    "cross_entropy_weight_ignore_smoothing": (
        [LOGITS, tensors(shape=(3,), min_value=0.2, max_value=2)],
        lambda x, w: MF.cross_entropy(x, TARGET, w, label_smoothing=0.2),
        lambda x, w: F.cross_entropy(x, torch.tensor(TARGET), w, label_smoothing=0.2)),
    "cross_entropy_spatial_sum": (
        [tensors(shape=(2, 3, 2, 2))],
        lambda x: MF.cross_entropy(x, np.array([[[0, 1], [2, -1]], [[1, 1], [0, 2]]]),
                                   ignore_index=-1, reduction="sum", label_smoothing=0.1),
        lambda x: F.cross_entropy(x, torch.tensor([[[0, 1], [2, -1]], [[1, 1], [0, 2]]]),
                                  ignore_index=-1, reduction="sum", label_smoothing=0.1)),
    "cross_entropy_probabilities": (
        [LOGITS, _probabilities((4, 3))],
        lambda x, p: MF.cross_entropy(x, p, mg.tensor(CLASS_WEIGHT), label_smoothing=0.1),
        lambda x, p: F.cross_entropy(x, p, torch.tensor(CLASS_WEIGHT), label_smoothing=0.1)),
    "nll_loss_weight_ignore": (
        [LOGITS], lambda x: MF.nll_loss(x, TARGET, mg.tensor(CLASS_WEIGHT)),
        lambda x: F.nll_loss(x, torch.tensor(TARGET), torch.tensor(CLASS_WEIGHT))),
}


# inputs PyTorch refuses to differentiate (class weights, pos_weight): constants in both
CONSTANT_INPUTS = {"binary_cross_entropy": {2}, "binary_cross_entropy_with_logits": {2},
                   "cross_entropy_weight_ignore_smoothing": {1}}


def _away_from_ties(case, inputs):
    """Skip draws on a branch boundary, where the two libraries pick different sides:
    softplus at exactly beta * x == threshold (torch's double backward treats the tie as the
    linear branch, its forward as the log branch; ours is the log branch throughout), and
    normalize with a vector norm near eps (torch clamps the norm, ours the sum of powers: at
    the tie their gradients split differently)."""
    x = inputs[0].data
    if case == "softplus":
        assume(not np.any(x * 2.0 == 10.0))
    if case == "normalize":
        norms = (np.abs(x) ** 3).sum(axis=1) ** (1 / 3)
        assume(np.all((norms == 0) | (norms > 1e-9)))


@pytest.mark.parametrize("case", sorted(CASES))
@settings(max_examples=5)
@given(data=st.data())
def test_forward_and_gradients_match_torch(case, data):
    strategies, ours_fn, theirs_fn = CASES[case]
    inputs = [data.draw(s, label=f"input {i}") for i, s in enumerate(strategies)]
    for i in CONSTANT_INPUTS.get(case, ()):
        inputs[i] = inputs[i].detach()
    _away_from_ties(case, inputs)
    theirs_inputs = [torch.tensor(t.data, requires_grad=t.requires_grad) for t in inputs]
    out = ours_fn(*inputs)
    expected = theirs_fn(*theirs_inputs)
    assert out.shape == tuple(expected.shape)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    upstream = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i, (ours, theirs) in enumerate(zip(inputs, theirs_inputs)):
        if i in CONSTANT_INPUTS.get(case, ()):
            continue
        scale = np.abs(theirs.grad.numpy()).max(initial=0.0)    # rounding is relative to it
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-9,
                                   atol=1e-11 + 1e-12 * scale, err_msg=f"gradient of input {i}")


def _copy_from_torch(ours: nn.Module, theirs) -> None:
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("momentum", [0.3, None])
@pytest.mark.parametrize("kind", ["1d", "2d"])
def test_batchnorm_modules_track_statistics_like_torch(momentum, kind):
    shape = (6, 3) if kind == "1d" else (4, 3, 2, 2)
    ours = (nn.BatchNorm1d if kind == "1d" else nn.BatchNorm2d)(3, momentum=momentum).double()
    theirs = (torch.nn.BatchNorm1d if kind == "1d" else torch.nn.BatchNorm2d)(
        3, momentum=momentum).double()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.5, 1.5, -1.0]))
    _copy_from_torch(ours, theirs)
    for _ in range(3):
        x = mg.randn(*shape).double() * 2 + 1
        np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x.data)).detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
    for name, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[name].data, value.numpy(), rtol=1e-12)
    ours.eval(), theirs.eval()
    x = mg.randn(*shape).double()
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x.data)).detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def test_batchnorm_without_affine_or_running_stats_like_torch():
    ours = nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    theirs = torch.nn.BatchNorm2d(2, affine=False, track_running_stats=False)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == []
    ours.eval(), theirs.eval()                    # still batch statistics: there are none else
    x = mg.randn(3, 2, 2, 2)
    np.testing.assert_allclose(ours(x).data, theirs(torch.tensor(x.data)).numpy(), rtol=1e-5,
                               atol=1e-6)


def test_modules_with_torch_state_dicts():
    """Module constructors with PyTorch's arguments: the same keys, shapes and outputs."""
    pairs = [
        (nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
         torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
         (2, 4, 5, 5)),
        (nn.LayerNorm((5, 5)), torch.nn.LayerNorm((5, 5)), (2, 4, 5, 5)),
        (nn.GroupNorm(2, 4), torch.nn.GroupNorm(2, 4), (2, 4, 5, 5)),
        (nn.Embedding(7, 3, padding_idx=1), torch.nn.Embedding(7, 3, padding_idx=1), None),
    ]
    for ours, theirs, shape in pairs:
        ours.double(), theirs.double()
        assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
            {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        _copy_from_torch(ours, theirs)
        if shape is None:
            x = np.array([[1, 6, 0], [1, 2, 3]])
            ours_out, theirs_out = ours(x), theirs(torch.tensor(x))
        else:
            x = mg.randn(*shape).double()
            ours_out, theirs_out = ours(x), theirs(torch.tensor(x.data))
        np.testing.assert_allclose(ours_out.data, theirs_out.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    out = nn.ConvTranspose2d(2, 1, 3, stride=2)(mg.randn(1, 2, 4, 4), output_size=(10, 10))
    expected = torch.nn.ConvTranspose2d(2, 1, 3, stride=2)(torch.randn(1, 2, 4, 4),
                                                           output_size=(10, 10))
    assert out.shape == tuple(expected.shape) == (1, 1, 10, 10)


def test_torch_default_init_matches_torch_distributions():
    """nn.init.torch_default_: the bounds PyTorch's Linear/Conv2d reset_parameters use."""
    mg.manual_seed(0)
    ours = nn.Sequential(nn.Linear(50, 40), nn.Conv2d(3, 8, 5)).apply(nn.init.torch_default_)
    theirs = torch.nn.Sequential(torch.nn.Linear(50, 40), torch.nn.Conv2d(3, 8, 5))
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        bound = np.abs(b.numpy()).max()
        fan_in = 50 if name.startswith("0") else 75
        limit = 1 / np.sqrt(fan_in)               # kaiming_uniform_(a=sqrt(5)) has this bound too
        assert np.abs(a.data).max() <= limit and bound <= limit
        assert np.abs(a.data).max() > 0.8 * limit, name


# Second derivatives: d/d(inputs) <v, d/dx <u, f(x, ...)>> against torch's double backward
# (functions linear in x alone, such as interpolate, have none: both libraries refuse).
SECOND_ORDER = ["gelu", "gelu_tanh", "elu", "silu", "softplus", "layer_norm", "group_norm",
                "normalize", "conv_transpose2d", "binary_cross_entropy_with_logits",
                "kl_div_batchmean", "smooth_l1_loss", "cross_entropy_weight_ignore_smoothing"]


@pytest.mark.parametrize("case", SECOND_ORDER)
@settings(max_examples=3)
@given(data=st.data())
def test_second_derivatives_match_torch(case, data):
    strategies, ours_fn, theirs_fn = CASES[case]
    inputs = [data.draw(s, label=f"input {i}") for i, s in enumerate(strategies)]
    for i in CONSTANT_INPUTS.get(case, ()):
        inputs[i] = inputs[i].detach()
    assume(case != "elu" or inputs[0].data.all())      # at 0 the second derivative jumps
    _away_from_ties(case, inputs)
    theirs_inputs = [torch.tensor(t.data, requires_grad=t.requires_grad) for t in inputs]
    varying = [i for i, t in enumerate(inputs) if t.requires_grad]
    rng = np.random.default_rng(1)
    out = ours_fn(*inputs)
    upstream = rng.standard_normal(out.shape)
    first = mg.grad((out * mg.tensor(upstream)).sum(), inputs[0], create_graph=True)[0]
    direction = rng.standard_normal(first.shape)
    second = mg.grad((first * mg.tensor(direction)).sum(), [inputs[i] for i in varying],
                     allow_unused=True)
    t_out = theirs_fn(*theirs_inputs)
    (t_first,) = torch.autograd.grad((t_out * torch.tensor(upstream)).sum(), theirs_inputs[0],
                                     create_graph=True)
    t_second = torch.autograd.grad((t_first * torch.tensor(direction)).sum(),
                                   [theirs_inputs[i] for i in varying], allow_unused=True)
    for i, ours, theirs in zip(varying, second, t_second):
        ours = np.zeros(inputs[i].shape) if ours is None else ours.data
        theirs = np.zeros(inputs[i].shape) if theirs is None else theirs.numpy()
        scale = np.abs(theirs).max(initial=0.0)
        # absolute slack for degenerate draws (constant input: 1/sqrt(eps) amplifies rounding)
        np.testing.assert_allclose(ours, theirs, rtol=1e-7, atol=1e-7 + 1e-10 * scale,
                                   err_msg=f"second derivative, input {i}")
