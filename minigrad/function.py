"""`Function`: the one mechanism every differentiable op uses, built-in or user-defined.

A subclass defines `forward(ctx, *arrays)` and `backward(ctx, grad)` as static methods working
on NumPy arrays. `apply()` unwraps Tensors, runs `forward`, wraps the result and, when
recording, stores a `Context` as the output's `grad_fn`: the graph node that `backward()` visits.
"""
import weakref

import numpy as np

from . import grad_mode
from .backend import array_module

_FLOAT_KINDS = "fc"


class Context:
    """Per-call state of one op, and its node in the graph.

    Attributes:
        function:          the Function subclass that produced the output
        inputs:            the arguments of `apply` (Tensors and plain values), None once freed
        needs_input_grad:  one bool per argument: is it a Tensor that requires grad
        saved_tensors:     what `forward` passed to `save_for_backward`
        input_versions:    each Tensor input's version counter when the op ran
        saved_output:      a weak reference to the output Tensor when a saved array is (a
                           view of) the output, else None: backward then refuses an output
                           changed in place since the op ran
        freed:             True once backward released this node (retain_graph=False)
    Ops may set further attributes of their own (e.g. `ctx.shape = x.shape`).
    """

    __slots__ = ("function", "inputs", "needs_input_grad", "saved_tensors",
                 "input_versions", "saved_output", "freed", "created_at", "_hooks",
                 "__dict__", "__weakref__")

    def __init__(self, function=None, inputs=(), needs_input_grad=()):
        self.function = function
        self.inputs = inputs
        self.needs_input_grad = needs_input_grad
        self.saved_tensors = ()
        self.input_versions = None
        self.saved_output = None
        self.freed = False
        self.created_at = None
        self._hooks = None

    def save_for_backward(self, *arrays):
        """Keep arrays needed by backward; released after backward unless retain_graph."""
        self.saved_tensors = arrays

    @property
    def name(self) -> str:
        """The op's name as shown in errors and graphs, e.g. `Mul`."""
        return self.function.__name__ if self.function is not None else "?"

    def __repr__(self):
        return f"<{self.name}Backward>"


class Function:
    """Base class of differentiable operations (see SPEC: custom ops).

    Example:
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
    ones), or one per Tensor argument. Gradients may have a broadcast shape: the engine sums
    them back to each input's shape.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, *args)")

    @staticmethod
    def backward(ctx, grad):
        raise NotImplementedError("a Function subclass must define backward(ctx, grad)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run the op on Tensors (or plain values) and record it for backward when needed."""
        # One plain loop gathers everything about the arguments: this runs once per op, and
        # the per-op overhead is what benchmarks/op_overhead.py measures.
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
        needs_input_grad = tuple(needs)
        record = True in needs_input_grad and grad_mode.STATE.enabled
        ctx = Context(cls, args, needs_input_grad)
        try:
            out = cls.forward(ctx, *raw, **kwargs)
        except (ValueError, TypeError, IndexError, ArithmeticError) as error:
            raise _op_error(cls, args, error) from error
        if type(out) is not np.ndarray:            # a number, or another backend's array
            out = array_module(out).asarray(out)
        result = Tensor.__new__(Tensor)
        result.data = out
        result._grad = None
        result._version = 0
        result._hooks = None
        if record and out.dtype.kind in _FLOAT_KINDS:
            result.requires_grad = True
            result.grad_fn = ctx
            ctx.input_versions = tuple(versions)
            if ctx.saved_tensors and _saves(ctx.saved_tensors, out):
                ctx.saved_output = weakref.ref(result)
            if _HOOKS.on_record is not None:
                _HOOKS.on_record(ctx, result)
        else:
            result.requires_grad = False
            result.grad_fn = None
        return result


class _Hooks:
    """Opt-in observers (anomaly detection); None means normal runs pay one check per op."""
    __slots__ = ("on_record",)

    def __init__(self):
        self.on_record = None


_HOOKS = _Hooks()


def _saves(saved, out) -> bool:
    """Is `out`, or an array it is a view of (or a view of it), among the saved arrays?"""
    out_base = getattr(out, "base", None)
    for array in saved:
        if array is out or (out_base is not None and array is out_base) or (
                getattr(array, "base", None) is out):
            return True
    return False


def _op_error(cls, args, error):
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


Tensor = None  # set by tensor.py once the class exists (tensor.py imports the ops, which import this)
