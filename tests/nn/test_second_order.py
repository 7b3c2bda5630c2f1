"""Second derivatives through the nn layers (conv, pooling, BatchNorm, Dropout, dense,
cross-entropy): a Hessian-vector product of a small CNN's loss against finite differences of
its (first-order, separately verified) gradient, and against PyTorch."""
import numpy as np
import pytest

import minigrad as mg
import nn


def _model():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2D(2, 3, 3, padding=1), nn.BatchNorm2D(3), nn.Tanh(),
                          nn.MaxPool2D(2), nn.Conv2D(3, 2, 2), nn.AvgPool2D(1), nn.Flatten(),
                          nn.Dropout(0.3), nn.Dense(2 * 1 * 1, 4))
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    for b in model.buffers():
        b.data = b.data.astype(np.float64)
    return model


def _loss(model, x, target):
    mg.manual_seed(1)                       # the same dropout mask on every evaluation
    return nn.functional.cross_entropy(model(x), target)


def test_cnn_hessian_vector_product_matches_finite_differences():
    model = _model()
    rng = np.random.default_rng(0)
    x = mg.tensor(rng.standard_normal((5, 2, 4, 4)))
    target = mg.tensor([0, 3, 1, 2, 3])
    params = list(model.parameters())
    v = [rng.standard_normal(p.shape) for p in params]
    grads = mg.grad(_loss(model, x, target), params, create_graph=True)
    hv = mg.grad(sum((g * mg.tensor(d)).sum() for g, d in zip(grads, v)), params)

    def plain_gradients(shift):
        for p, d in zip(params, v):
            p.data = p.data + shift * d
        result = [g.data.copy() for g in mg.grad(_loss(model, x, target), params)]
        for p, d in zip(params, v):
            p.data = p.data - shift * d
        return result
    eps = 1e-6
    plus, minus = plain_gradients(eps), plain_gradients(-eps)
    for got, p_, m_ in zip(hv, plus, minus):
        np.testing.assert_allclose(got.data, (p_ - m_) / (2 * eps), rtol=1e-5, atol=1e-7)


def test_gradient_penalty_on_the_input_trains():
    model = _model()
    rng = np.random.default_rng(1)
    x = mg.tensor(rng.standard_normal((4, 2, 4, 4)), requires_grad=True)
    target = mg.tensor([0, 1, 2, 3])
    loss = _loss(model, x, target)
    (gx,) = mg.grad(loss, x, create_graph=True)
    total = loss + 0.1 * (gx * gx).sum()
    total.backward()
    assert all(p.grad is not None and np.isfinite(p.grad.data).all()
               for p in model.parameters())


def test_double_backward_through_conv_and_pool_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x0, w0 = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    v0 = rng.standard_normal((2, 2, 5, 5))
    results = []
    for lib, F in ((mg, nn.functional), (torch, torch.nn.functional)):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        h = F.max_pool2d(lib.tanh(F.conv2d(x, w, padding=1)), 2)
        loss = F.cross_entropy(h.reshape(2, -1), lib.tensor([1, 4]))
        grad = mg.grad if lib is mg else torch.autograd.grad
        (gx,) = grad(loss, x, create_graph=True)
        hv = grad((gx * lib.tensor(v0)).sum(), [x, w])
        results.append([t.detach().numpy() if lib is torch else t.numpy() for t in hv])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_gelu_erf_is_twice_differentiable():
    x = mg.tensor([-1.3, 0.2, 2.1], requires_grad=True, dtype=np.float64)
    (g,) = mg.grad(nn.functional.gelu(x).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    phi = np.exp(-x.data ** 2 / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(h.data, 2 * phi - x.data ** 2 * phi, rtol=1e-10)


def test_all_reduce_sum_is_twice_differentiable_in_a_world_of_one():
    mpi4py = pytest.importorskip("mpi4py.MPI")
    from nn.parallel.sync_batchnorm import all_reduce_sum
    x = mg.tensor([0.5, -1.0], requires_grad=True, dtype=np.float64)
    (g,) = mg.grad((all_reduce_sum(x, mpi4py.COMM_SELF) ** 3).sum(), x, create_graph=True)
    (h,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(h.data, 6 * x.data)
