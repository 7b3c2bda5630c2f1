"""Time `mg.viz.to_dot` on big graphs (the target: a 10,000-node graph in under a second).

    python benchmarks/viz_dot.py            # print the table
    python benchmarks/viz_dot.py --write    # ... and put it in benchmarks/RESULTS.md
                                            #     under "## Graph rendering"

Graphs (ops = recorded op nodes; the DOT also has the leaves and the output node):
  chain 10k / 100k   y = y + 1 repeated: the deepest possible graph (no recursion allowed)
  shared kernel      a 3x3 kernel applied by indexing at every position of a 59x59 image:
                     3,249 uses of one kernel (multiply + sum each, stacked), ~13,000 nodes,
                     with a 3,249-edge fan-out from the kernel and from the image
Each is timed as the median of several runs of `to_dot` alone (the graph is built once).
"""
import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

import minigrad as mg

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Graph rendering"


def chain(length: int):
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(length):
        y = y + 1.0
    return y, {"x": x}


def shared_kernel(size: int):
    image = mg.randn(size, size, requires_grad=True)
    kernel = mg.randn(3, 3, requires_grad=True)
    outs = [(image[i:i + 3, j:j + 3] * kernel).sum()
            for i in range(size - 2) for j in range(size - 2)]
    return mg.stack(outs).sum(), {"image": image, "kernel": kernel}


def time_to_dot(y, params, repeats: int) -> tuple:
    times, text = [], ""
    for _ in range(repeats):
        start = time.perf_counter()
        text = mg.viz.to_dot(y, params=params)
        times.append(time.perf_counter() - start)
    nodes = sum(1 for line in text.splitlines() if "[label=" in line)
    edges = text.count(" -> ")
    return statistics.median(times), nodes, edges, len(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    rows = []
    for name, build, repeats in (("chain 10k", lambda: chain(10_000), 5),
                                 ("shared kernel 59x59", lambda: shared_kernel(59), 5),
                                 ("chain 100k", lambda: chain(100_000), 3)):
        y, params = build()
        seconds, nodes, edges, size = time_to_dot(y, params, repeats)
        rows.append(f"| {name} | {nodes:,} | {edges:,} | {size / 1e6:.1f} MB | "
                    f"{seconds * 1e3:,.0f} ms | {seconds / nodes * 1e6:.1f} us |")
        print(rows[-1], flush=True)
    table = "\n".join([
        "| graph | DOT nodes | DOT edges | DOT size | to_dot (median) | per node |",
        "|---|---|---|---|---|---|", *rows])
    cpu = platform.processor() or platform.machine()
    section = (f"{SECTION}\n\n`python benchmarks/viz_dot.py --write` — {cpu}, "
               f"Python {platform.python_version()}, NumPy {np.__version__}, "
               f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f} on "
               f"{os.cpu_count()} cores. Times `mg.viz.to_dot` alone (the graph is built "
               "once; DOT text only, no Graphviz). Target: a 10,000-node graph in under 1 s.\n\n"
               f"{table}\n")
    print()
    print(section)
    if args.write:
        write_section(section)


def write_section(section: str) -> None:
    """Replace (or append) only the "## Graph rendering" section of RESULTS.md."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + (text[end:] if end >= 0 else "")
    RESULTS.write_text(text)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
