"""nn.summary: the learners' parameter counts, output shapes, the explain column."""
import re

import pytest

import minigrad as mg
import nn


def keras_mnist_cnn():
    return nn.Sequential(
        nn.Conv2D(1, 32, 3), nn.ReLU(),
        nn.Conv2D(32, 64, 3), nn.ReLU(),
        nn.MaxPool2D(2), nn.Flatten(),
        nn.Dense(9216, 128), nn.ReLU(),
        nn.Dense(128, 10))


def rows(text: str) -> dict:
    """Layer cell -> the other cells of its row (split on runs of 2+ spaces)."""
    table = re.split(r"^=+$", text, flags=re.MULTILINE)[1]
    cells = [re.split(r"\s{2,}", line.strip()) for line in table.strip().splitlines()]
    return {row[0]: row[1:] for row in cells if row and row[0]}


def test_keras_mnist_cnn_total_and_rows():
    text = nn.summary(keras_mnist_cnn(), (1, 28, 28))
    assert "Total params: 1,199,882" in text
    assert "Trainable params: 1,199,882" in text
    assert "Non-trainable params: 0" in text
    table = rows(text)
    assert table["0 (Conv2D)"] == ["(None, 32, 26, 26)", "320"]
    assert table["2 (Conv2D)"] == ["(None, 64, 24, 24)", "18,496"]
    assert table["4 (MaxPool2D)"] == ["(None, 64, 12, 12)", "0"]
    assert table["5 (Flatten)"] == ["(None, 9216)", "0"]
    assert table["6 (Dense)"] == ["(None, 128)", "1,179,776"]
    assert table["8 (Dense)"] == ["(None, 10)", "1,290"]
    assert list(table)[:2] == ["0 (Conv2D)", "1 (ReLU)"] and len(table) == 9


def test_keras_mnist_cnn_explain_column():
    table = rows(nn.summary(keras_mnist_cnn(), (1, 28, 28), explain=True))
    assert table["0 (Conv2D)"][2] == "3*3*1*32 + 32 = 320"
    assert table["2 (Conv2D)"][2] == "3*3*32*64 + 64 = 18,496"
    assert table["6 (Dense)"][2] == "9216*128 + 128 = 1,179,776"
    assert table["8 (Dense)"][2] == "128*10 + 10 = 1,290"
    assert len(table["1 (ReLU)"]) == 2                      # no formula for a layer without any


def test_one_3x3_filter_on_a_32x32_image_has_10_parameters():
    table = rows(nn.summary(nn.Sequential(nn.Conv2D(1, 1, 3)), (1, 32, 32), explain=True))
    assert table["0 (Conv2D)"] == ["(None, 1, 30, 30)", "10", "3*3*1*1 + 1 = 10"]


def test_learners_numbers_on_a_10x10_input():
    """A dense layer with 32 units on a 10x10 input: 3,200 weights; 32 3x3 conv filters on one
    channel: 288 weights (each plus 32 biases)."""
    dense = nn.Sequential(nn.Flatten(), nn.Dense(100, 32))
    table = rows(nn.summary(dense, (1, 10, 10), explain=True))
    assert table["1 (Dense)"] == ["(None, 32)", "3,232", "100*32 + 32 = 3,232"]
    dense_weights = nn.Sequential(nn.Flatten(), nn.Dense(100, 32, bias=False))
    assert "Total params: 3,200" in nn.summary(dense_weights, (1, 10, 10))
    conv = nn.Sequential(nn.Conv2D(1, 32, 3))
    table = rows(nn.summary(conv, (1, 10, 10), explain=True))
    assert table["0 (Conv2D)"] == ["(None, 32, 8, 8)", "320", "3*3*1*32 + 32 = 320"]
    conv_weights = nn.Conv2D(1, 32, 3, bias=False)
    text = nn.summary(conv_weights, (1, 10, 10), explain=True)
    assert "Total params: 288" in text
    assert rows(text)["Conv2D"] == ["(None, 32, 8, 8)", "288", "3*3*1*32 = 288"]


def test_grouped_conv_formula():
    table = rows(nn.summary(nn.Sequential(nn.Conv2D(4, 6, (3, 1), groups=2)), (4, 5, 5),
                            explain=True))
    assert table["0 (Conv2D)"][1:] == ["42", "3*1*2*6 + 6 = 42"]


class Custom(nn.Module):
    """A module with parameters of its own beside a child, plus a frozen parameter."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Dense(3, 2)
        self.scale = nn.Parameter(mg.ones(2))
        self.frozen = nn.Parameter(mg.ones(2, 2), requires_grad=False)

    def forward(self, x):
        return self.inner(x) * self.scale @ self.frozen


def test_nested_custom_modules_and_non_trainable():
    model = nn.Sequential(Custom(), nn.Tanh())
    text = nn.summary(model, (3,), explain=True)
    table = rows(text)
    assert table["0 (Custom)"] == ["(None, 2)", "6", "2 + 2*2 = 6"]
    assert table["0.inner (Dense)"] == ["(None, 2)", "8", "3*2 + 2 = 8"]
    assert list(table) == ["0 (Custom)", "0.inner (Dense)", "1 (Tanh)"]
    assert "Total params: 14" in text
    assert "Trainable params: 10" in text
    assert "Non-trainable params: 4" in text


def test_summary_restores_modes_and_forward_and_leaves_running_stats():
    model = nn.Sequential(nn.Conv2D(2, 3, 1), nn.BatchNorm2D(3), nn.Dropout(0.5))
    model.train()
    model[2].eval()
    before = model[1].running_mean.data.copy()
    text = nn.summary(model, (2, 4, 4))
    assert rows(text)["1 (BatchNorm2D)"] == ["(None, 3, 4, 4)", "6"]
    assert model.training and model[1].training and not model[2].training
    assert all("forward" not in m.__dict__ for m in model.modules())
    assert (model[1].running_mean.data == before).all()
    out = model(mg.randn(2, 2, 4, 4))                    # still trains: batch statistics
    assert out.shape == (2, 3, 4, 4)


def test_shared_layer_counted_once():
    layer = nn.Dense(4, 4)
    text = nn.summary(nn.Sequential(layer, nn.ReLU(), layer), (4,))
    assert "Total params: 20" in text
    assert text.count("0 (Dense)") == 2
    assert [line.split()[-1] for line in text.splitlines() if "0 (Dense)" in line] == ["20", "0"]


def test_header_and_bad_arguments():
    text = nn.summary(nn.Sequential(nn.Dense(2, 2)), 2)
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#"]
    assert "formula" not in text
    with pytest.raises(ValueError, match=r"input_shape must be a tuple of positive ints without "
                                         r"the batch dim, e.g. \(1, 28, 28\), got \(0, 3\)"):
        nn.summary(nn.Dense(3, 2), (0, 3))
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        nn.summary(lambda x: x, (3,))
    model = nn.Sequential(nn.Dense(5, 2))
    with pytest.raises(ValueError, match="Dense: input of shape"):
        nn.summary(model, (3,))
    assert "forward" not in model[0].__dict__                 # restored after a failed pass
