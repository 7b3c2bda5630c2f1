"""Two halves of one op's work on two cores, with OpenBLAS held to one thread meanwhile.

Why: OpenBLAS splits each matrix product over its threads, but the copies and adds around the
products (im2col, col2im, bias) run on one core, and after every product OpenBLAS's idle
threads spin for a while, taking the second core from any other work. An op that splits its
whole job (copies, products and adds of one half of the output rows each) over two Python
threads, with OpenBLAS at one thread, keeps both cores busy with work whose data stays in
each core's cache (NumPy releases the GIL inside its loops and BLAS calls). `conv2d` does this.

How many: as many as OpenBLAS is set to use (OPENBLAS_NUM_THREADS, or all cores), at most 2
halves here, so the thread count a user or a benchmark sets for NumPy is the one minigrad uses.
Where OpenBLAS cannot be found (another BLAS, macOS, Windows) the halves run one after the
other in the calling thread: the same numbers, no parallelism.

    if threads.parallel():                       # OpenBLAS found and set to >= 2 threads
        threads.run_both(first_half, second_half)   # returns when both are done
    threads.in_halves(x, lambda part: np.maximum(x[part], 0, out=out[part]))   # a big pass
"""

from __future__ import annotations

import ctypes
import os
import threading
from typing import Any, Callable

import numpy as np


def _find_openblas() -> tuple[Any, Any, Any] | None:
    """(get_num_threads, set_num_threads, the library) of the OpenBLAS this process loaded,
    or None."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:                                  # not Linux
        return None
    for path in sorted(p for p in paths if ".so" in p):
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for prefix, suffix in (("scipy_", "64_"), ("", "64_"), ("", "")):
            getter = getattr(library, f"{prefix}openblas_get_num_threads{suffix}", None)
            setter = getattr(library, f"{prefix}openblas_set_num_threads{suffix}", None)
            if getter is not None and setter is not None:
                getter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
                return getter, setter, library
    return None


_OPENBLAS = _find_openblas()

# OpenBLAS's idle threads spin (sched_yield in a loop) for 2**28 CPU cycles, about 0.1 s,
# after each threaded product before they sleep: in a training step that is always, and a
# spinning thread takes the core that run_both's helper needs (the Keras CNN's conv layer
# then ran slower on two threads than on one). Unless the user set OPENBLAS_THREAD_TIMEOUT,
# minigrad sets it to 2**22 cycles (~1.5 ms: back-to-back products still find their threads
# awake), has OpenBLAS re-read its environment and stops its threads once, at import; OpenBLAS
# starts them again, with the shorter spin, at its next threaded product.
SPIN_EXPONENT = 22


def _shorten_spin() -> bool:
    """Set OpenBLAS's idle spin to 2**SPIN_EXPONENT cycles; True if it was done."""
    if _OPENBLAS is None or "OPENBLAS_THREAD_TIMEOUT" in os.environ or _OPENBLAS[0]() < 2:
        return False
    library = _OPENBLAS[2]
    read_environment = getattr(library, "openblas_read_env", None)
    stop_threads = getattr(library, "blas_thread_shutdown_", None)
    if read_environment is None or stop_threads is None:
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = str(SPIN_EXPONENT)
    read_environment()
    stop_threads()
    return True


SPIN_SHORTENED = _shorten_spin()


def parallel() -> bool:
    """Can run_both use two cores? (OpenBLAS found and set to at least 2 threads.)"""
    return _OPENBLAS is not None and _OPENBLAS[0]() >= 2


class _Helper:
    """One extra thread that runs a job on request (handed over with two locks)."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.job: Callable[[], None] | None = None
        self.error: BaseException | None = None
        self.start, self.finished = threading.Lock(), threading.Lock()
        self.start.acquire()
        self.finished.acquire()
        threading.Thread(target=self._serve, name="minigrad-helper", daemon=True).start()

    def _serve(self) -> None:
        while True:
            self.start.acquire()
            try:
                assert self.job is not None
                self.job()
            except BaseException as error:  # noqa: BLE001 - re-raised in the caller
                self.error = error
            self.finished.release()


_helper: _Helper | None = None
_busy = threading.Lock()            # one run_both at a time; others run sequentially


def run_both(first: Callable[[], None], second: Callable[[], None]) -> None:
    """Run first() here and second() on the helper thread, OpenBLAS at one thread meanwhile;
    sequentially instead when parallel() is False or another thread is using the helper.
    An exception from either is raised here after both have stopped."""
    global _helper
    if not parallel() or not _busy.acquire(blocking=False):
        first()
        second()
        return
    try:
        if _helper is None or _helper.pid != os.getpid():     # none yet, or a forked child
            _helper = _Helper()
        assert _OPENBLAS is not None
        get_threads, set_threads = _OPENBLAS[:2]
        blas_threads = get_threads()
        set_threads(1)
        helper = _helper
        helper.job, helper.error = second, None
        helper.start.release()
        try:
            first()
        finally:
            helper.finished.acquire()
            helper.job = None
            set_threads(blas_threads)
        if helper.error is not None:
            raise helper.error
    finally:
        _busy.release()


# A pass over an array this big runs in two halves on two cores: a single core does not reach
# the memory bandwidth two have (ReLU's backward over the Keras CNN's conv2 output, 9.4 MB:
# 1.53 -> 1.00 ms; its forward 0.94 -> 0.51 ms), and strided passes such as max pooling's
# gain more.
SPLIT_BYTES = 4 * 2**20


def in_halves(x: Any, work: Callable[[tuple], None], whole_axes: Any = ()) -> None:
    """work(part) for two halves of x (`part` an index tuple: x[part] is one half), split along
    the axis farthest apart in memory that is not in `whole_axes`, on two cores, when x is a
    NumPy array of SPLIT_BYTES or more and parallel() holds; else work(everything) once."""
    everything = (slice(None),) * x.ndim
    axes = [axis for axis in range(x.ndim) if axis not in whole_axes and x.shape[axis] >= 2]
    if type(x) is not np.ndarray or x.nbytes < SPLIT_BYTES or not axes or not parallel():
        work(everything)
        return
    axis = max(axes, key=lambda a: abs(x.strides[a]))
    middle = x.shape[axis] // 2
    first = everything[:axis] + (slice(0, middle),) + everything[axis + 1:]
    second = everything[:axis] + (slice(middle, None),) + everything[axis + 1:]
    run_both(lambda: work(first), lambda: work(second))
