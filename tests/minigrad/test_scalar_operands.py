"""Arithmetic with a Python float gives exactly NumPy's result (NEP 50: the float is cast to
the tensor's dtype), forward and backward, whatever path the ops take to compute it."""
import warnings

import numpy as np
import pytest

import minigrad as mg

SCALARS = [1.0001, -2.5, 1 / 3, 1e-50, 7e-46, 65519.0, 70000.0, 1e39, float("inf"),
           float("nan"), 0.0, -0.0, 0.0]
OPS = {"x * c": (lambda x, c: x * c), "c * x": (lambda x, c: c * x),
       "x + c": (lambda x, c: x + c), "c - x": (lambda x, c: c - x),
       "x - c": (lambda x, c: x - c), "x / c": (lambda x, c: x / c),
       "c / x": (lambda x, c: c / x)}


def _forward(fn, x, c):
    """fn(x, c) and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(all="warn"):
            out = fn(x, c)
    return out, sorted(str(w.message) for w in caught)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(OPS))
def test_python_float_operand_matches_numpy_bit_for_bit(dtype, name):
    values = np.array([0.0, -0.0, np.inf, 1.5, -3.25, 1e-3, 7.0, -0.5], dtype=dtype)
    upstream = np.linspace(-2, 2, values.size).astype(dtype)
    fn = OPS[name]
    for c in SCALARS:                 # each value twice in a row: the second use is cached
        for _ in range(2):
            x = mg.tensor(values, requires_grad=True)
            out, got_warnings = _forward(fn, x, c)
            expected, expected_warnings = _forward(fn, values, c)
            with np.errstate(all="ignore"):
                out.backward(mg.tensor(upstream))
                grad_expected = {"x * c": lambda: upstream * c, "c * x": lambda: upstream * c,
                                 "x + c": lambda: upstream, "x - c": lambda: upstream,
                                 "c - x": lambda: -upstream, "x / c": lambda: upstream / c,
                                 "c / x": lambda: -(upstream / values) * c / values}[name]()
            assert out.dtype == expected.dtype == dtype
            assert out.data.tobytes() == expected.tobytes(), (c, out.data, expected)
            assert x.grad.data.tobytes() == grad_expected.astype(dtype).tobytes(), c
            assert got_warnings == expected_warnings, c


def test_negative_zero_after_zero_keeps_its_sign():
    x = mg.tensor([1.0, -2.0])
    assert np.signbit((x * 0.0).data).tolist() == [False, True]
    assert np.signbit((x * -0.0).data).tolist() == [True, False]
