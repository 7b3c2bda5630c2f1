"""Newton's method with second derivatives from autodiff: minimise f(x) = x^4 - 2x^2.

Gradient descent moves by -lr * f'(x) and needs a learning rate; Newton's method divides by
the curvature instead, x <- x - f'(x) / f''(x), and near a minimum the number of correct
digits doubles every step. Both derivatives come from minigrad: f'(x) by mg.grad with
create_graph=True (so the derivative is itself a graph), f''(x) by differentiating f'(x).

    python examples/newton.py               # from x = 2: Newton vs gradient descent
    python examples/newton.py --start 0.5
"""
import argparse

import numpy as np

import minigrad as mg


def f(x):
    return x ** 4 - 2 * x ** 2


def first_and_second_derivative(x_value: float) -> tuple:
    """(f'(x), f''(x)) at a point, by differentiating twice."""
    x = mg.tensor(np.float64(x_value), requires_grad=True)      # float64: Newton's last digits
    (slope,) = mg.grad(f(x), x, create_graph=True)      # 4x^3 - 4x, still a graph of x
    (curvature,) = mg.grad(slope, x)                     # 12x^2 - 4
    return slope.item(), curvature.item()


def newton(start: float, tol: float = 1e-12, max_steps: int = 50) -> list:
    """Newton steps until |f'(x)| < tol. Returns [(x, f'(x), f''(x)), ...]."""
    x, history = start, []
    for _ in range(max_steps):
        slope, curvature = first_and_second_derivative(x)
        history.append((x, slope, curvature))
        if abs(slope) < tol:
            break
        x = x - slope / curvature
    return history


def gradient_descent(start: float, lr: float, tol: float = 1e-12, max_steps: int = 10_000):
    """Plain gradient descent to the same tolerance: (steps taken, final x)."""
    x = mg.tensor(np.float64(start), requires_grad=True)
    for step in range(max_steps):
        (slope,) = mg.grad(f(x), x)
        if abs(slope.item()) < tol:
            return step, x.item()
        with mg.no_grad():
            x -= lr * slope
    return max_steps, x.item()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Newton's method with autodiff derivatives")
    parser.add_argument("--start", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=0.01, help="gradient descent's step size")
    args = parser.parse_args(argv)

    history = newton(args.start)
    print(f"Newton on f(x) = x^4 - 2x^2 from x = {args.start}:")
    for step, (x, slope, curvature) in enumerate(history):
        print(f"  step {step}: x = {x:.15f}   f'(x) = {slope: .3e}   f''(x) = {curvature:.6f}")
    gd_steps, gd_x = gradient_descent(args.start, args.lr)
    print(f"Newton: |f'(x)| < 1e-12 after {len(history) - 1} steps (x = {history[-1][0]:.12f}); "
          f"gradient descent with lr={args.lr}: {gd_steps} steps (x = {gd_x:.12f})")
    return {"history": history, "newton_steps": len(history) - 1, "x": history[-1][0],
            "gd_steps": gd_steps, "gd_x": gd_x}


if __name__ == "__main__":
    main()
