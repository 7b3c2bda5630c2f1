"""Assigning over a registered parameter, submodule or buffer follows PyTorch: the same kind
replaces it, None removes it, anything else is a TypeError naming the attribute (it used to
become a plain attribute, silently dropped from parameters() and state_dict())."""
import numpy as np
import pytest

import minigrad as mg
import nn


def test_plain_tensor_over_a_parameter_is_refused_and_the_parameter_kept():
    layer = nn.Dense(3, 2)
    weight = layer.weight
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'weight' "
                                        r"\(nn.Parameter or None expected\); wrap it"):
        layer.weight = mg.tensor(np.ones((2, 3), np.float32), requires_grad=True)
    assert layer.weight is weight
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert list(layer.state_dict()) == ["weight", "bias"]


@pytest.mark.parametrize("value", [np.ones((2, 3), np.float32), 1.5, "weight"],
                         ids=["ndarray", "float", "str"])
def test_other_values_over_a_parameter_are_refused(value):
    layer = nn.Dense(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign '(numpy.ndarray|float|str)' as "
                                        r"parameter 'weight'"):
        layer.weight = value
    assert "weight" in dict(layer.named_parameters())


def test_a_parameter_replaces_a_parameter_and_none_removes_it():
    layer = nn.Dense(3, 2)
    new = nn.Parameter(mg.zeros(2, 3))
    layer.weight = new
    assert dict(layer.named_parameters())["weight"] is new
    layer.bias = None
    assert layer.bias is None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


def test_non_module_over_a_submodule_and_non_tensor_over_a_buffer_are_refused():
    model = nn.Sequential(nn.Dense(2, 2))
    block = nn.Module()
    block.inner = nn.Dense(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as child module 'inner' "
                                        r"\(nn.Module or None expected\)"):
        block.inner = mg.zeros(2)
    norm = nn.BatchNorm2d(3)
    with pytest.raises(TypeError, match=r"cannot assign 'numpy.ndarray' as buffer "
                                        r"'running_mean' \(mg.Tensor or None expected\)"):
        norm.running_mean = np.zeros(3, np.float32)
    norm.running_mean = mg.ones(3)                      # a tensor replaces a buffer
    np.testing.assert_array_equal(norm.state_dict()["running_mean"].data, np.ones(3))
    assert "inner" in dict(block.named_children()) and len(model) == 1


def test_torch_refuses_the_same_assignments():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    with pytest.raises(TypeError, match=r"cannot assign .* as parameter 'weight'"):
        layer.weight = torch.ones(2, 3, requires_grad=True)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    norm = torch.nn.BatchNorm2d(3)
    with pytest.raises(TypeError, match=r"cannot assign .* as buffer 'running_mean'"):
        norm.running_mean = np.zeros(3, np.float32)
