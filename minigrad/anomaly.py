"""Anomaly detection: `with mg.detect_anomaly():` stops at the first NaN or Inf.

    with mg.detect_anomaly():
        loss = model(x).log().mean()      # RuntimeError here if log() makes a NaN/Inf
        loss.backward()                   # ... or here if a gradient becomes NaN/Inf

Inside the block every recorded op remembers the line of user code that created it
(`creation_site(node)`, minigrad's and nn's own frames skipped), its output is checked in
forward, and every gradient is checked in backward. The error names the op and that line.
The block subscribes one tool to the core's registry (`minigrad.hooks.TOOLS`); outside it
nothing is recorded or checked: `Function.apply` and `run_backward` each test one attribute
that is None.

Forward checks cover recorded ops (those that take part in backward) and report where a NaN
or Inf first appears: an op whose inputs were free of it. Values that merely pass through are
not reported again. A NaN that enters from data, or from ops run without gradient tracking, is
reported at the first recorded op that consumes it. An Inf that enters on purpose (a -inf
mask, -inf padding of max pooling, a scalar argument such as `mg.where(mask, x, -np.inf)`) is
not an anomaly; the NaN it may lead to (inf - inf) is.
"""
from typing import Any, Literal
import contextlib
import linecache
import os
import sys
import types
import weakref

import numpy as np

from .backend import array_module
from .hooks import TOOLS
from .tensor import Tensor

_DEPTH = 0                          # how many detect_anomaly blocks are open
# graph node -> CreationSite, for the ops recorded inside a detect_anomaly block
_SITES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class CreationSite(tuple):
    """(filename, lineno, function, source line) of the user code that created an op."""

    __slots__ = ()

    def __new__(cls, filename: str, lineno: int, function: str, line: str) -> "CreationSite":
        return super().__new__(cls, (filename, lineno, function, line))

    def __str__(self) -> str:
        filename, lineno, function, line = self
        text = f"{filename}:{lineno} in {function}"
        return f"{text}: {line}" if line else text


def _library_dirs() -> tuple:
    """Folders whose frames are not user code: minigrad itself and nn (when imported)."""
    dirs = [_PACKAGE_DIR]
    nn_module = sys.modules.get("nn")
    nn_file = getattr(nn_module, "__file__", None)
    if nn_file:
        dirs.append(os.path.dirname(os.path.abspath(nn_file)) + os.sep)
    return tuple(dirs)


def _creation_site(library_dirs: tuple) -> CreationSite | None:
    """The innermost frame outside minigrad/nn (the innermost frame of all as a fallback)."""
    frame: types.FrameType | None = sys._getframe(2)
    innermost = None
    while frame is not None:
        code = frame.f_code
        filename = os.path.abspath(code.co_filename)
        if innermost is None:
            innermost = frame
        if not filename.startswith(library_dirs) and filename != contextlib.__file__:
            break
        frame = frame.f_back
    frame = frame or innermost
    if frame is None:
        return None
    code = frame.f_code
    line = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return CreationSite(code.co_filename, frame.f_lineno, code.co_name, line)


def _describe(array: Any) -> str:
    """'NaN', 'Inf' or 'NaN and Inf', with how many of the elements."""
    xp = array_module(array)
    nan = int(xp.isnan(array).sum())
    inf = int(xp.isinf(array).sum())
    kinds = " and ".join(k for k, n in (("NaN", nan), ("Inf", inf)) if n)
    return f"{kinds} ({nan + inf} of {array.size} elements)"


def _finite(array: Any) -> bool:
    if not hasattr(array, "dtype"):
        array = np.asarray(array)
    return array.dtype.kind not in "fc" or bool(array_module(array).isfinite(array).all())


def creation_site(node: Any) -> "CreationSite | None":
    """Where the user's code created the op of graph node `node` (e.g. `y.grad_fn`), when
    it was recorded inside `detect_anomaly()`; None otherwise."""
    return _SITES.get(node)


def _where(ctx: Any) -> str:
    site = _SITES.get(ctx)
    return f"created at {site}" if site is not None else "created outside detect_anomaly"


def _origin(tensor: Any) -> str:
    if tensor.grad_fn is not None:
        return f"made by {tensor.grad_fn.name} before detect_anomaly was entered"
    if tensor.requires_grad:
        return "a leaf tensor"
    return "data, or the result of ops run without gradient tracking"


class _AnomalyTool:
    """Subscribed to the core while a detect_anomaly block is open: remembers creation sites
    and checks every op's output (record) and every gradient (visit, contribute)."""

    def __init__(self) -> None:
        self.library_dirs = _library_dirs()

    def record(self, ctx: Any, result: Any) -> None:
        if result.grad_fn is None:            # not in the graph: nothing to check
            return
        _SITES[ctx] = _creation_site(self.library_dirs)
        _check_output(ctx, result.data)

    def visit(self, node: Any, grad: Any) -> None:
        if not _finite(grad):
            raise RuntimeError(
                f"detect_anomaly: the gradient reaching {node.name} ({_where(node)}) holds "
                f"{_describe(grad)}; it is the sum of the gradients from the op's "
                "uses, or the gradient given to backward() — a sum that overflowed, or a bad "
                "gradient= argument; scale the loss down or check gradient=")

    def contribute(self, node: Any, tensor: Any, grad: Any) -> None:
        if not _finite(grad):
            position = next((i for i, t in enumerate(node.inputs) if t is tensor), "?")
            raise RuntimeError(
                f"detect_anomaly: {node.name}.backward produced {_describe(grad)} in the "
                f"gradient of its input {position} (shape {tuple(tensor.shape)}); the op was "
                f"{_where(node)}; the incoming gradient was finite, so the op's derivative "
                "is not finite at these inputs (e.g. sqrt or log at 0) — keep inputs away from "
                "such points, e.g. with clamp or an epsilon")


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager (or decorator): raise RuntimeError at the first NaN/Inf in forward
    or backward, naming the op and the line of user code that created it.

    Costs time (every output and gradient is scanned, every op records its creation line):
    use it to debug, not to train. Nesting is allowed.
    """

    def _recreate_cm(self) -> "detect_anomaly":
        return type(self)()          # a fresh instance per decorated call, so calls may nest

    def __enter__(self) -> "detect_anomaly":
        global _DEPTH, _SUBSCRIPTION
        if _DEPTH == 0:
            _SUBSCRIPTION = TOOLS.subscribe(_AnomalyTool())
        _DEPTH += 1
        return self

    def __exit__(self, *exc_info: Any) -> Literal[False]:
        global _DEPTH, _SUBSCRIPTION
        _DEPTH -= 1
        if _DEPTH == 0:
            _SUBSCRIPTION.remove()
            _SUBSCRIPTION = None
        return False


_SUBSCRIPTION: Any = None          # the TOOLS RemovableHandle while detection is on


def _check_output(ctx: Any, out: Any) -> None:
    """Raise when a recorded op's output holds a NaN/Inf that the op itself made."""
    if _finite(out):
        return
    tensors = [(i, t) for i, t in enumerate(ctx.inputs) if isinstance(t, Tensor)]
    if _has(out, "isnan"):
        with_nan = [(i, t) for i, t in tensors if _has(t.data, "isnan")]
        if not with_nan:
            _raise(ctx, out, "; its inputs held no NaN, so this op made it (e.g. "
                   "log of a negative number, 0/0, inf - inf, 0 * inf)")
        from_data = [(i, t) for i, t in with_nan if t.grad_fn is None]
        if from_data:
            listed = ", ".join(f"input {i} (shape {tuple(t.shape)}, {_origin(t)})"
                               for i, t in from_data)
            _raise(ctx, out, f"; its {listed} already held NaN when it arrived "
                   "— check the data, or the ops that made that input")
        return                     # NaN from a recorded op made before the block
    scalars = [a for a in ctx.inputs if isinstance(a, (float, np.floating))]
    if not any(_has(t.data, "isinf") for _, t in tensors) and all(map(np.isfinite, scalars)):
        _raise(ctx, out, "; its inputs were all finite, so this op made it "
               "(e.g. log of 0, division by 0, exp overflow)")


def _raise(ctx: Any, out: Any, cause: Any) -> None:
    raise RuntimeError(f"detect_anomaly: {ctx.name} produced {_describe(out)} in forward, "
                       f"output shape {tuple(out.shape)}, {_where(ctx)}{cause}")


def _has(array: Any, test: str) -> bool:
    """Does a floating `array` hold any element for which xp.<test> (isnan, isinf) is true?"""
    return array.dtype.kind in "fc" and bool(getattr(array_module(array), test)(array).any())


def is_anomaly_enabled() -> bool:
    """True inside `detect_anomaly()`."""
    return _DEPTH > 0
