"""The MPI world of a data-parallel job: init, rank, world_size, barrier, failing fast.

mpi4py is imported on first use only, so `import nn` costs nothing without it. Run a script
on 2 processes with `mpiexec -n 2 python script.py`; run alone (`python script.py`), the
world has one rank and everything still works.
"""
import sys
from types import ModuleType, TracebackType
from typing import Any, Callable

INSTALL_HINT = 'pip install "minigrad[distributed]" (it brings mpi4py and Open MPI)'

_state: dict[str, Any] = {"comm": None, "excepthook_installed": False}


def mpi() -> ModuleType:
    """The `mpi4py.MPI` module, or ImportError naming the extra to install."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ImportError(f"nn.parallel needs mpi4py and an MPI library: {error}; "
                          f"{INSTALL_HINT}") from error
    return MPI


def init(comm: Any = None) -> None:
    """Join the job: use `comm` (default MPI.COMM_WORLD) for rank/world_size/barrier and as
    the default communicator of DistributedDataParallel, SyncBatchNorm2D, DistributedSampler.

    Pass a sub-communicator (e.g. MPI.COMM_WORLD.Split(color)) to train within a group.
    Also makes an uncaught exception on any rank abort the whole job (MPI_Abort) after
    printing it, so the other ranks never wait forever for the failed one.
    """
    MPI = mpi()
    if comm is None:
        comm = MPI.COMM_WORLD
    elif not isinstance(comm, MPI.Comm):
        raise TypeError(f"init: comm must be an mpi4py communicator (MPI.Comm), got "
                        f"{type(comm).__name__}; pass e.g. MPI.COMM_WORLD")
    _state["comm"] = comm
    _install_abort_hook()


def _install_abort_hook() -> None:
    if not _state["excepthook_installed"]:
        _state["excepthook_installed"] = True
        sys.excepthook = _abort_on_uncaught(sys.excepthook)


def is_initialized() -> bool:
    """Whether init() ran (or another nn.parallel call ran it)."""
    return _state["comm"] is not None


def get_comm(comm: Any = None) -> Any:
    """`comm` if given, else the communicator of init() (initialising on first use).
    Either way an uncaught exception will abort the whole job, as after init()."""
    if comm is not None:
        MPI = mpi()
        if not isinstance(comm, MPI.Comm):
            raise TypeError(f"nn.parallel: comm must be an mpi4py communicator (MPI.Comm), got "
                            f"{type(comm).__name__}")
        _install_abort_hook()
        return comm
    if _state["comm"] is None:
        init()
    return _state["comm"]


def rank(comm: Any = None) -> int:
    """This process's rank, 0 .. world_size() - 1 (0 when run without mpiexec)."""
    return get_comm(comm).Get_rank()


def world_size(comm: Any = None) -> int:
    """The number of processes in the job (1 when run without mpiexec)."""
    return get_comm(comm).Get_size()


def barrier(comm: Any = None) -> None:
    """Wait until every rank reaches this call."""
    get_comm(comm).Barrier()


def _abort_on_uncaught(previous_hook: Callable[..., Any]) -> Callable[..., None]:
    def hook(exc_type: type[BaseException], exc: BaseException,
             traceback: TracebackType | None) -> None:
        previous_hook(exc_type, exc, traceback)          # the usual traceback first
        MPI: Any = sys.modules.get("mpi4py.MPI")
        world = MPI.COMM_WORLD if MPI is not None else None
        if world is not None and world.Get_size() > 1 and not MPI.Is_finalized():
            sys.stderr.write(f"nn.parallel: rank {world.Get_rank()} of {world.Get_size()} "
                             f"failed with {exc_type.__name__}: {exc}; aborting every rank "
                             "(MPI_Abort) so that none waits forever for this one\n")
            sys.stderr.flush()
            world.Abort(1)
    return hook
