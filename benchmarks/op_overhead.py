"""Per-op overhead of minigrad's autodiff, side by side with PyTorch CPU when it is installed.

    python benchmarks/op_overhead.py            # 1,000-op chain + backward over 1e5 and 1e6 ops
    python benchmarks/op_overhead.py --quick    # 1,000-op chain + 1e4 and 1e5 (a few seconds)
    python benchmarks/op_overhead.py --clock wall   # wall-clock instead of process CPU time

Part 1 times a chain of 1,000 small elementwise ops on shape (16,) (a cycle of mul, add, tanh,
sub; two of them with a second tensor operand), forward and backward, and reports microseconds
per op for minigrad and for PyTorch (single-threaded, as small tensors gain nothing from
threads). The goal is no more than 2x PyTorch's per-op time: with tensors this small the array
arithmetic is negligible, so this measures the framework's bookkeeping (graph recording, the
backward sweep), not NumPy.

Part 2 times backward alone over chains of 1e5 and 1e6 ops (x * c repeated) to show that the
iterative sweep is linear: microseconds per op must stay flat as the chain grows 10x.

Times are process CPU time by default (both frameworks run single-threaded, so on an idle
machine this equals wall-clock time, and on a shared one it is far less disturbed by other jobs).
"""
import argparse
import gc
import os
import platform
import time

import numpy as np

import minigrad as mg

CHAIN = 1000
SHAPE = (16,)
CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def elementwise_chain(x, a, b, length):
    """The same ops for both frameworks: `length` ops, then a sum to get a scalar."""
    y = x
    for _ in range(length // 4):
        y = y * a
        y = y + b
        y = y.tanh()
        y = y - a
    return y.sum()


def time_chains(make_leaf_by_name, repeats):
    """Best-of-`repeats` (forward, backward) seconds per op of the 1,000-op chain, for each
    framework. The frameworks take turns within each repeat, so a busy machine slows them
    alike instead of skewing the ratio."""
    leaves = {name: [make() for _ in range(3)] for name, make in make_leaf_by_name.items()}
    best = {name: [float("inf"), float("inf")] for name in make_leaf_by_name}
    for _ in range(repeats):
        for name, (x, a, b) in leaves.items():
            for leaf in (x, a, b):
                leaf.grad = None
            start = clock()
            loss = elementwise_chain(x, a, b, CHAIN)
            middle = clock()
            loss.backward()
            end = clock()
            best[name][0] = min(best[name][0], middle - start)
            best[name][1] = min(best[name][1], end - middle)
    return {name: (forward / CHAIN, backward / CHAIN) for name, (forward, backward) in best.items()}


def time_long_chain(length):
    """(forward s, backward s) for x * c repeated `length` times, then sum."""
    x = mg.randn(*SHAPE, requires_grad=True)
    start = clock()
    y = x
    for _ in range(length):
        y = y * 1.0
    loss = y.sum()
    middle = clock()
    loss.backward()
    end = clock()
    if not np.allclose(x.grad.data, 1.0):
        raise RuntimeError("long chain: wrong gradient")
    return middle - start, end - middle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="long chains of 1e4 and 1e5 ops")
    parser.add_argument("--repeats", type=int, default=15, help="best of this many runs")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="process CPU time (default) or wall-clock time")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}, clock: {args.clock}")

    makers = {"minigrad": lambda: mg.randn(*SHAPE, requires_grad=True)}
    try:
        import torch
    except ImportError:
        torch = None
        print("torch not installed: minigrad only")
    if torch is not None:
        torch.set_num_threads(1)
        makers[f"torch {torch.__version__}"] = lambda: torch.randn(*SHAPE, requires_grad=True)
    rows = list(time_chains(makers, args.repeats).items())

    print(f"\nchain of {CHAIN} elementwise ops on shape {SHAPE}, microseconds per op "
          f"(best of {args.repeats})")
    print(f"{'':<22}{'forward':>10}{'backward':>10}{'total':>10}")
    for name, (forward, backward) in rows:
        print(f"{name:<22}{forward * 1e6:>10.2f}{backward * 1e6:>10.2f}"
              f"{(forward + backward) * 1e6:>10.2f}")
    if torch is not None:
        (f_mg, b_mg), (f_pt, b_pt) = rows[0][1], rows[1][1]
        print(f"{'minigrad / torch':<22}{f_mg / f_pt:>9.2f}x{b_mg / b_pt:>9.2f}x"
              f"{(f_mg + b_mg) / (f_pt + b_pt):>9.2f}x   (goal: <= 2x)")

    lengths = (10**4, 10**5) if args.quick else (10**5, 10**6)
    print("\nlong chains (y = y * 1.0 repeated), backward must scale linearly")
    print(f"{'ops':>10}{'forward s':>12}{'backward s':>12}{'backward us/op':>16}")
    for length in lengths:
        gc.collect()
        forward, backward = time_long_chain(length)
        print(f"{length:>10}{forward:>12.2f}{backward:>12.2f}{backward / length * 1e6:>16.2f}")


if __name__ == "__main__":
    main()
