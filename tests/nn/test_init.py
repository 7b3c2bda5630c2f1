"""nn.init: fans, the exact Glorot/He formulas, statistics, reproducibility."""
import math

import numpy as np
import pytest

import minigrad as mg
import nn
from nn import init


@pytest.mark.parametrize("shape, fans", [
    ((10, 4), (4, 10)),                       # Dense (out, in)
    ((32, 1, 3, 3), (9, 288)),                # Conv2D(1, 32, 3)
    ((64, 32, 3, 3), (288, 576)),             # Conv2D(32, 64, 3)
    ((8, 2, 5), (10, 40)),
])
def test_fans(shape, fans):
    assert init._fans(shape) == fans


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match=r"at least 2 dims .* got shape \(5,\)"):
        init._fans((5,))


def test_glorot_uniform_conv_bound_and_statistics():
    """The MNIST CNN's first layer: 32 filters 3x3 on 1 channel, a = sqrt(6 / (9 + 288))."""
    bound = math.sqrt(6 / (9 + 288))
    assert bound == pytest.approx(0.14213381, rel=1e-7)
    weight = mg.zeros(32, 1, 3, 3)
    assert init.glorot_uniform_(weight) is weight
    assert np.abs(weight.data).max() <= bound
    big = mg.tensor(np.stack([init.glorot_uniform_(mg.zeros(32, 1, 3, 3)).data
                              for _ in range(60)]))                    # 17,280 draws
    assert big.data.max() > 0.99 * bound and big.data.min() < -0.99 * bound
    assert big.data.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    assert abs(big.data.mean()) < 0.005


def test_glorot_normal_and_he_statistics():
    weight = mg.zeros(400, 300)                                        # fan_in 300, fan_out 400
    init.glorot_normal_(weight)
    assert weight.data.std() == pytest.approx(math.sqrt(2 / 700), rel=0.02)
    init.he_normal_(weight)
    assert weight.data.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)
    init.he_uniform_(weight)
    bound = math.sqrt(6 / 300)
    assert np.abs(weight.data).max() <= bound
    assert weight.data.var() == pytest.approx(bound ** 2 / 3, rel=0.03)
    init.he_uniform_(weight, mode="fan_out")
    assert np.abs(weight.data).max() <= math.sqrt(6 / 400)
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out'"):
        init.he_normal_(weight, mode="fan_avg")


def test_simple_fillers_and_dtype():
    t = mg.zeros(3, 4)
    assert init.ones_(t) is t and (t.data == 1).all()
    init.zeros_(t)
    assert not t.data.any()
    init.uniform_(t, -2.0, -1.0)
    assert ((t.data >= -2) & (t.data < -1)).all() and t.dtype == np.float32
    init.normal_(mg.zeros(1))
    big = init.normal_(mg.zeros(100, 100, dtype=np.float64), mean=3.0, std=0.5)
    assert big.dtype == np.float64
    assert big.data.mean() == pytest.approx(3.0, abs=0.02)
    assert big.data.std() == pytest.approx(0.5, rel=0.03)
    with pytest.raises(ValueError, match="need a < b"):
        init.uniform_(t, 1.0, 1.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(t, std=-1.0)
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.zeros_(np.zeros(3))
    with pytest.raises(TypeError, match="floating"):
        init.ones_(mg.arange(3))


def test_pytorch_aliases():
    assert init.xavier_uniform_ is init.glorot_uniform_
    assert init.xavier_normal_ is init.glorot_normal_
    for kaiming, he in ((init.kaiming_uniform_, init.he_uniform_),
                        (init.kaiming_normal_, init.he_normal_)):
        for mode in ("fan_in", "fan_out"):       # PyTorch's defaults (a=0, leaky_relu) = He
            mg.manual_seed(3)
            expected = he(mg.zeros(6, 4, 3, 3), mode).data
            mg.manual_seed(3)
            np.testing.assert_allclose(kaiming(mg.zeros(6, 4, 3, 3), mode=mode).data, expected,
                                       rtol=1e-6)


def test_initialising_a_parameter_needs_no_no_grad_and_bumps_version():
    layer = nn.Dense(3, 2)
    version = layer.weight._version
    init.he_normal_(layer.weight)
    assert layer.weight._version == version + 1 and layer.weight.requires_grad
    assert layer.weight.grad_fn is None


def test_reproducible_under_manual_seed():
    mg.manual_seed(42)
    first = init.glorot_uniform_(mg.zeros(5, 4)).data.copy()
    layer_a = nn.Dense(4, 3).weight.data.copy()
    mg.manual_seed(42)
    np.testing.assert_array_equal(init.glorot_uniform_(mg.zeros(5, 4)).data, first)
    np.testing.assert_array_equal(nn.Dense(4, 3).weight.data, layer_a)
    assert not np.array_equal(init.glorot_uniform_(mg.zeros(5, 4)).data, first)


def test_dense_default_is_glorot_uniform_with_zero_bias():
    mg.manual_seed(7)
    layer = nn.Dense(300, 200)
    mg.manual_seed(7)
    expected = init.glorot_uniform_(mg.zeros(200, 300))
    np.testing.assert_array_equal(layer.weight.data, expected.data)
    assert not layer.bias.data.any()
