"""Named tuples returned by ops with two results, as `torch.return_types`.

`values, indices = mg.max(x, dim=1)` unpacks; `mg.max(x, 1).indices` names the field.
"""
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .tensor import Tensor


class max(NamedTuple):
    values: "Tensor"
    indices: "Tensor"


class min(NamedTuple):
    values: "Tensor"
    indices: "Tensor"


class sort(NamedTuple):
    values: "Tensor"
    indices: "Tensor"


class topk(NamedTuple):
    values: "Tensor"
    indices: "Tensor"


__all__ = ["max", "min", "sort", "topk"]
