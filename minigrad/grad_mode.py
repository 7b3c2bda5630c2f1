"""Gradient recording switch: `no_grad`, `enable_grad`, `set_grad_enabled`, `is_grad_enabled`.

The flag is per thread, as in PyTorch: `Function.apply` reads `STATE.enabled`, and a
`no_grad` block in one thread never turns recording off in another. Every new thread starts
with recording on. The three switches restore the previous value on exit, so they nest, and
each also works as a decorator: `@mg.no_grad`, `@mg.no_grad()`, `@mg.set_grad_enabled(False)`,
on plain functions and on generator functions (the mode holds while the generator body runs,
not while its consumer runs between two `next()` calls).
"""
from __future__ import annotations

import functools
import inspect
import threading
from typing import Any, Callable, Literal, TypeVar, cast

_F = TypeVar("_F", bound=Callable[..., Any])


class _GradState(threading.local):
    """`enabled` has its own value in each thread; `__init__` runs once per thread."""

    def __init__(self) -> None:
        self.enabled = True


STATE = _GradState()


def is_grad_enabled() -> bool:
    """True when new operations are recorded in the graph (in the calling thread)."""
    return STATE.enabled


class _GradModeSwitch:
    """Shared by the three switches: context-manager protocol and decoration."""

    mode = True

    def _fresh(self) -> _GradModeSwitch:
        """A new, unentered switch with the same mode (each decorated call needs its own)."""
        return type(self)()

    def __enter__(self) -> _GradModeSwitch:
        self._previous = STATE.enabled
        STATE.enabled = self.mode
        return self

    def __exit__(self, *exc_info: object) -> Literal[False]:
        STATE.enabled = self._previous
        return False

    def __call__(self, fn: _F) -> _F:
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: can decorate a function, got "
                            f"{type(fn).__name__}; use it as `with mg.{type(self).__name__}"
                            "(...):` or `@mg.{type(self).__name__}` on a def")
        if inspect.isgeneratorfunction(fn):
            return cast(_F, _wrap_generator_function(self._fresh, fn))

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return fn(*args, **kwargs)
        return cast(_F, wrapper)


def _wrap_generator_function(make_switch: Callable[[], Any], fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run each step of the generator (start, every send/throw, close) under a new switch."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        generator = fn(*args, **kwargs)
        step, value = generator.send, None
        while True:
            try:
                with make_switch():
                    produced = step(value)
            except StopIteration as finished:
                return finished.value
            try:
                value = yield produced
                step = generator.send
            except GeneratorExit:
                with make_switch():
                    generator.close()
                raise
            except BaseException as error:          # thrown into us: pass it on, in mode
                step, value = generator.throw, error
    return wrapper


class _NoArgumentSwitch(_GradModeSwitch):
    """`no_grad` and `enable_grad` decorate with or without parentheses, as in PyTorch."""

    def __new__(cls, fn: Callable[..., Any] | None = None) -> Any:
        switch = super().__new__(cls)
        return switch if fn is None else switch(fn)


class no_grad(_NoArgumentSwitch):
    """Context manager (or decorator) under which nothing is recorded for backward."""
    mode = False


class enable_grad(_NoArgumentSwitch):
    """Context manager (or decorator) that turns recording back on, e.g. inside `no_grad`."""
    mode = True


class set_grad_enabled(_GradModeSwitch):
    """Turn recording on or off: as a call (takes effect at once, like PyTorch's), as a
    context manager (restores the previous mode on exit) or as a decorator."""

    def __init__(self, mode: bool) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got "
                            f"{type(mode).__name__} {mode!r}")
        self.mode = mode
        self._previous = STATE.enabled
        STATE.enabled = mode

    def _fresh(self) -> _GradModeSwitch:
        previous = STATE.enabled            # constructing switches the mode: undo that here
        switch = type(self)(self.mode)
        STATE.enabled = previous
        return switch

    def __enter__(self) -> _GradModeSwitch:
        STATE.enabled = self.mode           # already set by __init__ unless reused
        return self

    def __call__(self, fn: _F) -> _F:
        STATE.enabled = self._previous      # `@set_grad_enabled(False)` must not switch now
        return super().__call__(fn)
