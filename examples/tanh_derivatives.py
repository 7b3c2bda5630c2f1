"""The n-th derivatives of tanh, each one the derivative of the graph of the previous one.

With create_graph=True, mg.grad returns a gradient that is itself a computation graph of x,
so it can be differentiated again, as often as wanted. This script takes tanh on 201 points
of [-4, 4], differentiates it --order times and draws every curve into one PNG.

    python examples/tanh_derivatives.py                      # writes docs/tanh_derivatives.png
    python examples/tanh_derivatives.py out/tanh.png --order 6
"""
import argparse
import os

import numpy as np

import minigrad as mg

DEFAULT_PATH = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            os.pardir, "docs", "tanh_derivatives.png"))


def derivatives(x_values: np.ndarray, order: int) -> list:
    """[tanh(x), tanh'(x), ..., tanh^(order)(x)] as arrays of x_values' shape.

    tanh acts elementwise, so the gradient of sum(y) is the derivative at every point.
    """
    x = mg.tensor(x_values, dtype=mg.float64, requires_grad=True)
    y = mg.tanh(x)
    curves = [y.numpy().copy()]
    for _ in range(order):
        (y,) = mg.grad(y.sum(), x, create_graph=True)
        curves.append(y.numpy().copy())
    return curves


def plot(x_values: np.ndarray, curves: list, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for n, curve in enumerate(curves):
        label = "tanh(x)" if n == 0 else f"order {n}"
        axes.plot(x_values, curve, label=label, linewidth=2.2 if n == 0 else 1.4)
    axes.set_xlabel("x")
    axes.set_title("tanh and its derivatives, by differentiating the gradient's graph")
    axes.set_ylim(-5, 5)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="draw the n-th derivatives of tanh")
    parser.add_argument("path", nargs="?", default=DEFAULT_PATH, help="where to write the PNG")
    parser.add_argument("--order", type=int, default=4, help="highest derivative (default 4)")
    args = parser.parse_args(argv)
    if args.order < 0:
        parser.error(f"--order must be >= 0, got {args.order}")

    x_values = np.linspace(-4, 4, 201)
    curves = derivatives(x_values, args.order)
    for n, curve in enumerate(curves):
        print(f"order {n}: value at x=1 is {np.interp(1.0, x_values, curve): .6f}, "
              f"largest |value| {np.abs(curve).max():.4f}")
    directory = os.path.dirname(os.path.abspath(args.path))
    os.makedirs(directory, exist_ok=True)
    plot(x_values, curves, args.path)
    print(f"wrote {args.path}")
    return {"x": x_values, "curves": curves, "path": args.path}


if __name__ == "__main__":
    main()
