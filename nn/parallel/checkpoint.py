"""Checkpoints in a data-parallel job: rank 0 writes, every rank reads.

The parameters are identical on every rank after each step, so one copy is enough. Both
calls are collective (every rank must make them) and raise on every rank if any rank fails,
so a failed write or a missing file never leaves the other ranks waiting.
"""
from __future__ import annotations

import os
from typing import Any

import minigrad as mg

from .world import get_comm


def save(obj: Any, path: str | os.PathLike[str], comm: Any = None) -> None:
    """Rank 0 writes `obj` with mg.save(obj, path); returns on every rank once the file is
    complete, so any rank may load it right after."""
    comm = get_comm(comm)
    failure = None
    if comm.Get_rank() == 0:
        try:
            mg.save(obj, path)
        except Exception as error:                     # reported on every rank below
            failure = f"{type(error).__name__}: {error}"
    failure = comm.bcast(failure, root=0)
    if failure is not None:
        raise RuntimeError(f"nn.parallel.save: rank 0 could not write {path}: {failure}")


def load(path: str | os.PathLike[str], comm: Any = None) -> Any:
    """mg.load(path) on every rank. A rank that cannot read the file (on several machines
    the path must be on a shared file system, or copied to each) fails every rank."""
    comm = get_comm(comm)
    result, failure = None, None
    try:
        result = mg.load(path)
    except Exception as error:                         # reported on every rank below
        failure = f"{type(error).__name__}: {error}"
    failures = [(r, f) for r, f in enumerate(comm.allgather(failure)) if f is not None]
    if failures:
        first_rank, first = failures[0]
        raise RuntimeError(f"nn.parallel.load: rank {first_rank} could not read the file "
                           f"({first}); on several machines put it on a shared file system "
                           f"({len(failures)} rank(s) failed)")
    return result
