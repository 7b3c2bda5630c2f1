"""The PyTorch-style functional namespace (`import nn.functional as F`): re-exports only.

Each function lives beside its module in the file of its concept (conv.py, pooling.py,
linear.py, ...); see there for shapes and errors.
"""
from .activation import log_softmax, relu, sigmoid, softmax, tanh
from .dropout import dropout
from .linear import linear
from .loss import cross_entropy, mse_loss, nll_loss
from .normalization import batch_norm
from .conv import conv2d
from .pooling import avg_pool2d, max_pool2d

__all__ = [
    "conv2d", "max_pool2d", "avg_pool2d", "relu", "sigmoid", "tanh", "softmax", "log_softmax",
    "dropout", "linear", "cross_entropy", "nll_loss", "mse_loss", "batch_norm",
]
