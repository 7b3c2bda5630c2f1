"""Installing a backward observer for the duration of a `with` block.

`run_backward` tells the observer in `minigrad.tensor._OBSERVER.current` about each node it
visits (`visit(node, grad)`) and each gradient an op sends to an input (`contribute(node,
tensor, grad)`). Observers nest: a new one forwards every event to the one it replaced, and
leaving the block puts that one back. With no observer installed backward pays nothing.
"""
from .tensor import _OBSERVER, Tensor


class _Chained:
    """Passes each event to the earlier observer, then to the newer one."""

    __slots__ = ("first", "second")

    def __init__(self, first, second):
        self.first, self.second = first, second

    def visit(self, node, grad):
        self.first.visit(node, grad)
        self.second.visit(node, grad)

    def contribute(self, node, tensor, grad):
        self.first.contribute(node, tensor, grad)
        self.second.contribute(node, tensor, grad)


class BackwardObserver:
    """Base class: a context manager that observes every backward() run inside it."""

    def __enter__(self):
        if getattr(self, "_active", False):
            raise RuntimeError(f"{type(self).__name__}: this object is already recording; "
                               "use a new one for a nested block")
        self._active = True
        self._previous = _OBSERVER.current
        _OBSERVER.current = self if self._previous is None else _Chained(self._previous, self)
        return self

    def __exit__(self, *exc_info):
        _OBSERVER.current = self._previous
        self._active = False
        return False

    def visit(self, node, grad):
        """Called before `node.backward` runs, with the summed gradient of its output."""

    def contribute(self, node, tensor, grad):
        """Called for each gradient `node` sends to its input `tensor`."""


def named_tensors(args: tuple, named: dict, caller: str) -> dict:
    """Tensors given as positional Tensors, a dict / (name, tensor) pairs such as
    `model.named_parameters()`, or keywords -> {id(tensor): (name, tensor)}."""
    chosen = {}
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
