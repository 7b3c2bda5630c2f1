"""Dropout: zero random elements (`dropout`, `Dropout`) or whole channels (`dropout2d`,
`Dropout2D` [`Dropout2d`]) while training, scaled so the expected output is unchanged.

`inplace=True` is accepted; the result is a new tensor either way (README: deviations).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor

from .module import Module


def _check_p(p: Any, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"{op}: p is the probability of zeroing an element and must be in "
                         f"[0, 1), got {p!r}")
    return float(p)


def _check_flag(value: Any, name: str, op: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)


def _check_floating(x: Tensor, op: str) -> None:
    """Scaling the kept elements by 1 / (1 - p) needs a floating tensor (PyTorch refuses the
    others too: "result type Float can't be cast to the desired output type Long")."""
    if x.dtype.kind not in "fc":
        raise TypeError(f"{op}: needs a floating-point tensor to scale by 1 / (1 - p), got "
                        f"{x.dtype}; convert it first, e.g. x.float()")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) ("inverted"
    dropout), so nothing changes at evaluation time; identity when not training or p == 0.

    Shapes: x (*) -> out (*). The mask comes from `mg.rand`, so `mg.manual_seed` repeats it.
    """
    p = _check_p(p, "dropout")
    _check_flag(inplace, "inplace", "dropout")
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout: x must be a Tensor, got {type(x).__name__}")
    if not training or p == 0.0:
        return x
    _check_floating(x, "dropout")
    keep = mg.rand(*x.shape).data >= p                    # each element kept with prob 1 - p
    scale = (keep / (1.0 - p)).astype(x.dtype)
    return x * Tensor(scale)


class Dropout(Module):
    """dropout as a layer: active in train(), the identity in eval(). Shapes: (*) -> (*)."""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        self.p = _check_p(p, type(self).__name__)
        self.inplace = _check_flag(inplace, "inplace", type(self).__name__)

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")


def dropout2d(x: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero each whole channel (feature map) with probability p and scale the kept ones by
    1 / (1 - p); identity when not training or p == 0.

    Shapes: x (N, C, H, W) -> out, the same shape; the mask is (N, C, 1, 1). A 3-D input is
    read as (N, C, L), as PyTorch does today (with its warning): mask (N, C, 1).
    """
    p = _check_p(p, "dropout2d")
    _check_flag(inplace, "inplace", "dropout2d")
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout2d: x must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"dropout2d: expected input of shape (N, C, H, W) (or (N, C, L)), "
                         f"got {x.ndim}-D shape {x.shape}")
    if x.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim (as PyTorch)",
                      UserWarning, stacklevel=2)
    if not training or p == 0.0:
        return x
    _check_floating(x, "dropout2d")
    mask_shape = x.shape[:2] + (1,) * (x.ndim - 2)       # one draw per (sample, channel)
    keep = mg.rand(*mask_shape).data >= p
    scale = (keep / (1.0 - p)).astype(x.dtype)
    return x * Tensor(scale)


class Dropout2D(Dropout):
    """dropout2d as a layer: whole channels dropped in train(), the identity in eval().

    Shapes: (N, C, H, W) -> (N, C, H, W).
    """

    def forward(self, x: Tensor) -> Tensor:
        return dropout2d(x, self.p, self.training)


Dropout2d = Dropout2D
