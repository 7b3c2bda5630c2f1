"""How many weights do dense and convolutional layers need? (seed questions 003 and 001)

003: on a 10x10 input, a dense layer of 32 units has 100 * 32 = 3,200 weights; 32 3x3 conv
     filters have 3 * 3 * 32 = 288. Both counts come from nn.summary (biases off, to count
     weights only; with biases they are 3,232 and 320).
001: mapping a W x H image to an X x Y feature map takes W*H*X*Y weights when dense, X*Y*F*F
     when each output pixel sees only an F x F patch (locally connected; ~W*H*F*F when the map
     is as big as the image), and F*F when all positions share one kernel (convolution).

    python examples/parameter_counts.py
"""
import argparse
import re

import nn


def total_params(table: str) -> int:
    """The 'Total params: N' line of an nn.summary table, as an int."""
    match = re.search(r"Total params: ([\d,]+)", table)
    if match is None:
        raise ValueError(f"parameter_counts: no 'Total params' line in the summary:\n{table}")
    return int(match.group(1).replace(",", ""))


def dense_vs_conv_10x10() -> dict:
    dense = nn.Sequential(nn.Flatten(), nn.Dense(10 * 10, 32, bias=False))
    conv = nn.Sequential(nn.Conv2D(1, 32, kernel_size=3, bias=False))
    dense_table = nn.summary(dense, (1, 10, 10), explain=True)
    conv_table = nn.summary(conv, (1, 10, 10), explain=True)
    print("10x10 input, 32 dense units:\n" + dense_table)
    print("10x10 input, 32 3x3 filters:\n" + conv_table)
    with_bias = (total_params(nn.summary(nn.Sequential(nn.Flatten(), nn.Dense(100, 32)),
                                         (1, 10, 10))),
                 total_params(nn.summary(nn.Sequential(nn.Conv2D(1, 32, 3)), (1, 10, 10))))
    counts = {"dense": total_params(dense_table), "conv": total_params(conv_table),
              "dense_with_bias": with_bias[0], "conv_with_bias": with_bias[1]}
    print(f"dense: {counts['dense']:,} weights, conv: {counts['conv']:,} weights "
          f"({counts['dense'] / counts['conv']:.1f}x fewer); with biases "
          f"{with_bias[0]:,} vs {with_bias[1]:,}\n")
    return counts


def dense_local_shared(size: int = 100, kernels=(3, 5)) -> dict:
    """W = H = size; the feature map is as big as the image (X = W, Y = H, 'same' padding)."""
    w = h = x = y = size
    rows = {}
    print(f"a {w}x{h} image mapped to a {x}x{y} feature map:")
    print(f"  dense (every output pixel sees every input pixel): W*H*X*Y = {w * h * x * y:,}")
    for f in kernels:
        shared = nn.Conv2D(1, 1, kernel_size=f, padding="same", bias=False)
        counts = {"dense": w * h * x * y, "local": x * y * f * f,
                  "shared": sum(p.numel() for p in shared.parameters())}
        rows[f] = counts
        print(f"  F={f}: locally connected X*Y*F*F = {counts['local']:,} (= W*H*F*F here); "
              f"shared kernel (Conv2D(1, 1, {f})) F*F = {counts['shared']}")
    print()
    return rows


def layer_kinds() -> str:
    """Every layer kind the questions name: input, convolution, ReLU, max/average pooling,
    fully connected."""
    model = nn.Sequential(
        nn.Conv2D(1, 8, kernel_size=3), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(8, 16, kernel_size=3), nn.ReLU(), nn.AvgPool2D(2),
        nn.Flatten(), nn.Dense(16 * 5 * 5, 10))
    table = nn.summary(model, (1, 28, 28), explain=True)
    print("input (1, 28, 28) -> conv -> ReLU -> max pool -> conv -> ReLU -> average pool "
          "-> fully connected:\n" + table)
    return table


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="dense vs convolutional parameter counts")
    parser.add_argument("--out", default="out", help="unused: this example writes no files")
    parser.add_argument("--size", type=int, default=100, help="image side for the 001 counts")
    args = parser.parse_args(argv)
    return {"10x10": dense_vs_conv_10x10(), "image": dense_local_shared(args.size),
            "layers": layer_kinds()}


if __name__ == "__main__":
    main()
