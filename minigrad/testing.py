"""Hypothesis strategies and a gradient assertion for property-testing your own ops.

    from hypothesis import given
    from minigrad.testing import tensors, assert_gradients_match

    @given(tensors(shape=(3, 4), avoid=[0.0]))
    def test_my_op(x):
        assert_gradients_match(my_op, x)

`tensors(avoid=..., distinct=True)` keeps values a margin away from an op's kinks (relu at 0)
and from each other (ties in max), so a check fails only for a wrong backward.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Optional, Sequence

import numpy as np

try:
    from hypothesis import assume, strategies as st
    from hypothesis.strategies import SearchStrategy
    from hypothesis.extra import numpy as hnp
except ImportError as error:                      # pragma: no cover - depends on the install
    raise ImportError("minigrad.testing needs hypothesis: pip install 'minigrad[dev]' "
                      "(or pip install hypothesis)") from error

from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["tensors", "shapes", "broadcastable_shapes", "assert_gradients_match",
           "assert_second_derivatives_match"]


def shapes(min_dims: int = 0, max_dims: int = 3, min_side: int = 1, max_side: int = 4
           ) -> SearchStrategy[tuple[int, ...]]:
    """Strategy for shape tuples, e.g. (), (1,), (3, 1, 4)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(shape: Iterable[int], min_dims: int = 0,
                         max_dims: Optional[int] = None, min_side: int = 1,
                         max_side: Optional[int] = None) -> SearchStrategy[tuple[int, ...]]:
    """Strategy for shapes that broadcast with `shape` (size-1 dims, fewer or extra dims)."""
    return hnp.broadcastable_shapes(tuple(shape), min_dims=min_dims, max_dims=max_dims,
                                    min_side=min_side, max_side=max_side)


def _blocked_intervals(avoid: Iterable[float], margin: float) -> list[list[float]]:
    """The open intervals (p - margin, p + margin) around the points, merged where they meet."""
    blocks: list[list[float]] = []
    for point in sorted(float(p) for p in avoid):
        if blocks and point - margin <= blocks[-1][1]:
            blocks[-1][1] = point + margin
        else:
            blocks.append([point - margin, point + margin])
    return blocks


def _keep_away(values: np.ndarray, avoid: Iterable[float], margin: float) -> np.ndarray:
    """Move every value at least `margin` away from each point in `avoid`: a value inside a
    (merged) blocked interval goes to its nearer edge, which is clear of every point."""
    values = values.astype(np.float64).copy()
    for low, high in _blocked_intervals(avoid, margin):
        inside = (values > low) & (values < high)
        values[inside] = np.where(values[inside] - low < high - values[inside], low, high)
    return values


def _spread(values: np.ndarray, gap: float, avoid: Iterable[float] = (), margin: float = 0.0) -> np.ndarray:
    """Make all values at least `gap` apart, keeping their order (removes ties), while staying
    `margin` away from the points in `avoid`: walking up in sorted order, each value moves up
    to the first admissible place at or above both itself and its predecessor + gap."""
    flat = values.reshape(-1).astype(np.float64)
    blocks = _blocked_intervals(avoid, margin)
    order = np.argsort(flat, kind="stable")
    placed = np.empty_like(flat)
    previous = -np.inf
    for position in order:
        value = max(flat[position], previous + gap)
        for low, high in blocks:
            if low < value < high:
                value = high
        placed[position] = previous = value
    return placed.reshape(values.shape)


def tensors(shape: Any = None, dtype: Any = np.float64,
            elements: Optional[SearchStrategy[Any]] = None, requires_grad: bool = True,
            min_value: float = -3.0, max_value: float = 3.0, avoid: Sequence[float] = (),
            margin: float = 1e-2, distinct: bool = False, min_gap: Optional[float] = None
            ) -> SearchStrategy[Tensor]:
    """Strategy for Tensors.

    Args:
        shape:     a tuple, or a strategy of tuples (default: shapes())
        dtype:     NumPy dtype (float64 by default: best for numerical gradients)
        elements:  a strategy for the values (default: finite floats in [min_value, max_value])
        avoid:     points (kinks such as 0.0) every value stays at least `margin` away from
        distinct:  make values pairwise at least `min_gap` (default: margin) apart — no ties
    """
    dtype = np.dtype(dtype)
    shape_strategy = shapes() if shape is None else (
        st.just(tuple(shape)) if isinstance(shape, (tuple, list)) else shape)
    if elements is None:
        if dtype.kind == "f":
            elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                                 width=min(dtype.itemsize * 8, 64))
        elif dtype.kind == "b":
            elements = st.booleans()
        else:
            elements = st.integers(int(min_value), int(max_value))
    gap = margin if min_gap is None else min_gap

    def build(array: np.ndarray) -> Tensor:
        if dtype.kind == "f":
            array = array.astype(np.float64)
            if distinct and array.size > 1:
                array = _spread(array, gap, avoid, margin)
            elif avoid:
                array = _keep_away(array, avoid, margin)
            array = array.astype(dtype)
        return Tensor(array, requires_grad=requires_grad and dtype.kind == "f")

    return shape_strategy.flatmap(
        lambda s: hnp.arrays(dtype, s, elements=elements)).map(build)


def assert_gradients_match(fn: Callable[..., Any], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
                           rtol: float = 1e-3, fast_mode: bool = False,
                           skip_nondifferentiable: bool = True) -> None:
    """Assert backward of `fn` matches central differences (float64) at `inputs`.

    On a mismatch raises AssertionError reporting the input, element, analytic and numeric
    values and the relative error. A point where `fn` is not differentiable (one-sided slopes
    differ) is not a failure: inside a hypothesis test the example is discarded (assume), so
    hypothesis looks for other points; outside one it raises with that explanation, unless
    `skip_nondifferentiable=False` turns it into a failure everywhere.
    """
    try:
        gradcheck(fn, inputs, eps=eps, atol=atol, rtol=rtol, fast_mode=fast_mode)
    except GradcheckError as error:
        if error.kind == "nondifferentiable" and skip_nondifferentiable and _in_hypothesis():
            assume(False)
        raise AssertionError(str(error)) from None


def assert_second_derivatives_match(fn: Callable[..., Any], *inputs: Any,
                                    grad_outputs: Any = None, eps: float = 1e-6,
                                    atol: float = 1e-5, rtol: float = 1e-3,
                                    skip_nondifferentiable: bool = True) -> None:
    """Assert the second derivatives of `fn` (a backward through its backward, built with
    create_graph=True) match central differences of its gradient at `inputs` (mg.gradgradcheck).

    Reports and kinks are handled as in `assert_gradients_match`: a point where the gradient
    is not differentiable is discarded inside a hypothesis test.
    """
    try:
        gradgradcheck(fn, inputs, grad_outputs=grad_outputs, eps=eps, atol=atol, rtol=rtol)
    except GradcheckError as error:
        if error.kind == "nondifferentiable" and skip_nondifferentiable and _in_hypothesis():
            assume(False)
        raise AssertionError(str(error)) from None


def _in_hypothesis() -> bool:
    try:
        from hypothesis.control import currently_in_test_context
    except ImportError:                            # pragma: no cover - old hypothesis
        return False
    return currently_in_test_context()
