"""minigrad: a small reverse-mode autodiff Tensor on NumPy.

    import minigrad as mg
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    x.grad            # tensor([[2., 4.]])
"""
from . import hooks, random
from .anomaly import detect_anomaly, is_anomaly_enabled
from ._checks import DimensionError
from .creation import (arange, full, ones, ones_like, rand, randint, randn, randperm, tensor,
                       zeros, zeros_like)
from .function import Context, Function
from . import return_types
from .functional import (abs, amax, amin, argmax, argmin, cast, cat, clamp, clip, exp, expand, flatten, log,
                         log_softmax, logsumexp, matmul, max, maximum, mean, min, minimum,
                         permute, pad, pow, relu, reshape, sigmoid, sliding_window, softmax,
                         sqrt, squeeze,
                         stack, std, sum, tanh, transpose, unsqueeze, var, view, where)
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck
from .random import get_rng_state, manual_seed, set_rng_state
from .serialization import load, save
from .tensor import Tensor

float32 = __import__("numpy").float32
float64 = __import__("numpy").float64
int64 = __import__("numpy").int64
bool_ = __import__("numpy").bool_


def __getattr__(name):
    """`mg.testing`, `mg.viz` and `mg.inspect` load on first use (hypothesis / graphviz)."""
    if name in ("testing", "viz", "inspect"):
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")


__all__ = [
    "Tensor", "Function", "Context", "tensor", "zeros", "ones", "full", "arange", "randn", "rand",
    "randint", "randperm", "zeros_like", "ones_like", "manual_seed", "get_rng_state",
    "set_rng_state", "detect_anomaly", "is_anomaly_enabled", "no_grad", "enable_grad",
    "set_grad_enabled", "is_grad_enabled", "gradcheck", "GradcheckError",
    "DimensionError", "save", "load", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs",
    "clamp", "clip", "pow", "maximum", "minimum", "where", "sum", "mean", "max", "min", "var",
    "std", "logsumexp", "softmax", "log_softmax", "argmax", "argmin", "reshape", "view", "amax", "amin",
    "transpose", "permute", "flatten", "squeeze", "unsqueeze", "expand", "matmul", "cat",
    "stack", "pad", "cast", "sliding_window", "float32", "float64", "int64", "bool_", "random",
    "hooks",
]
