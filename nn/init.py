"""Weight initialisers: fill a tensor in place, drawing from minigrad's shared generator.

Every function works under `mg.no_grad()`, returns the tensor it filled, and draws from
`mg.random.generator()`, so `mg.manual_seed(n)` makes initialisation reproducible.

Fans (the number of inputs / outputs each weight connects):
    Dense weight (out_features, in_features):       fan_in = in,        fan_out = out
    Conv weight  (out_channels, in_channels, KH, KW): fan_in = in*KH*KW, fan_out = out*KH*KW

    glorot_uniform_  U(-a, a),  a   = sqrt(6 / (fan_in + fan_out))   [xavier_uniform_]
    glorot_normal_   N(0, s^2), s   = sqrt(2 / (fan_in + fan_out))   [xavier_normal_]
    he_uniform_      U(-a, a),  a   = sqrt(6 / fan_in)               [kaiming_uniform_]
    he_normal_       N(0, s^2), s   = sqrt(2 / fan_in)               [kaiming_normal_]

Example: the 32 3x3 filters of Conv2D(1, 32, 3) have weight (32, 1, 3, 3), fan_in = 9,
fan_out = 288, so Glorot uniform draws from U(-a, a) with a = sqrt(6 / 297) ~ 0.142.
"""
import math

import numpy as np

import minigrad as mg
from minigrad import Tensor

__all__ = [
    "glorot_uniform_", "glorot_normal_", "he_uniform_", "he_normal_", "zeros_", "ones_",
    "uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_",
]


def _fans(shape) -> tuple:
    """(fan_in, fan_out) of a weight of `shape` (out, in, *kernel).

    Shapes:
        (out, in)            -> (in, out)
        (out, in, KH, KW)    -> (in*KH*KW, out*KH*KW)
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(f"init: fan_in and fan_out need a weight with at least 2 dims "
                         f"(out, in, ...), got shape {shape}; initialise 1-D tensors such as "
                         "biases with zeros_, ones_, uniform_ or normal_")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _check_tensor(tensor, op: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor (e.g. layer.weight), got "
                        f"{type(tensor).__name__}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{op}: can only fill floating tensors, got dtype {tensor.dtype}")
    return tensor


def _fill(tensor: Tensor, values: np.ndarray) -> Tensor:
    with mg.no_grad():
        tensor.copy_(values.astype(tensor.dtype, copy=False))
    return tensor


def _fan(tensor: Tensor, mode: str, op: str) -> int:
    fan_in, fan_out = _fans(tensor.shape)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"{op}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    if fan == 0:
        raise ValueError(f"{op}: {mode} is 0 for a weight of shape {tuple(tensor.shape)}; "
                         "nothing to scale by")
    return fan


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with draws from U(a, b)."""
    tensor = _check_tensor(tensor, "uniform_")
    if not a < b:
        raise ValueError(f"uniform_: need a < b, got a={a}, b={b}")
    return _fill(tensor, mg.random.generator().uniform(a, b, tensor.shape))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with draws from N(mean, std^2)."""
    tensor = _check_tensor(tensor, "normal_")
    if std < 0:
        raise ValueError(f"normal_: std must be >= 0, got {std}")
    return _fill(tensor, mg.random.generator().normal(mean, std, tensor.shape))


def zeros_(tensor: Tensor) -> Tensor:
    """Fill with 0 (the default for biases)."""
    return _fill(_check_tensor(tensor, "zeros_"), np.zeros(tensor.shape))


def ones_(tensor: Tensor) -> Tensor:
    """Fill with 1 (e.g. a batch-norm scale)."""
    return _fill(_check_tensor(tensor, "ones_"), np.ones(tensor.shape))


def glorot_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)): Glorot & Bengio (2010)."""
    tensor = _check_tensor(tensor, "glorot_uniform_")
    fan_in, fan_out = _fans(tensor.shape)
    bound = gain * math.sqrt(6.0 / max(fan_in + fan_out, 1))
    return _fill(tensor, mg.random.generator().uniform(-bound, bound, tensor.shape))


def glorot_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out))."""
    tensor = _check_tensor(tensor, "glorot_normal_")
    fan_in, fan_out = _fans(tensor.shape)
    std = gain * math.sqrt(2.0 / max(fan_in + fan_out, 1))
    return _fill(tensor, mg.random.generator().normal(0.0, std, tensor.shape))


def he_uniform_(tensor: Tensor, mode: str = "fan_in") -> Tensor:
    """U(-a, a) with a = sqrt(6 / fan) (fan = fan_in by default): He et al. (2015), for ReLU."""
    tensor = _check_tensor(tensor, "he_uniform_")
    bound = math.sqrt(6.0 / _fan(tensor, mode, "he_uniform_"))
    return _fill(tensor, mg.random.generator().uniform(-bound, bound, tensor.shape))


def he_normal_(tensor: Tensor, mode: str = "fan_in") -> Tensor:
    """N(0, s^2) with s = sqrt(2 / fan) (fan = fan_in by default)."""
    tensor = _check_tensor(tensor, "he_normal_")
    std = math.sqrt(2.0 / _fan(tensor, mode, "he_normal_"))
    return _fill(tensor, mg.random.generator().normal(0.0, std, tensor.shape))


xavier_uniform_ = glorot_uniform_
xavier_normal_ = glorot_normal_
kaiming_uniform_ = he_uniform_
kaiming_normal_ = he_normal_
