"""Training-step benchmark, minigrad vs PyTorch CPU, each framework in a process of its own.

One step = zero_grad + forward + cross-entropy + backward + SGD update (lr 0.01, no momentum)
+ reading the loss as a Python float; float32 throughout. Workloads (the same models, weights
and batches as `../shared/bench`'s A, B, C):
    cnn64, cnn128  Keras MNIST CNN (Conv 1->32 3x3, ReLU, Conv 32->64 3x3, ReLU, MaxPool 2,
                   Flatten, Dense 9216->128, ReLU, Dense 128->10), batch 64 and 128
    lenet32        LeNet-5 (Conv 1->6 5x5 pad 2, ReLU, MaxPool 2, Conv 6->16 5x5, ReLU,
                   MaxPool 2, Flatten, Dense 400->120, ReLU, Dense 120->84, ReLU,
                   Dense 84->10), batch 32
    mlp128         MLP 784-256-10, batch 128

How it measures (so that the ratio is what a user running one framework would see):
- every framework runs in its own worker process (this script with --worker), so the two
  share no heap, allocator or thread pool; both get the same thread count (OMP/OpenBLAS/MKL
  environment variables, and torch.set_num_threads), the same weights and the same batch;
- after warm-up, rounds are interleaved: each round runs a block of steps in every worker,
  the order rotating from round to round, so drift on a shared machine hits both alike;
- before each block the controller sleeps 0.3 s (BLAS/OpenMP threads stop spinning) and waits
  (bounded) until other processes use < 0.25 cores; it measures other processes' CPU use
  during the block (/proc/stat minus the worker's own CPU time), and a block during which they
  used > 0.3 cores is marked DISTURBED;
- reported: median ms/step, spread (25th-75th percentile), the ratio of medians to torch, the
  paired ratio (median over rounds of the per-round ratio), and the first loss of each
  framework (they must agree: same network, same weights);
- memory, in a fresh worker per framework, CNN at batch 128: RSS after building, peak-RSS
  growth of the first step and of a steady step (the 4th), and RSS after 10, 100 and
  --memory-steps steps (flat = no leak, no allocator creep).

    python benchmarks/train_step.py                         # torch + minigrad, ~5 min
    python benchmarks/train_step.py --workloads mlp128 --rounds 5 --no-memory
    python benchmarks/train_step.py --frameworks minigrad   # without torch installed
    python benchmarks/train_step.py --frameworks torch,numpy,minigrad --workloads mlp128

`numpy` (MLP only) is the step written out by hand in NumPy: the floor for a NumPy framework.

torch is skipped (with a note) when it is not installed.
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

LR = 0.01
SPECS = {   # layer tuples: ("conv", C_in, C_out, k, pad), ("maxpool", k), ("dense", in, out)
    "mnist_cnn": [("conv", 1, 32, 3, 0), ("relu",), ("conv", 32, 64, 3, 0), ("relu",),
                  ("maxpool", 2), ("flatten",), ("dense", 9216, 128), ("relu",),
                  ("dense", 128, 10)],
    "lenet": [("conv", 1, 6, 5, 2), ("relu",), ("maxpool", 2), ("conv", 6, 16, 5, 0),
              ("relu",), ("maxpool", 2), ("flatten",), ("dense", 400, 120), ("relu",),
              ("dense", 120, 84), ("relu",), ("dense", 84, 10)],
    "mlp": [("dense", 784, 256), ("relu",), ("dense", 256, 10)],
}
INPUT_SHAPES = {"mnist_cnn": (1, 28, 28), "lenet": (1, 28, 28), "mlp": (784,)}
MODELS = tuple(SPECS)
WORKLOADS = {"cnn64": ("mnist_cnn", 64), "cnn128": ("mnist_cnn", 128),
             "lenet32": ("lenet", 32), "mlp128": ("mlp", 128)}
TITLES = {"mnist_cnn": "Keras MNIST CNN", "lenet": "LeNet-5", "mlp": "MLP 784-256-10"}
QUIET_CORES, DISTURBED_CORES, MAX_QUIET_WAIT = 0.25, 0.3, 5.0


# ---------------------------------------------------------------- models, weights, data
def initial_weights(model: str, seed: int = 0) -> list:
    """[(W, b), ...] per conv/dense layer: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch-style."""
    import numpy as np
    rng = np.random.default_rng(seed)
    weights = []
    for layer in SPECS[model]:
        if layer[0] == "conv":
            _, c_in, c_out, k, _ = layer
            shape, fan_in = (c_out, c_in, k, k), c_in * k * k
        elif layer[0] == "dense":
            _, fan_in, c_out = layer
            shape = (c_out, fan_in)
        else:
            continue
        bound = 1 / math.sqrt(fan_in)
        weights.append((rng.uniform(-bound, bound, shape).astype(np.float32),
                        rng.uniform(-bound, bound, (c_out,)).astype(np.float32)))
    return weights


def batch_of(model: str, batch: int, seed: int = 1):
    """(images float32 (batch, *input shape), labels int64 (batch,))."""
    import numpy as np
    rng = np.random.default_rng(seed)
    images = rng.random((batch,) + INPUT_SHAPES[model], dtype=np.float32)
    return images, rng.integers(0, 10, batch).astype(np.int64)


def _build(lib, model: str, weights: list, copy_in):
    layers, params = [], iter(weights)
    for layer in SPECS[model]:
        kind = layer[0]
        if kind == "conv":
            module = lib.Conv2d(layer[1], layer[2], layer[3], padding=layer[4])
        elif kind == "dense":
            module = lib.Linear(layer[1], layer[2])
        elif kind == "maxpool":
            module = lib.MaxPool2d(layer[1])
        else:
            module = {"relu": lib.ReLU, "flatten": lib.Flatten}[kind]()
        if kind in ("conv", "dense"):
            weight, bias = next(params)
            copy_in(module.weight, weight)
            copy_in(module.bias, bias)
        layers.append(module)
    return lib.Sequential(*layers)


def build_minigrad(model: str, weights: list):
    import nn

    def copy_in(parameter, array):
        parameter.data[...] = array
    return _build(nn, model, weights, copy_in)


def minigrad_trainer(model: str, batch: int):
    """A step function for minigrad (what a user's training loop does)."""
    import minigrad as mg
    import nn
    net = build_minigrad(model, initial_weights(model))
    optimizer = nn.optim.SGD(net.parameters(), lr=LR)
    images, labels = batch_of(model, batch)
    x, y = mg.tensor(images), mg.tensor(labels)

    def step() -> float:
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def torch_trainer(model: str, batch: int):
    import torch

    def copy_in(parameter, array):
        with torch.no_grad():
            parameter.copy_(torch.from_numpy(array))
    net = _build(torch.nn, model, initial_weights(model), copy_in)
    optimizer = torch.optim.SGD(net.parameters(), lr=LR)
    images, labels = batch_of(model, batch)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step() -> float:
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()
    return step


def numpy_trainer(model: str, batch: int):
    """The MLP's step written out by hand in NumPy: no framework at all, the same arithmetic
    (same GEMMs, same float32 arrays). Its time is what NumPy and its BLAS need for the step,
    the floor under any NumPy framework's time."""
    import numpy as np
    if model not in NUMPY_MODELS:
        raise ValueError(f"numpy_trainer: only {sorted(NUMPY_MODELS)}, not {model!r}")
    (w1, b1), (w2, b2) = initial_weights(model)
    images, labels = batch_of(model, batch)
    rows = np.arange(batch)

    def step() -> float:
        hidden = images @ w1.T
        hidden += b1
        relu = np.maximum(hidden, 0)
        logits = relu @ w2.T
        logits += b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        loss = -log_probs[rows, labels].mean()
        grad_logits = np.exp(log_probs)               # softmax - one-hot, over the batch
        grad_logits[rows, labels] -= 1
        grad_logits /= batch
        grad_relu = grad_logits @ w2
        grad_hidden = grad_relu * (relu > 0)
        for param, grad in ((w2, grad_logits.T @ relu), (b2, grad_logits.sum(axis=0)),
                            (w1, grad_hidden.T @ images), (b1, grad_hidden.sum(axis=0))):
            param -= LR * grad
        return float(loss)
    return step


NUMPY_MODELS = {"mlp"}
TRAINERS = {"minigrad": minigrad_trainer, "torch": torch_trainer, "numpy": numpy_trainer}
SUPPORTS = {"numpy": NUMPY_MODELS}      # frameworks that run only some models


# ---------------------------------------------------------------- worker process
def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _reset_peak_rss() -> None:
    with open("/proc/self/clear_refs", "w") as refs:     # Linux >= 4.0: resets VmHWM
        refs.write("5")


def _peak_growth_mib(step) -> float:
    """Peak RSS during one step above the RSS before it, MiB."""
    _reset_peak_rss()
    before = _status_kib("VmRSS")
    step()
    return (_status_kib("VmHWM") - before) / 1024


def _memory(framework: str, model: str, batch: int, steps: int) -> dict:
    import gc
    rss = {"start": _status_kib("VmRSS") / 1024}
    step = TRAINERS[framework](model, batch)
    rss["built"] = _status_kib("VmRSS") / 1024
    cold = _peak_growth_mib(step)
    for _ in range(2):
        step()
    gc.collect()
    steady = _peak_growth_mib(step)
    done, after = 4, {}
    for target in sorted({10, 100, steps}):
        while done < target:
            step()
            done += 1
        after[target] = _status_kib("VmRSS") / 1024
    return dict(rss=rss, cold_step_growth=cold, steady_step_growth=steady, rss_after=after,
                peak_rss=_status_kib("VmHWM") / 1024)


def serve(framework: str, threads: int) -> None:
    """Worker: build trainers and time blocks of steps on request (JSON lines on stdin)."""
    if framework == "torch":
        import torch
        torch.set_num_threads(threads)
    step = None
    for line in sys.stdin:
        request = json.loads(line)
        try:
            if request["cmd"] == "build":
                step = TRAINERS[framework](request["model"], request["batch"])
                reply = {"first_loss": step()}
            elif request["cmd"] == "run":
                times, stop = [], time.perf_counter() + request.get("max_seconds", 1e9)
                for _ in range(request["steps"]):      # a busy machine ends blocks early
                    start = time.perf_counter()
                    step()
                    times.append(time.perf_counter() - start)
                    if start > stop:
                        break
                reply = {"times": times}
            elif request["cmd"] == "memory":
                reply = _memory(framework, request["model"], request["batch"], request["steps"])
            else:
                break
        except Exception as error:  # noqa: BLE001 - reported to the controller, which stops
            reply = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(reply), flush=True)


# ---------------------------------------------------------------- controller
class Worker:
    def __init__(self, framework: str, threads: int):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
                   MKL_NUM_THREADS=str(threads))
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.framework = framework
        self.process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--worker", framework, "--threads",
             str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)

    def call(self, **request) -> dict:
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.framework} worker died (exit {self.process.wait()})")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"{self.framework} worker: {reply['error']}")
        return reply

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.process.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def _busy_seconds() -> float:
    with open("/proc/stat") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def _other_load(worker: Worker, action) -> tuple:
    """Run action(); return (its result, cores used by other processes meanwhile)."""
    busy, own, start = _busy_seconds(), worker.cpu_seconds(), time.perf_counter()
    result = action()
    wall = time.perf_counter() - start
    other = (_busy_seconds() - busy) - (worker.cpu_seconds() - own)
    return result, max(0.0, other) / max(wall, 1e-9)


def _wait_for_quiet() -> None:
    time.sleep(0.3)                          # let BLAS/OpenMP worker threads stop spinning
    deadline = time.perf_counter() + MAX_QUIET_WAIT
    while time.perf_counter() < deadline:
        busy, start = _busy_seconds(), time.perf_counter()
        time.sleep(0.25)
        if (_busy_seconds() - busy) / (time.perf_counter() - start) < QUIET_CORES:
            return


def _percentile(values: list, q: float) -> float:
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_workload(workers: dict, model: str, batch: int, rounds: int, steps: int,
                  warmup: int) -> dict:
    results = {}
    for name, worker in workers.items():
        first = worker.call(cmd="build", model=model, batch=batch)["first_loss"]
        worker.call(cmd="run", steps=warmup)
        results[name] = dict(first_loss=first, times=[], round_medians=[], loads=[])
    names = list(workers)
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            _wait_for_quiet()
            reply, load = _other_load(workers[name], lambda: workers[name].call(
                cmd="run", steps=steps, max_seconds=3.0))
            results[name]["times"] += reply["times"]
            results[name]["round_medians"].append(statistics.median(reply["times"]))
            results[name]["loads"].append(load)
    return results


def _report(workload: str, results: dict, rows: list) -> None:
    model, batch = WORKLOADS[workload]
    reference = results.get("torch")
    for name, res in results.items():
        times = res["times"]
        median = statistics.median(times)
        spread = f"{1e3 * _percentile(times, 0.25):.2f}-{1e3 * _percentile(times, 0.75):.2f}"
        ratio = paired = "-"
        if reference is not None and name != "torch":
            ratio = f"{median / statistics.median(reference['times']):.2f}"
            paired = f"{statistics.median(a / b for a, b in zip(res['round_medians'], reference['round_medians'])):.2f}"
        disturbed = sum(load > DISTURBED_CORES for load in res["loads"])
        load = (f"{statistics.mean(res['loads']):.2f}"
                + (f", {disturbed} DISTURBED" if disturbed else ""))
        rows.append(f"| {TITLES[model]}, B={batch} | {name} | {1e3 * median:.2f} | {spread} | "
                    f"{ratio} | {paired} | {res['first_loss']:.6f} | {load} |")
    if reference is not None:
        for name, res in results.items():
            if abs(res["first_loss"] - reference["first_loss"]) > 1e-5:
                rows.append(f"| {TITLES[model]}, B={batch} | **first losses differ**: {name} "
                            f"{res['first_loss']:.7f} vs torch {reference['first_loss']:.7f} "
                            "| | | | | | |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="torch,minigrad")
    parser.add_argument("--workloads", default=",".join(WORKLOADS),
                        help=f"comma-separated, from {', '.join(WORKLOADS)}")
    parser.add_argument("--threads", type=int, default=2, help="for every framework")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=0,
                        help="steps per block (default: about 1 s of torch time per block)")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--memory-steps", type=int, default=500)
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return serve(args.worker, args.threads)

    frameworks = [f for f in args.frameworks.split(",") if f]
    if "torch" in frameworks:
        import importlib.util
        if importlib.util.find_spec("torch") is None:
            print("torch is not installed: minigrad only (pip install torch==2.13.0 to compare)")
            frameworks.remove("torch")
    workloads = [w for w in args.workloads.split(",") if w]
    unknown = [w for w in workloads if w not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workloads {unknown}; choose from {', '.join(WORKLOADS)}")
    default_steps = {"cnn64": 10, "cnn128": 6, "lenet32": 100, "mlp128": 300}
    print(f"{sys.executable}, {os.cpu_count()} cores, {args.threads} thread(s) per framework, "
          f"{args.rounds} rounds, load average {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n", flush=True)

    rows = []
    workers = {name: Worker(name, args.threads) for name in frameworks}
    try:
        for workload in workloads:
            model, batch = WORKLOADS[workload]
            steps = args.steps or default_steps[workload]
            able = {name: worker for name, worker in workers.items()
                    if model in SUPPORTS.get(name, SPECS)}
            results = time_workload(able, model, batch, args.rounds, steps, args.warmup)
            _report(workload, results, rows)
            print(f"done: {workload}", flush=True)
    finally:
        for worker in workers.values():
            worker.close()
    print("\n| workload | framework | median ms/step | spread (p25-p75) | ratio to torch | "
          "paired ratio | first loss | other processes (cores) |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))

    if args.no_memory:
        return
    print(f"\nMemory, {TITLES['mnist_cnn']} B=128, a fresh worker per framework (MiB):\n")
    print(f"| framework | RSS built | peak growth, first step | peak growth, steady step | "
          f"RSS after 10 / 100 / {args.memory_steps} steps | peak RSS |")
    print("|---|---|---|---|---|---|")
    for name in frameworks:
        if "mnist_cnn" not in SUPPORTS.get(name, SPECS):
            continue
        worker = Worker(name, args.threads)
        try:
            m = worker.call(cmd="memory", model="mnist_cnn", batch=128, steps=args.memory_steps)
        finally:
            worker.close()
        after = " / ".join(f"{v:.0f}" for _, v in sorted(m["rss_after"].items(),
                                                          key=lambda kv: int(kv[0])))
        print(f"| {name} | {m['rss']['built']:.0f} | {m['cold_step_growth']:.0f} | "
              f"{m['steady_step_growth']:.0f} | {after} | {m['peak_rss']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
