"""`DistributedSampler`: each rank of a data-parallel job gets its own shard of a dataset.

The shards are disjoint and, together, cover every index: the index list is padded (repeating
its first indices) to a multiple of the number of ranks, then rank r takes positions
r, r + ranks, r + 2*ranks, ... -- the padding and striding of PyTorch's
`torch.utils.data.distributed.DistributedSampler`. The shuffled order comes from NumPy's
generator seeded with `seed + epoch` (so it is not PyTorch's permutation), the same on every
rank, so the shards never overlap.

    sampler = nn.data.DistributedSampler(train_set, shuffle=True, seed=0)
    loader = nn.data.DataLoader(train_set, batch_size=32, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)        # a new order each epoch, identical on all ranks
        for x, y in loader: ...
"""
from __future__ import annotations

import math
from typing import Any, Iterator

import numpy as np


def _check_count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"DistributedSampler: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


class DistributedSampler:
    """Iterate over the indices of one rank's shard of `dataset`.

    Args:
        dataset:      anything with __len__ (only its length is used)
        num_replicas: number of ranks (default: nn.parallel.world_size(), which needs MPI)
        rank:         this rank (default: nn.parallel.rank())
        shuffle:      a new permutation per epoch, from seed + epoch (see set_epoch)
        seed:         the same on every rank
        drop_last:    drop the tail so every rank gets len // ranks indices, instead of
                      padding with repeated indices up to ceil(len / ranks) per rank
    Yields:
        ints in [0, len(dataset)); len(sampler) of them per epoch on every rank.
    """

    def __init__(self, dataset: Any, num_replicas: "int | None" = None, rank: "int | None" = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"DistributedSampler: dataset must define __len__, got "
                            f"{type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from nn import parallel              # needs mpi4py only when a default is used
            num_replicas = parallel.world_size() if num_replicas is None else num_replicas
            rank = parallel.rank() if rank is None else rank
        self.num_replicas = _check_count(num_replicas, "num_replicas", 1)
        self.rank = _check_count(rank, "rank", 0)
        if self.rank >= self.num_replicas:
            raise ValueError(f"DistributedSampler: rank {self.rank} is out of range for "
                             f"num_replicas={self.num_replicas}; ranks are 0 .. "
                             f"{self.num_replicas - 1}")
        self.seed = _check_count(seed, "seed", 0)
        self.dataset = dataset
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.epoch = 0
        size = len(dataset)
        if self.drop_last and size % self.num_replicas:
            self.num_samples = math.ceil((size - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the permutation of this epoch (call it before each epoch, on every rank)."""
        self.epoch = _check_count(epoch, "epoch", 0)

    def indices(self) -> np.ndarray:
        """This rank's indices for the current epoch, as an int64 array of len(self)."""
        size = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(size)
        else:
            order = np.arange(size)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > size:
            # pad by repeating the list from its start (as often as needed for tiny datasets)
            repeats = math.ceil(self.total_size / max(size, 1))
            order = np.tile(order, repeats)[:self.total_size]
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
