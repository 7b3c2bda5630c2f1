"""Activation functions and their modules: relu, sigmoid, tanh, softmax, log_softmax,
leaky_relu, elu, silu, gelu, softplus, and the `Identity` layer.

relu ... log_softmax are minigrad's own ops (one definition each); the others are composites
of them, except gelu's erf (one small Function here). The modules wrap them so they can sit
in an `nn.Sequential`.

`inplace=True` (ReLU(inplace=True), F.relu(x, inplace=True), ...) is accepted and gives the
same result as PyTorch for the usual `x = act(x)`, but the input tensor is NOT overwritten:
minigrad returns a new tensor (README: deviations from PyTorch).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor
from minigrad.function import Context
from minigrad.ops import dual

from ._checks import finite_number
from .module import Module

try:                                         # exact and fast when SciPy is installed
    from scipy.special import erf as _erf_array
except ImportError:                          # pragma: no cover - the same values, slower
    _erf_elementwise = np.frompyfunc(math.erf, 1, 1)

    def _erf_array(x: np.ndarray) -> np.ndarray:
        return _erf_elementwise(x).astype(x.dtype)


def _check_input(x: Any, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}; wrap it with "
                        "mg.tensor(...)")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype}; convert it "
                        "with x.float()")
    return x


def _check_inplace(inplace: Any, op: str) -> bool:
    if not isinstance(inplace, (bool, np.bool_)):
        raise TypeError(f"{op}: inplace must be True or False, got {inplace!r}")
    return bool(inplace)


def relu(x: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise (NaN stays NaN). Shapes: (*) -> (*).

    `inplace` is accepted for PyTorch code; the result is a new tensor either way.
    """
    _check_inplace(inplace, "relu")
    return mg.relu(x)


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)) elementwise. Shapes: (*) -> (*)."""
    return mg.sigmoid(x)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise. Shapes: (*) -> (*)."""
    return mg.tanh(x)


def softmax(x: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (required), stable for huge |x|. Shapes: (*) -> (*)."""
    return mg.softmax(x, dim)


def log_softmax(x: Tensor, dim: int) -> Tensor:
    """x - logsumexp(x) along `dim` (required), finite for logits of any magnitude.

    Shapes: (*) -> (*).
    """
    return mg.log_softmax(x, dim)


class _Activation(Module):
    """An activation layer with PyTorch's `inplace` flag (accepted; see the module docstring)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = _check_inplace(inplace, type(self).__name__)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class ReLU(_Activation):
    """relu as a layer. Shapes: (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


class Sigmoid(Module):
    """sigmoid as a layer. Shapes: (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


class Tanh(Module):
    """tanh as a layer. Shapes: (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


class Softmax(Module):
    """softmax along `dim` as a layer. Shapes: (*) -> (*)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """log_softmax along `dim` as a layer. Shapes: (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return log_softmax(x, self.dim)


class _Erf(mg.Function):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise.

    Shapes: x (*) -> out (*).
    """

    @staticmethod
    def forward(ctx: Context, x: Any) -> Any:
        ctx.save_for_backward(x)
        return _erf_array(x)

    @staticmethod
    def backward(ctx: Context, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        return grad * (2.0 / math.sqrt(math.pi)) * dual.exp(-x * x)   # twice differentiable


def leaky_relu(x: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x where x >= 0, else negative_slope * x. Shapes: (*) -> (*)."""
    _check_input(x, "leaky_relu")
    slope = finite_number(negative_slope, "negative_slope", "leaky_relu")
    _check_inplace(inplace, "leaky_relu")
    return mg.where(x.data > 0, x, x * slope)


def elu(x: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x where x > 0, else alpha * (exp(x) - 1). Shapes: (*) -> (*)."""
    _check_input(x, "elu")
    alpha = finite_number(alpha, "alpha", "elu")
    _check_inplace(inplace, "elu")
    positive = x.data > 0
    negative_part = mg.where(positive, 0.0, x)           # exp only of values <= 0: no overflow
    return mg.where(positive, x, (mg.exp(negative_part) - 1.0) * alpha)


def silu(x: Tensor, inplace: bool = False) -> Tensor:
    """x * sigmoid(x) (also called swish). Shapes: (*) -> (*)."""
    _check_input(x, "silu")
    _check_inplace(inplace, "silu")
    return x * mg.sigmoid(x)


def softplus(x: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta * x)) / beta, stable for large |x|; x itself where beta * x >
    threshold (as PyTorch). Shapes: (*) -> (*)."""
    _check_input(x, "softplus")
    beta = finite_number(beta, "beta", "softplus")
    threshold = finite_number(threshold, "threshold", "softplus")
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero (it divides the result)")
    scaled = x * beta
    return mg.where(scaled.data > threshold, x, stable_softplus(scaled) / beta)


def stable_softplus(z: Tensor) -> Tensor:
    """log(1 + exp(z)) without overflow: z + log(1 + exp(-z)) for z > 0. Shapes: (*) -> (*).

    Each branch only sees the values it is used for, so the unused branch's exp cannot
    overflow and poison the gradient with inf * 0.
    """
    positive = z.data > 0
    z_pos, z_neg = mg.where(positive, z, 0.0), mg.where(positive, 0.0, z)
    return mg.where(positive, z_pos + mg.log(mg.exp(-z_pos) + 1.0),
                    mg.log(mg.exp(z_neg) + 1.0))


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x), Phi the standard normal CDF: 0.5 * x * (1 + erf(x / sqrt(2))).

    approximate="tanh": 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))).
    Shapes: (*) -> (*).
    """
    _check_input(x, "gelu")
    if approximate == "none":
        return x * (_Erf.apply(x * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
        return x * (mg.tanh(inner) + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class Identity(Module):
    """Returns its input unchanged; any constructor arguments are ignored (as PyTorch).

    Shapes: (*) -> (*).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, x: Any) -> Any:
        return x


class LeakyReLU(_Activation):
    """leaky_relu as a layer. Shapes: (*) -> (*)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.negative_slope = finite_number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class ELU(_Activation):
    """elu as a layer. Shapes: (*) -> (*)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__(inplace)
        self.alpha = finite_number(alpha, "alpha", "ELU")

    def forward(self, x: Tensor) -> Tensor:
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SiLU(_Activation):
    """silu (x * sigmoid(x)) as a layer. Shapes: (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return silu(x)


class GELU(Module):
    """gelu as a layer; approximate is 'none' (exact, erf) or 'tanh'. Shapes: (*) -> (*)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """softplus as a layer. Shapes: (*) -> (*)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = finite_number(beta, "beta", "Softplus")
        self.threshold = finite_number(threshold, "threshold", "Softplus")
        if self.beta == 0:
            raise ValueError("Softplus: beta must be non-zero (it divides the result)")

    def forward(self, x: Tensor) -> Tensor:
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"
