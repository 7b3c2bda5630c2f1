"""Worker processes for `DataLoader(num_workers=N)`.

The main process decides the batches (the sampler, the shuffle) and hands batch k to worker
k % N; each worker loads its samples, collates them and sends the batch back; the main process
yields batches in order k = 0, 1, 2, ... whatever order they arrive in. So the batches are the
same as with num_workers=0, only loaded in parallel. A failing sample is reported with its
index and the worker's traceback and re-raised in the main process; a worker that dies is
detected; the workers are stopped when the epoch ends, the loop is left early, or the loader
is garbage-collected (persistent_workers).
"""
import multiprocessing
import queue
import random
import signal
import traceback
from typing import Any, Callable, Iterator
from dataclasses import dataclass

import numpy as np

import minigrad as mg

POLL_SECONDS = 0.2        # how often the main process checks that the workers are alive
JOIN_SECONDS = 5.0        # how long a stopping worker may take before it is terminated


@dataclass(frozen=True)
class WorkerInfo:
    """What `get_worker_info()` returns inside a worker process (None in the main process)."""
    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: "WorkerInfo | None" = None


def get_worker_info() -> WorkerInfo | None:
    """Inside a DataLoader worker: its WorkerInfo (id, num_workers, seed, dataset) -- e.g. to
    split an expensive resource per worker. In the main process: None."""
    return _worker_info


class WorkerError:
    """A failure inside a worker, carried back to the main process to be re-raised there."""

    def __init__(self, worker_id: int, batch: int, index: int | None, error: BaseException) -> None:
        self.worker_id, self.batch, self.index = worker_id, batch, index
        self.kind = type(error)
        self.message = str(error)
        self.traceback = "".join(traceback.format_exception(error))

    def reraise(self) -> None:
        where = f"sample index {self.index}" if self.index is not None else "collate_fn"
        message = (f"DataLoader worker {self.worker_id} failed on batch {self.batch} "
                   f"({where}): {self.kind.__name__}: {self.message}\n"
                   f"Traceback in the worker process:\n{self.traceback}")
        if issubclass(self.kind, KeyError):
            message = _PlainMessage(message)    # KeyError would print the message's repr
        try:
            error = self.kind(message)
        except Exception:                  # an exception type that needs other arguments
            error = RuntimeError(message)
        raise error


class _PlainMessage(str):
    """A str whose repr is itself, so str(KeyError(m)) shows m readably."""

    def __repr__(self) -> str:
        return str(self)


def _load_batch(fetch: Callable[[Any], Any], collate: Callable[[Any], Any], indices: Any,
                worker_id: int, batch: int) -> Any:
    """fetch + collate one batch; a failure becomes a WorkerError naming the sample index."""
    try:
        samples = fetch(indices)
    except Exception as error:
        return WorkerError(worker_id, batch, _failing_index(fetch, indices), error)
    try:
        return collate(samples)
    except Exception as error:
        return WorkerError(worker_id, batch, None, error)


def _failing_index(fetch: Callable[[Any], Any], indices: Any) -> int | None:
    """Which sample of a failed batch raised (retried one by one); None if none alone does."""
    for i in indices:
        try:
            fetch([i])
        except Exception:
            return int(i)
    return None


def _worker_loop(fetch: Callable[[Any], Any], collate: Callable[[Any], Any], tasks: Any,
                 results: Any, worker_id: int, num_workers: int, seed: int, dataset: Any,
                 worker_init_fn: Callable[[int], Any] | None) -> None:
    """Body of one worker process: load the batches sent on `tasks` until None arrives."""
    global _worker_info
    signal.signal(signal.SIGINT, signal.SIG_IGN)        # Ctrl-C is the main process's job
    results.cancel_join_thread()                         # never block exit on unread results
    mg.manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)
    _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
    if worker_init_fn is not None:
        try:
            worker_init_fn(worker_id)
        except Exception as error:
            results.put((None, None, WorkerError(worker_id, -1, None, error)))
            return
    while True:
        task = tasks.get()
        if task is None:
            return
        epoch, batch, indices = task
        results.put((epoch, batch, _load_batch(fetch, collate, indices, worker_id, batch)))


class WorkerPool:
    """N worker processes with one task queue each and one shared result queue."""

    def __init__(self, fetch: Callable[[Any], Any], collate: Callable[[Any], Any], dataset: Any,
                 num_workers: int, seed: int, worker_init_fn: Callable[[int], Any] | None,
                 context: Any, timeout: float) -> None:
        ctx: Any = multiprocessing.get_context(context) if isinstance(context, (str, type(None))) \
            else context
        self.timeout = timeout
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(num_workers)]
        self.processes = [
            ctx.Process(target=_worker_loop, daemon=True, name=f"DataLoaderWorker-{i}",
                        args=(fetch, collate, self.tasks[i], self.results, i, num_workers,
                              seed + i, dataset, worker_init_fn))
            for i in range(num_workers)]
        self.epoch = 0
        self.alive = True
        try:
            for p in self.processes:
                p.start()
        except BaseException:
            self.shutdown()
            raise

    def run_epoch(self, batches_of_indices: list[Any], prefetch: int) -> Iterator[Any]:
        """Yield the collated batches in order, keeping `prefetch` batches per worker queued."""
        self.epoch += 1
        epoch, n = self.epoch, len(self.processes)
        pending = iter(enumerate(batches_of_indices))
        waiting, sent, done = {}, 0, 0

        def send_one() -> bool:
            nonlocal sent
            item = next(pending, None)
            if item is None:
                return False
            batch, indices = item
            self.tasks[batch % n].put((epoch, batch, indices))
            sent += 1
            return True

        while sent < prefetch * n and send_one():
            pass
        while done < sent:
            while done not in waiting:
                got_epoch, batch, result = self._receive()
                if got_epoch is None:                  # worker_init_fn failed
                    result.reraise()
                if got_epoch == epoch:                 # drop batches of an abandoned epoch
                    waiting[batch] = result
            result = waiting.pop(done)
            done += 1
            send_one()
            if isinstance(result, WorkerError):
                result.reraise()
            yield result

    def _receive(self) -> Any:
        waited = 0.0
        while True:
            try:
                return self.results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                waited += POLL_SECONDS
            dead = [p for p in self.processes if not p.is_alive()]
            if dead:
                p = dead[0]
                self.shutdown()
                raise RuntimeError(f"DataLoader worker {self.processes.index(p)} (pid {p.pid}) "
                                   f"exited unexpectedly with exit code {p.exitcode}; if it "
                                   "ran out of memory, lower num_workers or batch_size")
            if self.timeout and waited >= self.timeout:
                self.shutdown()
                raise RuntimeError(f"DataLoader: no batch arrived from the workers within "
                                   f"timeout={self.timeout} s")

    def shutdown(self) -> None:
        """Stop every worker (politely, then by force) and close the queues. Idempotent."""
        if not self.alive:
            return
        self.alive = False
        for p, tasks in zip(self.processes, self.tasks):
            if p.is_alive():
                try:
                    tasks.put(None)
                except (OSError, ValueError):
                    pass
        for p in self.processes:
            if p.pid is not None:
                p.join(JOIN_SECONDS)
                if p.is_alive():
                    p.terminate()
                    p.join(JOIN_SECONDS)
        for q in (*self.tasks, self.results):
            q.cancel_join_thread()
            q.close()
