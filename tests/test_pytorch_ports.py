"""examples/pytorch_ports: each minigrad port differs from its PyTorch original (kept beside it
as NAME.torch.py) only in import lines and in the marked data-source block, and each port
runs (a few steps, small sizes via CLI arguments or environment variables)."""
import difflib
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

import minigrad as mg

ROOT = pathlib.Path(__file__).resolve().parent.parent
PORTS = ROOT / "examples" / "pytorch_ports"
NAMES = sorted(p.name[:-len(".torch.py")] for p in PORTS.glob("*.torch.py"))
IMPORT = re.compile(r"^\s*(import [\w.]+( as \w+)?|from [\w.]+ import [\w, ]+)\s*$")
DATA_START = "# --- data source"
DATA_END = "# --- end of data source ---"


def comparable_lines(path: pathlib.Path) -> list:
    """The file's lines minus the module docstring, import lines, blank lines and the
    data-source block."""
    lines = path.read_text().splitlines()
    assert lines[0].startswith('"""'), f"{path.name}: expected a module docstring first"
    end = next(i for i, line in enumerate(lines) if line.rstrip().endswith('"""')
               and (i > 0 or line.count('"""') == 2))
    kept, in_data = [], False
    for line in lines[end + 1:]:
        if line.strip().startswith(DATA_START):
            assert not in_data, f"{path.name}: nested data-source markers"
            in_data = True
        elif line.strip() == DATA_END:
            assert in_data, f"{path.name}: data-source end marker without a start"
            in_data = False
        elif not in_data and not IMPORT.match(line) and line.strip():
            kept.append(line)
    assert not in_data, f"{path.name}: data-source block not closed"
    return kept


def test_every_port_has_its_original():
    assert NAMES == ["cifar10_tutorial", "dynamic_net", "mnist", "polynomial_autograd",
                     "polynomial_custom_function", "polynomial_nn_optim", "resnet18_cifar"]
    for name in NAMES:
        assert (PORTS / f"{name}.py").is_file()


@pytest.mark.parametrize("name", NAMES)
def test_port_differs_from_the_original_only_in_imports_and_data(name):
    original, port = PORTS / f"{name}.torch.py", PORTS / f"{name}.py"
    expected, got = comparable_lines(original), comparable_lines(port)
    diff = "\n".join(difflib.unified_diff(expected, got, f"{name}.torch.py", f"{name}.py",
                                          lineterm=""))
    assert expected == got, f"lines other than imports/data source differ:\n{diff}"
    port_text = port.read_text()
    assert re.search(r"^import minigrad as torch$", port_text, re.M)
    assert not re.search(r"^\s*(import|from) (torch|torchvision)\b", port_text, re.M)
    assert re.search(r"^import torch$", original.read_text(), re.M)
    assert (DATA_START in port_text) == (DATA_START in original.read_text())


def test_the_diff_check_catches_a_changed_line(tmp_path):
    text = (PORTS / "polynomial_autograd.py").read_text()
    changed = tmp_path / "changed.py"
    changed.write_text(text.replace("learning_rate = 1e-6", "learning_rate = 2e-6"))
    assert comparable_lines(changed) != comparable_lines(PORTS / "polynomial_autograd.torch.py")


def run_port(name, tmp_path, *args, env=None, timeout=300):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    environment.update(env or {})
    result = subprocess.run([sys.executable, str(PORTS / f"{name}.py"), *args], cwd=tmp_path,
                            env=environment, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def printed_losses(out: str) -> list:
    return [float(line.split()[1]) for line in out.splitlines()
            if re.match(r"^\d+ [-\d.e+]+$", line)]


@pytest.mark.parametrize("name", ["polynomial_autograd", "polynomial_nn_optim", "dynamic_net"])
def test_polynomial_ports_run_and_the_loss_falls(name, tmp_path):
    steps = "4000" if name == "dynamic_net" else "300"
    out = run_port(name, tmp_path, env={"PORT_STEPS": steps})
    losses = printed_losses(out)
    assert len(losses) >= 2 and losses[-1] < losses[0], out
    assert "Result: " in out.splitlines()[-1]


def test_custom_function_port_runs_and_prints_torchs_numbers(tmp_path):
    """Deterministic start (torch.full), so the port and the original agree step for step."""
    ours = run_port("polynomial_custom_function", tmp_path, env={"PORT_STEPS": "300"})
    losses = printed_losses(ours)
    assert len(losses) == 3 and losses[-1] < losses[0], ours
    if importlib.util.find_spec("torch") is None:
        return                                   # the comparison needs PyTorch
    theirs = subprocess.run([sys.executable, str(PORTS / "polynomial_custom_function.torch.py")],
                            cwd=tmp_path, env=dict(os.environ, PORT_STEPS="300"),
                            capture_output=True, text=True, timeout=120)
    assert theirs.returncode == 0, theirs.stderr[-2000:]
    assert losses == pytest.approx(printed_losses(theirs.stdout), rel=1e-4)


def test_mnist_port_dry_run_saves_a_torch_style_state_dict(tmp_path):
    out = run_port("mnist", tmp_path, "--epochs", "1", "--dry-run", "--test-batch-size", "250",
                   "--save-model")
    assert "Train Epoch: 1 [0/4000 (0%)]" in out and "Test set: Average loss" in out
    state = mg.load(tmp_path / "mnist_cnn.pt")
    assert sorted(state) == ["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight",
                             "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"]
    assert state["fc1.weight"].shape == (128, 9216)


def test_cifar10_tutorial_port_runs_end_to_end(tmp_path):
    out = run_port("cifar10_tutorial", tmp_path, env={"CIFAR_PORT_SIZES": "24,8"})
    assert "Finished Training" in out and "Predicted: " in out
    assert "Accuracy of the network on the 8 test images" in out
    assert out.count("Accuracy for class: ") == 10
    assert (tmp_path / "cifar_net.pth").is_file()


def load_port(name):
    spec = importlib.util.spec_from_file_location(f"port_{name}", PORTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_resnet18_port_trains_checkpoints_and_resumes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RESNET_PORT_SIZES", "2,10")
    port = load_port("resnet18_cifar")
    net = port.ResNet18()
    assert sum(p.numel() for p in net.parameters()) == 11_173_962     # torch's count
    args = ["--epochs", "1", "--batch-size", "2", "--max-batches", "1", "--lr", "0.01"]
    best = port.main(args)
    out = capsys.readouterr().out
    assert "1/1 Loss: " in out and "Test Loss: " in out
    assert best > 0 and "Saving.." in out                 # seeded: some of the 10 are right
    checkpoint = mg.load(tmp_path / "checkpoint" / "ckpt.pth")
    assert checkpoint["epoch"] == 0 and checkpoint["acc"] == best
    assert "layer4.1.bn2.num_batches_tracked" in checkpoint["net"]
    port.main(args + ["--resume"])
    assert "Epoch: 1" in capsys.readouterr().out


@pytest.mark.slow
def test_mnist_port_reaches_97_percent_on_mnist_5k(tmp_path):
    out = run_port("mnist", tmp_path, "--epochs", "4", "--test-batch-size", "250",
                   timeout=1800)
    accuracies = [float(a) for a in re.findall(r"Accuracy: \d+/\d+ \(([\d.]+)%\)", out)]
    assert accuracies and accuracies[-1] >= 97.0, out


def test_readme_lists_every_port():
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Porting PyTorch scripts\n", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `(\w+)` \|", section, re.M)
    assert listed == ["mnist", "cifar10_tutorial", "polynomial_autograd",
                      "polynomial_custom_function", "polynomial_nn_optim", "dynamic_net",
                      "resnet18_cifar"]
    assert sorted(listed) == NAMES
