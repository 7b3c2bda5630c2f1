"""Devices, as PyTorch names them. minigrad computes on the CPU (NumPy) only.

`mg.device("cpu")`, `tensor.to(device)`, `device=` on every factory and
`mg.set_default_device` accept what PyTorch accepts, so a script written for PyTorch runs
unchanged on the CPU; asking for any other device raises a RuntimeError saying that only the
CPU is available (`mg.cuda.is_available()` is False), never a silent fallback.
"""
from typing import Any, NoReturn, TypeAlias

import numpy as np

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "mtia", "hpu", "ipu",
                "privateuseone")


class device:
    """Where a tensor lives, as `torch.device`: `device("cpu")`, `device("cuda", 0)`,
    `device("cuda:1")`. Only "cpu" can hold tensors here; the others can be named (so
    `device("cuda" if mg.cuda.is_available() else "cpu")` works) but not used.

    Attributes:
        type:   "cpu", "cuda", ...
        index:  the device number, or None
    """

    __slots__ = ("type", "index")
    type: str
    index: int | None

    def __init__(self, type: Any, index: Any = None) -> None:
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, (int, np.integer)) and not isinstance(type, bool):
            type, index = "cuda", int(type)          # torch.device(0) is the first GPU
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or 'cuda:0', got "
                            f"{_type_name(type)}")
        else:
            type, index = _parse(type, index)
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
                raise RuntimeError(f"device: the index must be a non-negative int, got "
                                   f"{index!r}")
            index = int(index)
        self.type = type
        self.index = index

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"


def _type_name(value: object) -> str:
    return f"{type(value).__name__} {value!r}" if isinstance(value, (int, float)) else \
        type(value).__name__


def _parse(text: str, index: int | None) -> tuple[str, int | None]:
    name, _, number = text.partition(":")
    if name not in DEVICE_TYPES:
        raise RuntimeError(f"device: expected one of {', '.join(DEVICE_TYPES)} at the start "
                           f"of the device string, got {text!r}")
    if number:
        if index is not None:
            raise RuntimeError(f"device: the index is given twice, in {text!r} and as "
                               f"index={index!r}")
        if not number.isdigit():
            raise RuntimeError(f"device: invalid device string {text!r}; use e.g. 'cuda:0'")
        index = int(number)
    return name, index


CPU = device("cpu")
# what a `device=` argument accepts: a device, "cpu", "cuda:0", or a GPU number
DeviceLike: TypeAlias = device | str | int


class _DefaultDevice:
    __slots__ = ("current",)

    def __init__(self) -> None:
        self.current = CPU


DEFAULT = _DefaultDevice()


def as_device(value: "DeviceLike | None", op: str) -> device:
    """`value` (None, a device, a string or an int) as a usable device: the default for None;
    a RuntimeError for every device but the CPU."""
    if value is None:
        return DEFAULT.current
    try:
        chosen = value if isinstance(value, device) else device(value)
    except (TypeError, RuntimeError) as error:
        kind = TypeError if isinstance(error, TypeError) else RuntimeError
        raise kind(f"{op}: {str(error).removeprefix('device: ')}") from None
    if chosen.type != "cpu":
        raise RuntimeError(f"{op}: device '{chosen}' is not available: minigrad runs on the CPU "
                           f"only (mg.cuda.is_available() and mg.accelerator.is_available() are "
                           f"False); use device='cpu' or leave device out")
    return CPU if chosen.index in (None, 0) else _no_such_cpu(chosen, op)


def _no_such_cpu(chosen: device, op: str) -> NoReturn:
    raise RuntimeError(f"{op}: device '{chosen}' does not exist: there is one CPU device, "
                       "'cpu' (index 0)")


def is_device_like(value: object) -> bool:
    """Would `tensor.to(value)` read `value` as a device (rather than a dtype)?"""
    if isinstance(value, device):
        return True
    if isinstance(value, str):
        return value.partition(":")[0] in DEVICE_TYPES
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def set_default_device(device: "DeviceLike | None") -> None:
    """The device factories use when `device=` is left out; only the CPU is available here
    (None restores the CPU, as PyTorch)."""
    DEFAULT.current = as_device(device, "set_default_device") if device is not None else CPU


def get_default_device() -> device:
    """The device factories use when `device=` is left out (the CPU)."""
    return DEFAULT.current


def parse_to_args(tensor: Any, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """`tensor.to(...)`'s arguments, in any of PyTorch's forms, as (dtype or None, copy).

    to(dtype), to(device, dtype=None), to(other_tensor), each with non_blocking and copy
    (positionally after them, or by keyword); device and dtype also by keyword.
    """
    from ._checks import as_dtype
    rest = list(args)
    dtype = kwargs.pop("dtype", None)
    target = kwargs.pop("device", None)
    non_blocking = kwargs.pop("non_blocking", False)
    copy = kwargs.pop("copy", False)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword argument(s) {sorted(kwargs)}; use "
                        "to(device=None, dtype=None, non_blocking=False, copy=False)")
    if rest and hasattr(rest[0], "grad_fn"):            # to(other): other's device and dtype
        other = rest.pop(0)
        target, dtype = other.device, other.dtype
    elif rest and is_device_like(rest[0]):
        target = rest.pop(0)
        if rest and not isinstance(rest[0], bool):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    if len(rest) > 2 or any(not isinstance(a, bool) for a in rest):
        raise TypeError(f"to: could not read the arguments {tuple(rest)!r}; use to(dtype), "
                        "to(device, dtype) or to(other_tensor), e.g. x.to('cpu') or "
                        "x.to(mg.float64)")
    if rest:
        non_blocking = rest.pop(0)
    if rest:
        copy = rest.pop(0)
    if target is not None:
        as_device(target, "to")
    if isinstance(dtype, str) and not _is_dtype_name(dtype):
        raise TypeError(f"to: {dtype!r} is neither a device ('cpu') nor a dtype; use e.g. "
                        "x.to('cpu') or x.to(mg.float32)")
    del non_blocking                                   # a CPU copy is always synchronous
    return as_dtype(dtype, "to"), bool(copy)


def _is_dtype_name(text: str) -> bool:
    try:
        np.dtype(text)
    except TypeError:
        return False
    return True
