"""`DataLoader`: batches of Tensors from a dataset, optionally shuffled, as in PyTorch.

Shuffling draws one permutation per epoch from `mg.randperm` (or from `generator=`), so
`mg.manual_seed(n)` makes the order reproducible (and `mg.get_rng_state()` in a checkpoint lets
a resumed run continue it). `num_workers=N` loads the batches in N worker processes (see
`nn.data.worker`); the batches and their order are the same as with `num_workers=0`.
"""
import numbers
from typing import Any, Callable, Iterator

import numpy as np

import minigrad as mg
from minigrad import Tensor

from .collate import default_collate
from .dataset import TensorDataset
from .worker import WorkerPool


class _Fetch:
    """indices -> list of samples; for a plain TensorDataset with the default collate, one
    fancy-indexing gather per tensor (a ready batch) instead of N items + np.stack.
    A module-level class, so worker processes started with 'spawn' can receive it."""

    def __init__(self, dataset: Any, gather: bool) -> None:
        self.dataset = dataset
        self.gather = gather

    def __call__(self, indices: Any) -> list[Any]:
        if self.gather:
            return [Tensor(t.data[np.asarray(indices, dtype=np.int64)])
                    for t in self.dataset.tensors]
        return [self.dataset[int(i)] for i in indices]


class _GatheredCollate:
    """The fast path's batch is already collated."""

    def __call__(self, batch: Any) -> Any:
        return batch


def _check_count(value: Any, name: str, low: int, hint: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"DataLoader: {name} must be an int >= {low}, got {value!r}{hint}")
    return int(value)


class DataLoader:
    """Iterate over a dataset in batches, with PyTorch's arguments.

    Args:
        dataset:     a Dataset (anything with __len__ and __getitem__)
        batch_size:  samples per batch (the last one may be smaller unless drop_last)
        shuffle:     a fresh permutation at the start of every epoch (mg.randperm, or
                     `generator` when given: a numpy.random.Generator)
        sampler:     an iterable of sample indices giving the order (instead of shuffle),
                     e.g. nn.data.DistributedSampler
        batch_sampler: an iterable of index lists, one per batch (instead of batch_size,
                     shuffle, sampler and drop_last)
        num_workers: 0 loads in this process; N > 0 loads batches in N worker processes
                     (same batches, same order); each worker seeds mg, numpy and random with
                     base_seed + worker id, base_seed drawn from mg's generator every epoch
        collate_fn:  list of samples -> batch (default: default_collate)
        pin_memory:  accepted; a no-op (CPU only: there is no device memory to pin)
        drop_last:   skip the final incomplete batch
        timeout:     seconds to wait for a batch from the workers (0: wait as long as needed)
        worker_init_fn: called as fn(worker_id) in each worker after seeding
        multiprocessing_context: 'fork', 'spawn', 'forkserver' or a context (default: the
                     platform's); with 'spawn' the dataset and collate_fn must be picklable
        prefetch_factor: batches queued per worker (default 2; only with num_workers > 0)
        persistent_workers: keep the workers alive between epochs (needs num_workers > 0)
    Yields:
        a list of batched Tensors when samples are tuples, e.g. [(N, 1, 28, 28), (N,)], else
        one batched Tensor (see default_collate). len(loader) is the number of batches.
    """

    dataset: Any
    batch_size: Any
    shuffle: bool
    sampler: Any
    batch_sampler: Any
    drop_last: bool
    generator: Any
    num_workers: int
    collate_fn: Callable[[Any], Any]
    pin_memory: bool
    timeout: float
    worker_init_fn: Callable[[int], Any] | None
    multiprocessing_context: Any
    prefetch_factor: Any
    persistent_workers: bool
    _pool: WorkerPool | None

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool | None = None,
                 sampler: Any = None, batch_sampler: Any = None, num_workers: int = 0,
                 collate_fn: Callable[[Any], Any] | None = None,
                 pin_memory: bool = False, drop_last: bool = False, timeout: float = 0,
                 worker_init_fn: Callable[[int], Any] | None = None,
                 multiprocessing_context: Any = None, generator: Any = None, *,
                 prefetch_factor: int | None = None, persistent_workers: bool = False,
                 pin_memory_device: str = "", in_order: bool = True) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"DataLoader: dataset must define __len__ and __getitem__, got "
                            f"{type(dataset).__name__}; wrap arrays in nn.data.TensorDataset")
        if batch_size is None:
            raise ValueError("DataLoader: batch_size=None (no automatic batching) is not "
                             "supported; use batch_size=1 and index the batch, or iterate "
                             "the dataset itself")
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True are mutually exclusive; "
                             "let the sampler shuffle (e.g. DistributedSampler(shuffle=True))")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, sampler "
                             "and drop_last (it yields the index lists of whole batches)")
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value is not None and not (hasattr(value, "__iter__")
                                          and hasattr(value, "__len__")):
                raise TypeError(f"DataLoader: {name} must be an iterable of indices with "
                                f"__len__, got {type(value).__name__}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator (e.g. "
                            f"np.random.default_rng(0)), got {type(generator).__name__}")
        num_workers = _check_count(num_workers, "num_workers", 0,
                                   "; num_workers=0 loads in this process")
        if prefetch_factor is not None and num_workers == 0:
            raise ValueError("DataLoader: prefetch_factor needs num_workers > 0 (it counts "
                             "batches queued per worker)")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
        if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError(f"DataLoader: timeout must be a number of seconds >= 0, got "
                             f"{timeout!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable (list of samples -> "
                            f"batch), got {type(collate_fn).__name__}")
        if worker_init_fn is not None and not callable(worker_init_fn):
            raise TypeError(f"DataLoader: worker_init_fn must be callable, got "
                            f"{type(worker_init_fn).__name__}")
        self.dataset = dataset
        self.batch_size = None if batch_sampler is not None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.collate_fn = collate_fn if collate_fn is not None else default_collate
        self.pin_memory = bool(pin_memory)
        self.drop_last = bool(drop_last)
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = (2 if prefetch_factor is None else
                                _check_count(prefetch_factor, "prefetch_factor", 1)) \
            if num_workers else None
        self.persistent_workers = bool(persistent_workers)
        self._pool = None

    def __len__(self) -> int:
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def _index_batches(self) -> list:
        """This epoch's batches of sample indices (the permutation is drawn here, once)."""
        if self.batch_sampler is not None:
            return [list(b) for b in self.batch_sampler]
        if self.sampler is not None:
            order = np.fromiter((int(i) for i in self.sampler), dtype=np.int64)
            size = len(self.dataset)
            if order.size and (order.min() < -size or order.max() >= size):
                raise IndexError(f"DataLoader: the sampler gave index {int(order.max())} or "
                                 f"{int(order.min())}, outside the dataset of {size} samples; "
                                 "build the sampler on this dataset")
        elif self.shuffle:
            n = len(self.dataset)
            order = (self.generator.permutation(n) if self.generator is not None
                     else mg.randperm(n).data)
        else:
            order = np.arange(len(self.dataset))
        stop = len(order) - len(order) % self.batch_size if self.drop_last else len(order)
        return [order[start:start + self.batch_size].tolist()
                for start in range(0, stop, self.batch_size)]

    def _fetch_and_collate(self) -> tuple[_Fetch, Callable[[Any], Any]]:
        gather = (type(self.dataset).__getitem__ is TensorDataset.__getitem__
                  and self.collate_fn is default_collate)
        # gather: not for subclasses that override __getitem__, e.g. to transform samples
        return _Fetch(self.dataset, gather), (_GatheredCollate() if gather else self.collate_fn)

    def __iter__(self) -> Iterator[Any]:
        batches = self._index_batches()
        fetch, collate = self._fetch_and_collate()
        if self.num_workers == 0:
            return (collate(fetch(indices)) for indices in batches)
        return self._from_workers(batches, fetch, collate)

    def _from_workers(self, batches: list[Any], fetch: _Fetch,
                      collate: Callable[[Any], Any]) -> Iterator[Any]:
        pool = self._pool
        if pool is None or not pool.alive:
            seed = int(mg.random.generator().integers(2 ** 62))
            pool = WorkerPool(fetch, collate, self.dataset, self.num_workers, seed,
                              self.worker_init_fn, self.multiprocessing_context, self.timeout)
            if self.persistent_workers:
                self._pool = pool
        keep = False                    # persistent workers survive an epoch left early
        try:
            yield from pool.run_epoch(batches, self.prefetch_factor)
            keep = True
        except GeneratorExit:
            keep = True
            raise
        finally:
            if not (keep and self.persistent_workers):
                pool.shutdown()

    def __del__(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown()

    def __repr__(self) -> str:
        return (f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")
