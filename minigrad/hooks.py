"""Hooks: removable handles, and running a tensor's gradient hooks.

`Tensor.register_hook`, `Tensor.register_post_accumulate_grad_hook` and nn.Module's
`register_forward_hook` / `register_forward_pre_hook` all keep their hooks in an ordered dict
and return a `RemovableHandle`, as PyTorch's `torch.utils.hooks.RemovableHandle`:

    handle = t.register_hook(lambda grad: grad * 2)
    ...
    handle.remove()          # the hook no longer runs; removing twice is harmless
"""

from __future__ import annotations

import itertools
from typing import Any, Callable, Literal

__all__ = ["RemovableHandle", "ToolHooks", "TOOLS"]

_NEXT_ID = itertools.count()


class RemovableHandle:
    """Returned by every `register_*hook`; `remove()` unregisters the hook.

    Also a context manager: `with t.register_hook(fn): ...` removes it on exit.
    """

    __slots__ = ("hooks", "id")

    def __init__(self, hooks: dict) -> None:
        self.hooks = hooks
        self.id = next(_NEXT_ID)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        self.remove()
        return False

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def add_hook(hooks: dict[int, Any], fn: Any, prepend: bool = False) -> RemovableHandle:
    """Put `fn` into `hooks` (last, or first with `prepend`) and return its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    if prepend:
        for key in [key for key in hooks if key != handle.id]:
            hooks[key] = hooks.pop(key)          # move the others behind the new one
    return handle


def check_callable(fn: Callable[..., Any], caller: str) -> None:
    if not callable(fn):
        raise TypeError(f"{caller}: the hook must be callable, got {type(fn).__name__}; pass a "
                        "function such as `lambda grad: grad * 2`")


class GradHooks:
    """A tensor's gradient hooks: `grad` (called with its gradient, may replace it) and, for
    a leaf, `post_accumulate` (called with the tensor once backward accumulated its .grad).

    A leaf keeps them in `tensor._hooks`; an op's output keeps them on its graph node
    (`grad_fn.hooks`), where the backward sweep meets its summed gradient.
    """

    __slots__ = ("grad", "post_accumulate")
    grad: dict[int, Callable[..., Any]]
    post_accumulate: dict[int, Callable[..., Any]]

    def __init__(self) -> None:
        self.grad = {}
        self.post_accumulate = {}


class ToolHooks:
    """The one registry through which tools (anomaly detection, the gradient ledger, the
    backward trace, viz's module recording) see the autodiff core; the core knows no tool.

    A tool is any object with some of these methods, subscribed with `subscribe(tool)`:
        record(ctx, output)          an op ran (forward): `output.grad_fn is ctx` when it was
                                     recorded in the graph, None when it was not (no input
                                     needed a gradient, or under no_grad)
        visit(node, grad)            backward is about to run `node` with its output's
                                     summed gradient (an array)
        contribute(node, tensor, g)  `node` sent gradient `g` (an array, already of the
                                     input's shape) to its input `tensor`
    Tools are called in subscription order. The core reads two fields: `record` and
    `backward` are None while no tool needs them, so normal runs pay one test per op and
    one per backward.
    """

    __slots__ = ("record", "backward", "_tools")
    record: Callable[..., Any] | None
    backward: _BackwardTools | None
    _tools: dict[int, Any]

    def __init__(self) -> None:
        self._tools = {}
        self.record = None
        self.backward = None

    def subscribe(self, tool: Any) -> RemovableHandle:
        """Add `tool`; returns a handle whose `remove()` unsubscribes it."""
        handle = _ToolHandle(self._tools, self)
        self._tools[handle.id] = tool
        self._refresh()
        return handle

    def _refresh(self) -> None:
        tools = tuple(self._tools.values())
        recorders = tuple(tool.record for tool in tools if hasattr(tool, "record"))
        self.record = None if not recorders else (
            recorders[0] if len(recorders) == 1 else _fan_out(recorders))
        observers = tuple(tool for tool in tools
                          if hasattr(tool, "visit") or hasattr(tool, "contribute"))
        self.backward = _BackwardTools(observers) if observers else None


class _ToolHandle(RemovableHandle):
    __slots__ = ("registry",)

    def __init__(self, hooks: dict, registry: ToolHooks) -> None:
        super().__init__(hooks)
        self.registry = registry

    def remove(self) -> None:
        super().remove()
        self.registry._refresh()


def _fan_out(callbacks: tuple[Callable[..., Any], ...]) -> Callable[..., None]:
    def call_each(*args: Any) -> None:
        for callback in callbacks:
            callback(*args)
    return call_each


class _BackwardTools:
    """What `run_backward` calls: each subscribed tool's visit / contribute, in order."""

    __slots__ = ("visits", "contributions")

    def __init__(self, tools: tuple) -> None:
        self.visits = tuple(tool.visit for tool in tools if hasattr(tool, "visit"))
        self.contributions = tuple(tool.contribute for tool in tools
                                   if hasattr(tool, "contribute"))

    def visit(self, node: Any, grad: Any) -> None:
        for visit in self.visits:
            visit(node, grad)

    def contribute(self, node: Any, tensor: Any, grad: Any) -> None:
        for contribute in self.contributions:
            contribute(node, tensor, grad)


TOOLS = ToolHooks()
