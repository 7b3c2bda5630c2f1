"""Observing backward for the duration of a `with` block.

A `BackwardObserver` subscribes itself to the core's tool registry (`minigrad.hooks.TOOLS`)
on entry and unsubscribes on exit: `run_backward` then tells it about each node it visits
(`visit(node, grad)`) and each gradient an op sends to an input (`contribute(node, tensor,
grad)`). Several observers may be active; each sees every event, earlier ones first. With
none subscribed backward pays nothing.
"""
from typing import Any, Literal, Self
from .hooks import TOOLS
from .tensor import Tensor


class BackwardObserver:
    """Base class: a context manager that observes every backward() run inside it."""

    _subscription: Any                  # a TOOLS RemovableHandle while recording, else None

    def __enter__(self) -> Self:
        if getattr(self, "_subscription", None) is not None:
            raise RuntimeError(f"{type(self).__name__}: this object is already recording; "
                               "use a new one for a nested block")
        self._subscription = TOOLS.subscribe(self)
        return self

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        self._subscription.remove()
        self._subscription = None
        return False

    def visit(self, node: Any, grad: Any) -> None:
        """Called before `node.backward` runs, with the summed gradient of its output."""

    def contribute(self, node: Any, tensor: Any, grad: Any) -> None:
        """Called for each gradient `node` sends to its input `tensor`."""


def named_tensors(args: tuple, named: dict, caller: str) -> dict:
    """Tensors given as positional Tensors, a dict / (name, tensor) pairs such as
    `model.named_parameters()`, or keywords -> {id(tensor): (name, tensor)}."""
    chosen: dict = {}
    for position, arg in enumerate(args):
        if isinstance(arg, Tensor):
            chosen.setdefault(id(arg), (f"tensor {position}", arg))
            continue
        try:
            pairs = list(arg.items() if isinstance(arg, dict) else arg)
            for name, tensor in pairs:
                if not isinstance(tensor, Tensor):
                    raise TypeError
                chosen.setdefault(id(tensor), (str(name), tensor))
        except (TypeError, ValueError):
            raise TypeError(f"{caller}: argument {position} is a {type(arg).__name__}; pass "
                            "Tensors, name=tensor keywords, a dict of tensors or "
                            "model.named_parameters()") from None
    for name, tensor in named.items():
        if not isinstance(tensor, Tensor):
            raise TypeError(f"{caller}: {name}= must be a Tensor, got {type(tensor).__name__}")
        chosen[id(tensor)] = (name, tensor)
    return chosen
