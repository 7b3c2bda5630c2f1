"""Elementwise functions beyond the core ones: sin, cos, sign, floor, ceil, round, the NaN/inf
tests and nan_to_num, comparisons as functions (eq, ne, lt, ...), allclose/isclose/equal.

Each is also a Tensor method (`x.sin()`), as in PyTorch. Shapes: x (*s) -> out (*s); the
comparisons broadcast x and other.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
from numpy.typing import DTypeLike

from .functional import _tensor, checked_compare, where
from .ops.unary import Cos, Sin, Step
from .tensor import Scalar, TensorLike, Tensor


def sin(x: TensorLike) -> Tensor:
    return Sin.apply(_tensor(x, "sin"))


def cos(x: TensorLike) -> Tensor:
    return Cos.apply(_tensor(x, "cos"))


def sign(x: TensorLike) -> Tensor:
    """-1, 0 or 1 by the sign of each element (NaN stays NaN); zero gradient."""
    return Step.apply(_tensor(x, "sign"), "sign")


def floor(x: TensorLike) -> Tensor:
    """Largest integer <= x (same dtype); zero gradient."""
    return Step.apply(_tensor(x, "floor"), "floor")


def ceil(x: TensorLike) -> Tensor:
    """Smallest integer >= x (same dtype); zero gradient."""
    return Step.apply(_tensor(x, "ceil"), "ceil")


def round(x: TensorLike, decimals: int = 0) -> Tensor:
    """Round half to even (as PyTorch and NumPy), to `decimals` places; zero gradient."""
    x = _tensor(x, "round")
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    return Step.apply(x, "round", int(decimals))


def isnan(x: TensorLike) -> Tensor:
    """Bool tensor: True where x is NaN."""
    return Tensor._wrap(np.isnan(_tensor(x, "isnan").data))


def isinf(x: TensorLike) -> Tensor:
    """Bool tensor: True where x is +inf or -inf."""
    return Tensor._wrap(np.isinf(_tensor(x, "isinf").data))


def isfinite(x: TensorLike) -> Tensor:
    """Bool tensor: True where x is neither NaN nor infinite."""
    return Tensor._wrap(np.isfinite(_tensor(x, "isfinite").data))


def nan_to_num(x: TensorLike, nan: float | None = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN -> `nan`, +inf -> `posinf`, -inf -> `neginf` (default: the dtype's largest and
    smallest finite values). The gradient passes where x was finite and is 0 elsewhere."""
    x = _tensor(x, "nan_to_num")
    for name, value in (("nan", nan), ("posinf", posinf), ("neginf", neginf)):
        if value is not None and (isinstance(value, bool) or
                                  not isinstance(value, (int, float, np.integer, np.floating))):
            raise TypeError(f"nan_to_num: {name} must be a number or None, got "
                            f"{type(value).__name__}")
    if x.dtype.kind not in "fc":
        return x
    replaced = np.nan_to_num(x.data, nan=0.0 if nan is None else nan, posinf=posinf,
                             neginf=neginf)         # nan=None means zero, as in PyTorch
    return where(np.isfinite(x.data), x, Tensor._wrap(replaced))


def _compare(name: str, compare: np.ufunc) -> Callable[[TensorLike, TensorLike], Tensor]:
    def comparison(x: TensorLike, other: TensorLike) -> Tensor:
        x = _tensor(x, name)
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(checked_compare(x.data, other, compare))
    comparison.__name__ = comparison.__qualname__ = name
    comparison.__doc__ = f"Elementwise x {name} other as a bool tensor (broadcasting, no grad)."
    return comparison


eq = _compare("eq", np.equal)
ne = _compare("ne", np.not_equal)
lt = _compare("lt", np.less)
le = _compare("le", np.less_equal)
gt = _compare("gt", np.greater)
ge = _compare("ge", np.greater_equal)


def _pair_of_arrays(x: TensorLike, other: TensorLike, op: str, rtol: float = 0.0,
                    atol: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    for name, value in (("rtol", rtol), ("atol", atol)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__}")
    x, other = _tensor(x, op), _tensor(other, op)
    try:
        np.broadcast_shapes(x.shape, other.shape)
    except ValueError:
        raise ValueError(f"{op}: cannot broadcast shapes {x.shape} and {other.shape} "
                         "together") from None
    return x.data, other.data


def isclose(x: TensorLike, other: TensorLike, rtol: float = 1e-5, atol: float = 1e-8,
            equal_nan: bool = False) -> Tensor:
    """Bool tensor: |x - other| <= atol + rtol * |other|, elementwise (as PyTorch)."""
    a, b = _pair_of_arrays(x, other, "isclose", rtol, atol)
    return Tensor._wrap(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(x: TensorLike, other: TensorLike, rtol: float = 1e-5, atol: float = 1e-8,
             equal_nan: bool = False) -> bool:
    """True when every element of x is close to other (see isclose)."""
    a, b = _pair_of_arrays(x, other, "allclose", rtol, atol)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(x: TensorLike, other: TensorLike) -> bool:
    """True when x and other have the same shape and the same values."""
    x, other = _tensor(x, "equal"), _tensor(other, "equal")
    return x.shape == other.shape and bool(np.array_equal(x.data, other.data))
