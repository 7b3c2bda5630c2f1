"""Empty batches (N = 0) go through every layer, forward and backward, as in NumPy/PyTorch."""
import numpy as np
import pytest

import minigrad as mg
import nn

LAYERS = {
    "Conv2D": (lambda: nn.Conv2D(2, 3, kernel_size=3), (0, 2, 5, 5), (0, 3, 3, 3)),
    "Conv2D_groups_padding": (lambda: nn.Conv2D(4, 6, kernel_size=3, padding=1, groups=2),
                              (0, 4, 5, 5), (0, 6, 5, 5)),
    "MaxPool2D": (lambda: nn.MaxPool2D(2), (0, 2, 4, 4), (0, 2, 2, 2)),
    "MaxPool2D_overlapping": (lambda: nn.MaxPool2D(3, stride=1), (0, 2, 4, 4), (0, 2, 2, 2)),
    "AvgPool2D": (lambda: nn.AvgPool2D(2, padding=1), (0, 2, 4, 4), (0, 2, 3, 3)),
    "Dense": (lambda: nn.Dense(3, 2), (0, 3), (0, 2)),
    "ReLU": (nn.ReLU, (0, 3), (0, 3)),
    "Softmax": (lambda: nn.Softmax(dim=1), (0, 3), (0, 3)),
    "Flatten": (nn.Flatten, (0, 2, 3, 3), (0, 18)),
    "Dropout": (lambda: nn.Dropout(0.5), (0, 3), (0, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_forward_and_backward_on_empty_batch(name):
    make, in_shape, out_shape = LAYERS[name]
    layer = make()
    x = mg.zeros(in_shape, requires_grad=True)
    out = layer(x)
    assert out.shape == out_shape
    out.sum().backward()
    assert x.grad.shape == in_shape
    for p in layer.parameters():                # nothing to learn from no samples
        np.testing.assert_array_equal(p.grad.data, 0.0)


def test_max_over_large_groups_of_an_empty_tensor_has_a_gradient():
    x = mg.zeros((0, 2, 3, 3), requires_grad=True)
    x.amax(dim=(2, 3)).sum().backward()
    assert x.grad.shape == (0, 2, 3, 3)


def test_losses_on_empty_batch():
    logits = mg.zeros((0, 3), requires_grad=True)
    target = np.zeros(0, dtype=np.int64)
    total = nn.functional.cross_entropy(logits, target, reduction="sum")
    assert total.item() == 0.0
    total.backward()
    assert logits.grad.shape == (0, 3)
    assert nn.functional.cross_entropy(logits, target, reduction="none").shape == (0,)
    with pytest.raises(ValueError, match="cross_entropy: cannot average over an empty batch"):
        nn.functional.cross_entropy(logits, target)


def test_model_on_empty_batch():
    model = nn.Sequential(nn.Conv2D(1, 2, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                          nn.Dense(2 * 2 * 2, 3))
    out = model(mg.zeros((0, 1, 6, 6)))
    assert out.shape == (0, 3)
