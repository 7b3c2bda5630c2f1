"""Regenerate the graph pictures used in the README (SVG, plus PNG for quick viewing).

    python docs/make_pictures.py

Needs the `graphviz` Python package and Graphviz's `dot` program. Writes into docs/:
  reused_leaf.svg        y = sum(x*x + x*w) after backward: x used 3 times, gradients shown
  weight_sharing.svg     a 3x3 kernel applied at the 9 positions of a 5x5 image by indexing
  weight_sharing_conv.svg  the same convolution through sliding_window + one matmul
  mnist_cnn.svg          the Keras MNIST CNN's training graph (batch 128), one cluster per module
  mnist_cnn_collapsed.svg  the same with each layer collapsed into one node
  trace_step_1..4.svg    the backward trace's frames for reused_leaf (the sweep, step by step)
  gradient_graph.svg     the graph of dy/dw for y = sum(tanh(w*x)), built by mg.grad(create_graph=True)
"""
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import minigrad as mg  # noqa: E402
import nn  # noqa: E402

DOCS = ROOT / "docs"


def save(graph, name: str) -> None:
    """graph: a graphviz.Digraph (from draw_graph) or DOT text."""
    if isinstance(graph, str):
        import graphviz
        graph = graphviz.Source(graph)
    for fmt in ("svg", "png"):
        (DOCS / f"{name}.{fmt}").write_bytes(graph.pipe(format=fmt))
    print(f"wrote docs/{name}.svg and .png")


def reused_leaf():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = (x * x + x * w).sum()
    y.backward(retain_graph=True)               # keep the graph to draw it with its gradients
    save(mg.viz.draw_graph(y, params={"x": x, "w": w}, show_grads=True), "reused_leaf")
    x.grad = w.grad = None
    with mg.inspect.trace_backward(x=x, w=w) as trace:
        y.backward()
    for step, frame in enumerate(trace.frames(), 1):
        save(frame, f"trace_step_{step}")
    (DOCS / "trace_reused_leaf.txt").write_text(str(trace) + "\n")
    print("wrote docs/trace_reused_leaf.txt")


def weight_sharing():
    image = mg.tensor(np.arange(25, dtype=np.float32).reshape(5, 5) / 10, requires_grad=True)
    kernel = mg.tensor(np.full((3, 3), 0.1, dtype=np.float32), requires_grad=True)
    outs = [(image[i:i + 3, j:j + 3] * kernel).sum() for i in range(3) for j in range(3)]
    y = mg.stack(outs).sum()
    y.backward(retain_graph=True)
    save(mg.viz.draw_graph(y, params={"image": image, "kernel": kernel}, show_grads=True),
         "weight_sharing")
    windows = mg.sliding_window(image.reshape(1, 1, 5, 5), 3)          # (1, 1, 3, 3, 3, 3)
    cols = windows.reshape(9, 9)                                        # one row per position
    out = (cols @ kernel.reshape(9, 1)).reshape(3, 3)                   # all 9 uses in a matmul
    save(mg.viz.draw_graph(out.sum(), params={"image": image, "kernel": kernel}),
         "weight_sharing_conv")


def mnist_cnn():
    mg.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2D(1, 32, kernel_size=3), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(32, 64, kernel_size=3), nn.ReLU(), nn.MaxPool2D(2),
        nn.Flatten(), nn.Dropout(0.5), nn.Dense(64 * 5 * 5, 10))
    x = mg.randn(128, 1, 28, 28)
    target = mg.tensor(np.arange(128) % 10)
    with mg.viz.record_modules(model):                   # clusters: the module that made each op
        loss = nn.functional.cross_entropy(model(x), target)
    save(mg.viz.draw_graph(loss, model=model), "mnist_cnn")
    save(mg.viz.draw_graph(loss, model=model, collapse_modules=True), "mnist_cnn_collapsed")


def gradient_graph():
    """dy/dw for y = sum(tanh(w * x)) built by mg.grad(create_graph=True): the ops of tanh's
    and mul's backward formulas, (1 - t*t) * grad * x, recorded on top of the forward graph
    (t = tanh(w * x) is used twice), so the gradient can be differentiated again."""
    x = mg.tensor(np.array([0.5, -1.0, 2.0]))
    w = mg.tensor(np.array([1.5, 0.25, -0.5]), requires_grad=True)
    y = mg.tanh(w * x).sum()
    (dy_dw,) = mg.grad(y, w, create_graph=True)
    save(mg.viz.draw_graph(dy_dw, params={"w": w}), "gradient_graph")

if __name__ == "__main__":
    reused_leaf()
    weight_sharing()
    mnist_cnn()
    gradient_graph()
