"""Data-parallel training-step benchmark: samples/s at 1 and N ranks, and where the time goes.

One step = forward + cross-entropy + backward (gradients averaged over ranks by
nn.parallel.DistributedDataParallel) + SGD(momentum 0.9) update, float32. Run it alone for
the single-process baseline (no DDP), or under mpiexec for N ranks:

    python benchmarks/ddp_step.py --threads 2 --batch-size 64                  # 1 process
    mpiexec -n 1 python benchmarks/ddp_step.py --ddp --threads 1 --batch-size 64
    mpiexec -n 2 python benchmarks/ddp_step.py --ddp --threads 1 --batch-size 32   # global 64

Rank 0 prints: samples/s (global batch x steps / wall time), the median step, the process
CPU time per sample (all ranks' CPU seconds / samples: the work, whatever the load), the time
blocked waiting for all-reduces (what overlap did not hide), the time a blocking Allreduce of
the whole gradient takes on its own, and the bucket count and bytes per step.
"""
import argparse
import os
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["example", "keras"], default="example",
                        help="example: examples/mnist_cnn.py's Net (34,826 parameters); keras: "
                             "the Keras MNIST CNN of train_step.py (1,199,882 parameters)")
    parser.add_argument("--batch-size", type=int, default=32, help="per rank")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads per process")
    parser.add_argument("--ddp", action="store_true", help="wrap in DistributedDataParallel")
    parser.add_argument("--bucket-cap-mb", type=float, default=25.0)
    return parser.parse_args(argv)


ARGS = parse_args(sys.argv[1:] if __name__ == "__main__" else [])
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = str(ARGS.threads)            # before NumPy is imported

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402


def build(name: str) -> nn.Module:
    if name == "example":
        return nn.Sequential(nn.Conv2D(1, 32, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(32, 64, 3),
                             nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(1600, 10))
    return nn.Sequential(nn.Conv2D(1, 32, 3), nn.ReLU(), nn.Conv2D(32, 64, 3), nn.ReLU(),
                         nn.MaxPool2D(2), nn.Flatten(), nn.Dense(9216, 128), nn.ReLU(),
                         nn.Dense(128, 10))


def time_allreduce(comm, nbytes: int, repeats: int = 50) -> float:
    """Median seconds of one blocking Allreduce of `nbytes` of float32."""
    from mpi4py import MPI
    buffer = np.ones(nbytes // 4, dtype=np.float32)
    times = []
    for _ in range(repeats):
        comm.Barrier()
        start = time.perf_counter()
        comm.Allreduce(MPI.IN_PLACE, buffer, op=MPI.SUM)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main() -> None:
    mg.manual_seed(0)
    rank, ranks = 0, 1
    net = build(ARGS.model)
    model = net
    if ARGS.ddp:
        nn.parallel.init()
        rank, ranks = nn.parallel.rank(), nn.parallel.world_size()
        model = nn.parallel.DDP(net, bucket_cap_mb=ARGS.bucket_cap_mb)
    optimizer = nn.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    x = mg.tensor(rng.standard_normal((ARGS.batch_size, 1, 28, 28)).astype(np.float32))
    y = mg.tensor(rng.integers(0, 10, ARGS.batch_size))

    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(ARGS.warmup):
        step()
    waited_before = model.communication_seconds if ARGS.ddp else 0.0
    if ARGS.ddp:
        nn.parallel.barrier()
    times = []
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(ARGS.steps):
        begin = time.perf_counter()
        step()
        times.append(time.perf_counter() - begin)
    wall = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    if ARGS.ddp:                                  # CPU seconds of all ranks together
        cpu = nn.parallel.all_reduce_sum(mg.tensor([cpu], dtype=mg.float64)).item()
    if ARGS.ddp:
        nn.parallel.barrier()
    waited = (model.communication_seconds - waited_before) / ARGS.steps if ARGS.ddp else 0.0
    grad_bytes = sum(p.data.nbytes for p in net.parameters())
    allreduce = time_allreduce(nn.parallel.get_comm(), grad_bytes) if ARGS.ddp else 0.0
    buckets = len(model._reducer.buckets) if ARGS.ddp else 0
    if rank == 0:
        samples = ARGS.batch_size * ranks * ARGS.steps / wall
        print(f"model={ARGS.model} ranks={ranks} threads={ARGS.threads} ddp={ARGS.ddp} "
              f"batch={ARGS.batch_size}x{ranks} samples/s={samples:.1f} "
              f"median_step_ms={1e3 * float(np.median(times)):.1f} "
              f"cpu_ms_per_sample={1e3 * cpu / (ARGS.batch_size * ranks * ARGS.steps):.3f} "
              f"blocked_in_allreduce_ms={1e3 * waited:.2f} "
              f"allreduce_alone_ms={1e3 * allreduce:.3f} buckets={buckets} "
              f"grad_bytes={grad_bytes} load={os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
