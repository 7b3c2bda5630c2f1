"""`linear` and the fully connected layer `Dense` [`Linear`]."""
from __future__ import annotations

from typing import Any

import minigrad as mg
from minigrad import Tensor

from . import init
from .module import Module, Parameter


def _positive_int(value: Any, name: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return value


def linear(x: Tensor, weight: Tensor, bias: "Tensor | None" = None) -> Tensor:
    """out = x @ weight.T + bias, applied to the last dim of x.

    Shapes:
        x:      (*, in_features)
        weight: (out_features, in_features)
        bias:   (out_features,) or None
        out:    (*, out_features)
    """
    for name, value in (("x", x), ("weight", weight), ("bias", bias)):
        if (value is not None or name != "bias") and not isinstance(value, Tensor):
            raise TypeError(f"linear: {name} must be a Tensor, got {type(value).__name__}")
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must have shape (out_features, in_features), got "
                         f"{weight.shape}")
    out_features, in_features = weight.shape
    if x.ndim == 0 or x.shape[-1] != in_features:
        raise ValueError(f"linear: input of shape {x.shape} has {x.shape[-1] if x.ndim else 0} "
                         f"features in its last dim, but the weight {weight.shape} expects "
                         f"{in_features}; give input of shape (*, {in_features}) (flatten it "
                         f"first?) or build the layer with in_features="
                         f"{x.shape[-1] if x.ndim else '...'}")
    if bias is not None and bias.shape != (out_features,):
        raise ValueError(f"linear: bias has shape {bias.shape} but the weight {weight.shape} "
                         f"needs ({out_features},)")
    if x.dtype == weight.dtype and (bias is None or bias.dtype == x.dtype):
        return mg.linear(x, weight, bias)           # one op (see minigrad.functional.linear)
    out = mg.matmul(x, weight.T)                # mixed dtypes: matmul's and +'s promotion
    return out if bias is None else out + bias


class Dense(Module):
    """Fully connected layer: out = x @ weight.T + bias.

    Shapes:
        x:      (*, in_features)
        weight: (out_features, in_features), Glorot uniform
        bias:   (out_features,), zeros
        out:    (*, out_features)
    Parameters: in_features*out_features + out_features, e.g. Dense(100, 32) has 3,232.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = _positive_int(in_features, "in_features", "Dense")
        self.out_features = _positive_int(out_features, "out_features", "Dense")
        self.weight = Parameter(mg.zeros(out_features, in_features))
        init.glorot_uniform_(self.weight)
        if bias:
            self.bias = Parameter(mg.zeros(out_features))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, Tensor) and (x.ndim == 0 or x.shape[-1] != self.in_features):
            got = x.shape[-1] if x.ndim else 0
            raise ValueError(f"Dense: input of shape {x.shape} has {got} features in its last "
                             f"dim, but this layer expects in_features={self.in_features}; "
                             f"reshape the input to (*, {self.in_features}) (e.g. nn.Flatten() "
                             "before it) or build the layer with in_features="
                             f"{got if x.ndim else '...'}")
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


Linear = Dense
