"""One conv layer, forward + backward: mg.conv2d (bands of rows, two halves on two cores)
against the same numbers composed from im2col and one matrix product.

The layer is the Keras MNIST CNN's second one (32 -> 64 channels, 3x3, 26x26 input, batch-last
as the first layer leaves it). Wall-clock milliseconds, min and median over --repeat calls,
the two variants alternating; `--after-gemm` runs a 2-thread matrix product right before each
call, as a training step's Dense layers do (OpenBLAS's idle threads then spin for a while).

    python benchmarks/conv_layer.py                      # 2 threads, batch 64
    python benchmarks/conv_layer.py --threads 1 --batch 128 --after-gemm
"""
import argparse
import os
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--after-gemm", action="store_true")
    args = parser.parse_args()
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = str(args.threads)             # before NumPy is imported
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import numpy as np

    import minigrad as mg
    from minigrad.functional import _composed_conv2d

    rng = np.random.default_rng(0)
    n = args.batch
    x = mg.Tensor(np.ascontiguousarray(rng.standard_normal((32, 26, 26, n), np.float32))
                  .transpose(3, 0, 1, 2), requires_grad=True)
    weight = mg.tensor(rng.standard_normal((64, 32, 3, 3), np.float32) * 0.1, requires_grad=True)
    bias = mg.tensor(rng.standard_normal(64, np.float32), requires_grad=True)
    upstream = mg.Tensor(np.ascontiguousarray(rng.standard_normal((64, 24, 24, n), np.float32))
                         .transpose(3, 0, 1, 2))
    dense_in = rng.standard_normal((n, 9216), np.float32)
    dense_weight = rng.standard_normal((9216, 128), np.float32)
    geometry = ((1, 1), (1, 1), ((0, 0), (0, 0)), 1)
    variants = {
        "mg.conv2d (bands)": lambda: mg.conv2d(x, weight, bias),
        "im2col + one product": lambda: _composed_conv2d(x, weight, bias, *geometry),
    }
    times: dict = {name: [] for name in variants}
    for _ in range(args.repeat + 1):
        for name, conv in variants.items():
            if args.after_gemm:
                dense_in @ dense_weight
            start = time.perf_counter()
            conv().backward(upstream)
            times[name].append(time.perf_counter() - start)
            x.grad = weight.grad = bias.grad = None
    print(f"conv 32->64 3x3 on 26x26, batch {n}, {args.threads} thread(s)"
          f"{', after a 2-thread GEMM' if args.after_gemm else ''}; ms, forward + backward:")
    for name, values in times.items():
        values = sorted(values[1:])                           # the first call warms up
        print(f"  {name:22s} min {1e3 * values[0]:6.1f}   median {1e3 * values[len(values) // 2]:6.1f}")


if __name__ == "__main__":
    main()
