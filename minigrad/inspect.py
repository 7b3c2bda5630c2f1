"""Seeing inside backward: the per-use gradient ledger and the step-by-step trace.

    with mg.inspect.record_contributions(w=w) as ledger:
        loss.backward()
    ledger[w]          # [Contribution(op='mul', grad=array(...)), ...] in the order received
    ledger.total(w)    # their sum == what this backward added to w.grad
    print(ledger)

    with mg.inspect.trace_backward(x=x, w=w) as trace:
        y.backward()
    print(trace)       # each node in the order backward runs it, what it sends, the sums
    trace.frames()     # one DOT picture per step

Both are opt-in: they install a backward observer for the `with` block only; outside it
backward does no extra work. Keyword arguments name tensors in the printed text.
"""
from typing import Any, Iterator, NamedTuple

import numpy as np

from . import _graph
from ._observe import BackwardObserver, named_tensors
from ._trace import BackwardTrace, TraceStep, trace_backward

__all__ = ["record_contributions", "GradientLedger", "Contribution", "trace_backward",
           "BackwardTrace", "TraceStep"]


class Contribution(NamedTuple):
    """One gradient sent to a tensor by one use of it: the op's name and the array
    (already summed back to the tensor's shape, as it is added to `.grad`)."""
    op: str
    grad: np.ndarray


class GradientLedger(BackwardObserver):
    """For chosen tensors, every gradient contribution one backward sends them, per use.

    `ledger[t]` is the list of `Contribution(op, grad)` in the order backward sent them;
    `ledger.total(t)` their sum, which is exactly what the backward(s) inside the block added
    to `t.grad` (for a leaf). Recording no tensors in particular records every leaf.
    """

    def __init__(self, tensors: dict | None = None) -> None:
        self._every_leaf = not tensors
        self._names = {key: name for key, (name, _) in (tensors or {}).items()}
        self._tensors = {key: tensor for key, (_, tensor) in (tensors or {}).items()}
        self._entries: dict = {key: [] for key in self._tensors}

    def contribute(self, node: Any, tensor: Any, grad: Any) -> None:
        key = id(tensor)
        if key not in self._entries:
            if not self._every_leaf or tensor.grad_fn is not None:
                return
            self._names[key] = f"leaf {len(self._entries)}"
            self._tensors[key] = tensor
            self._entries[key] = []
        self._entries[key].append(Contribution(_graph.op_name(node), np.array(grad, copy=True)))

    def _key(self, tensor: Any) -> int:
        if id(tensor) not in self._entries:
            shape = getattr(tensor, "shape", None)
            raise KeyError(f"GradientLedger: this tensor (shape {shape}) was not recorded; pass "
                           "it to record_contributions(...) (or pass none to record every leaf)")
        return id(tensor)

    def __getitem__(self, tensor: Any) -> list:
        return list(self._entries[self._key(tensor)])

    def __contains__(self, tensor: Any) -> bool:
        return id(tensor) in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._tensors[key] for key in self._entries)

    def name(self, tensor: Any) -> str:
        return self._names[self._key(tensor)]

    def total(self, tensor: Any) -> np.ndarray:
        """The sum of the contributions (zeros when none arrived)."""
        key = self._key(tensor)
        total = np.zeros(self._tensors[key].shape, dtype=self._tensors[key].dtype)
        for contribution in self._entries[key]:
            total = total + contribution.grad
        return total

    def __str__(self) -> str:
        lines = [f"GradientLedger: {len(self)} tensor(s)"]
        for key, entries in self._entries.items():
            tensor = self._tensors[key]
            lines.append(f"{self._names[key]} {tensor.shape} {tensor.dtype}: "
                         f"{len(entries)} contribution(s)")
            shown: list = list(enumerate(entries, 1))
            if len(shown) > 8:
                shown = shown[:5] + [None] + shown[-2:]
            width = len(str(len(entries)))
            for item in shown:
                if item is None:
                    lines.append(f"  ... {len(entries) - 7} more ...")
                    continue
                number, (op, grad) = item
                lines.append(f"  #{number:<{width}}  from {op:<8} "
                             f"{_graph.format_array(grad, 9)}")
            lines.append(f"  sum{' ' * (width + 13)}{_graph.format_array(self.total(tensor), 9)}"
                         f"   <- what backward added to .grad")
        return "\n".join(lines)

    __repr__ = __str__


def record_contributions(*tensors: Any, **named: Any) -> GradientLedger:
    """A context manager that keeps every gradient contribution backward sends to `tensors`.

        with mg.inspect.record_contributions(w=kernel) as ledger:
            loss.backward()
        assert np.allclose(ledger.total(kernel), kernel.grad.data)

    Pass Tensors, name=tensor keywords, a dict or `model.named_parameters()`; pass nothing
    to record every leaf. Intermediate (non-leaf) tensors may be recorded too.
    """
    return GradientLedger(named_tensors(tensors, named, "record_contributions"))
