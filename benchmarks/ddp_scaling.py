"""Run benchmarks/ddp_step.py in each configuration of RESULTS.md and print its table.

    python benchmarks/ddp_scaling.py                  # 3 rounds, the example model
    python benchmarks/ddp_scaling.py --rounds 1 --model keras

Configurations (global batch 64 unless noted): 1 process with 2 BLAS threads, 1 process with
1 thread, 1 rank with DDP, 2 ranks x 32, 2 ranks x 64. Scaling efficiency = samples/s at 2
ranks / (2 x samples/s of the 1-rank DDP run of the same round). Needs mpiexec (pip install
"minigrad[distributed]"); run it on an otherwise idle machine for scaling numbers.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STEP = os.path.join(HERE, "ddp_step.py")


def launcher() -> list:
    """mpiexec (beside this Python first) with the flags Open MPI needs here."""
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit('ddp_scaling: mpiexec not found; pip install "minigrad[distributed]"')
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True)
    flags = []
    if "Open MPI" in version.stdout + version.stderr:
        flags.append("--oversubscribe")
        if os.geteuid() == 0:
            flags.append("--allow-run-as-root")
    return [mpiexec, *flags]


def run(command: list) -> dict:
    out = subprocess.run(command, capture_output=True, text=True, timeout=900)
    line = next((text for text in out.stdout.splitlines() if text.startswith("model=")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"ddp_scaling: {' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return dict(re.findall(r"(\w+(?:/s)?)=(\S+)", line))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", choices=["example", "keras"], default="example")
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args(argv)
    mpi = launcher()
    common = [STEP, "--model", args.model, "--steps", str(args.steps)]
    configurations = [
        ("1 process, 2 BLAS threads, no DDP", "64", [sys.executable, *common, "--threads", "2",
                                                     "--batch-size", "64"]),
        ("1 process, 1 thread, no DDP", "64", [sys.executable, *common, "--batch-size", "64"]),
        ("1 rank with DDP, 1 thread", "64", [*mpi, "-n", "1", sys.executable, *common, "--ddp",
                                             "--batch-size", "64"]),
        ("2 ranks, 1 thread each", "32 x 2", [*mpi, "-n", "2", sys.executable, *common, "--ddp",
                                              "--batch-size", "32"]),
        ("2 ranks, 1 thread each", "64 x 2", [*mpi, "-n", "2", sys.executable, *common, "--ddp",
                                              "--batch-size", "64"]),
    ]
    results = {index: [] for index in range(len(configurations))}
    for _ in range(args.rounds):
        for index, (_, _, command) in enumerate(configurations):
            results[index].append(run(command))
    print(f"model {args.model}, {args.rounds} round(s) of {args.steps} steps, load average "
          f"{os.getloadavg()[0]:.1f} at the end\n")
    print("| configuration | global batch | samples/s | CPU ms/sample | blocked in all-reduce "
          "per step (ms) | Allreduce alone (ms) | scaling efficiency |")
    print("|---|---|---|---|---|---|---|")
    single = [float(r["samples/s"]) for r in results[2]]
    for index, (name, batch, _) in enumerate(configurations):
        rows = results[index]
        efficiency = "-"
        if index >= 3:
            efficiency = ", ".join(f"{float(r['samples/s']) / (2 * s):.2f}"
                                   for r, s in zip(rows, single))
        print(f"| {name} | {batch} | {', '.join(r['samples/s'] for r in rows)} | "
              f"{', '.join(r['cpu_ms_per_sample'] for r in rows)} | "
              f"{', '.join(r['blocked_in_allreduce_ms'] for r in rows)} | "
              f"{', '.join(r['allreduce_alone_ms'] for r in rows)} | {efficiency} |")


if __name__ == "__main__":
    main()
