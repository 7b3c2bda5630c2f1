"""`Function`: the one mechanism every differentiable op uses, built-in or user-defined.

A subclass defines `forward(ctx, *args)` and `backward(ctx, grad)` as static methods. `apply()`
unwraps Tensors, runs `forward` on the arrays, wraps the result and, when recording, stores the
`Context` as the output's `grad_fn`: the graph node that `backward()` visits.

The contract (every built-in op follows it):
- `forward` gets arrays (and the plain values it was given) and returns one array.
- What backward needs is kept two ways only: `ctx.save_for_backward(...)` for forward's own
  input arrays and its output array, and plain ctx attributes set in forward for everything
  else (shapes, dims, dtypes, masks, index arrays: constants). `ctx.inputs` belongs to the
  engine; backward never reads it.
- `backward` returns one gradient (or None) per argument of `forward`, in order; an op with
  one argument may return the bare gradient.
- `backward` is written with operators (`grad * y`, `-grad`, `x > 0`, `grad[index]`) and the
  helpers of `minigrad.ops.dual`, which accept arrays and Tensors alike. A plain `backward()`
  hands it arrays (the fast path, no recording); `backward(create_graph=True)` and
  `mg.grad(..., create_graph=True)` hand it Tensors: `grad` and `ctx.saved_tensors` connected
  to the graph, so the very same formula records the ops of the gradient, which can then be
  differentiated again. A formula that calls NumPy functions directly works for the first
  derivative only; under create_graph the engine stops it with an error naming the Function.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .grad_mode import STATE as _GRAD_MODE
from .backend import array_module
from .hooks import TOOLS
from .tensor import Tensor, new_tensor

_FLOAT_KINDS = "fc"


class Context:
    """Per-call state of one op, and its node in the graph.

    Attributes:
        function:          the Function subclass that produced the output
        inputs:            the arguments of `apply` (Tensors and plain values); the engine's
                           and the tools', not backward's
        needs_input_grad:  one bool per argument: is it a Tensor that requires grad
        saved_tensors:     what `forward` passed to `save_for_backward` (arrays; Tensors while
                           a create_graph backward runs the node)
        input_versions:    each Tensor input's version counter when the op ran
        changed_output:    None, or a weak reference to the output Tensor once an in-place
                           op changed it while a saved array is (a view of) it: backward
                           then refuses the node (set by minigrad._inplace, the one place
                           in-place changes happen, so recording an op costs nothing for it)
        freed:             True once backward released the saved arrays (retain_graph=False)
    Ops set further attributes of their own in forward (e.g. `ctx.shape = x.shape`).
    """

    __slots__ = ("function", "inputs", "needs_input_grad", "saved_tensors", "input_versions",
                 "changed_output", "freed", "_hooks", "__dict__", "__weakref__")

    def __init__(self, function: type[Function] | None = None, inputs: tuple[Any, ...] = (),
                 needs_input_grad: tuple[bool, ...] = ()) -> None:
        self.function = function
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.saved_tensors: tuple[Any, ...] = ()
        self.input_versions: tuple[int | None, ...] | None = None
        self.changed_output: Any = None
        self.freed = False
        self._hooks: Any = None          # gradient hooks of the output (Tensor.register_hook)

    def save_for_backward(self, *values: Any) -> None:
        """Keep forward's input arrays and/or its output array for backward (released after
        backward unless retain_graph). Anything else backward needs: a ctx attribute."""
        self.saved_tensors = values

    @property
    def name(self) -> str:
        """The op's name as shown in errors and graphs, e.g. `Mul`."""
        return self.function.__name__ if self.function is not None else "?"

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


# Shared tuples for the common flags and versions of one- and two-argument ops: each tuple an
# op makes is one more object for the garbage collector to track while a graph is built.
_PAIRS = {False: {False: (False, False), True: (False, True)},
          True: {False: (True, False), True: (True, True)}}
_SINGLES = {False: (False,), True: (True,)}
_FRESH, _FRESH_AND_PLAIN = (0,), (0, None)


class Function:
    """Base class of differentiable operations (see the module docstring for the contract).

    Example (twice differentiable: the backward uses operators only):
        class Cube(mg.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return 3 * x ** 2 * grad

        y = Cube.apply(t)

    `backward` returns one gradient per argument of `forward` (None for non-differentiable
    ones). Gradients may have a broadcast shape: the engine sums them back to each input's.
    """

    @staticmethod
    def forward(ctx: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        """Run the op on Tensors (or plain values) and record it for backward when needed."""
        # This runs once per op and its cost is the per-op overhead that
        # benchmarks/op_overhead.py measures, so it is written for speed. First, about each
        # argument: its array for forward, whether it needs a gradient, its version (None for
        # plain values). Ops of one or two arguments (nearly all) take unrolled paths that
        # build no lists; the loop below them is the general case. (Tuples of numbers and
        # bools also cost the garbage collector less than lists: it stops tracking them; the
        # common ones are shared, _PAIRS etc., and cost it nothing.)
        raw: Any
        needs: Any
        versions: Any
        if len(args) == 2:
            a, b = args
            if isinstance(a, Tensor):
                raw_a, needs_a, version_a = a.data, a.requires_grad, a._version
            else:
                raw_a, needs_a, version_a = a, False, None
            if isinstance(b, Tensor):
                raw_b, needs_b, version_b = b.data, b.requires_grad, b._version
            else:
                raw_b, needs_b, version_b = b, False, None
            raw = (raw_a, raw_b)
            try:
                needs = _PAIRS[needs_a][needs_b]
            except (KeyError, TypeError):      # requires_grad set to something not a bool
                needs = (needs_a, needs_b)
            versions = _FRESH_AND_PLAIN if version_a == 0 and version_b is None else (
                version_a, version_b)
        elif len(args) == 1 and isinstance(args[0], Tensor):
            a = args[0]
            raw = (a.data,)
            try:
                needs = _SINGLES[a.requires_grad]
            except (KeyError, TypeError):
                needs = (a.requires_grad,)
            versions = _FRESH if a._version == 0 else (a._version,)
        else:
            raw, needs, versions = [], [], []
            for a in args:
                if isinstance(a, Tensor):
                    raw.append(a.data)
                    needs.append(a.requires_grad)
                    versions.append(a._version)
                else:
                    raw.append(a)
                    needs.append(False)
                    versions.append(None)
            needs, versions = tuple(needs), tuple(versions)
        record = True in needs and _GRAD_MODE.enabled
        ctx = Context(cls, args, needs)
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, TypeError, IndexError, ArithmeticError) as error:
            raise _op_error(cls, args, error) from error
        if type(out) is not np.ndarray:            # a number, or another backend's array
            out = _as_output_array(ctx, out)
        if record and out.dtype.kind in _FLOAT_KINDS:
            ctx.input_versions = versions
            result = new_tensor(out, True, ctx)
        else:
            result = new_tensor(out, False, None)
        if TOOLS.record is not None:
            TOOLS.record(ctx, result)
        return result


def _as_output_array(ctx: Context, out: Any) -> Any:
    """`out` as an array (NumPy turns 0-d results into scalars); a saved reference to it
    is updated too, so in-place changes of the output are still recognised (_inplace)."""
    array = array_module(out).asarray(out)
    if any(value is out for value in ctx.saved_tensors):
        ctx.saved_tensors = tuple(array if value is out else value
                                  for value in ctx.saved_tensors)
    return array


def _op_error(cls: type[Function], args: tuple[Any, ...], error: Exception) -> Exception:
    """Re-raise an error from inside an op's forward with the op name and input shapes."""
    shapes = ", ".join(f"{a.dtype} {tuple(a.shape)}" if isinstance(a, Tensor) else
                       f"{type(a).__name__} {tuple(np.shape(a))}" if isinstance(a, np.ndarray)
                       else repr(a) if isinstance(a, (int, float, bool)) else type(a).__name__
                       for a in args)
    message = str(error)
    if "broadcast" in message:
        message = (f"{cls.__name__.lower()}: cannot broadcast the input shapes together ({shapes}); "
                   "dimensions are matched from the right and must be equal or 1 — "
                   "reshape or unsqueeze an input")
    else:
        message = f"{cls.__name__.lower()}: {message} (inputs: {shapes})"
    for kind in (IndexError, TypeError, ValueError):
        if isinstance(error, kind):
            return kind(message)
    return ValueError(message)
