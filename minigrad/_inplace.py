"""In-place updates (`x += y`, `add_`, `clamp_`, `fill_`, ...), with PyTorch's rules.

The tensor object stays the same, its array is written in place (NumPy views of it see the
change) and its version counter goes up, so a pending backward that used the old values
raises instead of computing a wrong gradient.

- Not recording (under `no_grad`, or nothing involved requires grad): one NumPy ufunc writes
  into the array; this is the optimizer path and costs no graph work.
- Recording, on a leaf that requires grad: refused, as PyTorch refuses it (the leaf's old
  value would be lost to its own gradient).
- Recording otherwise (a non-leaf, or a constant updated with a tensor that requires grad): the
  op is recorded out of place on a snapshot of the old value and the tensor takes over the
  result's graph node, so backward flows through the update as in PyTorch.
"""
from __future__ import annotations

import weakref
from typing import Any, Callable

import numpy as np

from . import grad_mode

LEAF_MESSAGE = ("{op}: in-place update of a leaf tensor that requires grad while gradients are "
                "recorded (PyTorch refuses it too: 'a leaf Variable that requires grad is being "
                "used in an in-place operation'); wrap it in `with mg.no_grad():`, e.g. "
                "`with mg.no_grad(): p -= lr * p.grad`")


def is_recording(target: Any, operands: tuple[Any, ...]) -> bool:
    if not grad_mode.STATE.enabled:
        return False
    return target.requires_grad or any(getattr(o, "requires_grad", False) for o in operands)


def check_not_leaf(target: Any, op: str) -> None:
    if target.requires_grad and target.grad_fn is None and grad_mode.STATE.enabled:
        raise RuntimeError(LEAF_MESSAGE.format(op=op))


def _raw(value: Any) -> Any:
    return value.data if hasattr(value, "grad_fn") else value


def _describe(value: Any) -> str:
    if hasattr(value, "grad_fn"):
        return f"a {value.dtype} tensor of shape {value.shape}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return f"{type(value).__name__} {value!r}"


def _numpy_error(target: Any, op: str, value: Any, error: Exception) -> RuntimeError:
    """NumPy's casting/broadcasting errors, said as PyTorch says them (RuntimeError)."""
    if isinstance(error, OverflowError) or "convert" in str(error):
        return RuntimeError(f"{op}: {_describe(value)} cannot be converted to the tensor's dtype "
                            f"{target.dtype} ({error}); use a value the dtype can hold")
    if isinstance(error, TypeError):                # NumPy's UFuncTypeError: a casting rule
        return RuntimeError(f"{op}: the result type of updating a {target.dtype} tensor with "
                            f"{_describe(value)} can't be cast to {target.dtype} in place; "
                            f"convert first, e.g. x = x.float(), or use the out-of-place form")
    return RuntimeError(f"{op}: cannot update a tensor of shape {target.shape} in place with "
                        f"{_describe(value)}: the result would have another shape (the "
                        "operand must broadcast to the tensor's shape); use the out-of-place "
                        "form instead")


def apply_ufunc(target: Any, op: str, ufunc: Any, value: Any) -> None:
    """target.data = ufunc(target.data, value), written into target.data (no graph)."""
    raw = _raw(value)
    try:
        ufunc(target.data, raw, out=target.data, casting="same_kind")
    except (TypeError, ValueError, OverflowError) as error:
        raise _numpy_error(target, op, value, error) from None


def saves_array(saved: tuple[Any, ...], array: Any) -> bool:
    """Is `array`, or an array it is a view of (or a view of it), among the saved values?"""
    base = getattr(array, "base", None)
    for value in saved:
        if value is array or (base is not None and value is base) or (
                not isinstance(value, (int, float)) and getattr(value, "base", None) is array):
            return True
    return False


def _note_output_change(target: Any) -> None:
    """`target`'s array is about to change in place: if the op that made it saved that array
    for backward (exp, tanh, relu ...), mark the op, so backward refuses it (its gradient
    would be computed from the changed values). Only in-place ops pay for this test."""
    node = target.grad_fn
    if node is not None and node.saved_tensors and saves_array(node.saved_tensors,
                                                                target.data):
        node.changed_output = weakref.ref(target)


def bump_version(target: Any) -> None:
    """Count an in-place change of `target` (every in-place write ends here)."""
    _note_output_change(target)
    target._version += 1


def take_result(target: Any, op: str, result: Any) -> None:
    """Make `result` (an out-of-place Tensor) the new value and history of `target`."""
    if result.shape != target.shape:
        raise RuntimeError(f"{op}: output with shape {target.shape} doesn't match the broadcast "
                           f"shape {result.shape}; the operand must broadcast to the tensor's "
                           f"shape, or use the out-of-place form")
    if result.dtype != target.dtype:
        if not np.can_cast(result.dtype, target.dtype, casting="same_kind"):
            raise RuntimeError(f"{op}: result type {result.dtype} can't be cast to the desired "
                               f"output type {target.dtype}; convert first, e.g. x.float()")
        result = result.to(target.dtype)
    _note_output_change(target)           # before the history moves to result's node
    target.data[...] = result.data
    target.grad_fn = result.grad_fn
    target.requires_grad = result.requires_grad


def update(target: Any, op: str, ufunc: Any, value: Any,
           compute: Callable[[Any, Any], Any]) -> Any:
    """target <- target (op) value in place; `compute(old, value)` is the out-of-place form."""
    check_not_leaf(target, op)
    if is_recording(target, (value,)):
        old = snapshot(target)
        take_result(target, op, compute(old, old if value is target else value))
    else:
        apply_ufunc(target, op, ufunc, value)
    bump_version(target)
    return target


def overwrite(target: Any, op: str, values: Any, recorded: Any = None) -> Any:
    """target <- values (broadcast), e.g. fill_/copy_/normal_. `recorded`: the Tensor of the
    values when they carry a graph (copy_ of a tensor that requires grad)."""
    check_not_leaf(target, op)
    if is_recording(target, (recorded,) if recorded is not None else ()):
        from .functional import where
        keep_none = np.ones(target.shape, dtype=bool)
        source = recorded if recorded is not None else values
        take_result(target, op, where(keep_none, source, snapshot(target)))
    else:
        try:
            target.data[...] = _raw(values)
        except (TypeError, ValueError, OverflowError) as error:
            raise _numpy_error(target, op, values, error) from None
    bump_version(target)
    return target


def snapshot(target: Any) -> Any:
    """The old value with its history, as a separate tensor the recorded op can save."""
    old = type(target)._wrap(target.data.copy(), target.requires_grad)
    old.grad_fn = target.grad_fn
    return old


def replace(target: Any, op: str, compute: Callable[[Any], Any], operand: Any = None) -> Any:
    """target <- compute(target) in place, for ops with an out-of-place form (scatter_,
    masked_fill_): recorded on a snapshot when grad mode and a tensor requiring grad are
    involved, else computed without a graph and copied in."""
    check_not_leaf(target, op)
    if is_recording(target, (operand,)):
        take_result(target, op, compute(snapshot(target)))
    else:
        with grad_mode.no_grad():
            result = compute(target)
        target.data[...] = result.data
    bump_version(target)
    return target
