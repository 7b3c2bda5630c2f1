"""nn.utils: clip_grad_norm_ / clip_grad_value_ against torch, parameters_to_vector and
vector_to_parameters (values, gradient, aliasing as torch), and their errors."""
import math

import numpy as np
import pytest

import minigrad as mg
import nn
from nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                      vector_to_parameters)


def params_with_grads(rng, scale=1.0, dtype=np.float64):
    ps = [nn.Parameter(rng.standard_normal(s).astype(dtype)) for s in [(3, 4), (5,), (2, 2, 2)]]
    for p in ps:
        p.grad = mg.tensor((scale * rng.standard_normal(p.shape)).astype(dtype))
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf", 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    ours = params_with_grads(np.random.default_rng(0))
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for p, q in zip(ours, theirs):
        q.grad = torch.tensor(p.grad.data.copy())
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, mg.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_scales_to_max_norm_and_keeps_dtype():
    ps = params_with_grads(np.random.default_rng(1), scale=10.0, dtype=np.float32)
    before = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in ps))
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.item(), before, rtol=1e-5)
    after = math.sqrt(sum(float((p.grad.data.astype(np.float64) ** 2).sum()) for p in ps))
    np.testing.assert_allclose(after, 1.0, rtol=1e-5)
    assert all(p.grad.dtype == np.float32 for p in ps)


def test_clip_grad_norm_single_tensor_generator_and_missing_grads():
    p = nn.Parameter(np.array([3.0, 4.0]))
    p.grad = mg.tensor([3.0, 4.0], dtype=mg.float64)
    assert clip_grad_norm_(p, 10.0).item() == 5.0                   # one Tensor is accepted
    assert p.grad.tolist() == [3.0, 4.0]                             # below max: unchanged
    q = nn.Parameter(np.zeros(2))
    model = nn.Sequential(nn.Linear(2, 2))
    assert clip_grad_norm_(model.parameters(), 1.0).item() == 0.0    # no grads at all
    assert clip_grad_norm_([q, p], 1.0).item() == pytest.approx(5.0)   # q.grad None: ignored
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_nonfinite():
    p = nn.Parameter(np.zeros(2))
    p.grad = mg.tensor([np.nan, 1.0], dtype=mg.float64)
    with pytest.raises(RuntimeError, match=r"total gradient norm \(order 2.0\) is nan.*"
                                           r"error_if_nonfinite=False"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert math.isnan(clip_grad_norm_([p], 1.0).item())               # torch: scales anyway


def test_clip_grad_norm_errors():
    p = nn.Parameter(np.zeros(2))
    p.grad = mg.tensor([1.0, 1.0], dtype=mg.float64)
    with pytest.raises(ValueError, match="norm_type must be a number >= 0 or 'inf', got -1"):
        clip_grad_norm_([p], 1.0, norm_type=-1)
    with pytest.raises(ValueError, match="max_norm must be a number, got None"):
        clip_grad_norm_([p], None)
    with pytest.raises(TypeError, match="parameter 1 is a ndarray, not a Tensor"):
        clip_grad_norm_([p, np.zeros(2)], 1.0)
    with pytest.raises(TypeError, match="parameters must be a Tensor or an iterable"):
        clip_grad_norm_(3, 1.0)


def test_clip_grad_value_matches_torch():
    torch = pytest.importorskip("torch")
    ours = params_with_grads(np.random.default_rng(2))
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for p, q in zip(ours, theirs):
        q.grad = torch.tensor(p.grad.data.copy())
    assert clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.grad.data, q.grad.numpy())
    assert max(float(np.abs(p.grad.data).max()) for p in ours) == 0.5
    with pytest.raises(ValueError, match="clip_value must be a number"):
        clip_grad_value_(ours, "big")


def test_parameters_to_vector_and_back_match_torch():
    torch = pytest.importorskip("torch")
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    flat = parameters_to_vector(model.parameters())
    expected = np.concatenate([p.data.reshape(-1) for p in model.parameters()])
    np.testing.assert_array_equal(flat.data, expected)
    reference = torch.nn.utils.parameters_to_vector(
        [torch.tensor(p.data) for p in model.parameters()])
    np.testing.assert_array_equal(flat.data, reference.numpy())

    new = mg.tensor(np.arange(flat.shape[0], dtype=np.float32))
    vector_to_parameters(new, model.parameters())
    first = next(iter(model.parameters()))
    assert first.shape == (4, 3) and first.data.ravel().tolist() == list(range(12))
    new.data[0] = -1.0                     # as torch's `param.data = ...`: the memory is shared
    assert first.data[0, 0] == -1.0


def test_parameters_to_vector_is_differentiable():
    a = mg.tensor(np.random.default_rng(3).standard_normal((2, 3)), requires_grad=True)
    b = mg.tensor(np.random.default_rng(4).standard_normal(4), requires_grad=True)
    assert mg.gradcheck(lambda x, y: parameters_to_vector([x, y]) ** 2, (a, b))
    (parameters_to_vector([a, b]) * mg.tensor(np.arange(10.0))).sum().backward()
    assert a.grad.data.ravel().tolist() == list(range(6))


def test_vector_to_parameters_errors():
    params = [nn.Parameter(np.zeros((2, 2))), nn.Parameter(np.zeros(3))]
    with pytest.raises(ValueError, match=r"vec has shape \(6,\) but the parameters hold 7 "
                                         r"values; pass a 1-D vector of length 7"):
        vector_to_parameters(mg.zeros(6), params)
    with pytest.raises(TypeError, match="vec must be a Tensor, got ndarray"):
        vector_to_parameters(np.zeros(7), params)
    with pytest.raises(ValueError, match="parameters_to_vector: got no parameters"):
        parameters_to_vector([])
