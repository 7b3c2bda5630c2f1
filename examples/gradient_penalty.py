"""Training the MNIST CNN with a gradient penalty: the loss includes |d loss / d input|^2.

Input-gradient regularisation ("double backpropagation", the gradient penalty of WGAN-GP)
adds the squared norm of the loss's gradient with respect to the INPUT images to the loss,
which asks for a model whose output changes little when an image changes a little. The
penalty is made of a gradient, so training on it needs the gradient of a gradient:

    loss = cross_entropy(model(x), y)
    (gx,) = mg.grad(loss, x, create_graph=True)     # d loss / d x, as a graph of the weights
    penalty = batch * (gx ** 2).sum()               # mean over images of |d loss_i / d x_i|^2
    (loss + weight * penalty).backward()            # second-order terms reach every weight

The script first checks one step's weight gradient against finite differences (float64),
then trains two copies of the CNN from the same start on the same batches, with and without
the penalty, and compares the input-gradient norms they end with on held-out digits.

    python examples/gradient_penalty.py                  # 30 steps of 32 digits, ~20 s
    python examples/gradient_penalty.py --steps 10 --weight 1.0
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402
from mnist_cnn import Net  # noqa: E402


def penalised_loss(model, x: mg.Tensor, y, weight: float) -> tuple:
    """(cross-entropy + weight * penalty, cross-entropy, penalty) on one batch.

    Shapes: x (N, 1, 28, 28) requires grad, y (N,) -> three scalars.
    """
    loss = nn.functional.cross_entropy(model(x), y)
    (gx,) = mg.grad(loss, x, create_graph=True)
    penalty = x.shape[0] * (gx ** 2).sum()
    return loss + weight * penalty, loss, penalty


def input_gradient_norm(model, x: mg.Tensor, y) -> float:
    """Mean over images of |d loss_i / d x_i|^2, without building a graph of it."""
    x = x.detach().requires_grad_(True)
    (gx,) = mg.grad(nn.functional.cross_entropy(model(x), y), x)
    return float(x.shape[0] * (gx.numpy() ** 2).sum())


def check_against_finite_differences(seed: int, weight: float, eps: float = 1e-6) -> float:
    """Relative error of the penalised loss's weight gradient along a random unit direction,
    in float64 (dropout off), on 8 digits."""
    mg.manual_seed(seed)
    model = Net().double().eval()
    images, labels = nn.data.mnist_5k("train").tensors
    x = mg.tensor(images.numpy()[:8].astype(np.float64), requires_grad=True)
    y = labels[:8]
    params = list(model.parameters())
    total, _, _ = penalised_loss(model, x, y, weight)
    total.backward()
    rng = np.random.default_rng(seed)
    direction = [rng.standard_normal(p.shape) for p in params]
    norm = np.sqrt(sum((d ** 2).sum() for d in direction))
    direction = [d / norm for d in direction]
    analytic = sum(float((p.grad.numpy() * d).sum()) for p, d in zip(params, direction))
    originals = [p.data.copy() for p in params]

    def total_at(step):
        for p, original, d in zip(params, originals, direction):
            p.data = original + step * d
        return penalised_loss(model, x, y, weight)[0].item()

    numeric = (total_at(eps) - total_at(-eps)) / (2 * eps)
    for p, original in zip(params, originals):
        p.data = original
    return abs(analytic - numeric) / abs(numeric)


def train(model, batches, weight: float, lr: float) -> list:
    """SGD steps on (cross-entropy + weight * penalty); returns each step's (loss, penalty)."""
    optimizer = nn.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = []
    for x, y in batches:
        x = x.detach().requires_grad_(True)
        total, loss, penalty = penalised_loss(model, x, y, weight)
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        history.append((loss.item(), penalty.item()))
    return history


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="MNIST CNN with an input-gradient penalty")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--weight", type=float, default=10.0, help="penalty weight")
    parser.add_argument("--lr", type=float, default=0.02)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    relative_error = check_against_finite_differences(args.seed, args.weight)
    print(f"weight gradient of loss + {args.weight} * penalty vs finite differences (float64): "
          f"relative error {relative_error:.2e}")

    train_set, test_set = nn.data.mnist_5k("train"), nn.data.mnist_5k("test")
    images, labels = train_set.tensors
    batches = [(images[i * args.batch:(i + 1) * args.batch],
                labels[i * args.batch:(i + 1) * args.batch]) for i in range(args.steps)]
    held_out = (test_set.tensors[0][:256], test_set.tensors[1][:256])
    results = {}
    for name, weight in (("plain", 0.0), ("penalised", args.weight)):
        mg.manual_seed(args.seed)                      # same start and dropout masks
        model = Net()
        history = train(model, batches, weight, args.lr)
        model.eval()
        results[name] = {"history": history,
                         "test_penalty": input_gradient_norm(model, *held_out),
                         "test_loss": nn.functional.cross_entropy(model(held_out[0]),
                                                                  held_out[1]).item()}
        print(f"{name:>9}: last step loss {history[-1][0]:.4f}, penalty {history[-1][1]:.4f}; "
              f"held-out loss {results[name]['test_loss']:.4f}, mean |d loss/d x|^2 "
              f"{results[name]['test_penalty']:.4f}")
    ratio = results["plain"]["test_penalty"] / results["penalised"]["test_penalty"]
    print(f"the penalty made held-out input gradients {ratio:.1f}x smaller (squared norm)")
    return {"relative_error": relative_error, "ratio": ratio, **results}


if __name__ == "__main__":
    main()
