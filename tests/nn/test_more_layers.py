"""The layers, losses, init functions and Module methods of issue 13: gradients against
finite differences (float64), edge cases and error messages. (Values against PyTorch:
tests/reference/test_more_nn_vs_torch.py.)"""
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
import nn
import nn.functional as F
from minigrad.testing import assert_gradients_match, tensors

IMAGE = tensors(shape=(2, 2, 5, 4))
KINKS = [0.0]

# id -> (strategies, function of the inputs); every input is differentiated
GRADIENT_CASES = {
    "leaky_relu": ([tensors(shape=(3, 4), avoid=KINKS)], lambda x: F.leaky_relu(x, 0.1)),
    "elu": ([tensors(shape=(3, 4), avoid=KINKS)], lambda x: F.elu(x, 1.5)),
    "silu": ([tensors(shape=(3, 4))], F.silu),
    "gelu": ([tensors(shape=(3, 4))], F.gelu),
    "gelu_tanh": ([tensors(shape=(3, 4))], lambda x: F.gelu(x, approximate="tanh")),
    "softplus": ([tensors(shape=(3, 4), min_value=-8, max_value=8)], F.softplus),
    "adaptive_avg_pool2d": ([IMAGE], lambda x: F.adaptive_avg_pool2d(x, (3, 3))),
    "adaptive_max_pool2d": ([tensors(shape=(1, 2, 5, 4), distinct=True)],
                            lambda x: F.adaptive_max_pool2d(x, (3, 2))),
    "pad_reflect": ([IMAGE], lambda x: F.pad(x, (2, 1, 3, 0), "reflect")),
    "pad_constant_crop": ([IMAGE], lambda x: F.pad(x, (-1, 2, 1, -2), value=1.0)),
    "layer_norm": ([tensors(shape=(2, 3, 4)), tensors(shape=(4,)), tensors(shape=(4,))],
                   lambda x, w, b: F.layer_norm(x, (4,), w, b)),
    "group_norm": ([tensors(shape=(2, 4, 3)), tensors(shape=(4,)), tensors(shape=(4,))],
                   lambda x, w, b: F.group_norm(x, 2, w, b)),
    "batch_norm_1d": ([tensors(shape=(5, 3)), tensors(shape=(3,)), tensors(shape=(3,))],
                      lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True)),
    "normalize": ([tensors(shape=(3, 4), min_value=0.5, max_value=3)],
                  lambda x: F.normalize(x, dim=0)),
    "embedding": ([tensors(shape=(5, 3))],
                  lambda w: F.embedding(np.array([[4, 0], [0, 2]]), w)),
    "interpolate_bilinear": ([tensors(shape=(1, 2, 3, 4))],
                             lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear")),
    "interpolate_nearest": ([tensors(shape=(1, 2, 3, 4))],
                            lambda x: F.interpolate(x, size=(5, 3))),
    "conv_transpose2d": (
        [tensors(shape=(1, 2, 3, 3)), tensors(shape=(2, 2, 2, 3)), tensors(shape=(2,))],
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=(0, 1),
                                           output_padding=1)),
    "l1_loss": ([tensors(shape=(3, 4)), tensors(shape=(3, 4))],
                lambda x, y: F.l1_loss(x, y)),
    "smooth_l1_loss": ([tensors(shape=(3, 4)), tensors(shape=(3, 4))],
                       lambda x, y: F.smooth_l1_loss(x, y, beta=0.5)),
    "huber_loss": ([tensors(shape=(3, 4)), tensors(shape=(3, 4))],
                   lambda x, y: F.huber_loss(x, y, delta=2.0)),
    "binary_cross_entropy": ([tensors(shape=(3, 4), min_value=0.05, max_value=0.95),
                              tensors(shape=(3, 4), min_value=0, max_value=1)],
                             F.binary_cross_entropy),
    "binary_cross_entropy_with_logits": (
        [tensors(shape=(3, 4)), tensors(shape=(3, 4), min_value=0, max_value=1),
         tensors(shape=(4,), min_value=0.5, max_value=2)],
        lambda x, y, p: F.binary_cross_entropy_with_logits(x, y, pos_weight=p)),
    "kl_div": ([tensors(shape=(3, 4)), tensors(shape=(3, 4), min_value=0.1, max_value=1)],
               lambda x, y: F.kl_div(x, y, reduction="batchmean")),
    "cross_entropy_options": (
        [tensors(shape=(4, 3)), tensors(shape=(3,), min_value=0.5, max_value=2)],
        lambda x, w: F.cross_entropy(x, np.array([0, -100, 2, 1]), w, label_smoothing=0.3)),
}


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
@settings(max_examples=5)
@given(data=st.data())
def test_gradients_match_finite_differences(case, data):
    strategies, fn = GRADIENT_CASES[case]
    inputs = [data.draw(s, label=f"input {i}") for i, s in enumerate(strategies)]
    assert_gradients_match(fn, *inputs)


# --- activations ------------------------------------------------------------------------------
def test_relu_accepts_inplace_positionally_and_returns_a_new_tensor():
    x = mg.tensor([-1.0, 2.0])
    layer = nn.ReLU(True)
    assert repr(layer) == "ReLU(inplace=True)"
    y = layer(x)
    np.testing.assert_array_equal(y.data, [0.0, 2.0])
    np.testing.assert_array_equal(x.data, [-1.0, 2.0])     # documented: input not overwritten
    assert F.relu(x, inplace=True).data.tolist() == [0.0, 2.0]
    with pytest.raises(TypeError, match="ReLU: inplace must be True or False, got 'yes'"):
        nn.ReLU("yes")


def test_activation_values_at_known_points():
    x = mg.tensor([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(x, 0.5).data, [-1.0, 0.0, 3.0])
    np.testing.assert_allclose(F.elu(x).data, [math.expm1(-2), 0.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(F.gelu(x).data, [-2 * 0.5 * math.erfc(2 / math.sqrt(2)), 0.0,
                                                3 * 0.5 * (1 + math.erf(3 / math.sqrt(2)))],
                               rtol=1e-6)
    np.testing.assert_allclose(F.silu(x).data, x.data / (1 + np.exp(-x.data)), rtol=1e-6)
    assert nn.Identity(54, unused=1)(x) is x


def test_activations_are_finite_for_huge_inputs():
    x = mg.tensor([-1e4, 1e4], requires_grad=True)
    for fn in (F.elu, F.silu, F.gelu, F.softplus, lambda t: F.leaky_relu(t)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            out = fn(x)
            out.sum().backward()
        assert np.isfinite(out.data).all() and np.isfinite(x.grad.data).all()
        x.grad = None


def test_activation_errors_name_the_problem():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh', got 'fast'"):
        F.gelu(mg.zeros(2), approximate="fast")
    with pytest.raises(TypeError, match="leaky_relu: input must be floating point, got dtype "
                                        "int64"):
        F.leaky_relu(mg.tensor([1, 2]))
    with pytest.raises(TypeError, match="negative_slope must be a finite number"):
        nn.LeakyReLU("0.1")


# --- pooling, padding, shapes -------------------------------------------------------------------
def test_adaptive_pooling_global_and_unbatched():
    x = mg.randn(2, 3, 5, 7)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1).data,
                               x.data.mean((2, 3), keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(nn.AdaptiveMaxPool2d((1, None))(x).data,
                               x.data.max(2, keepdims=True))
    assert F.adaptive_avg_pool2d(x[0], (2, 3)).shape == (3, 2, 3)
    assert nn.AdaptiveAvgPool2d is nn.AdaptiveAvgPool2D
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: expected input of shape "
                                         r"\(N, C, H, W\) or \(C, H, W\), got 2-D shape"):
        F.adaptive_avg_pool2d(mg.zeros(3, 4), 2)
    with pytest.raises(ValueError, match="output_size must be a positive int"):
        nn.AdaptiveAvgPool2d(0)


def test_pad_modes_and_errors():
    x = mg.tensor([[1.0, 2.0, 3.0]])
    assert F.pad(x, (2, 1), "reflect").data.tolist() == [[3, 2, 1, 2, 3, 2]]
    assert F.pad(x, (2, 1), "replicate").data.tolist() == [[1, 1, 1, 2, 3, 3]]
    assert F.pad(x, (2, 1), "circular").data.tolist() == [[2, 3, 1, 2, 3, 1]]
    assert F.pad(x, (1, -1), value=9.0).data.tolist() == [[9, 1, 2]]
    assert F.pad(x, (0, 0, 1, 0)).shape == (2, 3)
    with pytest.raises(ValueError, match=r"pad: mode 'reflect' needs widths < the dim's size; "
                                         r"got \(3, 0\) for dim 1 of the input of shape "
                                         r"\(1, 3\)"):
        F.pad(x, (3, 0), "reflect")
    with pytest.raises(TypeError, match="pad must be a tuple of ints of even length"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(ValueError, match=r"pads 3 dims but the input has only 2"):
        F.pad(x, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="takes no value"):
        F.pad(x, (1, 1), "replicate", value=2.0)
    layer = nn.ZeroPad2d((1, 0, 2, 0))
    assert layer(mg.ones(1, 1, 2, 2)).shape == (1, 1, 4, 3) and repr(layer) == \
        "ZeroPad2D((1, 0, 2, 0))"


def test_unflatten_and_its_errors():
    x = mg.randn(2, 12)
    assert nn.Unflatten(1, (3, -1))(x).shape == (2, 3, 4)
    assert nn.Unflatten(-1, (2, 2, 3))(x).shape == (2, 2, 2, 3)
    with pytest.raises(ValueError, match=r"Unflatten: cannot split dim 1 of size 12 \(input "
                                         r"shape \(2, 12\)\) into \(5, 2\)"):
        nn.Unflatten(1, (5, 2))(x)


def test_upsample_sizes_and_errors():
    x = mg.randn(1, 2, 3, 4)
    np.testing.assert_array_equal(nn.Upsample(scale_factor=2)(x).data,
                                  x.data.repeat(2, axis=2).repeat(2, axis=3))
    assert F.interpolate(x, size=5, mode="bilinear", align_corners=True).shape == (1, 2, 5, 5)
    corners = F.interpolate(x, size=(7, 9), mode="bilinear", align_corners=True).data
    np.testing.assert_allclose(corners[..., [0, -1], :][..., [0, -1]],
                               x.data[..., [0, -1], :][..., [0, -1]], rtol=1e-6)
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match=r"interpolate: expected input of shape \(N, C, H, W\), "
                                         r"got 3-D shape \(2, 3, 4\)"):
        F.interpolate(x[0], scale_factor=2)


def test_dropout2d_drops_whole_channels():
    x = mg.ones(50, 4, 3, 3)
    out = F.dropout2d(x, 0.5)
    per_channel = out.data.reshape(50, 4, 9)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(2) == per_channel.max(2)).all()          # all or nothing per map
    assert 0.3 < (per_channel[:, :, 0] == 0).mean() < 0.7
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    with pytest.raises(ValueError, match=r"dropout2d: expected input of shape \(N, C, H, W\)"):
        F.dropout2d(mg.ones(2, 3))
    with pytest.warns(UserWarning, match=r"interpreted as shape \(N, C, L\)"):
        sequence = F.dropout2d(mg.ones(40, 3, 5), 0.5).data     # PyTorch's (N, C, L) reading
    assert (sequence.min(2) == sequence.max(2)).all() and 0 < (sequence == 0).mean() < 1


# --- normalisation --------------------------------------------------------------------------
def test_batchnorm_momentum_none_is_a_cumulative_average():
    layer = nn.BatchNorm1d(2, momentum=None)
    batches = [mg.randn(6, 2) * 3 + i for i in range(4)]
    for batch in batches:
        layer(batch)
    assert layer.num_batches_tracked.item() == 4
    np.testing.assert_allclose(layer.running_mean.data,
                               np.mean([b.data.mean(0) for b in batches], 0), rtol=1e-5)
    assert repr(layer) == "BatchNorm1D(2, eps=1e-05, momentum=None, affine=True, " \
                          "track_running_stats=True)"


def test_batchnorm_options_and_errors():
    layer = nn.BatchNorm2d(3, affine=False)
    assert layer.weight is None and list(layer.state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    assert nn.BatchNorm1d is nn.BatchNorm1D
    with pytest.raises(ValueError, match=r"BatchNorm1D: expected input of shape \(N, 3\) or "
                                         r"\(N, 3, L\), got \(2, 4\)"):
        nn.BatchNorm1d(3)(mg.zeros(2, 4))
    with pytest.raises(ValueError, match="need eps > 0 and 0 <= momentum <= 1"):
        nn.BatchNorm2d(3, momentum=2.0)


def test_layer_and_group_norm_normalise_and_check_shapes():
    x = mg.randn(4, 6) * 5 + 2
    out = nn.LayerNorm(6)(x).data
    np.testing.assert_allclose(out.mean(1), 0, atol=1e-5)
    np.testing.assert_allclose(out.var(1), 1, rtol=1e-3)
    grouped = nn.GroupNorm(3, 6)(x.reshape(4, 6, 1)).data.reshape(4, 3, 2)
    np.testing.assert_allclose(grouped.mean(2), 0, atol=1e-5)
    assert list(nn.LayerNorm((2, 3), bias=False).state_dict()) == ["weight"]
    with pytest.raises(ValueError, match=r"layer_norm: input of shape \(4, 6\) does not end "
                                         r"with normalized_shape \(5,\)"):
        nn.LayerNorm(5)(x)
    with pytest.raises(ValueError, match=r"group_norm: expected input of shape \(N, C, \*\) "
                                         r"with C divisible by num_groups=4, got shape \(4, 6\)"):
        F.group_norm(x, 4)
    with pytest.raises(ValueError, match="num_channels=6 must be divisible by num_groups=4"):
        nn.GroupNorm(4, 6)


def test_normalize_zero_vector_stays_zero():
    x = mg.zeros(2, 3, requires_grad=True)
    out = F.normalize(x)
    out.sum().backward()
    assert not out.data.any() and np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(F.normalize(mg.tensor([[3.0, 4.0]])).data, [[0.6, 0.8]])


# --- embedding and one_hot ----------------------------------------------------------------------
def test_embedding_module_and_errors():
    layer = nn.Embedding(4, 3, padding_idx=1)
    assert not layer.weight.data[1].any() and layer.weight.shape == (4, 3)
    out = layer(mg.tensor([[1, 3], [3, 3]]))
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data[:, 0], [0, 0, 0, 3])
    frozen = nn.Embedding.from_pretrained(mg.ones(2, 2))
    assert not frozen.weight.requires_grad
    with pytest.raises(IndexError, match=r"embedding: index 4 is out of range for a table of "
                                         r"4 rows"):
        layer(np.array([4]))
    with pytest.raises(TypeError, match="embedding: input must be an integer Tensor"):
        layer(mg.zeros(2))
    with pytest.raises(ValueError, match="max_norm, scale_grad_by_freq and sparse are not"):
        nn.Embedding(3, 2, max_norm=1.0)


def test_one_hot():
    assert F.one_hot(mg.tensor([2, 0])).data.tolist() == [[0, 0, 1], [1, 0, 0]]
    assert F.one_hot(mg.tensor([[1]]), 4).shape == (1, 1, 4)
    with pytest.raises(ValueError, match="one_hot: class value 5 is too large for "
                                         "num_classes=3"):
        F.one_hot(mg.tensor([5]), 3)


# --- conv_transpose2d ---------------------------------------------------------------------------
def test_conv_transpose2d_is_the_input_gradient_of_conv2d():
    x = mg.randn(2, 3, 7, 6, requires_grad=True)
    weight = mg.randn(4, 3, 3, 2)
    out = F.conv2d(x, weight, stride=2, padding=1)
    upstream = mg.randn(*out.shape)
    out.backward(upstream.data)
    transposed = F.conv_transpose2d(upstream, weight, stride=2, padding=1)
    np.testing.assert_allclose(transposed.data, x.grad.data, rtol=1e-5, atol=1e-5)


def test_conv_transpose2d_module_and_errors():
    layer = nn.ConvTranspose2d(4, 2, 2, stride=2)
    assert layer.weight.shape == (4, 2, 2, 2) and nn.ConvTranspose2d is nn.ConvTranspose2D
    assert layer(mg.randn(1, 4, 5, 5)).shape == (1, 2, 10, 10)
    assert layer(mg.randn(1, 4, 5, 5), output_size=(11, 11)).shape == (1, 2, 11, 11)
    with pytest.raises(ValueError, match=r"conv_transpose2d: input has 3 channels but weight "
                                         r"\(4, 2, 2, 2\) expects 4"):
        layer(mg.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match=r"output_padding \(2, 2\) must be smaller than stride "
                                         r"\(2, 2\)"):
        nn.ConvTranspose2d(4, 2, 2, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="output_size .* is not reachable"):
        layer(mg.randn(1, 4, 5, 5), output_size=(13, 13))


# --- losses ---------------------------------------------------------------------------------------
def test_loss_edge_cases():
    x = mg.tensor([0.0, 1.0, 0.5], requires_grad=True)
    loss = F.binary_cross_entropy(x, [1.0, 0.0, 1.0], reduction="none")
    np.testing.assert_allclose(loss.data, [100.0, 100.0, math.log(2)])   # logs clamped at -100
    loss.sum().backward()
    assert np.isfinite(x.grad.data).all()
    assert F.smooth_l1_loss(mg.tensor([3.0]), [0.0], beta=0.0).item() == 3.0     # = l1
    with np.errstate(invalid="ignore"):
        all_ignored = F.cross_entropy(mg.zeros(2, 3), np.array([-100, -100]))
    assert np.isnan(all_ignored.item())                        # 0 / 0, as PyTorch
    np.testing.assert_allclose(F.kl_div(mg.tensor([-1.0]), [0.0], reduction="sum").item(), 0.0)


def test_loss_errors_and_legacy_arguments():
    with pytest.raises(ValueError, match="binary_cross_entropy: input values must be "
                                         "probabilities in \\[0, 1\\], got 1.5"):
        F.binary_cross_entropy(mg.tensor([1.5]), [1.0])
    with pytest.raises(ValueError, match=r"cross_entropy: weight has shape \(2,\) but the input "
                                         r"has 3 classes"):
        F.cross_entropy(mg.zeros(2, 3), np.array([0, 1]), mg.ones(2))
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\]"):
        nn.CrossEntropyLoss(label_smoothing=1.5)
    with pytest.raises(ValueError, match="kl_div: reduction must be one of"):
        F.kl_div(mg.zeros(2), [0.5, 0.5], reduction="average")
    with pytest.raises(TypeError, match="size_average must be a bool or None, got 'sum'"):
        nn.MSELoss("sum")
    with pytest.warns(UserWarning, match="size_average and reduce are deprecated"):
        assert nn.L1Loss(size_average=False).reduction == "sum"
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(mg.zeros(2), [0.5, 0.5])


def test_loss_modules_keep_weights_as_buffers():
    weight = mg.tensor([1.0, 2.0])
    loss = nn.CrossEntropyLoss(weight=weight, ignore_index=0)
    assert list(loss.state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=weight).state_dict()) == ["pos_weight"]
    logits = mg.tensor([[0.0, 1.0], [2.0, 0.0], [1.0, 1.0]])
    target = np.array([1, 0, 1])
    expected = F.cross_entropy(logits, target, weight, ignore_index=0)
    assert loss(logits, target).item() == pytest.approx(expected.item())
    assert repr(nn.KLDivLoss(reduction="batchmean")) == "KLDivLoss(reduction='batchmean')"


# --- init -----------------------------------------------------------------------------------------
def test_init_functions():
    t = mg.zeros(4, 6)
    assert (nn.init.constant_(t, 0.3).data == np.float32(0.3)).all()
    np.testing.assert_array_equal(nn.init.eye_(t).data, np.eye(4, 6))
    q = nn.init.orthogonal_(mg.zeros(4, 6), gain=2.0).data.astype(np.float64)
    np.testing.assert_allclose(q @ q.T, 4 * np.eye(4), atol=1e-5)
    values = nn.init.trunc_normal_(mg.zeros(1000), std=1.0, a=-0.5, b=1.0).data
    assert values.min() >= -0.5 and values.max() <= 1.0
    conv = mg.zeros(3, 3, 3, 3)
    nn.init.dirac_(conv)
    x = mg.randn(1, 3, 5, 5)
    np.testing.assert_allclose(F.conv2d(x, conv, padding=1).data, x.data, rtol=1e-6)
    sparse = nn.init.sparse_(mg.zeros(10, 4), 0.3).data
    assert ((sparse == 0).sum(0) >= 3).all()
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert nn.init.calculate_gain("tanh") == pytest.approx(5 / 3)
    w = mg.zeros(200, 50)
    nn.init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert w.data.std() == pytest.approx(math.sqrt(2 / 200), rel=0.1)
    with pytest.raises(ValueError, match="calculate_gain: unsupported nonlinearity 'swish'"):
        nn.init.calculate_gain("swish")
    with pytest.raises(ValueError, match="trunc_normal_: .* holds"):
        nn.init.trunc_normal_(mg.zeros(3), a=10.0, b=11.0)


def test_torch_default_init_bounds():
    model = nn.Sequential(nn.Dense(16, 4), nn.BatchNorm1d(4), nn.Embedding(3, 2))
    model.apply(nn.init.torch_default_)
    bound = 1 / math.sqrt(16)
    assert np.abs(model[0].weight.data).max() <= bound
    assert np.abs(model[0].bias.data).max() <= bound and model[0].bias.data.any()
    assert (model[1].weight.data == 1).all()
    with pytest.raises(TypeError, match="torch_default_: expected an nn.Module"):
        nn.init.torch_default_(mg.zeros(2, 2))


# --- Module methods and ModuleDict ----------------------------------------------------------------
def test_module_to_double_float_keep_parameter_identity():
    model = nn.Sequential(nn.Dense(3, 2), nn.BatchNorm1d(2))
    weight = model[0].weight
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    assert model.double() is model and weight.dtype == np.float64 and model[0].weight is weight
    assert model[1].num_batches_tracked.dtype == np.int64           # integer buffers stay
    model(mg.randn(4, 3).double()).sum().backward()
    optimizer.step()
    model.to("cpu").to(mg.float32)
    assert weight.dtype == np.float32 and weight.grad.dtype == np.float32
    model.to(device="cpu", dtype=mg.float64).float()
    assert weight.dtype == np.float32
    assert model.to(mg.zeros(1).double()) is model and weight.dtype == np.float64
    assert model.to(mg.device("cpu")) is model and model.cpu() is model
    assert model.double().to("cpu") is model and weight.dtype == np.float64   # device only
    model.float()
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        model.to("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        model.cuda()
    with pytest.raises(TypeError, match="dtype must be floating point"):
        model.to(mg.int64)


def test_module_apply_and_get_submodule():
    model = nn.Sequential(nn.Dense(3, 2), nn.Sequential(nn.ReLU(), nn.Dense(2, 1)))
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Dense", "ReLU", "Dense", "Sequential", "Sequential"]
    assert model.get_submodule("1.1") is model[1][1] and model.get_submodule("") is model
    with pytest.raises(AttributeError, match=r"get_submodule: 1 has no submodule '5'"):
        model.get_submodule("1.5")
    with pytest.raises(TypeError, match="apply: fn must be a callable"):
        model.apply(3)


def test_register_parameter_and_buffer_none():
    module = nn.Module()
    module.register_parameter("scale", mg.ones(2))
    module.register_buffer("stats", None)
    assert module.stats is None and [n for n, _ in module.named_parameters()] == ["scale"]
    assert list(module.state_dict()) == ["scale"]


def test_module_dict():
    heads = nn.ModuleDict({"a": nn.Dense(2, 3), "b": nn.ReLU()})
    heads["c"] = nn.Dense(3, 1)
    assert list(heads) == ["a", "b", "c"] and len(heads) == 3 and "b" in heads
    assert [n for n, _ in heads.named_parameters()] == ["a.weight", "a.bias", "c.weight",
                                                        "c.bias"]
    assert isinstance(heads.pop("b"), nn.ReLU) and list(heads.keys()) == ["a", "c"]
    heads.update([("d", nn.Tanh())])
    assert list(dict(heads.items())) == ["a", "c", "d"]
    with pytest.raises(KeyError, match="ModuleDict: no module named 'z'"):
        heads["z"]
    with pytest.raises(TypeError, match="ModuleDict: item 'e' must be an nn.Module"):
        heads["e"] = 3
