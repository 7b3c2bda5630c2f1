"""Activation functions and their modules: relu, sigmoid, tanh, softmax, log_softmax.

The functions are minigrad's own ops (one definition each); the modules wrap them so they can
sit in an `nn.Sequential`.
"""
import minigrad as mg
from minigrad import Tensor

from .module import Module


def relu(x: Tensor) -> Tensor:
    """max(x, 0) elementwise (NaN stays NaN). Shapes: (*) -> (*)."""
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


class ReLU(Module):
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

    def __init__(self, dim: int):
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
