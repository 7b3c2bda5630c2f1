"""The PyTorch-style functional namespace (`import nn.functional as F`): re-exports only.

Each function lives beside its module in the file of its concept (conv.py, pooling.py,
linear.py, ...); see there for shapes and errors.
"""
from .activation import (elu, gelu, leaky_relu, log_softmax, relu, sigmoid, silu, softmax,
                         softplus, tanh)
from .conv import conv2d
from .conv_transpose import conv_transpose2d
from .dropout import dropout, dropout2d
from .embedding import embedding, one_hot
from .linear import linear
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                   huber_loss, kl_div, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .normalization import batch_norm, group_norm, layer_norm, normalize
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from .shape import pad
from .upsample import interpolate

__all__ = [
    "conv2d", "conv_transpose2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
    "adaptive_max_pool2d", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid",
    "tanh", "softmax", "log_softmax", "dropout", "dropout2d", "linear", "embedding", "one_hot",
    "pad", "interpolate", "normalize", "batch_norm", "layer_norm", "group_norm",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
]
