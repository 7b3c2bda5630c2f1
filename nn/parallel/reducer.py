"""Gradient buckets: average gradients over ranks while backward is still running.

Parameters are grouped into buckets of about `bucket_bytes` each, in reverse registration
order (backward reaches the last layers first). When backward has accumulated the gradient
of every parameter of a bucket, the bucket's flat buffer starts a non-blocking MPI
`Iallreduce`; the sweep carries on computing the gradients of earlier layers meanwhile.
Buckets are started strictly in bucket order, so every rank issues the same sequence of
collectives. When the last bucket has started, the reducer waits for all of them and writes
sum / world_size back into each parameter's `.grad`.

Shapes: a bucket holds the flattened gradients of its parameters end to end, (sum of sizes,),
one dtype per bucket.
"""
import time
from typing import Any

import numpy as np

from minigrad import Tensor


class Bucket:
    """Parameters reduced together: their positions in the flat buffer, and step state."""

    def __init__(self, indices: list, params: list):
        self.indices = indices                     # positions in the reducer's parameter list
        sizes = [params[i].data.size for i in indices]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype=params[indices[0]].data.dtype)
        self.waiting = len(indices)                # parameters not yet ready in this step
        self.request = None

    def view(self, position: int) -> np.ndarray:
        """The slice of the buffer for the bucket's `position`-th parameter (flat)."""
        return self.buffer[self.offsets[position]:self.offsets[position + 1]]


def assign_buckets(params: list, bucket_bytes: int) -> list:
    """Lists of parameter indices, last parameter first, each list one dtype and at most
    `bucket_bytes` (a parameter bigger than that gets a bucket of its own)."""
    buckets: list = []
    current: dict = {}
    current_bytes: dict = {}        # open bucket and its bytes per dtype
    for index in reversed(range(len(params))):
        data = params[index].data
        dtype = data.dtype.str
        if dtype in current and current_bytes[dtype] + data.nbytes > bucket_bytes:
            buckets.append(current.pop(dtype))
            del current_bytes[dtype]
        current.setdefault(dtype, []).append(index)
        current_bytes[dtype] = current_bytes.get(dtype, 0) + data.nbytes
    buckets.extend(current.values())
    return buckets


class Reducer:
    """Averages the gradients of `params` over the ranks of `comm`, one step at a time.

    A step: `prepare(unused)` after the forward pass, then `mark_ready(i)` once backward has
    accumulated parameter i's gradient (the post-accumulate hook); the last call finishes
    the step. `unused` parameters (no path from the output) count as ready at once: their
    current gradient (zeros if None) goes into the bucket.
    """

    IDLE, EXPECTING, DONE = "idle", "expecting", "done"

    def __init__(self, names: list, params: list, comm: Any, bucket_bytes: int,
                 find_unused_parameters: bool) -> None:
        from .world import mpi
        self.MPI = mpi()
        self.names, self.params, self.comm = names, params, comm
        self.find_unused_parameters = find_unused_parameters
        self.buckets = [Bucket(indices, params) for indices in assign_buckets(params,
                                                                              bucket_bytes)]
        self.location = {}                          # parameter index -> (bucket, position)
        for bucket in self.buckets:
            for position, index in enumerate(bucket.indices):
                self.location[index] = (bucket, position)
        self.state = self.IDLE
        self.ready = [False] * len(params)
        self.next_bucket = 0
        self.had_grad = np.zeros(len(params), dtype=np.int32)
        self.seconds_waiting = 0.0                  # time blocked in Waitall, all steps

    def prepare(self, unused: list) -> None:
        """Start a step: expect a gradient for every parameter not in `unused`."""
        if self.state == self.EXPECTING and any(self.ready):
            missing = [self.names[i] for i, ready in enumerate(self.ready) if not ready]
            raise RuntimeError(
                "DistributedDataParallel: the previous step's gradient reduction did not "
                f"finish: no gradient reached {missing} in the last backward; those parameters "
                "did not contribute to the loss. Pass find_unused_parameters=True, or make "
                "every parameter take part in the loss on every rank")
        self.state = self.EXPECTING
        self.ready = [False] * len(self.params)
        self.next_bucket = 0
        self.had_grad[:] = 0
        for bucket in self.buckets:
            bucket.waiting = len(bucket.indices)
            bucket.request = None
        for index in unused:
            self.mark_ready(index)

    def cancel(self) -> None:
        """Forget the prepared step (a forward under no_sync, or with gradients off)."""
        if self.state == self.EXPECTING and any(self.ready):
            self.prepare([])                      # raises naming the missing parameters
        self.state = self.IDLE

    def mark_ready(self, index: int) -> None:
        """Parameter `index` has its final gradient for this step: copy it into its bucket;
        start every bucket that is complete and next in line; finish after the last one."""
        if self.state == self.IDLE:
            return                                  # backward outside a synced DDP forward
        if self.state == self.DONE or self.ready[index]:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {self.names[index]!r} got a second "
                "gradient in one step: a second backward through one forward (e.g. with "
                "retain_graph=True), or a loss term that uses a parameter the module's output "
                "does not; run forward once per backward (no_sync() for all but the last "
                "backward) and compute the loss from the module's output")
        self.ready[index] = True
        bucket, position = self.location[index]
        grad = self.params[index].grad
        if grad is None:
            bucket.view(position)[...] = 0
        else:
            self.had_grad[index] = 1
            bucket.view(position)[...] = grad.data.reshape(-1)
        bucket.waiting -= 1
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].waiting == 0:
            started = self.buckets[self.next_bucket]
            started.request = self.comm.Iallreduce(self.MPI.IN_PLACE, started.buffer,
                                                   op=self.MPI.SUM)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self.finish()
        elif self.next_bucket:
            # MPI progresses non-blocking operations inside MPI calls: poke the started ones
            self.MPI.Request.Testall([b.request for b in self.buckets[:self.next_bucket]])

    def finish(self) -> None:
        """Wait for every bucket, then write the averages into the parameters' .grad."""
        start = time.perf_counter()
        self.MPI.Request.Waitall([bucket.request for bucket in self.buckets])
        with_grad = self.had_grad
        if self.find_unused_parameters:
            with_grad = np.empty_like(self.had_grad)
            self.comm.Allreduce(self.had_grad, with_grad, op=self.MPI.SUM)
        self.seconds_waiting += time.perf_counter() - start
        size = self.comm.Get_size()
        for bucket in self.buckets:
            bucket.buffer /= size
            for position, index in enumerate(bucket.indices):
                if not with_grad[index]:
                    continue                        # no rank had a gradient: leave it None
                param = self.params[index]
                average = bucket.view(position).reshape(param.data.shape)
                if param.grad is None:
                    param.grad = Tensor(average.copy())
                else:
                    param.grad.data[...] = average
        self.state = self.DONE

