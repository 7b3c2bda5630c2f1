"""A Hessian-vector product of the MNIST CNN's loss, checked against finite differences.

The Hessian of the loss with respect to the CNN's 34,826 parameters has 1.2 billion entries,
but its product with one vector v costs about two backward passes (double backprop):

    g  = mg.grad(loss, params, create_graph=True)     # the gradient, as a graph
    Hv = mg.grad(sum(g_i . v_i), params)              # d(g . v)/d params = H v

The check: H v is the directional derivative of the gradient, so it must equal the central
difference (g(params + eps v) - g(params - eps v)) / (2 eps). Everything runs in float64 on a
batch of real digits, with dropout off (model.eval()) so that the loss is deterministic.

    python examples/cnn_hvp.py               # batch of 16 digits, about 5 s
    python examples/cnn_hvp.py --batch 4 --seed 3
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402
from mnist_cnn import Net  # noqa: E402


def float64_model(seed: int) -> Net:
    """The example's CNN with float64 parameters, in eval mode (no dropout)."""
    mg.manual_seed(seed)
    return Net().double().eval()


def digits(count: int) -> tuple:
    """The first `count` training digits of mnist_5k: images float64 (N, 1, 28, 28), labels."""
    images, labels = nn.data.mnist_5k("train").tensors
    return mg.tensor(images.numpy()[:count].astype(np.float64)), labels[:count]


def hessian_vector_product(loss_fn, params: list, v: list) -> list:
    """H v by double backprop: the gradient of (gradient . v)."""
    grads = mg.grad(loss_fn(), params, create_graph=True)
    dot = sum((g * vi).sum() for g, vi in zip(grads, v))
    return [h.numpy() for h in mg.grad(dot, params)]


def finite_difference(loss_fn, params: list, v: list, eps: float) -> list:
    """(grad(params + eps v) - grad(params - eps v)) / (2 eps), parameters restored after."""
    originals = [p.data.copy() for p in params]

    def gradient_at(step):
        for p, original, vi in zip(params, originals, v):
            p.data = original + step * vi.numpy()
        return [g.numpy() for g in mg.grad(loss_fn(), params)]

    plus, minus = gradient_at(eps), gradient_at(-eps)
    for p, original in zip(params, originals):
        p.data = original
    return [(a - b) / (2 * eps) for a, b in zip(plus, minus)]


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="HVP of the MNIST CNN's loss vs finite "
                                                 "differences")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eps", type=float, default=1e-6)
    args = parser.parse_args(argv)

    model = float64_model(args.seed)
    x, y = digits(args.batch)
    params = list(model.parameters())
    rng = np.random.default_rng(args.seed)
    v = [rng.standard_normal(p.shape) for p in params]
    norm = np.sqrt(sum((vi ** 2).sum() for vi in v))
    v = [mg.tensor(vi / norm) for vi in v]                  # a unit vector in parameter space

    def loss_fn():
        return nn.functional.cross_entropy(model(x), y)

    hv = hessian_vector_product(loss_fn, params, v)
    numeric = finite_difference(loss_fn, params, v, args.eps)
    difference = np.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(hv, numeric)))
    size = np.sqrt(sum((b ** 2).sum() for b in numeric))
    curvature = float(sum((h * vi.numpy()).sum() for h, vi in zip(hv, v)))
    n_params = sum(p.numel() for p in params)
    print(f"MNIST CNN, {n_params:,} parameters, batch of {args.batch} digits (float64)")
    print(f"|H v| = {size:.6g}; curvature along v, v^T H v = {curvature:.6g}")
    print(f"relative difference from finite differences (eps={args.eps}): "
          f"{difference / size:.2e}")
    return {"relative_error": difference / size, "hv": hv, "numeric": numeric,
            "curvature": curvature, "n_params": n_params}


if __name__ == "__main__":
    main()
