"""Reused big arrays: a small caching allocator for the large buffers every training step needs.

Why: glibc's malloc hands every block of 32 MiB or more straight to the kernel (mmap) and gives
it back on free (munmap), so an array that size costs page faults and zero-filling each time it
is made: a conv layer's im2col matrix and its gradient (85 MiB each for the Keras MNIST CNN at
batch 128) are made again at every step. PyTorch's caching allocator keeps such blocks; this
module does the same for the few ops that make big arrays (the copy in `reshape`, `matmul`).

Safety: a cached array is handed out again only when nothing but this cache refers to it.
A NumPy view keeps a reference to its base array, so an array that anything still uses,
directly, through a view, a Tensor or a graph node (saved for backward), is never reused:
results a user holds are never overwritten. Arrays below `MIN_BYTES` are not cached (glibc
reuses those itself), and a cached array that has not been reused for `STALE_AFTER` requests
(e.g. a one-off evaluation batch) is released, so the cache holds what the current training
loop needs and no more, and at most `MAX_BYTES` in all.

    buffers.empty((288, 73728), np.float32)   # like np.empty, maybe a reused array
    buffers.clear()                           # release every cached array now
    buffers.cached_bytes()                    # bytes held by the cache (used or free)
"""
import sys
import threading

import numpy as np

MIN_BYTES = 32 * 2**20          # glibc's largest mmap threshold: smaller blocks stay in its heap
MAX_BYTES = 1024 * 2**20        # never cache more than this in all
STALE_AFTER = 64                # requests without reuse before a free cached array is released

_lock = threading.Lock()
_entries = []                   # [array (1-D uint8), request count when last handed out]
_requests = 0


def _references(entry) -> int:
    return sys.getrefcount(entry[0])


# What an array referenced by its cache entry alone counts (the entry, plus whatever the
# interpreter adds for the call); any other reference (a Tensor, a view's base pointer, a
# graph node's saved arrays) means the array is in use.
_FREE = _references([object(), 0])


def _is_free(entry) -> bool:
    return _references(entry) == _FREE


def empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array, from the cache when a free one of its size exists."""
    global _requests
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for n in shape:
        nbytes *= n
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    with _lock:
        _requests += 1
        found = None
        for entry in _entries:
            if found is None and entry[0].nbytes == nbytes and _is_free(entry):
                found = entry
        if found is not None:
            found[1] = _requests
            return found[0].view(dtype).reshape(shape)
        _release_stale()
        array = np.empty(nbytes, np.uint8)
        if cached_bytes() + nbytes <= MAX_BYTES:
            _entries.append([array, _requests])
        return array.view(dtype).reshape(shape)


def _release_stale() -> None:
    _entries[:] = [e for e in _entries if _requests - e[1] <= STALE_AFTER or not _is_free(e)]


def cached_bytes() -> int:
    """Bytes of all arrays the cache keeps (in use or free)."""
    return sum(entry[0].nbytes for entry in _entries)


def clear() -> None:
    """Forget every cached array; those still in use live on until their users drop them."""
    with _lock:
        _entries.clear()
