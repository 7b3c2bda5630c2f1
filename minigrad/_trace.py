"""The backward trace: a step-by-step log of the chain rule, as text and as DOT frames.

Each step is one node in the order backward runs it: the op, the gradient of its output
(the sum of what its consumers sent), the rule it applies, what it sends to each input and the
running sum at that input (`.grad` so far for a leaf, the pending sum for an intermediate
tensor). For small graphs: arrays with at most `max_elements` elements are printed in full.
"""
from typing import Any

import numpy as np

from . import _graph
from ._observe import BackwardObserver, named_tensors

_RULES = {
    "Add": "d(a+b)/da = 1, d(a+b)/db = 1: the gradient passes through unchanged",
    "Sub": "d(a-b)/da = 1, d(a-b)/db = -1",
    "Mul": "d(a*b)/da = b, d(a*b)/db = a",
    "Div": "d(a/b)/da = 1/b, d(a/b)/db = -a/b^2",
    "Neg": "d(-a)/da = -1",
    "Pow": "d(a^p)/da = p*a^(p-1), d(a^p)/dp = a^p*log(a)",
    "Exp": "d(exp a)/da = exp a",
    "Log": "d(log a)/da = 1/a",
    "Sqrt": "d(sqrt a)/da = 1/(2 sqrt a)",
    "Tanh": "d(tanh a)/da = 1 - tanh(a)^2",
    "Sigmoid": "d(sigmoid a)/da = s*(1-s), s = sigmoid a",
    "ReLU": "d(relu a)/da = 1 where a > 0, else 0",
    "Abs": "d|a|/da = sign(a)",
    "Maximum": "the gradient goes to the larger input (ties split it evenly)",
    "Minimum": "the gradient goes to the smaller input (ties split it evenly)",
    "Clamp": "d(clamp a)/da = 1 inside [min, max], 0 outside",
    "Where": "the gradient goes to a where the condition holds, to b elsewhere",
    "Cast": "the gradient is cast back to the input's dtype",
    "Sum": "every summed element receives the upstream gradient (broadcast back)",
    "Max": "the gradient goes to the (first) maximum of each reduced group",
    "Reshape": "the gradient is reshaped back to the input's shape",
    "Permute": "the gradient's axes are permuted back",
    "Expand": "the gradient is summed over the expanded axes",
    "Pad": "the padding is cut off the gradient",
    "Cat": "the gradient is split back into the concatenated pieces",
    "GetItem": "the gradient is scattered into zeros at the indexed positions",
    "MatMul": "grad_a = grad @ b^T, grad_b = a^T @ grad",
    "SlidingWindow": "col2im: each window's gradient is added back onto the pixels it read",
}
_ELEMENTWISE = {"Add", "Sub", "Mul", "Div", "Neg", "Pow", "Exp", "Log", "Sqrt", "Tanh",
                "Sigmoid", "ReLU", "Abs", "Maximum", "Minimum", "Clamp", "Where"}


class Send:
    """What one step sent to one input: the gradient and the running sum there afterwards."""

    __slots__ = ("position", "target", "grad", "running", "leaf", "edge", "received", "uses")

    def __init__(self, position: Any, target: Any, grad: Any, running: Any, leaf: Any,
                 edge: Any, received: Any, uses: Any) -> None:
        self.position, self.target, self.grad = position, target, grad
        self.running, self.leaf, self.edge = running, leaf, edge
        self.received, self.uses = received, uses     # contributions in so far / expected


class TraceStep:
    """One node's backward: `op` (its graph node), `upstream`, `local` (the elementwise local
    derivative per input position, for elementwise ops), `rule`, `sends`."""

    def __init__(self, index: Any, model: Any, op: Any, upstream: Any, local: Any,
                 rule: Any) -> None:
        self.index, self.model, self.op = index, model, op
        self.upstream, self.local, self.rule = upstream, local, rule
        self.sends: list[Send] = []


def _local_derivatives(node: Any, grad: Any, op: Any) -> dict | None:
    """For an elementwise op without broadcasting: its backward applied to ones, i.e.
    d out / d input per element (computed on the side, before the real backward)."""
    if node.name not in _ELEMENTWISE:
        return None
    tensors = [(i, t) for i, t in enumerate(node.inputs) if hasattr(t, "grad_fn")]
    if any(tuple(t.shape) != op.shape for _, t in tensors):
        return None
    try:
        raw = node.function.backward(node, np.ones_like(grad))
    except Exception:                       # a derivative for display only; never break backward
        return None
    raw = raw if isinstance(raw, (tuple, list)) else (raw,)
    if len(raw) != len(node.inputs):
        raw = [raw[k] if k < len(raw) else None for k in range(len(tensors))]
        return {i: np.asarray(g) for (i, _), g in zip(tensors, raw) if g is not None}
    return {i: np.asarray(raw[i]) for i, _ in tensors if raw[i] is not None}


class BackwardTrace(BackwardObserver):
    """Records every backward step inside its `with` block; `print(trace)` to read it,
    `trace.steps` for the data, `trace.frames()` for one DOT picture per step."""

    def __init__(self, names: dict | None = None, max_elements: int = 9) -> None:
        self.steps: list[TraceStep] = []
        self.max_elements = max_elements
        self._names = {key: name for key, (name, _) in (names or {}).items()}
        self._model: Any = None
        self._edges: dict = {}
        self._running: dict = {}
        self._received: dict = {}

    # --- observer protocol --------------------------------------------------------------
    def visit(self, node: Any, grad: Any) -> None:
        model = self._model
        if model is None or node not in model.op_of or model.op_of[node].id == "op0":
            # the first node of a backward() call: the whole graph is still intact
            model = _graph.build(node, self._names, grad.shape, grad.dtype)
            self._model, self._edges = model, model.edge_index()
            self._running, self._received = {}, {}
        op = model.op_of[node]
        local = _local_derivatives(node, grad, op)
        rule = _RULES.get(node.name, f"{node.name}.backward (a custom Function)")
        self.steps.append(TraceStep(len(self.steps) + 1, model, op, np.array(grad, copy=True),
                                    local, rule))

    def contribute(self, node: Any, tensor: Any, grad: Any) -> None:
        step = self.steps[-1]
        taken = {send.position for send in step.sends}
        position = next(i for i, t in enumerate(node.inputs) if t is tensor and i not in taken)
        key = id(tensor)
        leaf = tensor.grad_fn is None
        if key not in self._running:
            start = tensor.grad.data if leaf and tensor.grad is not None else 0
            self._running[key] = np.zeros(tensor.shape, tensor.dtype) + start
        self._running[key] = self._running[key] + grad
        self._received[key] = self._received.get(key, 0) + 1
        if leaf:
            target = self._names.get(key) or self._leaf_id(tensor)
            uses = next((t.uses for t in self._model.tensors if t.tensor is tensor), 1)
        else:
            parent = self._model.op_of[tensor.grad_fn]
            target, uses = f"{parent.id} {parent.name}", parent.uses
        step.sends.append(Send(position, target, np.array(grad, copy=True),
                               self._running[key].copy(), leaf,
                               self._edges.get((node, position)), self._received[key], uses))

    def _leaf_id(self, tensor: Any) -> str:
        for node in self._model.tensors:
            if node.tensor is tensor:
                return f"{node.kind} {node.id}"
        return "leaf"

    # --- reading ------------------------------------------------------------------------
    def _array(self, array: Any) -> str:
        return _graph.format_array(array, self.max_elements)

    def __str__(self) -> str:
        lines = [f"Backward trace: {len(self.steps)} step(s). A node runs once every consumer "
                 "has sent it a gradient (summed); leaves accumulate into .grad."]
        for step in self.steps:
            op = step.op
            lines.append(f"step {step.index}: {op.id} {op.name} {op.args}".rstrip()
                         + f" -> {op.shape} {op.dtype}")
            lines.append(f"  upstream gradient  {self._array(step.upstream)}")
            lines.append(f"  rule               {step.rule}")
            if step.local:
                for position, local in sorted(step.local.items()):
                    lines.append(f"  local d out/d in{position}  {self._array(local)}")
            for send in step.sends:
                what = "upstream * local = " if step.local and send.position in step.local \
                    else ""
                lines.append(f"  -> {send.target} (input {send.position}): {what}"
                             f"{self._array(send.grad)}")
                if send.leaf:
                    where = f"{send.target}.grad so far"
                else:
                    where = f"pending sum at {send.target} ({send.received} of {send.uses} in)"
                lines.append(f"       {where}: {self._array(send.running)}")
        return "\n".join(lines)

    __repr__ = __str__

    def order(self) -> list:
        """The Contexts in the order backward ran them."""
        return [step.op.ctx for step in self.steps]

    def frames(self, show_shapes: bool = True) -> list:
        """One DOT string per step: the node being processed in orange, nodes done in grey,
        edges already swept in blue with the gradient they carried, this step's in orange."""
        from .viz import render
        frames = []
        for k, step in enumerate(self.steps):
            model = step.model
            done = [s for s in self.steps[:k] if s.model is model]
            nodes = {s.op.id: {"fillcolor": "#e9ecef"} for s in done}
            nodes[step.op.id] = {"fillcolor": "#ffe066", "color": "#f08c00", "penwidth": "3"}
            edges = {0: {"color": "#1c7ed6", "penwidth": "2",
                         "label": " " + _graph.format_array(done[0].upstream if done
                                                            else step.upstream)}}
            labels = {}
            for past in done + [step]:
                current = past is step
                for send in past.sends:
                    if send.edge is None:
                        continue
                    edges[send.edge] = {"color": "#f08c00" if current else "#1c7ed6",
                                        "penwidth": "3" if current else "2",
                                        "label": " " + _graph.format_array(send.grad)}
                    if send.leaf:
                        source = model.edges[send.edge].src
                        labels[source] = ["grad so far " + _graph.format_array(send.running)]
            title = (f"step {step.index} of {len(self.steps)}: {step.op.name} {step.op.args}"
                     .rstrip() + " runs (orange); blue: gradients already sent")
            frames.append(render(model, show_shapes, node_extra=nodes, label_extra=labels,
                                 edge_extra=edges, title=title))
        return frames


def trace_backward(*tensors: Any, max_elements: int = 9, **named: Any) -> BackwardTrace:
    """A context manager recording each step of every backward() inside it.

        with mg.inspect.trace_backward(x=x, w=w) as trace:
            y.backward()
        print(trace)

    Name tensors with keywords (or a dict / `model.named_parameters()`) so the text says
    `x` instead of `leaf t0`. Arrays with at most `max_elements` elements print in full.
    """
    return BackwardTrace(named_tensors(tensors, named, "trace_backward"), max_elements)
