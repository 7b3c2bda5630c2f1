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

PyTorch's names are all here, with its signatures: calculate_gain, constant_, eye_, dirac_,
orthogonal_, trunc_normal_, sparse_, kaiming_uniform_/kaiming_normal_(a, mode,
nonlinearity), xavier_uniform_/xavier_normal_(gain).

Layers start from Glorot uniform (the Keras convention this project teaches). For
PyTorch's default numbers instead, one line: `model.apply(nn.init.torch_default_)`
(kaiming_uniform_(a=sqrt(5)) for weights, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for biases).

Example: the 32 3x3 filters of Conv2D(1, 32, 3) have weight (32, 1, 3, 3), fan_in = 9,
fan_out = 288, so Glorot uniform draws from U(-a, a) with a = sqrt(6 / 297) ~ 0.142.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from ._checks import finite_number

if TYPE_CHECKING:
    from .module import Module

__all__ = [
    "glorot_uniform_", "glorot_normal_", "he_uniform_", "he_normal_", "zeros_", "ones_",
    "uniform_", "normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "calculate_gain", "constant_", "eye_", "dirac_", "orthogonal_",
    "trunc_normal_", "sparse_", "torch_default_",
]


def _fans(shape: Sequence[int]) -> tuple:
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


def _check_tensor(tensor: Any, op: str) -> Tensor:
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


LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: "float | None" = None) -> float:
    """PyTorch's recommended gain for a nonlinearity: 1 for linear/conv/sigmoid, 5/3 for tanh,
    sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope = param, default 0.01),
    3/4 for selu."""
    if nonlinearity in LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else finite_number(param, "param", "calculate_gain")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
                     f"{LINEAR_GAINS + ('tanh', 'relu', 'leaky_relu', 'selu')}")


def kaiming_uniform_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu") -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan), gain = calculate_gain(nonlinearity, a):
    He et al. (2015). The defaults (a=0, leaky_relu) give he_uniform_'s sqrt(6 / fan_in)."""
    tensor = _check_tensor(tensor, "kaiming_uniform_")
    gain = calculate_gain(nonlinearity, finite_number(a, "a", "kaiming_uniform_"))
    bound = gain * math.sqrt(3.0 / _fan(tensor, mode, "kaiming_uniform_"))
    return _fill(tensor, mg.random.generator().uniform(-bound, bound, tensor.shape))


def kaiming_normal_(tensor: Tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> Tensor:
    """N(0, s^2) with s = gain / sqrt(fan), gain = calculate_gain(nonlinearity, a)."""
    tensor = _check_tensor(tensor, "kaiming_normal_")
    gain = calculate_gain(nonlinearity, finite_number(a, "a", "kaiming_normal_"))
    std = gain / math.sqrt(_fan(tensor, mode, "kaiming_normal_"))
    return _fill(tensor, mg.random.generator().normal(0.0, std, tensor.shape))


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    tensor = _check_tensor(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, finite_number(val, "val", "constant_")))


def eye_(tensor: Tensor) -> Tensor:
    """Fill a 2-D tensor with the identity (ones on the diagonal; non-square allowed)."""
    tensor = _check_tensor(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(tensor.shape[0], tensor.shape[1]))


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fill a conv weight (3- to 5-D) so the convolution is the identity: a 1 at the kernel
    centre for output channel i and input channel i (per group), 0 elsewhere."""
    tensor = _check_tensor(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: needs a 3-, 4- or 5-D conv weight, got shape {tensor.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1 \
            or tensor.shape[0] % groups:
        raise ValueError(f"dirac_: groups must be a positive int dividing dim 0 of "
                         f"{tensor.shape}, got {groups!r}")
    values = np.zeros(tensor.shape)
    out_per_group = tensor.shape[0] // groups
    centre = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for i in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + i, i) + centre] = 1.0
    return _fill(tensor, values)


def orthogonal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """A (semi-)orthogonal matrix (the tensor flattened to (dim 0, rest)) times gain, from
    the QR decomposition of a Gaussian matrix (Saxe et al., 2013)."""
    tensor = _check_tensor(tensor, "orthogonal_")
    gain = finite_number(gain, "gain", "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dims, got shape {tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    columns = tensor.numel() // rows
    flat = mg.random.generator().normal(0.0, 1.0, (rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))                             # a uniform (Haar) draw, as PyTorch
    if rows < columns:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0) -> Tensor:
    """N(mean, std^2) restricted to [a, b] (absolute bounds, as PyTorch), by redrawing the
    values that fall outside."""
    tensor = _check_tensor(tensor, "trunc_normal_")
    mean, std = finite_number(mean, "mean", "trunc_normal_"), finite_number(std, "std", "trunc_normal_")
    a, b = finite_number(a, "a", "trunc_normal_"), finite_number(b, "b", "trunc_normal_")
    if std < 0 or not a < b:
        raise ValueError(f"trunc_normal_: need std >= 0 and a < b, got std={std}, a={a}, b={b}")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std) if std > 0 else \
        float(a <= mean <= b)
    if mass < 1e-3:
        raise ValueError(f"trunc_normal_: [a, b] = [{a}, {b}] holds {mass:.2g} of "
                         f"N({mean}, {std}^2) (at least 0.001 needed); move the bounds "
                         "towards the mean or widen them")
    generator = mg.random.generator()
    values = np.empty(tensor.numel())
    filled = 0
    while filled < values.size:                          # rejection, oversampled: ~1-2 rounds
        draws = generator.normal(mean, std, int((values.size - filled) / mass * 1.2) + 16)
        kept = draws[(draws >= a) & (draws <= b)][:values.size - filled]
        values[filled:filled + kept.size] = kept
        filled += kept.size
    return _fill(tensor, values.reshape(tensor.shape))


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01) -> Tensor:
    """A 2-D tensor drawn from N(0, std^2) with a fraction `sparsity` of each column zeroed."""
    tensor = _check_tensor(tensor, "sparse_")
    sparsity, std = finite_number(sparsity, "sparsity", "sparse_"), finite_number(std, "std", "sparse_")
    if tensor.ndim != 2 or not 0 <= sparsity <= 1 or std < 0:
        raise ValueError(f"sparse_: needs a 2-D tensor, 0 <= sparsity <= 1 and std >= 0, got "
                         f"shape {tensor.shape}, sparsity={sparsity}, std={std}")
    rows, columns = tensor.shape
    generator = mg.random.generator()
    values = generator.normal(0.0, std, (rows, columns))
    zeros = int(math.ceil(sparsity * rows))
    for column in range(columns):
        values[generator.permutation(rows)[:zeros], column] = 0.0
    return _fill(tensor, values)


def torch_default_(module: Module) -> None:
    """PyTorch's default initialisation for one module's own weight and bias, for
    `model.apply(nn.init.torch_default_)`: layers with a weight of >= 2 dims (Dense/Linear,
    Conv2D, ConvTranspose2D) get kaiming_uniform_(weight, a=sqrt(5)) and a bias from
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)); Embedding gets N(0, 1); other modules (BatchNorm:
    ones/zeros already) are left as they are. Values differ from PyTorch's (another random
    generator); the distributions are the same."""
    from .embedding import Embedding                    # nn.embedding imports this file
    if not hasattr(module, "_parameters"):
        raise TypeError(f"torch_default_: expected an nn.Module (use model.apply("
                        f"nn.init.torch_default_)), got {type(module).__name__}")
    weight = module._parameters.get("weight")
    if weight is None or weight.ndim < 2:
        return
    if isinstance(module, Embedding):
        normal_(weight)
        if module.padding_idx is not None:
            with mg.no_grad():
                weight[module.padding_idx] = 0.0
        return
    kaiming_uniform_(weight, a=math.sqrt(5))
    bias = module._parameters.get("bias")
    if bias is not None:
        fan_in, _ = _fans(weight.shape)
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        _fill(bias, mg.random.generator().uniform(-bound, bound, bias.shape))
