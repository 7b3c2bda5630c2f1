"""Normalisation layers: `batch_norm` with `BatchNorm1D`/`BatchNorm2D` [`BatchNorm1d`,
`BatchNorm2d`], `layer_norm` with `LayerNorm`, `group_norm` with `GroupNorm`, and
`normalize` (unit-norm vectors).

All are composites of minigrad ops (mean, subtraction, sqrt, division), so their gradients
come from autodiff. Variances used for normalising are biased (divide by the count), as
PyTorch.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from ._checks import finite_number
from .module import Module, Parameter


def _check_features(value: Any, name: str, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{op}: {name} must be a positive int, got {value!r}")
    return int(value)


def _check_flag(value: Any, name: str, op: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be True or False, got {value!r}")
    return bool(value)


def _check_stat(value: Any, name: str, channels: int, shape: tuple) -> None:
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
    finite_number(momentum, "momentum", "batch_norm")
    finite_number(eps, "eps", "batch_norm")
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
        mean_values = running_mean.data.reshape(stat_shape).astype(x.dtype, copy=False)
        var_values = running_var.data.reshape(stat_shape).astype(x.dtype, copy=False)
        centered = x - Tensor(mean_values)
        var = Tensor(var_values)
    out = centered / mg.sqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(stat_shape)
    if bias is not None:
        out = out + bias.reshape(stat_shape)
    return out


def _update_running(running_mean: Tensor | None, running_var: Tensor | None, mean: np.ndarray,
                    var: np.ndarray, count: int,
                    momentum: float) -> None:
    with mg.no_grad():
        if running_mean is not None:
            running_mean.copy_((1 - momentum) * running_mean.data + momentum * mean.reshape(-1))
        if running_var is not None:
            unbiased = var.reshape(-1) * (count / (count - 1))
            running_var.copy_((1 - momentum) * running_var.data + momentum * unbiased)


class _BatchNorm(Module):
    """What BatchNorm1D and BatchNorm2D share (PyTorch's arguments and state_dict keys).

    momentum=None keeps a cumulative average instead (factor 1 / num_batches_tracked).
    affine=False: no weight/bias. track_running_stats=False: no buffers; batch statistics
    are used in eval mode too.
    """

    input_dims: tuple[int, ...] = (4,)
    input_shape = "(N, C, H, W)"

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: "float | None" = 0.1,
                 affine: bool = True, track_running_stats: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        self.num_features = _check_features(num_features, "num_features", name)
        self.eps = finite_number(eps, "eps", name)
        if momentum is not None:
            momentum = finite_number(momentum, "momentum", name)
        if eps <= 0 or momentum is not None and not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{name}: need eps > 0 and 0 <= momentum <= 1 (or None), got "
                             f"eps={eps}, momentum={momentum}")
        self.momentum = momentum
        self.affine = _check_flag(affine, "affine", name)
        self.track_running_stats = _check_flag(track_running_stats, "track_running_stats", name)
        if self.affine:
            self.weight = Parameter(mg.ones(num_features))
            self.bias = Parameter(mg.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", mg.zeros(num_features))
            self.register_buffer("running_var", mg.ones(num_features))
            self.register_buffer("num_batches_tracked", mg.tensor(0))
        else:
            for buffer in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(buffer, None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.copy_(np.zeros(self.num_features))
            self.running_var.copy_(np.ones(self.num_features))
            self.num_batches_tracked.copy_(np.array(0))

    def count_batch(self) -> float:
        """In training with running statistics: count one more batch in num_batches_tracked.
        Returns the factor for the running averages: momentum, or 1 / num_batches_tracked
        when momentum is None (a cumulative average)."""
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            with mg.no_grad():
                self.num_batches_tracked.copy_(self.num_batches_tracked.data + 1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        return factor

    def forward(self, x: Tensor) -> Tensor:
        name = type(self).__name__
        if not isinstance(x, Tensor) or x.ndim not in self.input_dims \
                or x.shape[1] != self.num_features:
            shape = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"{name}: expected input of shape "
                             f"{self.input_shape.replace('C', str(self.num_features))}, got "
                             f"{shape}; num_features must equal the channels (dim 1)")
        factor = self.count_batch()
        use_batch_stats = self.training or not self.track_running_stats
        tracked = not self.training or self.track_running_stats   # else: no buffers to update
        return batch_norm(x, self.running_mean if tracked else None,
                          self.running_var if tracked else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm2D(_BatchNorm):
    """Batch normalisation over (N, H, W) for each channel of an NCHW input.

    Train mode normalises with the batch statistics and updates `running_mean`,
    `running_var` and `num_batches_tracked` (buffers: saved in state_dict, not parameters;
    the keys match PyTorch's); eval mode uses them. See `_BatchNorm` for momentum=None,
    affine and track_running_stats.

    Shapes:
        x:              (N, C, H, W), C = num_features
        weight, bias:   (C,), ones and zeros (trainable; absent when affine=False)
        out:            (N, C, H, W)
    """


class BatchNorm1D(_BatchNorm):
    """Batch normalisation of each feature over the batch (and length) dims.

    Shapes:
        x:              (N, C) or (N, C, L), C = num_features
        weight, bias:   (C,)
        out:            the shape of x
    """

    input_dims = (2, 3)
    input_shape = "(N, C) or (N, C, L)"


BatchNorm2d = BatchNorm2D
BatchNorm1d = BatchNorm1D


def _normalize(x: Tensor, dims: tuple, eps: float) -> Tensor:
    """(x - mean) / sqrt(biased var + eps) over `dims`. Shapes: (*) -> (*)."""
    mean = x.mean(dims, keepdim=True)
    centered = x - mean
    var = (centered * centered).mean(dims, keepdim=True)
    return centered / mg.sqrt(var + eps)


def _normalized_shape(shape: Any, op: str) -> tuple[int, ...]:
    shape = (shape,) if isinstance(shape, (int, np.integer)) else shape
    if not isinstance(shape, (tuple, list)) or not shape or any(
            isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1 for s in shape):
        raise ValueError(f"{op}: normalized_shape must be a positive int or a non-empty tuple "
                         f"of them (the trailing dims of the input), got {shape!r}")
    return tuple(int(s) for s in shape)


def _affine_param(value: Any, name: str, shape: tuple[int, ...], op: str) -> Tensor | None:
    if value is None:
        return None
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(value).__name__}")
    if value.shape != shape:
        raise ValueError(f"{op}: {name} has shape {value.shape} but must have shape {shape}")
    return value


def layer_norm(x: Tensor, normalized_shape: int | Sequence[int], weight: "Tensor | None" = None,
               bias: "Tensor | None" = None, eps: float = 1e-5) -> Tensor:
    """Normalise over the trailing dims `normalized_shape` of each sample, then scale by
    weight and shift by bias (elementwise, both of shape normalized_shape).

    Shapes:
        x:            (*, *normalized_shape)
        weight, bias: normalized_shape, or None
        out:          the shape of x
    """
    shape = _normalized_shape(normalized_shape, "layer_norm")
    if not isinstance(x, Tensor):
        raise TypeError(f"layer_norm: input must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"layer_norm: input must be floating point, got {x.dtype}")
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ValueError(f"layer_norm: input of shape {x.shape} does not end with "
                         f"normalized_shape {shape}; expected input of shape (*, "
                         f"{', '.join(map(str, shape))})")
    eps = finite_number(eps, "eps", "layer_norm")
    weight = _affine_param(weight, "weight", shape, "layer_norm")
    bias = _affine_param(bias, "bias", shape, "layer_norm")
    if x.numel() == 0:
        return x * 1.0
    out = _normalize(x, tuple(range(x.ndim - len(shape), x.ndim)), eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


class LayerNorm(Module):
    """layer_norm as a layer, with a learnable elementwise weight (ones) and bias (zeros).

    Shapes:
        x:            (*, *normalized_shape)
        weight, bias: normalized_shape (absent when elementwise_affine=False; no bias when
                      bias=False)
        out:          the shape of x
    """

    def __init__(self, normalized_shape: int | Sequence[int], eps: float = 1e-5,
                 elementwise_affine: bool = True,
                 bias: bool = True) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape, "LayerNorm")
        self.eps = finite_number(eps, "eps", "LayerNorm")
        self.elementwise_affine = _check_flag(elementwise_affine, "elementwise_affine",
                                              "LayerNorm")
        _check_flag(bias, "bias", "LayerNorm")
        if self.elementwise_affine:
            self.weight = Parameter(mg.ones(*self.normalized_shape))
        else:
            self.register_parameter("weight", None)
        if self.elementwise_affine and bias:
            self.bias = Parameter(mg.zeros(*self.normalized_shape))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


def group_norm(x: Tensor, num_groups: int, weight: "Tensor | None" = None,
               bias: "Tensor | None" = None, eps: float = 1e-5) -> Tensor:
    """Split the C channels into num_groups groups and normalise each group of each sample
    over its channels and spatial positions; then scale and shift per channel.

    Shapes:
        x:            (N, C, *), C divisible by num_groups
        weight, bias: (C,) or None
        out:          the shape of x
    """
    if not isinstance(x, Tensor):
        raise TypeError(f"group_norm: input must be a Tensor, got {type(x).__name__}")
    groups = _check_features(num_groups, "num_groups", "group_norm")
    if x.ndim < 2 or x.shape[1] % groups:
        raise ValueError(f"group_norm: expected input of shape (N, C, *) with C divisible by "
                         f"num_groups={groups}, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise TypeError(f"group_norm: input must be floating point, got {x.dtype}")
    eps = finite_number(eps, "eps", "group_norm")
    channels = x.shape[1]
    weight = _affine_param(weight, "weight", (channels,), "group_norm")
    bias = _affine_param(bias, "bias", (channels,), "group_norm")
    if x.numel() == 0:
        return x * 1.0
    n = x.shape[0]
    grouped = x.reshape(n, groups, -1)                   # (N, C, *) -> (N, G, C/G * prod(*))
    out = _normalize(grouped, (2,), eps).reshape(x.shape)
    stat_shape = (1, channels) + (1,) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(stat_shape)
    if bias is not None:
        out = out + bias.reshape(stat_shape)
    return out


class GroupNorm(Module):
    """group_norm as a layer, with a learnable per-channel weight (ones) and bias (zeros).

    Shapes:
        x:            (N, num_channels, *)
        weight, bias: (num_channels,) (absent when affine=False)
        out:          the shape of x
    """

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True) -> None:
        super().__init__()
        self.num_groups = _check_features(num_groups, "num_groups", "GroupNorm")
        self.num_channels = _check_features(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        self.eps = finite_number(eps, "eps", "GroupNorm")
        self.affine = _check_flag(affine, "affine", "GroupNorm")
        if self.affine:
            self.weight = Parameter(mg.ones(num_channels))
            self.bias = Parameter(mg.zeros(num_channels))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, Tensor) and (x.ndim < 2 or x.shape[1] != self.num_channels):
            raise ValueError(f"GroupNorm: expected input of shape (N, {self.num_channels}, *), "
                             f"got {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p, eps) along `dim`: vectors of p-norm 1 (zero stays zero).

    The norm is computed as max(sum |x|^p, eps^p)^(1/p), the same value, so a zero vector
    gets a finite gradient (1 / eps times the upstream, as PyTorch).
    Shapes: (*) -> (*).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"normalize: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"normalize: input must be floating point, got {input.dtype}")
    p = finite_number(p, "p", "normalize")
    eps = finite_number(eps, "eps", "normalize")
    if p <= 0 or eps < 0:
        raise ValueError(f"normalize: need p > 0 and eps >= 0, got p={p}, eps={eps}")
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) \
            or not -max(input.ndim, 1) <= dim < max(input.ndim, 1):
        raise ValueError(f"normalize: dim {dim!r} is out of range for an input of shape "
                         f"{input.shape}")
    if input.ndim == 0:
        input_1d = input.reshape(1)
        return normalize(input_1d, p, 0, eps).reshape(())
    powered = mg.abs(input) ** p if p != 2.0 else input * input
    total = mg.maximum(powered.sum(dim, keepdim=True), eps ** p)
    norm = mg.sqrt(total) if p == 2.0 else total ** (1.0 / p)
    return input / norm
