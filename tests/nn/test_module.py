"""nn.Module, Parameter, Sequential and ModuleList: registration, names, modes, state."""
from collections import OrderedDict

import numpy as np
import pytest

import minigrad as mg
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Dense(3, 4)
        self.norm = nn.BatchNorm2D(4)
        self.scale = nn.Parameter(mg.ones(1))
        self.plain = mg.zeros(2)                 # a plain Tensor attribute is not registered

    def forward(self, x):
        return self.conv1(x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = Block()
        self.heads = nn.ModuleList([nn.Dense(4, 2), nn.Dense(4, 2)])
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = self.features(x)
        return sum(head(x) for head in self.heads)


def test_nested_registration_gives_dotted_names():
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["features.scale", "features.conv1.weight", "features.conv1.bias",
                     "features.norm.weight", "features.norm.bias", "heads.0.weight",
                     "heads.0.bias", "heads.1.weight", "heads.1.bias"]
    assert [name for name, _ in Net().named_buffers()] == [
        "features.norm.running_mean", "features.norm.running_var",
        "features.norm.num_batches_tracked"]


def test_plain_tensor_attribute_and_reassignment():
    block = Block()
    assert "plain" not in dict(block.named_parameters())
    block.conv1 = nn.Dense(3, 5)                 # replacing a child re-registers it
    assert block.conv1.weight.shape == (5, 3)
    assert dict(block.named_parameters())["conv1.weight"].shape == (5, 3)
    del block.scale
    assert "scale" not in dict(block.named_parameters())


def test_module_needs_super_init():
    class Broken(nn.Module):
        def __init__(self):
            self.weight = nn.Parameter(mg.ones(1))

    with pytest.raises(RuntimeError, match="super\\(\\).__init__"):
        Broken()


def test_shared_parameter_listed_once():
    layer = nn.Dense(2, 2)
    model = nn.Sequential(layer, nn.ReLU(), layer)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(model.parameters())) == 2


def test_sequential_names_indexing_slicing_and_forward():
    model = nn.Sequential(nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 2))
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and model[-1] is model[2]
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2
    assert [name for name, _ in tail.named_parameters()] == ["2.weight", "2.bias"]
    x = mg.randn(5, 3)
    expected = model[2](mg.relu(model[0](x)))
    np.testing.assert_allclose(model(x).data, expected.data)
    assert [type(m).__name__ for m in model] == ["Dense", "ReLU", "Dense"]
    model.append(nn.Sigmoid())
    assert len(model) == 4 and isinstance(model[3], nn.Sigmoid)
    with pytest.raises(IndexError, match="index 7 is out of range for 4 modules"):
        model[7]


def test_sequential_from_ordered_dict():
    model = nn.Sequential(OrderedDict([("conv1", nn.Dense(2, 3)), ("act", nn.ReLU())]))
    assert [name for name, _ in model.named_parameters()] == ["conv1.weight", "conv1.bias"]
    assert model.conv1 is model[0]
    plain = nn.Sequential({"first": nn.Dense(2, 2), "second": nn.Dense(2, 1)})
    assert [name for name, _ in plain.named_parameters()][2:] == ["second.weight", "second.bias"]
    with pytest.raises(ValueError, match="without '.'"):
        nn.Sequential({"a.b": nn.ReLU()})


def test_containers_reject_non_modules():
    with pytest.raises(TypeError, match="item 1 must be an nn.Module, got function"):
        nn.Sequential(nn.ReLU(), lambda x: x)
    with pytest.raises(TypeError, match="must be an nn.Module, got int"):
        nn.ModuleList([nn.ReLU()]).append(3)


def test_module_list_append_extend_slice_setitem():
    layers = nn.ModuleList([nn.Dense(2, 2)])
    layers.append(nn.Dense(2, 3)).extend([nn.Dense(3, 1)])
    assert len(layers) == 3
    assert [name for name, _ in layers.named_parameters()][-2:] == ["2.weight", "2.bias"]
    assert isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 2
    assert [name for name, _ in layers[1:].named_parameters()][:1] == ["0.weight"]
    layers[0] = nn.Dense(2, 7)
    assert layers[0].weight.shape == (7, 2)
    with pytest.raises(NotImplementedError, match="ModuleList must define forward"):
        layers(mg.ones(2))


def test_train_eval_propagate_to_every_submodule():
    model = Net()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.heads.eval()
    assert model.training and not model.heads[1].training


def test_children_and_modules():
    model = Net()
    assert [type(c).__name__ for c in model.children()] == ["Block", "ModuleList", "Dropout"]
    assert len(list(model.modules())) == 8          # Net, Block, Dense, BN, ML, Dense x2, Drop


def test_zero_grad_clears_every_parameter():
    model = Net()
    model(mg.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in model.heads.parameters())
    model.zero_grad(set_to_none=False)
    assert all(p.grad is None or not p.grad.data.any() for p in model.parameters())
    model(mg.randn(2, 3)).sum().backward()
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_state_dict_is_detached_and_complete():
    model = Net()
    state = model.state_dict()
    assert list(state)[:2] == ["features.scale", "features.conv1.weight"]
    assert "features.norm.running_var" in state
    for value in state.values():
        assert not value.requires_grad and value.grad_fn is None
    np.testing.assert_array_equal(state["heads.0.weight"].data, model.heads[0].weight.data)


def test_load_state_dict_copies_values():
    source, target = Net(), Net()
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    assert target.heads[0].weight.data is not source.heads[0].weight.data


def test_load_state_dict_lists_every_problem_and_copies_nothing():
    model = Net()
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    state = {k: mg.zeros(*v.shape) for k, v in model.state_dict().items()}
    del state["heads.1.bias"], state["features.scale"]
    state["extra.weight"] = mg.zeros(3)
    state["heads.0.weight"] = mg.zeros(5, 5)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Net" in message
    assert "Missing key(s) in state_dict: 'features.scale', 'heads.1.bias'" in message
    assert "Unexpected key(s) in state_dict: 'extra.weight'" in message
    assert ("size mismatch for heads.0.weight: copying a param with shape (5, 5) from the "
            "checkpoint, the shape in the current model is (2, 4)") in message
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.data, before[key], err_msg=key)


def test_load_state_dict_non_strict_reports_keys():
    model = nn.Dense(2, 3)
    missing, unexpected = model.load_state_dict({"weight": np.ones((3, 2)), "other": 1.0},
                                                strict=False)
    assert missing == ["bias"] and unexpected == ["other"]
    np.testing.assert_array_equal(model.weight.data, np.ones((3, 2), np.float32))
    assert model.weight.dtype == np.float32


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    model = Net()
    model.train()
    model.features.norm(mg.randn(4, 4, 2, 2))            # changes the running statistics
    path = tmp_path / "net.npz"
    mg.save(model.state_dict(), path)
    fresh = Net()
    fresh.load_state_dict(mg.load(path))
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)
    x = mg.randn(2, 3)
    np.testing.assert_allclose(model(x).data, fresh(x).data)


def test_repr_like_pytorch():
    model = nn.Sequential(nn.Dense(4, 3), nn.ReLU(), nn.Sequential(nn.Dropout(0.25)),
                          nn.BatchNorm2D(3), nn.Flatten())
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Dense(in_features=4, out_features=3, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25)\n"
        "  )\n"
        "  (3): BatchNorm2D(3, eps=1e-05, momentum=0.1, affine=True, "
        "track_running_stats=True)\n"
        "  (4): Flatten(start_dim=1, end_dim=-1)\n"
        ")")


def test_repr_of_module_with_extra_repr_and_children():
    class Wrapper(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.ReLU()

        def extra_repr(self):
            return "mode=fast"

    assert repr(Wrapper()) == "Wrapper(\n  mode=fast\n  (inner): ReLU()\n)"


def test_parameter_requires_grad_and_repr():
    p = nn.Parameter(mg.zeros(2))
    assert p.requires_grad and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
