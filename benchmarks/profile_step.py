"""Where one training step's time goes: a per-op profile of forward, backward and the optimizer.

Every `mg.Function` subclass's `forward` and `backward` is wrapped with a timer (process CPU
time by default: other processes on a busy machine barely disturb it; use one BLAS thread
with it, since spinning BLAS workers count as CPU time too). The step is split into
forward (model + loss), backward (the whole `loss.backward()`, of which the ops' own
`backward` methods are the listed part and the rest is the engine: graph walk, gradient
accumulation, freeing), optimizer (`zero_grad` + `step`) and `loss.item()`.

    python benchmarks/profile_step.py                       # Keras CNN, B=128, 1 thread
    python benchmarks/profile_step.py --model lenet --batch 32 --steps 50
    python benchmarks/profile_step.py --model mlp --batch 128 --clock wall --threads 2

Model definitions, weights and batch are those of `benchmarks/train_step.py`.
"""
import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import train_step  # noqa: E402  (imports no NumPy at module level)


def function_classes():
    import minigrad as mg

    """Every Function subclass defined so far (built-in ops and their subclasses)."""
    found, stack = [], [mg.Function]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            stack.append(sub)
    return found


def install_timers(clock, totals):
    """Wrap each op's forward and backward; totals[(phase, name)] = [seconds, calls]."""
    def timed(function, key):
        def wrapper(*args, **kwargs):
            start = clock()
            try:
                return function(*args, **kwargs)
            finally:
                entry = totals[key]
                entry[0] += clock() - start
                entry[1] += 1
        return staticmethod(wrapper)

    for cls in function_classes():
        for phase in ("forward", "backward"):
            if phase in vars(cls):
                setattr(cls, phase, timed(vars(cls)[phase].__func__, (phase, cls.__name__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(train_step.MODELS), default="mnist_cnn")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = str(args.threads)          # before NumPy is imported
    import minigrad as mg
    import nn
    import nn.functional as F

    images, labels = train_step.batch_of(args.model, args.batch)
    model = train_step.build_minigrad(args.model, train_step.initial_weights(args.model))
    optimizer = nn.optim.SGD(model.parameters(), lr=train_step.LR)
    x, y = mg.tensor(images), mg.tensor(labels)

    phases = collections.defaultdict(float)

    def step():
        t0 = clock()
        loss = F.cross_entropy(model(x), y)
        t1 = clock()
        loss.backward()
        t2 = clock()
        optimizer.step()
        optimizer.zero_grad()
        t3 = clock()
        loss.item()
        t4 = clock()
        for name, seconds in (("forward", t1 - t0), ("backward", t2 - t1),
                              ("optimizer", t3 - t2), ("item", t4 - t3)):
            phases[name] += seconds

    for _ in range(args.warmup):
        step()
    phases.clear()
    totals = collections.defaultdict(lambda: [0.0, 0])
    install_timers(clock, totals)
    for _ in range(args.steps):
        step()

    per_step = {k: 1000 * v / args.steps for k, v in phases.items()}
    total = sum(per_step.values())
    print(f"{args.model} B={args.batch}, {args.threads} thread(s), {args.clock} clock, "
          f"{args.steps} steps: {total:.1f} ms/step (timers included)")
    print(f"forward {per_step['forward']:.1f} ms, backward {per_step['backward']:.1f} ms, "
          f"optimizer {per_step['optimizer']:.1f} ms, item {per_step['item']:.2f} ms\n")
    print("| phase | op | ms/step | calls/step | share of step |")
    print("|---|---|---|---|---|")
    listed = collections.defaultdict(float)
    rows = sorted(totals.items(), key=lambda item: (item[0][0] != "forward", -item[1][0]))
    for (phase, name), (seconds, calls) in rows:
        ms = 1000 * seconds / args.steps
        listed[phase] += ms
        print(f"| {phase} | {name} | {ms:.2f} | {calls / args.steps:g} | {ms / total:.0%} |")
    for phase, label in (("forward", "module/loss code, op bookkeeping"),
                         ("backward", "engine: graph walk, accumulation, freeing")):
        rest = per_step[phase] - listed[phase]
        print(f"| {phase} | (rest: {label}) | {rest:.2f} | | {rest / total:.0%} |")
    print(f"| optimizer | zero_grad + step | {per_step['optimizer']:.2f} | | "
          f"{per_step['optimizer'] / total:.0%} |")


if __name__ == "__main__":
    main()
