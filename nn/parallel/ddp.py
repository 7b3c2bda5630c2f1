"""`DistributedDataParallel` [`DDP`]: one model replica per process, gradients averaged.

    nn.parallel.init()
    model = nn.parallel.DistributedDataParallel(Net())    # rank 0's weights on every rank
    for x, y in loader:                                    # each rank: its own shard
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()              # .grad = average over ranks, reduced during backward
        optimizer.step()             # identical update on every rank

Each parameter gets a post-accumulate-grad hook; the `Reducer` (reducer.py) copies the final
gradient into its bucket and starts the bucket's non-blocking all-reduce as soon as the
bucket is complete, so communication overlaps the rest of backward.
"""
import contextlib
from typing import Any, Callable, Iterator

import minigrad as mg
from minigrad import Tensor

from ..module import Module
from .reducer import Reducer
from .world import get_comm


class DistributedDataParallel(Module):
    """Wrap `module` so that backward averages its gradients over the ranks of `comm`.

    Args:
        module:                 the model; build it the same way on every rank
        comm:                   an mpi4py communicator (default: nn.parallel.init()'s)
        bucket_cap_mb:          bucket size in MiB (PyTorch's default 25)
        find_unused_parameters: allow parameters that get no gradient in a step (they count
                                as zero on that rank); else such a step raises naming them
        broadcast_buffers:      copy rank 0's buffers (BatchNorm running statistics) to every
                                rank at each training-mode forward, as PyTorch does
    At construction, rank 0's parameters and buffers are copied to every rank (after checking
    that the ranks' models have the same parameter names, shapes and dtypes). `forward` is
    the module's; `ddp.module` is the wrapped model (save `ddp.module.state_dict()`).
    """

    def __init__(self, module: Module, comm: Any = None, bucket_cap_mb: float = 25.0,
                 find_unused_parameters: bool = False, broadcast_buffers: bool = True) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an nn.Module, got "
                            f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive number "
                             f"(MiB), got {bucket_cap_mb!r}")
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("DistributedDataParallel: the module has no parameter that "
                             "requires a gradient, so there is nothing to average; call it "
                             "directly instead")
        comm = get_comm(comm)
        _check_same_model(comm, module)
        self.module = module
        self.comm = comm
        self.broadcast_buffers = bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.bucket_cap_mb = bucket_cap_mb
        self.require_backward_grad_sync = True
        # a communicator of our own: our collectives never interleave with the caller's
        self._grad_comm = comm.Dup()
        _broadcast([t for _, t in module.named_parameters()] + list(module.buffers()),
                   self._grad_comm)
        self._names = [name for name, _ in named]
        self._reducer = Reducer(self._names, [p for _, p in named], self._grad_comm,
                                int(bucket_cap_mb * 2 ** 20), self.find_unused_parameters)
        self._hook_handles = [param.register_post_accumulate_grad_hook(self._hook_for(i))
                              for i, (_, param) in enumerate(named)]

    def _hook_for(self, index: int) -> Callable[[Tensor], None]:
        reducer = self._reducer
        return lambda param: reducer.mark_ready(index)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.training and self.broadcast_buffers:
            buffers = list(self.module.buffers())
            if buffers:
                _broadcast(buffers, self._grad_comm)
        output = self.module(*args, **kwargs)
        if not (mg.is_grad_enabled() and self.require_backward_grad_sync):
            self._reducer.cancel()
            return output
        reached = _leaves_reached(output)
        if not reached:                                 # nothing to backpropagate into
            self._reducer.cancel()
            return output
        params = self._reducer.params
        unused = [i for i, p in enumerate(params) if id(p) not in reached]
        if unused and not self.find_unused_parameters:
            raise RuntimeError(
                f"DistributedDataParallel: parameters {[self._names[i] for i in unused]} are "
                "not used to compute the output, so they would get no gradient and the "
                "reduction would wait for them; pass find_unused_parameters=True to count "
                "them as zero, or remove them from the model")
        self._reducer.prepare(unused)
        return output

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Accumulate gradients locally (no communication) for forwards run inside; the first
        backward after a forward outside averages everything accumulated, as in PyTorch."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    @property
    def communication_seconds(self) -> float:
        """Time spent blocked waiting for gradient all-reduces, summed over all steps."""
        return self._reducer.seconds_waiting

    def extra_repr(self) -> str:
        return (f"world_size={self.comm.Get_size()}, bucket_cap_mb={self.bucket_cap_mb}, "
                f"buckets={len(self._reducer.buckets)}, "
                f"find_unused_parameters={self.find_unused_parameters}")


DDP = DistributedDataParallel


def _check_same_model(comm: Any, module: Module) -> None:
    """Raise on every rank, naming the first difference, unless every rank's module has the
    same parameter and buffer names, shapes and dtypes (else the broadcast would mismatch)."""
    entries = [("parameter", name, tuple(t.shape), str(t.dtype))
               for name, t in module.named_parameters()]
    entries += [("buffer", name, tuple(t.shape), str(t.dtype))
                for name, t in module.named_buffers()]
    everyone = comm.allgather(entries)
    reference = everyone[0]
    for other_rank, other in enumerate(everyone[1:], start=1):
        if other == reference:
            continue
        for position in range(max(len(reference), len(other))):
            ours = reference[position] if position < len(reference) else None
            theirs = other[position] if position < len(other) else None
            if ours != theirs:
                raise RuntimeError(
                    f"DistributedDataParallel: the model differs between ranks: entry "
                    f"{position} is {_describe(ours)} on rank 0 but {_describe(theirs)} on "
                    f"rank {other_rank} (rank 0 has {len(reference)} parameters and buffers, "
                    f"rank {other_rank} has {len(other)}); build the same model on every rank")


def _describe(entry: Any) -> str:
    if entry is None:
        return "missing"
    kind, name, shape, dtype = entry
    return f"{kind} {name!r} of shape {shape} ({dtype})"


def _broadcast(tensors: list[Tensor], comm: Any) -> None:
    """Copy rank 0's values of `tensors` into every rank's, in place."""
    for tensor in tensors:
        data = tensor.data
        if data.flags.c_contiguous:
            comm.Bcast(data, root=0)
        else:
            contiguous = data.copy()
            comm.Bcast(contiguous, root=0)
            data[...] = contiguous


def _leaves_reached(output: Any) -> set[Any]:
    """ids of the leaf tensors that backward from `output` (Tensors in nested tuples, lists,
    dicts) would give a gradient, found by walking the recorded graph."""
    roots, stack = [], [output]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            roots.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    leaves = {id(t) for t in roots if t.requires_grad and t.grad_fn is None}
    nodes = [t.grad_fn for t in roots if t.grad_fn is not None]
    seen = set()
    while nodes:
        node = nodes.pop()
        if node in seen:
            continue
        seen.add(node)
        for tensor, needed in zip(node.inputs, node.needs_input_grad):
            if not needed:
                continue
            if tensor.grad_fn is None:
                leaves.add(id(tensor))
            else:
                nodes.append(tensor.grad_fn)
    return leaves
