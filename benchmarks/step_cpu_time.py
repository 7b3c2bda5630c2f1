"""CPU time of one minigrad training step, for before/after comparisons on a busy machine.

Process CPU time with one BLAS thread is barely moved by other processes; the minimum over the
steps is the most stable figure. Also prints minor page faults per step (each costs several
microseconds: the allocator handing freed memory back to the kernel and faulting it in again).
Models and batches are those of benchmarks/train_step.py. Compare two checkouts by running
each one's copy of this script alternately:

    python benchmarks/step_cpu_time.py mnist_cnn 128 --steps 6
    python benchmarks/step_cpu_time.py mlp 128 --steps 200
"""
import argparse
import os
import resource
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")       # before NumPy is imported
os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import train_step  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=train_step.MODELS)
    parser.add_argument("batch", type=int)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    step = train_step.minigrad_trainer(args.model, args.batch)
    for _ in range(args.warmup):
        step()
    times = []
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(args.steps):
        start = time.process_time()
        step()
        times.append(time.process_time() - start)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    times.sort()
    print(f"{args.model} B={args.batch}: CPU ms/step min {1e3 * times[0]:.2f}, median "
          f"{1e3 * times[len(times) // 2]:.2f}; page faults/step {faults / args.steps:.0f}")


if __name__ == "__main__":
    main()
