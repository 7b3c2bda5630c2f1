"""`default_collate`: a list of samples -> one batch, with torch.utils.data's rules."""
from __future__ import annotations

import collections.abc
import numbers
from typing import Any, Sequence, Mapping

import numpy as np

from minigrad import Tensor


def default_collate(batch: list) -> Any:
    """Merge a list of samples into a batch, field by field, as PyTorch's default_collate:

        Tensors / NumPy arrays (equal shapes)  -> stacked Tensor, shape (N, *sample shape)
        Python floats -> float64 Tensor; ints -> int64; bools -> bool; NumPy scalars keep dtype
        strings -> the list of strings
        dicts -> dict of batches; namedtuples -> the same namedtuple of batches;
        tuples and lists -> a list of batches (one per field)

    Shapes: N samples of (*a) -> (N, *a).
    """
    if not isinstance(batch, (list, tuple)) or not batch:
        raise ValueError(f"default_collate: expected a non-empty list of samples, got "
                         f"{batch!r}")
    first = batch[0]
    if isinstance(first, Tensor) or isinstance(first, np.ndarray) \
            and first.dtype.kind in "biufc":
        arrays = [s.data if isinstance(s, Tensor) else s for s in batch]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(f"default_collate: samples in one batch have different shapes "
                             f"{sorted(shapes)}; make __getitem__ return equally shaped "
                             "samples, or pass a collate_fn that pads them")
        return Tensor(np.stack(arrays))
    if isinstance(first, np.generic):
        return Tensor(np.array(batch))
    if isinstance(first, bool):
        return Tensor(np.array(batch, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor(np.array(batch, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor(np.array(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        missing = [k for k in first if any(k not in s for s in batch)]
        if missing:
            raise ValueError(f"default_collate: key {missing[0]!r} is missing from some "
                             "samples; every dict sample needs the same keys")
        return {key: default_collate([s[key] for s in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):       # namedtuple
        return type(first)(*(default_collate(list(f)) for f in _fields(batch)))
    if isinstance(first, collections.abc.Sequence):
        return [default_collate(list(f)) for f in _fields(batch)]
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; "
                    "return Tensors, arrays, numbers, strings, dicts or tuples from "
                    "__getitem__, or pass collate_fn=")


def _fields(batch: list) -> list:
    lengths = {len(s) for s in batch}
    if len(lengths) != 1:
        raise ValueError(f"default_collate: samples have different numbers of fields "
                         f"({sorted(lengths)}); __getitem__ must return tuples of one length")
    return list(zip(*batch))
