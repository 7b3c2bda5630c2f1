"""Issue 12's minor items: clear errors instead of NumPy's, and no NumPy RuntimeWarning
escaping from minigrad where PyTorch computes the same value silently."""
import warnings

import numpy as np
import pytest

import minigrad as mg
import nn


def test_max_pool2d_on_bool_is_a_clear_type_error_with_or_without_padding():
    x = mg.tensor(np.ones((1, 1, 4, 4), bool))
    for padding in (0, 1):
        with pytest.raises(TypeError, match=r"max_pool2d: bool tensors are not supported .* "
                                            r"convert first, e.g. x.to\(mg.uint8\)"):
            nn.functional.max_pool2d(x, 2, padding=padding)
    out = nn.MaxPool2d(2, padding=1)(x.to(mg.uint8))         # the suggested fix works
    assert out.dtype == np.uint8 and out.shape == (1, 1, 3, 3)


@pytest.mark.parametrize("layer, shape", [(nn.Dropout(0.3), (4, 4)),
                                          (nn.Dropout2d(0.3), (2, 3, 4, 4))])
@pytest.mark.parametrize("dtype", [np.int64, np.bool_])
def test_dropout_of_a_non_float_tensor_raises_in_training_like_torch(layer, shape, dtype):
    x = mg.tensor(np.ones(shape, dtype))
    with pytest.raises(TypeError, match=r"dropout2?d?: needs a floating-point tensor to scale "
                                        r"by 1 / \(1 - p\), got (int64|bool)"):
        layer.train()(x)
    assert layer.eval()(x) is x                         # evaluation: the identity, as torch
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="can't be cast"):
        torch.nn.functional.dropout(torch.ones(shape, dtype=torch.long), 0.3)


def test_batch_norm_momentum_none_uses_the_cumulative_average():
    layer = nn.BatchNorm2D(2, momentum=None)
    batches = [mg.tensor(np.full((2, 2, 1, 1), value, np.float32)) for value in (1.0, 3.0)]
    for batch in batches:
        layer(batch)
    np.testing.assert_allclose(layer.running_mean.data, [2.0, 2.0])   # mean of 1 and 3


@pytest.mark.parametrize("make", [
    lambda: mg.var(mg.zeros(0)),
    lambda: mg.std(mg.ones(1)),
    lambda: mg.zeros(0, 3).var(dim=0),
], ids=["var-empty", "std-one-element", "var-empty-dim"])
def test_no_degrees_of_freedom_gives_nan_with_torchs_warning_not_numpys(make):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = make()
    assert np.isnan(out.data).all()
    assert [w.category for w in caught] == [UserWarning]
    assert "degrees of freedom is <= 0" in str(caught[0].message)


def test_no_degrees_of_freedom_backward_is_silent_nan():
    x = mg.tensor([2.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("error", RuntimeWarning)
        mg.std(x).backward()
    assert np.isnan(x.grad.data).all()


@pytest.mark.parametrize("convert, expected", [
    (lambda t: t.half(), np.float16), (lambda t: t.to(mg.int32), np.int32),
    (lambda t: t.float(), np.float32), (lambda t: t.to(mg.int64), np.int64),
])
def test_overflowing_casts_are_silent_as_in_torch(convert, expected):
    x = mg.tensor(np.array([1e300, -1e300, np.nan, 2.0]), requires_grad=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = convert(x)
    assert out.dtype == expected
    assert out.data[3] == 2


def test_casting_gradients_back_is_silent():
    x = mg.tensor([1.0, 2.0], requires_grad=True)                       # float32
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        (x.double() * 1e300).sum().backward()         # the float64 gradient overflows float32
    assert np.isinf(x.grad.data).all() and x.grad.dtype == np.float32
