"""Batch normalisation: `batch_norm` and the `BatchNorm2D` [`BatchNorm2d`] layer."""
import numpy as np

import minigrad as mg
from minigrad import Tensor

from .module import Module, Parameter


def _check_stat(value, name: str, channels: int, shape: tuple):
    if value is None:
        return
    if not isinstance(value, Tensor):
        raise TypeError(f"batch_norm: {name} must be a Tensor or None, got "
                        f"{type(value).__name__}")
    if value.shape != (channels,):
        raise ValueError(f"batch_norm: {name} has shape {value.shape} but the input {shape} has "
                         f"{channels} channels (dim 1); it must have shape ({channels},)")


def batch_norm(x: Tensor, running_mean: "Tensor | None", running_var: "Tensor | None",
               weight: "Tensor | None" = None, bias: "Tensor | None" = None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise each channel: (x - mean) / sqrt(var + eps) * weight + bias.

    Training: mean and (biased) var of the batch, over every dim except the channel dim 1;
    the running statistics, when given, are updated in place (no gradient) as
        running = (1 - momentum) * running + momentum * batch_statistic
    with the UNBIASED batch variance for running_var (as PyTorch). Not training: the running
    statistics are used instead.

    Shapes:
        x:                         (N, C) or (N, C, H, W) (any (N, C, *))
        running_mean, running_var: (C,) or None (None only when training)
        weight, bias:              (C,) or None
        out:                       the shape of x
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"batch_norm: x must be a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, H, W), got "
                         f"shape {x.shape}; add a batch dim with x.unsqueeze(0)")
    if not 0.0 <= momentum <= 1.0 or eps <= 0:
        raise ValueError(f"batch_norm: need 0 <= momentum <= 1 and eps > 0, got momentum="
                         f"{momentum}, eps={eps}")
    channels = x.shape[1]
    for name, value in (("running_mean", running_mean), ("running_var", running_var),
                        ("weight", weight), ("bias", bias)):
        _check_stat(value, name, channels, x.shape)
    dims = (0,) + tuple(range(2, x.ndim))                 # every dim but the channels
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)      # (C,) -> (1, C, 1, 1) for NCHW
    if training:
        count = x.numel() // max(channels, 1)
        if count < 2:
            raise ValueError(f"batch_norm: training needs more than 1 value per channel to "
                             f"estimate a variance, got input of shape {x.shape}; use a bigger "
                             "batch or call model.eval()")
        mean = x.mean(dims, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(dims, keepdim=True)
        _update_running(running_mean, running_var, mean.data, var.data, count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation (training=False) needs running_mean and "
                             "running_var; pass them or use training=True")
        mean = running_mean.data.reshape(stat_shape).astype(x.dtype, copy=False)
        var = running_var.data.reshape(stat_shape).astype(x.dtype, copy=False)
        centered = x - Tensor(mean)
        var = Tensor(var)
    out = centered / mg.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(stat_shape)
    if bias is not None:
        out = out + bias.reshape(stat_shape)
    return out


def _update_running(running_mean, running_var, mean: np.ndarray, var: np.ndarray, count: int,
                    momentum: float) -> None:
    with mg.no_grad():
        if running_mean is not None:
            running_mean.copy_((1 - momentum) * running_mean.data + momentum * mean.reshape(-1))
        if running_var is not None:
            unbiased = var.reshape(-1) * (count / (count - 1))
            running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased)


class BatchNorm2D(Module):
    """Batch normalisation over (N, H, W) for each channel of an NCHW input.

    Train mode normalises with the batch statistics and updates `running_mean` /
    `running_var` (buffers: saved in state_dict, not parameters); eval mode uses them.

    Shapes:
        x:              (N, C, H, W), C = num_features
        weight, bias:   (C,), ones and zeros (trainable)
        out:            (N, C, H, W)
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) \
                or num_features < 1:
            raise ValueError(f"BatchNorm2D: num_features must be a positive int, got "
                             f"{num_features!r}")
        if eps <= 0 or not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm2D: need eps > 0 and 0 <= momentum <= 1, got eps={eps}, "
                             f"momentum={momentum}")
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.weight = Parameter(mg.ones(num_features))
        self.bias = Parameter(mg.zeros(num_features))
        self.register_buffer("running_mean", mg.zeros(num_features))
        self.register_buffer("running_var", mg.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.num_features:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"BatchNorm2D: expected input of shape (N, {self.num_features}, H, "
                             f"W), got {shape}; num_features must equal the channels (dim 1)")
        return batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                          self.training, self.momentum, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}"


BatchNorm2d = BatchNorm2D
