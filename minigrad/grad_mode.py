"""Gradient recording switch: `no_grad`, `enable_grad`, `is_grad_enabled`.

One module-level flag read by `Function.apply`; the context managers flip it and restore
the previous value on exit, so they nest. Both also work as decorators.
"""
import functools


class _GradState:
    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = True


STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph."""
    return STATE.enabled


class _SetGradMode:
    mode = True

    def __enter__(self):
        self._previous = STATE.enabled
        STATE.enabled = self.mode
        return self

    def __exit__(self, *exc_info):
        STATE.enabled = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_SetGradMode):
    """Context manager (or decorator) under which nothing is recorded for backward."""
    mode = False


class enable_grad(_SetGradMode):
    """Context manager (or decorator) that turns recording back on, e.g. inside `no_grad`."""
    mode = True
