"""Hooks: removable handles, and running a tensor's gradient hooks.

`Tensor.register_hook`, `Tensor.register_post_accumulate_grad_hook` and nn.Module's
`register_forward_hook` / `register_forward_pre_hook` all keep their hooks in an ordered dict
and return a `RemovableHandle`, as PyTorch's `torch.utils.hooks.RemovableHandle`:

    handle = t.register_hook(lambda grad: grad * 2)
    ...
    handle.remove()          # the hook no longer runs; removing twice is harmless
"""
import itertools

__all__ = ["RemovableHandle"]

_NEXT_ID = itertools.count()


class RemovableHandle:
    """Returned by every `register_*hook`; `remove()` unregisters the hook.

    Also a context manager: `with t.register_hook(fn): ...` removes it on exit.
    """

    __slots__ = ("hooks", "id")

    def __init__(self, hooks: dict):
        self.hooks = hooks
        self.id = next(_NEXT_ID)

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.remove()
        return False

    def __repr__(self):
        return f"<RemovableHandle id={self.id}>"


def add_hook(hooks: dict, fn, prepend: bool = False) -> RemovableHandle:
    """Put `fn` into `hooks` (last, or first with `prepend`) and return its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = fn
    if prepend:
        for key in [key for key in hooks if key != handle.id]:
            hooks[key] = hooks.pop(key)          # move the others behind the new one
    return handle


def check_callable(fn, caller: str) -> None:
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

    def __init__(self):
        self.grad = {}
        self.post_accumulate = {}
