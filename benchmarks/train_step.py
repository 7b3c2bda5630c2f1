"""Training-step benchmark: minigrad vs PyTorch CPU, same models, same weights, same threads.

One step = forward + cross-entropy + backward + SGD(momentum 0.9) update, float32 throughout.
Models: the Keras MNIST CNN (Conv 1->32 3x3, ReLU, Conv 32->64 3x3, ReLU, MaxPool 2, Flatten,
Dense 9216->128, ReLU, Dense 128->10) at batch 64 and 128, and LeNet-5 (Conv 1->6 5x5 pad 2,
ReLU, MaxPool 2, Conv 6->16 5x5, ReLU, MaxPool 2, Flatten, Dense 400->120, ReLU,
Dense 120->84, ReLU, Dense 84->10) at batch 64.

minigrad and torch steps alternate inside one process, so background load hits both alike;
the table reports the median over the timed steps after warm-up. Then minigrad's memory:
the tracemalloc peak of one step (NumPy reports its buffers to tracemalloc) and the traced
and resident memory after 1, 50 and 200 steps, which stay flat when each graph is freed.

    python benchmarks/train_step.py                 # threads = all cores, for both
    python benchmarks/train_step.py --threads 1 --steps 10
"""
import argparse
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402


def keras_cnn(lib):
    return lib.Sequential(
        lib.Conv2d(1, 32, 3), lib.ReLU(), lib.Conv2d(32, 64, 3), lib.ReLU(), lib.MaxPool2d(2),
        lib.Flatten(), lib.Linear(9216, 128), lib.ReLU(), lib.Linear(128, 10))


def lenet5(lib):
    return lib.Sequential(
        lib.Conv2d(1, 6, 5, padding=2), lib.ReLU(), lib.MaxPool2d(2),
        lib.Conv2d(6, 16, 5), lib.ReLU(), lib.MaxPool2d(2), lib.Flatten(),
        lib.Linear(400, 120), lib.ReLU(), lib.Linear(120, 84), lib.ReLU(), lib.Linear(84, 10))


MODELS = {"Keras MNIST CNN": keras_cnn, "LeNet-5": lenet5}


def minigrad_trainer(build, images, labels):
    model = build(nn)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = mg.tensor(images), mg.tensor(labels)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return model, step


def torch_trainer(torch, build, images, labels, source):
    model = build(torch.nn)
    with torch.no_grad():                 # the same initial weights as the minigrad model
        for (name, p), (_, q) in zip(model.named_parameters(), source.named_parameters()):
            p.copy_(torch.from_numpy(q.data.copy()))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step():
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


CLOCK = time.perf_counter


def timed(step) -> float:
    start = CLOCK()
    step()
    return CLOCK() - start


def memory_profile(step, checkpoints=(1, 50, 200)):
    """tracemalloc peak of one step, then (steps, traced MiB, RSS MiB) at each checkpoint."""
    step()                                     # warm: optimizer state exists before tracing
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    step()
    peak = tracemalloc.get_traced_memory()[1] - base
    rows, done = [], 1
    for target in checkpoints:
        while done < target:
            step()
            done += 1
        rows.append((target, (tracemalloc.get_traced_memory()[0] - base) / 2**20, rss_mib()))
    tracemalloc.stop()
    return peak / 2**20, rows


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--steps", type=int, default=15, help="timed steps per framework")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--memory-steps", type=int, default=200)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu = process CPU time: with --threads 1 it is barely touched by "
                             "other processes on a busy machine (with more threads it counts "
                             "spinning BLAS/OpenMP workers, so use wall)")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter

    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(args.threads)
    torch = None
    if not args.no_torch:
        try:
            import torch
            torch.set_num_threads(args.threads)
        except ImportError:
            print("torch not installed: minigrad only")
    blas = [f"{i['internal_api']} {i.get('version')} kernel {i.get('architecture')} "
            f"threads {i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"numpy {np.__version__}: {'; '.join(blas)}; OPENBLAS_CORETYPE="
          f"{os.environ.get('OPENBLAS_CORETYPE', '(unset)')} OPENBLAS_L2_SIZE="
          f"{os.environ.get('OPENBLAS_L2_SIZE', '(unset)')}")
    if torch is not None:
        print(f"torch {torch.__version__}: threads {torch.get_num_threads()}")
    print(f"cpu cores {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}; {args.clock} "
          f"clock, median of {args.steps} steps after {args.warmup} warm-up steps, minigrad "
          "and torch alternating; MALLOC_MMAP_THRESHOLD_="
          f"{os.environ.get('MALLOC_MMAP_THRESHOLD_', '(unset)')}\n")

    rng = np.random.default_rng(0)
    print("| model | batch | minigrad ms/step | torch ms/step | minigrad / torch | "
          "first loss (mg, torch) |")
    print("|---|---|---|---|---|---|")
    cases = [("Keras MNIST CNN", 64), ("Keras MNIST CNN", 128), ("LeNet-5", 64)]
    memory_case = None
    for name, batch in cases:
        images = rng.standard_normal((batch, 1, 28, 28)).astype(np.float32)
        labels = rng.integers(0, 10, batch).astype(np.int64)
        mg.manual_seed(0)
        model, mg_step = minigrad_trainer(MODELS[name], images, labels)
        torch_step = None if torch is None else torch_trainer(torch, MODELS[name], images,
                                                              labels, model)
        first = (mg_step(), torch_step() if torch_step else float("nan"))
        for _ in range(args.warmup):
            mg_step()
            if torch_step:
                torch_step()
        mg_times, torch_times = [], []
        for _ in range(args.steps):
            mg_times.append(timed(mg_step))
            if torch_step:
                torch_times.append(timed(torch_step))
        mg_ms = 1000 * float(np.median(mg_times))
        torch_ms = 1000 * float(np.median(torch_times)) if torch_times else float("nan")
        print(f"| {name} | {batch} | {mg_ms:.1f} | {torch_ms:.1f} | {mg_ms / torch_ms:.2f} | "
              f"{first[0]:.4f}, {first[1]:.4f} |", flush=True)
        if memory_case is None:
            memory_case = (name, batch, mg_step)

    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    name, batch, step = memory_case
    checkpoints = tuple(sorted({1, min(50, args.memory_steps), args.memory_steps}))
    peak, rows = memory_profile(step, checkpoints)
    print(f"\nminigrad memory, {name} batch {batch}: peak of one step (tracemalloc) "
          f"{peak:.1f} MiB")
    print("| steps | traced MiB held after the step | RSS MiB |")
    print("|---|---|---|")
    for steps, traced, rss in rows:
        print(f"| {steps} | {traced:.1f} | {rss:.1f} |")


if __name__ == "__main__":
    main()
