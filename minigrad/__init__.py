"""minigrad: a small reverse-mode autodiff Tensor on NumPy.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([[2., 4.]])

Names follow PyTorch's, so `import minigrad as torch` ports most scripts.
"""

from __future__ import annotations

from typing import Any

from .tensor import Tensor  # first: the op machinery imported by tensor.py needs the class
import builtins as _builtins
import numpy as _np

from . import accelerator, autograd, autograd_functional, cuda, hooks, random, return_types
from ._promotion import get_default_dtype, promote_types, result_type, set_default_dtype
from .anomaly import detect_anomaly, is_anomaly_enabled
from ._checks import DimensionError
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like, linspace,
                       ones, ones_like, rand, rand_like, randint, randn, randn_like, randperm,
                       tensor, zeros, zeros_like)
from .device import device, get_default_device, set_default_device
from .function import Context, Function
from .functional import (abs, addmm, amax, amin, argmax, argmin, cast, cat, clamp, clip, clone,
                         conv2d,
                         exp, expand, flatten, im2col, linear, log, log_softmax, logsumexp,
                         matmul, max,
                         maximum, mean, min, minimum, pad, permute, pow, relu, reshape, sigmoid,
                         sliding_window, softmax, sqrt, squeeze, stack, std, sum, tanh,
                         transpose, unsqueeze, var, view, where)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .pointwise import (allclose, ceil, cos, eq, equal, floor, ge, gt, isclose, isfinite, isinf,
                        isnan, le, lt, nan_to_num, ne, round, sign, sin)
from .products import bmm, cumsum, einsum, mm, norm, prod
from .selection import (argsort, chunk, diag, expand_as, flip, gather, masked_fill, repeat,
                        roll, scatter, scatter_add, sort, split, t, tile, topk, tril, triu,
                        view_as)
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save
from .autograd import grad

# dtypes, with PyTorch's names (mg.float is float32, mg.int is int32, mg.long is int64)
float16 = half = _np.float16
float32 = float = _np.float32
float64 = double = _np.float64
int8 = _np.int8
uint8 = _np.uint8
int16 = short = _np.int16
int32 = int = _np.int32
int64 = long = _np.int64
bool_ = bool = _np.bool_

# torch.autograd's names for these (mg.autograd.functional.hessian, mg.autograd.gradgradcheck);
# set here because those modules import the engine in minigrad/autograd.py
for _name, _value in (("functional", autograd_functional), ("gradcheck", gradcheck),
                      ("gradgradcheck", gradgradcheck)):
    setattr(autograd, _name, _value)
del _name, _value

_DTYPE_NAMES = ["float16", "half", "float32", "float", "float64", "double", "int8", "uint8",
                "int16", "short", "int32", "int", "int64", "long", "bool_", "bool"]


def __getattr__(name: str) -> Any:
    """`mg.testing`, `mg.viz` and `mg.inspect` load on first use (hypothesis / graphviz)."""
    if name in ("testing", "viz", "inspect"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    if name in ("nn", "optim", "utils"):
        raise AttributeError(f"module 'minigrad' has no attribute {name!r}: nn is a separate "
                             "package (minigrad never imports it); write 'import nn' (for "
                             "torch.nn), 'import nn.optim as optim' or 'from nn.data import "
                             "DataLoader' (for torch.utils.data)")
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


__all__ = [
    "Tensor", "Function", "Context", "tensor", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "randn", "rand", "randint", "randperm", "zeros_like", "ones_like",
    "empty_like", "full_like", "rand_like", "randn_like", "from_numpy", "manual_seed",
    "get_rng_state", "set_rng_state", "device", "set_default_device", "get_default_device",
    "detect_anomaly", "is_anomaly_enabled", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck", "gradgradcheck", "GradcheckError", "DimensionError", "save", "load",
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "clamp", "clip", "pow", "maximum",
    "minimum", "where", "clone", "sum", "mean", "max", "min", "amax", "amin", "var", "std",
    "logsumexp", "softmax", "log_softmax", "argmax", "argmin", "reshape", "view", "transpose",
    "permute", "flatten", "squeeze", "unsqueeze", "expand", "matmul", "addmm", "linear", "cat",
    "stack", "pad",
    "cast", "sliding_window", "im2col", "conv2d", *_DTYPE_NAMES, "random", "hooks", "cuda", "accelerator", "autograd",
    "return_types", "grad", "sin", "cos", "sign", "floor", "ceil", "round", "isnan", "isinf",
    "isfinite", "nan_to_num", "eq", "ne", "lt", "le", "gt", "ge", "isclose", "allclose", "equal",
    "mm", "bmm", "einsum", "prod", "cumsum", "norm", "gather", "scatter", "scatter_add",
    "masked_fill", "sort", "argsort", "topk", "flip", "roll", "repeat", "tile", "diag", "tril",
    "triu", "t", "split", "chunk", "view_as", "expand_as", "set_default_dtype",
    "get_default_dtype", "result_type", "promote_types", "is_tensor", "is_floating_point",
]


def is_tensor(obj: object) -> _builtins.bool:
    """True for a minigrad Tensor (nn.Parameter included), as torch.is_tensor."""
    return isinstance(obj, Tensor)


def is_floating_point(x: object) -> _builtins.bool:
    """True for a Tensor of a floating dtype, as torch.is_floating_point."""
    if not isinstance(x, Tensor):
        raise TypeError(f"is_floating_point: expected a Tensor, got {type(x).__name__}")
    return x.is_floating_point()
