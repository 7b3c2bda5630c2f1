"""Dropout: zero random elements while training, scaled so the expected output is unchanged."""
import numpy as np

import minigrad as mg
from minigrad import Tensor

from .module import Module


def _check_p(p, op: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"{op}: p is the probability of zeroing an element and must be in "
                         f"[0, 1), got {p!r}")
    return float(p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Zero each element with probability p and scale the rest by 1 / (1 - p) ("inverted"
    dropout), so nothing changes at evaluation time; identity when not training or p == 0.

    Shapes: x (*) -> out (*). The mask comes from `mg.rand`, so `mg.manual_seed` repeats it.
    """
    p = _check_p(p, "dropout")
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout: x must be a Tensor, got {type(x).__name__}")
    if not training or p == 0.0:
        return x
    keep = mg.rand(*x.shape).data >= p                    # each element kept with prob 1 - p
    scale = (keep / (1.0 - p)).astype(x.dtype)
    return x * Tensor(scale)


class Dropout(Module):
    """dropout as a layer: active in train(), the identity in eval(). Shapes: (*) -> (*)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        self.p = _check_p(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
