#!/usr/bin/env bash
# Issue 9's side-by-side table: minigrad against PyTorch 2.13 CPU (and MyGrad), each framework
# in its own worker process, rounds interleaved, 2 threads each, the same weights and batches.
# Run it from the repository root on a QUIET machine (the harness marks disturbed blocks):
#
#   benchmarks/side_by_side.sh            # torch,mygrad,minigrad on H,A,B,C,D,E,G: ~15-20 min
#   benchmarks/side_by_side.sh --quick    # torch,minigrad on H,A,B,C,G: ~5 min
#
# It drives the shared harness (../shared/bench/run_bench.py, see its README.md) with the
# harness's virtual environment, set up once with
#   python3 -m venv ~/bench-venv
#   ~/bench-venv/bin/pip install numpy torch==2.13.0 mygrad autograd threadpoolctl
# The markdown table goes to benchmarks/side_by_side.md (or $OUT), the raw numbers next to it
# (.json). Without the harness it falls back to benchmarks/train_step.py (torch and minigrad
# only, same method). Overrides: BENCH_PYTHON, BENCH_DIR, THREADS, OUT.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python="${BENCH_PYTHON:-$HOME/bench-venv/bin/python}"
bench="${BENCH_DIR:-$root/../shared/bench}"
[ -d "$bench" ] || bench=/work/shared/bench
threads="${THREADS:-2}"
out="${OUT:-$root/benchmarks/side_by_side.md}"
if [ ! -x "$python" ]; then
    echo "no $python: set up the harness venv (see the comment at the top), or set BENCH_PYTHON" >&2
    exit 1
fi
# Equal thread counts: torch gets --threads, NumPy's OpenBLAS (minigrad, MyGrad) the same.
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
if [ "${1:-}" = "--quick" ]; then
    frameworks=torch,minigrad
    workloads=H,A,B,C,G
else
    frameworks=torch,mygrad,minigrad
    workloads=H,A,B,C,D,E,G
fi
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg), $threads threads"
start=$SECONDS
if [ -f "$bench/run_bench.py" ]; then
    "$python" "$bench/run_bench.py" --minigrad-path "$root" --frameworks "$frameworks" \
        --workloads "$workloads" --threads "$threads" --md "$out" --json "${out%.md}.json"
else
    echo "no harness at $bench: benchmarks/train_step.py instead"
    PYTHONPATH="$root" "$python" benchmarks/train_step.py --threads "$threads" | tee "$out"
fi
echo "took $(( (SECONDS - start) / 60 )) min $(( (SECONDS - start) % 60 )) s; table in $out"
