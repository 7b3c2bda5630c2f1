"""Resume exactly: N steps, mg.save, mg.load in a FRESH process, M more steps == N+M straight,
bit for bit (parameters and optimizer state), for SGD with momentum and for Adam."""
import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg

WORKER = os.path.join(os.path.dirname(__file__), "resume_worker.py")
# loaded from its file: putting tests/ on sys.path would let tests/minigrad shadow minigrad
_spec = importlib.util.spec_from_file_location("resume_worker", WORKER)
resume_worker = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(resume_worker)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _fresh_process(*args):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    result = subprocess.run([sys.executable, WORKER, *args], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 0, result.stderr


def _arrays(state) -> dict:
    """Flatten a nested state (dicts of tensors/arrays/numbers) to {path: array}."""
    flat = {}

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, (list, tuple)):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")
        else:
            flat[path] = np.asarray(node.data if isinstance(node, mg.Tensor) else node)
    walk(state, "")
    return flat


def _assert_bit_identical(a: dict, b: dict):
    a, b = _arrays(a), _arrays(b)
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert np.array_equal(a[key], b[key]), f"{key} differs"


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("first, second", [(7, 6), (10, 4)])   # mid-epoch and epoch boundary
def test_resume_in_fresh_process_is_bit_identical(tmp_path, optimizer, first, second):
    straight = resume_worker.Trainer(optimizer)
    straight.train(first + second)
    expected = straight.checkpoint()         # now: the generator is global, shared by both

    interrupted = resume_worker.Trainer(optimizer)
    interrupted.train(first)
    mg.save(interrupted.checkpoint(), tmp_path / "first.npz")
    _fresh_process(optimizer, str(second), "--resume", str(tmp_path / "first.npz"),
                   "--save", str(tmp_path / "final.npz"))
    resumed = mg.load(tmp_path / "final.npz")

    _assert_bit_identical(resumed["model"], expected["model"])
    _assert_bit_identical(resumed["optimizer"], expected["optimizer"])
    assert resumed["rng"] == expected["rng"]
    assert (resumed["epoch"], resumed["step"]) == (expected["epoch"], first + second)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_resume_without_rng_or_optimizer_state_diverges(optimizer):
    """The checkpoint's parts matter: dropping one of them changes the result."""
    straight = resume_worker.Trainer(optimizer)
    straight.train(9)
    expected = straight.checkpoint()["model"]
    for missing in ("rng", "optimizer"):
        first = resume_worker.Trainer(optimizer)
        first.train(4)
        checkpoint = first.checkpoint()
        again = resume_worker.Trainer(optimizer)       # fresh optimizer and generator
        if missing == "rng":
            checkpoint["rng"] = mg.get_rng_state()
        else:
            checkpoint["optimizer"] = again.opt.state_dict()
        again.resume(checkpoint)
        again.train(5)
        differs = any(not np.array_equal(expected[k].data, v.data)
                      for k, v in again.model.state_dict().items())
        assert differs, f"resuming without {missing} state gave the same parameters"
