"""`DataLoader`: batches of Tensors from a dataset, optionally shuffled, as in PyTorch.

Shuffling draws one permutation per epoch from `mg.randperm`, so `mg.manual_seed(n)` makes the
order reproducible (and `mg.get_rng_state()` in a checkpoint lets a resumed run continue it).
"""
import numpy as np

import minigrad as mg
from minigrad import Tensor

from .dataset import TensorDataset


def _collate(samples: list):
    """A list of samples -> one batch: tuples are batched field by field.

    Shapes: N samples of (*a) -> (N, *a). Tensors and arrays are stacked; Python ints become
    int64, Python floats float32 (minigrad's default float).
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        if any(len(s) != len(first) for s in samples):
            raise ValueError("DataLoader: samples have different numbers of fields "
                             f"({sorted({len(s) for s in samples})}); __getitem__ must return "
                             "tuples of one length")
        return tuple(_collate([s[i] for s in samples]) for i in range(len(first)))
    arrays = [s.data if isinstance(s, Tensor) else np.asarray(s) for s in samples]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ValueError(f"DataLoader: samples in one batch have different shapes "
                         f"{sorted(shapes)}; make __getitem__ return equally shaped samples")
    batch = np.stack(arrays)
    if batch.dtype == np.float64 and not isinstance(first, (Tensor, np.ndarray)):
        batch = batch.astype(np.float32)
    return Tensor(batch)


class DataLoader:
    """Iterate over a dataset in batches.

    Args:
        dataset:    a Dataset (anything with __len__ and __getitem__)
        batch_size: samples per batch (the last one may be smaller unless drop_last)
        shuffle:    a fresh permutation from mg.randperm at the start of every epoch
        sampler:    where the indices come from instead (an iterable of ints with __len__,
                    e.g. nn.data.DistributedSampler); not together with shuffle
        drop_last:  skip the final incomplete batch
    Yields:
        a tuple of batched Tensors when samples are tuples, e.g. (N, 1, 28, 28) and (N,),
        else one batched Tensor. len(loader) is the number of batches per epoch.
    """

    def __init__(self, dataset, batch_size: int = 1, shuffle: bool = False, sampler=None,
                 drop_last: bool = False):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: dataset must define __len__ and __getitem__, got "
                            f"{type(dataset).__name__}; wrap arrays in nn.data.TensorDataset")
        if sampler is not None:
            if shuffle:
                raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive; "
                                 "let the sampler shuffle (DistributedSampler(shuffle=True))")
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(f"DataLoader: sampler must be an iterable of indices with "
                                f"__len__, got {type(sampler).__name__}")
        self.dataset = dataset
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)

    def __len__(self) -> int:
        n = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _batches_of_indices(self):
        if self.sampler is not None:
            order = np.fromiter(iter(self.sampler), dtype=np.int64, count=len(self.sampler))
            size = len(self.dataset)
            if order.size and (order.min() < 0 or order.max() >= size):
                raise IndexError(f"DataLoader: the sampler gave index {int(order.max())} or "
                                 f"{int(order.min())}, outside the dataset of {size} samples; "
                                 "build the sampler on this dataset")
        elif self.shuffle:
            order = mg.randperm(len(self.dataset)).data
        else:
            order = np.arange(len(self.dataset))
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            yield order[start:start + self.batch_size]

    def __iter__(self):
        if type(self.dataset).__getitem__ is TensorDataset.__getitem__:
            # Fast path: one fancy-indexing gather per tensor instead of N items + np.stack
            # (not for subclasses that override __getitem__, e.g. to transform samples).
            arrays = [t.data for t in self.dataset.tensors]
            for indices in self._batches_of_indices():
                yield tuple(Tensor(a[indices]) for a in arrays)
            return
        for indices in self._batches_of_indices():
            yield _collate([self.dataset[int(i)] for i in indices])

    def __repr__(self):
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, sampler={self.sampler!r}, "
                f"drop_last={self.drop_last})")
