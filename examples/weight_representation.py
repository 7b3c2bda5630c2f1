"""How are the weights of a CNN represented? (seed question 000, and 'valid' padding from 004)

Keras's `Conv2D(12, kernel_size=3, input_shape=(25, 25, 1))` has a kernel of shape (3, 3, 1, 12)
and 12 zero biases. minigrad (like PyTorch) stores the same numbers as (out, in, kh, kw) =
(12, 1, 3, 3); `weight.permute(2, 3, 1, 0)` is the Keras layout. Each of the 108 kernel numbers
is one trained parameter: after one backward pass every one of them has a gradient.

    python examples/weight_representation.py
"""
import argparse
import math

import numpy as np

import minigrad as mg
import nn


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="Conv2D(1, 12, 3) weights, shapes, gradients")
    parser.add_argument("--out", default="out", help="unused: this example writes no files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    mg.manual_seed(args.seed)

    conv = nn.Conv2D(1, 12, kernel_size=3)          # in_channels=1, out_channels=12, 'valid'
    weight, bias = conv.weight, conv.bias
    keras = weight.permute(2, 3, 1, 0)              # (out, in, kh, kw) -> (kh, kw, in, out)
    print(conv)
    print(f"weight shape (out, in, kh, kw): {weight.shape}")
    print(f"same numbers in Keras layout (kh, kw, in, out): {keras.shape}")
    print(f"  e.g. filter 5, row 0, col 2: weight[5, 0, 0, 2] = {weight.data[5, 0, 0, 2]:+.6f}"
          f" = keras[0, 2, 0, 5] = {keras.data[0, 2, 0, 5]:+.6f}")
    print(f"bias shape {bias.shape}, values {bias.tolist()}")
    bound = math.sqrt(6 / (1 * 9 + 12 * 9))
    print(f"Glorot-uniform bound sqrt(6 / (9 + 108)) = {bound:.4f}; largest |weight| = "
          f"{np.abs(weight.data).max():.4f} (the Keras weights in the question are within "
          "+-0.2265 too)")

    x = mg.randn(1, 1, 25, 25)                      # one 25x25 grayscale image, NCHW
    out = conv(x)
    same = nn.functional.conv2d(x, weight, bias, padding="same")
    print(f"input {x.shape} -> output {out.shape} with 'valid' padding (25 - 3 + 1 = 23); "
          f"padding='same' keeps {same.shape[2:]}")

    loss = (out ** 2).mean()                        # any scalar loss
    loss.backward()
    grad = weight.grad.numpy()
    trained = int(np.count_nonzero(grad))
    n_params = sum(p.numel() for p in conv.parameters())
    print(f"after one backward: {trained} of {weight.numel()} kernel elements have a nonzero "
          f"gradient; bias gradient shape {bias.grad.shape}")
    print(f"parameters: 12 * 3 * 3 * 1 weights + 12 biases = {n_params}")
    print("kernel gradient of filter 0:\n", np.array2string(grad[0, 0], precision=4))
    return {"weight_shape": weight.shape, "keras_shape": keras.shape,
            "bias": bias.numpy().copy(), "out_shape": out.shape, "same_shape": same.shape,
            "nonzero_grads": trained, "n_params": n_params, "bound": bound,
            "max_abs_weight": float(np.abs(weight.data).max()),
            "keras_matches": bool(np.array_equal(keras.numpy(),
                                                 weight.numpy().transpose(2, 3, 1, 0)))}


if __name__ == "__main__":
    main()
