"""End to end: a small CNN learns which quadrant of an 8x8 image is bright."""
import numpy as np

import minigrad as mg
import nn
import nn.functional as F


def quadrant_data(count: int, rng):
    """Images (count, 1, 8, 8) of noise with one bright 4x4 quadrant; label = its index."""
    labels = rng.integers(0, 4, count)
    images = rng.normal(0.0, 0.3, (count, 1, 8, 8)).astype(np.float32)
    for k, (row, col) in enumerate([(0, 0), (0, 4), (4, 0), (4, 4)]):
        images[labels == k, :, row:row + 4, col:col + 4] += 1.0
    return images, labels


def test_small_cnn_learns_the_bright_quadrant():
    mg.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(
        nn.Conv2D(1, 4, 3, padding="same"), nn.ReLU(), nn.MaxPool2D(2),
        nn.Conv2D(4, 8, 3, padding=1), nn.ReLU(), nn.AvgPool2D(2),
        nn.Flatten(), nn.Dense(8 * 2 * 2, 4))
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    images, labels = quadrant_data(512, rng)
    first_loss = None
    for step in range(150):
        batch = rng.integers(0, len(labels), 32)
        loss = F.cross_entropy(model(mg.tensor(images[batch])), mg.tensor(labels[batch]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        first_loss = loss.item() if first_loss is None else first_loss
    test_images, test_labels = quadrant_data(400, rng)
    model.eval()
    with mg.no_grad():
        predicted = model(mg.tensor(test_images)).argmax(dim=1).numpy()
    accuracy = (predicted == test_labels).mean()
    assert accuracy > 0.95, f"accuracy {accuracy:.3f}"
    assert loss.item() < 0.25 * first_loss
    assert all(p.dtype == np.float32 for p in model.parameters())
