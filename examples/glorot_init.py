"""What are the 32 3x3 filters a CNN starts from? (seed question 004)

Conv2D(1, 32, 3) draws its weight (32, 1, 3, 3) from Glorot uniform U(-a, a) with
a = sqrt(6 / (fan_in + fan_out)), fan_in = 1*3*3 = 9, fan_out = 32*3*3 = 288, so a ~ 0.1421 and
the variance is a^2 / 3 = 2 / (fan_in + fan_out). The formula on the question's page,
U(-6/(n_in + n_out), 6/(n_in + n_out)), forgets the square root: its bound 6/297 ~ 0.0202 is
7x too small. He (Kaiming) init, made for ReLU, uses the fan-in only: a = sqrt(6 / fan_in).
Training then turns these random filters into edge detectors: see examples/mnist_cnn.py.

    python examples/glorot_init.py --out out       # also writes glorot_init_hist.png
"""
import argparse
import math
import os

import numpy as np

import minigrad as mg
import nn


def draw(init, layers: int) -> np.ndarray:
    """Weights of `layers` fresh Conv2D(1, 32, 3) layers, initialised by `init` (None: the
    layer's default), flattened: 288 * layers values."""
    values = []
    for _ in range(layers):
        conv = nn.Conv2D(1, 32, kernel_size=3)
        if init is not None:
            init(conv.weight)
        values.append(conv.weight.numpy().ravel())
    return np.concatenate(values)


def plot_histograms(samples: dict, bounds: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(samples), figsize=(5 * len(samples), 3.2))
    for ax, (name, values) in zip(axes, samples.items()):
        ax.hist(values, bins=60, color="#4263eb", alpha=0.8)
        for sign in (-1, 1):
            ax.axvline(sign * bounds[name], color="#e03131", linestyle="--")
        label = "std" if name == "He normal" else "bound"
        ax.set_title(f"{name}: {label} +-{bounds[name]:.4f}")
        ax.set_xlabel("weight value")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Glorot-uniform and He init of Conv2D(1, 32, 3)")
    parser.add_argument("--out", default="out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--layers", type=int, default=100,
                        help="fresh layers to draw for the empirical statistics")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    mg.manual_seed(args.seed)

    conv = nn.Conv2D(1, 32, kernel_size=3)
    out_channels, in_channels, kh, kw = conv.weight.shape
    fan_in, fan_out = in_channels * kh * kw, out_channels * kh * kw
    glorot = math.sqrt(6 / (fan_in + fan_out))
    wrong = 6 / (fan_in + fan_out)
    he = math.sqrt(6 / fan_in)
    print(f"Conv2D(1, 32, 3): weight {conv.weight.shape}, fan_in = 1*3*3 = {fan_in}, "
          f"fan_out = 32*3*3 = {fan_out}")
    print(f"Glorot uniform: a = sqrt(6 / ({fan_in} + {fan_out})) = {glorot:.4f}, "
          f"variance a^2/3 = {glorot ** 2 / 3:.6f}")
    print(f"the question's page writes 6 / (n_in + n_out) = {wrong:.4f} (no square root: "
          f"{glorot / wrong:.1f}x too small)")
    one = conv.weight.numpy()
    print(f"this layer's 288 weights: min {one.min():+.4f}, max {one.max():+.4f}, "
          f"variance {one.var():.6f}")

    samples = {"Glorot uniform (default)": draw(None, args.layers),
               "He uniform": draw(nn.init.he_uniform_, args.layers),
               "He normal": draw(nn.init.he_normal_, args.layers)}
    bounds = {"Glorot uniform (default)": glorot, "He uniform": he,
              "He normal": math.sqrt(2 / fan_in)}        # a std, not a bound
    expected_var = {"Glorot uniform (default)": glorot ** 2 / 3, "He uniform": he ** 2 / 3,
                    "He normal": 2 / fan_in}
    stats = {}
    print(f"over {args.layers} fresh layers ({288 * args.layers:,} weights each):")
    for name, values in samples.items():
        stats[name] = {"min": float(values.min()), "max": float(values.max()),
                       "var": float(values.var()), "expected_var": expected_var[name]}
        scale = (f"std sqrt(2/{fan_in}) = {bounds[name]:.4f}" if name == "He normal"
                 else f"bound {bounds[name]:.4f}")
        print(f"  {name:<25} min {values.min():+.4f}  max {values.max():+.4f}  ({scale})  "
              f"variance {values.var():.5f} (formula {expected_var[name]:.5f})")
    path = os.path.join(args.out, "glorot_init_hist.png")
    plot_histograms(samples, bounds, path)
    print(f"wrote {path}")
    return {"fan_in": fan_in, "fan_out": fan_out, "glorot_bound": glorot,
            "wrong_bound": wrong, "he_bound": he, "layer_weights": one, "stats": stats,
            "files": {"hist": path}}


if __name__ == "__main__":
    main()
