"""Named tuples returned by ops with two results, as `torch.return_types`.

`values, indices = mg.max(x, dim=1)` unpacks; `mg.max(x, 1).indices` names the field.
"""
from collections import namedtuple

max = namedtuple("max", ["values", "indices"])
min = namedtuple("min", ["values", "indices"])
sort = namedtuple("sort", ["values", "indices"])
topk = namedtuple("topk", ["values", "indices"])

__all__ = ["max", "min", "sort", "topk"]
