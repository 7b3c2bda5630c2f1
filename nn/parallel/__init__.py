"""nn.parallel: data-parallel training over MPI (`pip install "minigrad[distributed]"`).

One process per core or machine, started by `mpiexec -n 2 python train.py`; each trains a
replica of the model on its own shard of the data, and backward averages the gradients over
all processes with MPI all-reduce (mpi4py, NumPy buffers, no pickling of arrays). Without
mpiexec the world has one rank, so the same script also runs alone. mpi4py is imported on
first use: without it `import nn` works and these functions raise ImportError naming the
extra to install.

    init(comm=None), is_initialized(), rank(), world_size(), barrier()
    DistributedDataParallel(module) [DDP]    gradients averaged during backward, in buckets
    SyncBatchNorm2D [SyncBatchNorm]          batch statistics over all ranks
    DistributedSampler                       each rank's shard (also nn.data.DistributedSampler)
    save(obj, path), load(path)              rank 0 writes a checkpoint, every rank reads it
"""
from ..data.distributed import DistributedSampler
from .checkpoint import load, save
from .ddp import DDP, DistributedDataParallel
from .sync_batchnorm import SyncBatchNorm, SyncBatchNorm2D, all_reduce_sum
from .world import barrier, get_comm, init, is_initialized, rank, world_size

__all__ = ["init", "is_initialized", "rank", "world_size", "barrier", "get_comm",
           "DistributedDataParallel", "DDP", "SyncBatchNorm2D", "SyncBatchNorm",
           "all_reduce_sum", "DistributedSampler", "save", "load"]
