"""Every op keeps its arrays on the array module of its inputs (the planned CuPy backend).

A stand-in "device" array type (an ndarray subclass whose module name starts with "cupy") makes
`array_module` return a fake `cupy` module that wraps NumPy and returns device arrays. An op
that calls `np.zeros`, `np.asarray`, NumPy's `as_strided`, ... directly instead of going
through `array_module` hands back a plain ndarray somewhere in forward or backward, and the
type checks below catch it.
"""
import sys
import types

import numpy as np
import pytest
from hypothesis import Phase, given, settings, strategies as st

from minigrad import Tensor
from op_table import OPS


class DeviceArray(np.ndarray):
    """What array_module takes for a CuPy array; like CuPy, indexing a single element gives a
    0-d array, not a NumPy scalar."""

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return out if isinstance(out, np.ndarray) else np.asarray(out).view(DeviceArray)


DeviceArray.__module__ = "cupy._fake_device"


def _to_device(value):
    if type(value) is np.ndarray:
        return value.view(DeviceArray)
    if isinstance(value, tuple):
        return tuple(_to_device(v) for v in value)
    if isinstance(value, list):
        return [_to_device(v) for v in value]
    return value


class _DeviceUfunc:
    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        return _to_device(self._ufunc(*args, **kwargs))

    def __getattr__(self, name):
        attribute = getattr(self._ufunc, name)
        if callable(attribute):
            return lambda *args, **kwargs: _to_device(attribute(*args, **kwargs))
        return attribute


def _device_attribute(name):
    attribute = getattr(np, name)
    if isinstance(attribute, np.ufunc):
        return _DeviceUfunc(attribute)
    if isinstance(attribute, types.ModuleType):
        return _device_module(f"cupy.{name}", attribute)
    if callable(attribute) and not isinstance(attribute, type):
        return lambda *args, **kwargs: _to_device(attribute(*args, **kwargs))
    return attribute


def _device_module(name, numpy_module):
    module = types.ModuleType(name)

    def attribute(key):
        value = getattr(numpy_module, key)
        if isinstance(value, types.ModuleType):
            return _device_module(f"{name}.{key}", value)
        if callable(value) and not isinstance(value, (type, np.ufunc)):
            return lambda *args, **kwargs: _to_device(value(*args, **kwargs))
        return _device_attribute(key) if numpy_module is np else value

    module.__getattr__ = attribute
    return module


@pytest.fixture
def fake_cupy(monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", _device_module("cupy", np))


def _device_tensor(t):
    return Tensor._wrap(t.data.copy().view(DeviceArray), requires_grad=t.requires_grad)


def test_the_fake_backend_is_selected(fake_cupy):
    from minigrad.backend import array_module
    x = np.ones(3).view(DeviceArray)
    assert array_module(x) is sys.modules["cupy"]
    assert type(array_module(x).zeros(2)) is DeviceArray
    assert array_module(np.ones(3)) is np


def test_a_tensor_made_from_a_device_array_keeps_it(fake_cupy):
    device = np.arange(6.0).reshape(2, 3).view(DeviceArray)
    x = Tensor(device, requires_grad=True)
    assert x.data is device
    assert type(Tensor(device, dtype=np.float32).data) is DeviceArray
    (x * x).sum().backward()
    assert type(x.grad.data) is DeviceArray
    np.testing.assert_array_equal(x.grad.data, 2 * np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("op", [pytest.param(op, id=op.name) for op in OPS])
def test_forward_and_backward_stay_on_the_inputs_array_module(op, fake_cupy):
    @settings(max_examples=5, database=None, phases=[Phase.generate])
    @given(op.cases, st.booleans())
    def check(case, explicit_gradient):
        expected = op.fn(*case.tensors, **case.kwargs)
        inputs = [_device_tensor(t) for t in case.tensors]
        out = op.fn(*inputs, **case.kwargs)
        assert type(out.data) is DeviceArray, f"forward returned {type(out.data).__name__}"
        np.testing.assert_allclose(out.data, expected.data, rtol=1e-12, atol=1e-12)
        if explicit_gradient:
            out.backward(np.ones(out.shape))          # a NumPy gradient moves to the device
        else:
            out.sum().backward()
        for t in inputs:
            assert type(t.grad.data) is DeviceArray, \
                f"gradient left the device: {type(t.grad.data).__name__}"
    check()
