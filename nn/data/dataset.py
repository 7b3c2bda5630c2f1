"""Map-style datasets, as in `torch.utils.data`: `Dataset`, `TensorDataset`, `Subset`,
`ConcatDataset` and `random_split`.

A dataset is anything with `__len__` and `__getitem__(i)` returning one sample (usually a
tuple such as `(image, label)`); `DataLoader` turns samples into batches.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import bisect
import math
import numbers
import warnings

import numpy as np

import minigrad as mg
from minigrad import Tensor


class Dataset:
    """Base class of map-style datasets: subclass it and define `__len__` and `__getitem__`.

        class Squares(nn.data.Dataset):
            def __len__(self):
                return 10
            def __getitem__(self, i):
                return mg.tensor([float(i)]), i * i
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define "
                                  "__len__ (the number of samples)")

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define "
                                  "__getitem__(index) returning one sample")

    def __add__(self, other: Dataset) -> "ConcatDataset":
        return ConcatDataset([self, other])


class TensorDataset(Dataset):
    """Samples are the rows of equally long tensors: `dataset[i] == (t[i] for t in tensors)`.

    Shapes:
        tensors: (N, *a), (N, *b), ...  (Tensors or NumPy arrays; arrays are wrapped, not copied)
        item i:  tuple of Tensors of shapes (*a), (*b), ...
    `DataLoader` indexes the whole arrays at once for a TensorDataset (no per-sample stacking).
    """

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor; pass e.g. "
                             "TensorDataset(images, labels)")
        wrapped = tuple(t if isinstance(t, Tensor) else Tensor(np.asarray(t)) for t in tensors)
        for position, t in enumerate(wrapped):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {position} is 0-d (shape ()); every "
                                 "tensor needs a first dimension indexing the samples")
        lengths = [t.shape[0] for t in wrapped]
        if len(set(lengths)) != 1:
            shapes = ", ".join(str(t.shape) for t in wrapped)
            raise ValueError(f"TensorDataset: the tensors have different numbers of samples "
                             f"(shapes {shapes}); their first dimensions must be equal")
        self.tensors = wrapped

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index: Any) -> Any:
        return tuple(Tensor(t.data[index]) for t in self.tensors)

    def __repr__(self) -> str:
        shapes = ", ".join(str(t.shape) for t in self.tensors)
        return f"TensorDataset({shapes})"


def _check_dataset(dataset: Any, op: str) -> Any:
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(f"{op}: a dataset must define __len__ and __getitem__, got "
                        f"{type(dataset).__name__}; wrap arrays in nn.data.TensorDataset")
    return dataset


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order: `subset[i] == dataset[indices[i]]`.

    Shapes: indices (M,) -> a dataset of M samples.
    """

    def __init__(self, dataset: Any, indices: Sequence[int]) -> None:
        self.dataset = _check_dataset(dataset, "Subset")
        if isinstance(indices, Tensor):
            indices = indices.data
        if isinstance(indices, np.ndarray):
            indices = indices.reshape(-1).tolist() if indices.dtype.kind in "iu" else [indices]
        try:
            indices = list(indices)
        except TypeError:
            raise TypeError(f"Subset: indices must be a sequence of ints, got "
                            f"{type(indices).__name__}") from None
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, numbers.Integral):
                raise TypeError(f"Subset: indices must be ints, got {i!r} "
                                f"({type(i).__name__})")
        self.indices = indices
        n = len(dataset)
        for i in self.indices:
            if not -n <= i < n:
                raise IndexError(f"Subset: index {i} is out of range for a dataset of {n} "
                                 "samples")

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __repr__(self) -> str:
        return f"Subset({len(self)} of {self.dataset!r})"


class ConcatDataset(Dataset):
    """Datasets one after another: indices 0..len(a)-1 are a's samples, then b's, ...

    Shapes: datasets of N1, N2, ... samples -> a dataset of N1 + N2 + ... samples.
    """

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: got no datasets; pass a non-empty list")
        for d in self.datasets:
            _check_dataset(d, "ConcatDataset")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]).tolist())

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise TypeError(f"ConcatDataset: index must be an int, got "
                            f"{type(index).__name__}")
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for {n} samples")
        index = int(index) % n
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]

    def __repr__(self) -> str:
        return f"ConcatDataset({len(self.datasets)} datasets, {len(self)} samples)"


def random_split(dataset: Any, lengths: Sequence[int | float], generator: Any = None) -> list:
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    lengths: ints summing to len(dataset), or fractions summing to 1 (each subset gets
    floor(fraction * len) samples; the remainder goes one by one to the first subsets, as in
    PyTorch). The permutation comes from mg's shared generator (so mg.manual_seed fixes it), or
    from `generator` (a NumPy Generator, e.g. the one `mg.manual_seed(n)` returns, or
    `np.random.default_rng(n)`).
    """
    _check_dataset(dataset, "random_split")
    n = len(dataset)
    try:
        lengths = list(lengths)
    except TypeError:
        raise TypeError(f"random_split: lengths must be a list of ints or fractions, got "
                        f"{type(lengths).__name__}") from None
    if any(isinstance(x, bool) or not isinstance(x, numbers.Real) for x in lengths):
        raise TypeError(f"random_split: lengths must be ints or fractions, got {lengths}")
    if lengths and all(0 <= x <= 1 for x in lengths) and math.isclose(sum(lengths), 1) \
            and sum(lengths) <= 1:
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split {i} is 0; the dataset of {n} "
                              "samples is too small for these fractions", UserWarning,
                              stacklevel=2)
        lengths = counts
    elif any(not isinstance(x, numbers.Integral) or x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths {lengths} must be non-negative ints summing "
                         f"to {n}, or fractions summing to 1")
    if sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} sum to {sum(lengths)} but the "
                         f"dataset has {n} samples; make them add up (or pass fractions)")
    if generator is None:
        order = mg.randperm(n).data
    elif isinstance(generator, np.random.Generator):
        order = generator.permutation(n)
    else:
        raise TypeError(f"random_split: generator must be a numpy.random.Generator (e.g. "
                        f"mg.manual_seed(0) or np.random.default_rng(0)), got "
                        f"{type(generator).__name__}")
    order = order.tolist()
    offsets = np.cumsum([0] + lengths).tolist()
    return [Subset(dataset, order[start:stop]) for start, stop in zip(offsets, offsets[1:])]
