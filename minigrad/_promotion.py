"""Type promotion of binary ops, as PyTorch's `torch.result_type`.

NumPy and PyTorch disagree on mixed dtypes: NumPy gives float64 for float32 + int64 and for
an int tensor + 2.5; PyTorch keeps float32. The rules PyTorch uses, implemented here:
- categories bool < integer < floating; within a category the wider dtype wins
  (float32 + float64 -> float64, int32 + int64 -> int64); across categories the dtype of the
  higher category wins (float32 + int64 -> float32, float16 + int64 -> float16);
- operands of higher priority decide first: tensors with dims, then 0-d tensors, then Python
  numbers; a lower-priority operand counts only when its category is higher, so a Python
  float or a 0-d float64 tensor does not upcast a float32 tensor, while an int tensor + 2.5
  gives the default float dtype (float32) and an int tensor + a 0-d float64 tensor float64.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class _Defaults:
    """The default floating dtype: what Python floats and float factories give."""
    __slots__ = ("float",)
    float: np.dtype

    def __init__(self) -> None:
        self.float = np.dtype(np.float32)


DEFAULTS = _Defaults()


def default_float() -> np.dtype:
    return DEFAULTS.float


def set_default_dtype(dtype: Any) -> None:
    """The dtype Python floats and float factories give (float32 unless changed), as
    torch.set_default_dtype; only floating dtypes."""
    if not isinstance(dtype, (type, np.dtype, str)):
        raise TypeError(f"set_default_dtype: expected a dtype such as mg.float64, got "
                        f"{type(dtype).__name__}")
    try:
        chosen = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"set_default_dtype: {dtype!r} is not a dtype; use mg.float32 or "
                        "mg.float64") from None
    if chosen.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes can be the default, got "
                        f"{chosen}")
    DEFAULTS.float = chosen


def get_default_dtype() -> np.dtype:
    """The dtype Python floats and float factories give (float32 unless changed)."""
    return DEFAULTS.float
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(a: Any, b: Any) -> np.dtype:
    """The common dtype of two tensors' dtypes (PyTorch's torch.promote_types)."""
    a, b = _as_dtype(a, "promote_types"), _as_dtype(b, "promote_types")
    if a == b:
        return a
    category_a, category_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if category_a != category_b:
        return a if category_a > category_b else b
    return np.promote_types(a, b)


def _as_dtype(value: Any, op: str) -> np.dtype:
    try:
        dtype = np.dtype(value) if isinstance(value, (type, np.dtype, str)) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in _CATEGORY:
        raise TypeError(f"{op}: {value!r} is not a numeric dtype; use e.g. mg.float32")
    return dtype


def _combine(higher: Any, lower: Any) -> Any:
    """Let a lower-priority result count only when its category is higher."""
    if higher is None:
        return lower
    if lower is None or higher.kind in "fc":
        return higher
    if higher.kind == "b" or lower.kind in "fc":
        return promote_types(higher, lower)
    return higher


def _dtype_and_priority(value: Any) -> tuple[np.dtype, int]:
    """(dtype, priority): 2 for a tensor or array with dims, 1 for a 0-d one, 0 for a number."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return np.dtype(dtype), 2 if np.ndim(value.data if hasattr(value, "grad_fn")
                                             else value) else 1
    if isinstance(value, (bool, np.bool_)):
        return np.dtype(np.bool_), 0
    if isinstance(value, int):
        return np.dtype(np.int64), 0
    if isinstance(value, complex):
        return np.dtype(np.complex64), 0
    return DEFAULTS.float, 0


def result_type(*operands: Any) -> np.dtype:
    """The dtype PyTorch gives an op on `operands` (tensors, arrays, Python numbers), as
    torch.result_type."""
    by_priority: list = [None, None, None]
    for value in operands:
        if not (hasattr(value, "dtype") or isinstance(value, (int, float, complex, np.number,
                                                              np.bool_))):
            raise TypeError(f"result_type: expected tensors or numbers, got "
                            f"{type(value).__name__}")
        dtype, priority = _dtype_and_priority(value)
        current = by_priority[priority]
        by_priority[priority] = dtype if current is None else promote_types(current, dtype)
    numbers, zero_dim, with_dims = by_priority
    return _combine(with_dims, _combine(zero_dim, numbers))
