"""`SyncBatchNorm2D` [`SyncBatchNorm`]: batch statistics over the global batch of all ranks.

Plain `BatchNorm2D` under DistributedDataParallel normalises with each rank's own batch (as
in PyTorch), and DDP copies rank 0's running statistics to the others at each forward.
`SyncBatchNorm2D` instead all-reduces the per-channel sums, so every rank normalises with the
mean and variance of the whole global batch: the result equals BatchNorm2D on one process
with all ranks' samples. The reduction is a differentiable op (`all_reduce_sum`): its
backward all-reduces the gradient, which gives exactly the global-batch gradient.
"""
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor

from ..module import Module
from ..normalization import BatchNorm2D, _update_running
from .world import get_comm, mpi


class AllReduceSum(mg.Function):
    """out = the sum of x over all ranks of `comm`; every rank gets the same out.

    The backward of a sum over ranks is the sum over ranks of the output gradients (each
    rank's loss depends on every rank's x). Shapes: x (*) -> out (*), equal on all ranks.
    """

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, comm: Any) -> np.ndarray:
        ctx.comm = comm
        return _allreduce(x, comm)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, None]:
        if isinstance(grad, Tensor):          # create_graph: the same op, recorded
            return AllReduceSum.apply(grad, ctx.comm), None
        return _allreduce(grad, ctx.comm), None


def _allreduce(array: np.ndarray, comm: Any) -> np.ndarray:
    array = np.ascontiguousarray(array)
    out = np.empty_like(array)
    comm.Allreduce(array, out, op=mpi().SUM)
    return out


def all_reduce_sum(x: Tensor, comm: Any = None) -> Tensor:
    """Differentiable sum of `x` over the ranks (shapes must match on every rank)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"all_reduce_sum: x must be a Tensor, got {type(x).__name__}")
    return AllReduceSum.apply(x, get_comm(comm))


class SyncBatchNorm2D(BatchNorm2D):
    """BatchNorm2D whose training-mode statistics come from the batches of all ranks.

    Eval mode uses the running statistics (identical on every rank), with no communication;
    with track_running_stats=False it uses the global batch's statistics there too, as
    PyTorch does. Every rank must call such a forward together (it is a collective).
    Arguments as BatchNorm2D's (momentum=None: cumulative average; affine;
    track_running_stats), plus the communicator.

    Shapes:
        x:   (N, C, H, W) on each rank (N may differ between ranks)
        out: (N, C, H, W)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 comm: Any = None) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.comm = comm

    def forward(self, x: Tensor) -> Tensor:
        if not (self.training or not self.track_running_stats):
            return super().forward(x)                     # eval: the running statistics
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.num_features:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"SyncBatchNorm2D: expected input of shape (N, "
                             f"{self.num_features}, H, W), got {shape}; num_features must "
                             "equal the channels (dim 1)")
        comm = get_comm(self.comm)
        local_count = np.array([x.shape[0] * x.shape[2] * x.shape[3]], dtype=np.int64)
        count = int(_allreduce(local_count, comm)[0])
        if count < 2:
            raise ValueError(f"SyncBatchNorm2D: training needs more than 1 value per channel "
                             f"over all ranks to estimate a variance, got {count}; use a bigger "
                             "batch or call model.eval()")
        stat_shape = (1, self.num_features, 1, 1)
        dims = (0, 2, 3)
        mean = all_reduce_sum(x.sum(dims), comm) / count                       # (C,)
        centered = x - mean.reshape(stat_shape)
        var = all_reduce_sum((centered * centered).sum(dims), comm) / count     # (C,) biased
        factor = self.count_batch()
        if self.training and self.track_running_stats:
            _update_running(self.running_mean, self.running_var, mean.data, var.data, count,
                            factor)
        out = centered / mg.sqrt(var.reshape(stat_shape) + self.eps)
        if self.affine:
            out = out * self.weight.reshape(stat_shape) + self.bias.reshape(stat_shape)
        return out

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, comm: Any = None) -> Module:
        """Replace every BatchNorm2D in `module` (in place; returns it, or the replacement
        when `module` itself is one) by a SyncBatchNorm2D with the same state."""
        if type(module) is BatchNorm2D:
            replacement = cls(module.num_features, module.eps, module.momentum, module.affine,
                              module.track_running_stats, comm)
            replacement.load_state_dict(module.state_dict())
            replacement.train(module.training)
            return replacement
        for name, child in list(module.named_children()):
            converted = cls.convert_sync_batchnorm(child, comm)
            if converted is not child:
                module._modules[name] = converted       # same slot: Sequential keeps its order
        return module


SyncBatchNorm = SyncBatchNorm2D
