"""Reused big arrays: a small caching allocator for the large buffers every training step needs.

Why: glibc's malloc hands every block of 32 MiB or more straight to the kernel (mmap) and gives
it back on free (munmap), and it returns the freed top of its heap to the kernel too, so a big
array costs page faults and zero-filling each time it is made: a conv layer's im2col matrix and
its gradient (85 MiB each for the Keras MNIST CNN at batch 128), its output, ReLU's output and
gradient (19 MiB each) are made again at every step. PyTorch's caching allocator keeps such
blocks; this module does the same for the ops that make big arrays in a training step (the
copy in `reshape`, 2-D `matmul` and its gradients, `relu` and its gradient, the bias `add`,
max pooling's gradient, col2im).

Safety: a cached array is handed out again only when nothing but this cache refers to it.
A NumPy view keeps a reference to its base array, so an array that anything still uses,
directly, through a view, a Tensor or a graph node (saved for backward), is never reused:
results a user holds are never overwritten. Arrays below `MIN_BYTES` are not cached (malloc
serves those cheaply), and a cached array that has not been reused for `STALE_AFTER` requests
is released, and arrays made under `no_grad` outside backward (evaluation, often at another
batch size) are not added, so the cache holds what the current training loop needs and no more, and at most
`MAX_BYTES` in all.

    buffers.empty((288, 73728), np.float32)   # like np.empty, maybe a reused array
    buffers.empty_like(a)                     # like np.empty_like, keeping a's axis order
    buffers.clear()                           # release every cached array now
    buffers.cached_bytes()                    # bytes held by the cache (used or free)

Smaller arrays (up to 32 MiB) come from malloc's heap, and glibc gives the free top of that heap
back to the kernel as soon as more than a few MiB of it are free: at the end of every step, when
the step's activations die. The next step then page-faults all of it in again (LeNet-5 at batch
32: 2,300 faults, a third of its CPU time). So at import minigrad asks glibc (mallopt; Linux
only) to serve arrays below 32 MiB from the heap and to keep up to 128 MiB of free heap: the
memory a training step frees is reused by the next one. `MALLOC_TUNED` says whether it did.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import grad_mode

MMAP_THRESHOLD = 32 * 2**20    # malloc: arrays below this come from the heap (glibc's maximum)
TRIM_THRESHOLD = 128 * 2**20   # malloc: free heap kept for reuse before it goes back to the kernel
MIN_BYTES = 4 * 2**20           # smaller arrays come and go cheaply from malloc's heap
MAX_BYTES = 1024 * 2**20        # never cache more than this in all
STALE_AFTER = 64                # requests without reuse before a free cached array is released

_lock = threading.Lock()


class _Backward(threading.local):
    """How many backward sweeps run in this thread (autograd.run_backward counts them)."""

    def __init__(self) -> None:
        self.depth = 0


BACKWARD = _Backward()
_entries: list = []                   # [array (1-D uint8), request count when last handed out]
_requests = 0


def _keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed heap memory for reuse (see the module docstring).
    False where there is no glibc mallopt (macOS, Windows, musl) or it refused."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3          # from glibc's malloc.h
    return bool(mallopt(m_mmap_threshold, MMAP_THRESHOLD)) and bool(
        mallopt(m_trim_threshold, TRIM_THRESHOLD))


MALLOC_TUNED = _keep_freed_memory()


def _references(entry: Any) -> int:
    return sys.getrefcount(entry[0])


# What an array referenced by its cache entry alone counts (the entry, plus whatever the
# interpreter adds for the call); any other reference (a Tensor, a view's base pointer, a
# graph node's saved arrays) means the array is in use.
_FREE = _references([object(), 0])


def _is_free(entry: Any) -> bool:
    return _references(entry) == _FREE


def empty(shape: Any, dtype: DTypeLike) -> np.ndarray:
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
        if not (grad_mode.STATE.enabled or BACKWARD.depth):
            # Evaluation (no_grad outside backward): its arrays die right after use and its
            # batch size is often not the training one; caching them would only raise the
            # peak memory.
            return np.empty(shape, dtype)
        array = np.empty(nbytes, np.uint8)
        if cached_bytes() + nbytes <= MAX_BYTES:
            _entries.append([array, _requests])
        return array.view(dtype).reshape(shape)


def empty_like(a: np.ndarray, dtype: DTypeLike | None = None) -> np.ndarray:
    """Like np.empty_like(a) (same shape, same memory order of the axes), maybe reused.

    The axes are laid out in the order of a's strides, so a batch-last (permuted) array gets
    a batch-last result and elementwise work on the two walks memory in step.
    """
    dtype = a.dtype if dtype is None else np.dtype(dtype)
    if a.size * dtype.itemsize < MIN_BYTES or type(a) is not np.ndarray:
        return np.empty_like(a, dtype=dtype)
    order = sorted(range(a.ndim), key=lambda axis: -a.strides[axis])
    out = empty([a.shape[axis] for axis in order], dtype)
    return out.transpose([order.index(axis) for axis in range(a.ndim)])


def is_sole_user(array: np.ndarray) -> bool:
    """Whether `array` is a view of a whole cached array (as `empty` hands them out) and
    nothing else uses that cached array: the caller may then keep `array` as its own, since
    the cache hands an array out again only once nothing but the cache refers to it."""
    with _lock:
        for entry in _entries:
            if entry[0].nbytes == array.nbytes and entry[0] is array.base:
                return _references(entry) == _FREE + 1       # the entry's and array's
    return False


def _release_stale() -> None:
    _entries[:] = [e for e in _entries if _requests - e[1] <= STALE_AFTER or not _is_free(e)]


def cached_bytes() -> int:
    """Bytes of all arrays the cache keeps (in use or free)."""
    return sum(entry[0].nbytes for entry in _entries)


def clear() -> None:
    """Forget every cached array; those still in use live on until their users drop them."""
    with _lock:
        _entries.clear()
