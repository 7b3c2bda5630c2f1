"""`Tensor`: a NumPy array plus what reverse-mode autodiff needs (grad, requires_grad, grad_fn).

Operators and methods are one-line calls into `functional` (validation + primitives from
`ops/`), so every op is defined in exactly one place.

Import order (the one way the Tensor <-> Function cycle is broken): this module comes first
(minigrad/__init__ imports it before anything else) and imports only modules that do not need
the class; the op machinery (function, autograd, ops, functional), which does, is imported at
the end of this file, once the class exists, and imports `Tensor` from here at its top.
"""
import builtins
import operator
from typing import Any, Callable, Iterator, Sequence, TypeAlias, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from . import grad_mode
from . import _inplace
from .device import CPU, as_device, device as Device, parse_to_args
from . import random as _random
from ._checks import as_dtype, broadcast_shape, check_floating
from ._promotion import DEFAULTS, result_type
from .backend import array_module
from .hooks import GradHooks, RemovableHandle, add_hook, check_callable
from . import return_types

Scalar: TypeAlias = int | float | bool
TensorLike: TypeAlias = "Tensor | ArrayLike"    # what an operator or op accepts as an operand
Dim: TypeAlias = int | tuple[int, ...] | None  # one dim, several, or None: all of them


def _as_array(data: Any, dtype: DTypeLike | None = None) -> np.ndarray:
    """Python floats (and lists of them) -> the default dtype (float32); arrays keep their
    dtype (and device)."""
    if isinstance(data, Tensor):
        array = data.data
    elif array_module(data) is not np:          # a CuPy array stays on its device
        array = data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as error:
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__}: {error}; "
                            "pass a number, a (nested) list of numbers or a NumPy array") from None
        if array.dtype == np.float64 and dtype is None:    # with dtype=: no float32 detour
            array = array.astype(DEFAULTS.float)
    if array.dtype == object or array.dtype.kind in "USVMm":
        raise TypeError(f"tensor: unsupported data of dtype {array.dtype} "
                        f"({type(data).__name__}); use numbers, booleans or numeric arrays")
    if dtype is not None:
        array = array.astype(as_dtype(dtype, "tensor"), copy=False)
    return array


def _operand(other: Any) -> Any:
    """The other side of a binary operator: Tensors and Python numbers as they are,
    NumPy scalars as Python numbers (so they don't promote float32 to float64)."""
    if isinstance(other, np.generic):         # before float: np.float64 is a float subclass
        return other.item()
    if isinstance(other, (Tensor, int, float)):
        return other
    if isinstance(other, np.ndarray):
        return other
    return Tensor(other)


_FLOATING = frozenset(np.dtype(t) for t in (np.float16, np.float32, np.float64))
_NUMERIC = _FLOATING | frozenset(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64,
                                                      np.uint8, np.uint16, np.uint32, np.uint64))


def promote_operands(x: "Tensor", other: Any, division: bool = False) -> tuple["Tensor", Any]:
    """x (a Tensor) and the other operand, converted to the dtype PyTorch's type promotion
    gives (see _promotion.py); true division of integers gives the default float dtype."""
    kind = type(other)
    dtype = x.data.dtype
    # The common cases, decided without a call. A Tensor subclass (nn.Parameter: every bias
    # add) counts as a Tensor; result_type below costs microseconds.
    if kind is float:
        if dtype in _FLOATING:
            return x, other
    elif kind is int:
        if dtype in (_FLOATING if division else _NUMERIC):
            return x, other
    elif kind is Tensor or isinstance(other, Tensor):
        if other.data.dtype is dtype and (not division or dtype in _FLOATING):
            return x, other
    other = _operand(other)
    target = result_type(x, other)
    if division and target.kind in "biu":
        target = DEFAULTS.float
    return _converted(x, target), _converted(other, target)


def _no_grad_binary(x: "Tensor", other: Any, ufunc: np.ufunc, symbol: str,
                    reflected: bool = False) -> "Tensor":
    """x // other and x % other with PyTorch's dtype promotion and Python's sign rules (the
    result takes the divisor's sign, as torch.remainder and floor_divide); no gradient."""
    if isinstance(other, (str, bytes)) or other is None:
        raise TypeError(f"{symbol}: unsupported operand {type(other).__name__}; use a number "
                        "or a tensor")
    x, other = promote_operands(x, other)
    a, b = x.data, other.data if isinstance(other, Tensor) else other
    if reflected:
        a, b = b, a
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return Tensor._wrap(array_module(x.data).asarray(ufunc(a, b)))
    except (TypeError, ValueError) as error:
        raise ValueError(f"{symbol}: cannot combine {x.dtype} {x.shape} with "
                         f"{type(other).__name__} {np.shape(b)}: {error}") from None


def _finite(value: Any, name: str, op: str) -> float:
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__}")
    if not np.isfinite(value):
        raise ValueError(f"{op}: {name} must be finite, got {value}")
    return float(value)


def _converted(value: Any, dtype: np.dtype) -> Any:
    if isinstance(value, Tensor):
        return value if value.dtype == dtype else F.cast(value, dtype)
    if isinstance(value, np.ndarray):
        return value if value.dtype == dtype else value.astype(dtype)
    return value


def _fill(t: "Tensor", data: np.ndarray, requires_grad: bool, grad_fn: Any) -> None:
    """Set a Tensor's fields (every constructor but `new_tensor`, which inlines it)."""
    t.data = data
    t._grad = None
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._version = 0
    t._hooks = None


def new_tensor(data: np.ndarray, requires_grad: bool = False, grad_fn: Any = None) -> "Tensor":
    """A Tensor around the array `data` as it is (no conversion): how ops make outputs.

    It sets the same fields as `_fill`, inline: every op's output is made here, and a
    function call is a noticeable part of the per-op overhead."""
    t = _object_new(Tensor)
    t.data = data
    t._grad = None
    t.requires_grad = requires_grad
    t.grad_fn = grad_fn
    t._version = 0
    t._hooks = None
    return t


_object_new = object.__new__


class Tensor:
    """An n-dimensional array that records the operations applied to it for backward().

    Attributes:
        data:           the numpy.ndarray
        grad:           None, or a Tensor of data's shape and dtype, accumulated by backward()
        requires_grad:  whether backward() computes a gradient for this tensor
        grad_fn:        the graph node (Context) of the op that made it; None for leaves
    `Tensor(array)` wraps an array without copying it; `mg.tensor(...)` copies.
    """

    __slots__ = ("data", "_grad", "requires_grad", "grad_fn", "_version", "_hooks", "__weakref__")
    data: np.ndarray
    _grad: "Tensor | None"
    requires_grad: bool
    grad_fn: Any                    # the op's Context (minigrad.function), None for leaves
    _version: int
    _hooks: Any
    __array_ufunc__ = None          # numpy defers to Tensor's reflected operators
    __hash__ = object.__hash__      # tensors are dict keys (optimizer state, graphs)

    def __init__(self, data: Any, requires_grad: bool = False,
                 dtype: DTypeLike | None = None) -> None:
        data = _as_array(data, dtype)
        if requires_grad:
            check_floating(data.dtype)
        _fill(self, data, bool(requires_grad), None)

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False) -> "Tensor":
        """A Tensor around an existing array, skipping conversion (internal fast path)."""
        t = cls.__new__(cls)
        _fill(t, array, requires_grad, None)
        return t

    # --- attributes -------------------------------------------------------------------------
    @property
    def grad(self) -> "Tensor | None":
        """None, or a Tensor of this tensor's shape and dtype that backward() accumulates."""
        return self._grad

    @grad.setter
    def grad(self, value: "Tensor | None") -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"grad: assigned grad expected to be a Tensor or None but got "
                                f"{type(value).__name__}; assign a Tensor of shape {self.shape}, "
                                "e.g. mg.zeros_like(t), or None")
            if value.shape != self.shape:
                raise RuntimeError(f"grad: attempting to assign a gradient of shape "
                                   f"{value.shape} to a tensor of shape {self.shape}; they must "
                                   "be the same")
            if value.dtype != self.dtype:
                raise RuntimeError(f"grad: attempting to assign a gradient of dtype "
                                   f"{value.dtype} to a tensor of dtype {self.dtype}; convert "
                                   f"it first, e.g. g.to(t.dtype)")
        self._grad = value

    @property
    def shape(self) -> tuple[builtins.int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def T(self) -> "Tensor":
        return F.permute(self, tuple(reversed(range(self.ndim))))

    def size(self, dim: builtins.int | None = None) -> tuple[builtins.int, ...] | builtins.int:
        """The shape, or the size of one dim (as PyTorch)."""
        if dim is None:
            return self.shape
        return self.shape[F.normalize_dim(dim, self.ndim, "size", self.shape)]

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.ndim

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        if self.requires_grad and autograd.GRAPH_BACKWARD.function is not None:
            raise autograd.numpy_in_graph_backward_error(autograd.GRAPH_BACKWARD.function)
        return self.data

    def item(self) -> builtins.float | builtins.int | builtins.bool:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a Python number; this "
                             f"one has shape {self.shape}; index or reduce it first")
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data, cut from the graph (requires_grad=False)."""
        return Tensor._wrap(self.data)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        if requires_grad:
            check_floating(self.data.dtype)
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError("requires_grad_: cannot turn off gradients of a non-leaf tensor; "
                               "use .detach() instead")
        self.requires_grad = bool(requires_grad)
        return self

    # --- autodiff ---------------------------------------------------------------------------
    def backward(self, gradient: "Tensor | ArrayLike | None" = None,
                 retain_graph: bool | None = None, create_graph: bool = False,
                 inputs: "Tensor | Sequence[Tensor] | None" = None) -> None:
        """Accumulate d(self)/d(leaf) * gradient into `.grad` of every leaf requiring grad.

        `gradient` (a Tensor or array of self's shape) may be omitted only for a one-element
        tensor. The graph's saved arrays are freed afterwards unless `retain_graph=True`
        (default: the value of `create_graph`); its structure stays, so it can still be drawn.
        With `create_graph=True` the gradients are computed with recorded ops, so the `.grad`
        written (and any gradient) is itself differentiable: backward it again for second
        derivatives. `inputs` (a Tensor or a sequence of them) limits accumulation to those.
        """
        autograd.backward((self,), None if gradient is None else (gradient,), retain_graph,
                          create_graph, inputs, caller="backward")

    def register_hook(self, hook: Callable[["Tensor"], "Tensor | None"]) -> RemovableHandle:
        """Call `hook(grad)` each time backward computes this tensor's gradient (as PyTorch).

        `hook` gets the gradient as a Tensor and may return a replacement (same shape) or None
        to keep it. For a leaf it runs once per backward, on the summed gradient, before it is
        added to `.grad`; for an op's output, before the gradient flows on into the graph.
        Returns a handle whose `remove()` unregisters the hook.
        """
        check_callable(hook, "register_hook")
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                               "require grad; create it with requires_grad=True (or call "
                               "requires_grad_() on a leaf) first")
        return add_hook(self._gradient_hooks().grad, hook)

    def register_post_accumulate_grad_hook(self, hook: Callable[["Tensor"], Any]
                                           ) -> RemovableHandle:
        """Call `hook(tensor)` after backward accumulated this leaf's `.grad` (as PyTorch).

        Runs once per backward, as soon as every gradient for this leaf has arrived (while
        the rest of the graph is still being processed), so the hook can start work on
        `.grad` early, e.g. an all-reduce. Its return value is ignored.
        """
        check_callable(hook, "register_post_accumulate_grad_hook")
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors (only leaves have a "
                               ".grad that backward accumulates); use register_hook instead")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that does not require grad; create it with "
                               "requires_grad=True first")
        return add_hook(self._gradient_hooks().post_accumulate, hook)

    def _gradient_hooks(self) -> GradHooks:
        """This tensor's hooks, created on first use: on the leaf, or on the op's node."""
        owner = self if self.grad_fn is None else self.grad_fn
        if owner._hooks is None:
            owner._hooks = GradHooks()
        return owner._hooks

    # --- in-place updates: same object, version bumped (rules in _inplace.py) --------------
    def __setitem__(self, index: Any, value: "Tensor | ArrayLike") -> None:
        """x[index] = value, in place. Recorded when gradients are (x a non-leaf, or value a
        tensor that requires grad): the overwritten elements get no gradient, value gets
        theirs. A leaf that requires grad is refused while recording, as in PyTorch."""
        index = F.plain_index(index)
        if _inplace.is_recording(self, (value,)):
            _inplace.replace(self, "__setitem__", lambda old: S.index_put(old, index, value),
                             value)
            return
        _inplace.bump_version(self)
        value = value.data if isinstance(value, Tensor) else value
        try:
            self.data[index] = value
        except (IndexError, ValueError, TypeError) as error:
            kind = (IndexError if isinstance(error, IndexError) else
                    TypeError if isinstance(error, TypeError) else ValueError)
            raise kind(f"__setitem__: cannot assign {type(value).__name__} "
                       f"{np.shape(value) if isinstance(value, np.ndarray) else value!r} to "
                       f"index {F.describe_index(index)} of a tensor of shape {self.shape}: "
                       f"{error}") from None

    def add_(self, other: "TensorLike", *, alpha: "Scalar" = 1) -> "Tensor":
        """self += alpha * other, in place."""
        other = self._scaled(other, alpha)
        return _inplace.update(self, "add_", np.add, other, operator.add)

    def sub_(self, other: "TensorLike", *, alpha: "Scalar" = 1) -> "Tensor":
        """self -= alpha * other, in place."""
        other = self._scaled(other, alpha, "sub_")
        return _inplace.update(self, "sub_", np.subtract, other, operator.sub)

    def _scaled(self, other: Any, alpha: "Scalar", op: str = "add_") -> Any:
        other = _operand(other)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer,
                                                             np.floating)):
            raise TypeError(f"{op}: alpha must be a number, got {type(alpha).__name__} "
                            f"{alpha!r}")
        if alpha == 1:
            return other
        if isinstance(other, Tensor) and not _inplace.is_recording(self, (other,)):
            other = other.data                 # the optimizer path: no graph node for alpha*g
        return other * alpha

    def mul_(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "mul_", np.multiply, other, operator.mul)

    def div_(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "div_", np.true_divide, other, operator.truediv)

    def pow_(self, exponent: "TensorLike") -> "Tensor":
        exponent = _operand(exponent)
        return _inplace.update(self, "pow_", np.power, exponent, operator.pow)

    def __iadd__(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "+=", np.add, other, operator.add)

    def __isub__(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "-=", np.subtract, other, operator.sub)

    def __imul__(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "*=", np.multiply, other, operator.mul)

    def __itruediv__(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "/=", np.true_divide, other, operator.truediv)

    def __ipow__(self, other: "TensorLike") -> "Tensor":
        other = _operand(other)
        return _inplace.update(self, "**=", np.power, other, operator.pow)

    def __imatmul__(self, other: "TensorLike") -> "Tensor":
        _inplace.check_not_leaf(self, "@=")
        # Recorded on a snapshot of the old value, as every recorded in-place op: recording
        # it on self made self its own input (a cycle: no gradient reached the inputs).
        result = F.matmul(_inplace.snapshot(self) if _inplace.is_recording(self, (other,))
                          else self.detach(), other)
        _inplace.take_result(self, "@=", result)
        _inplace.bump_version(self)
        return self

    def clamp_(self, min: "TensorLike | None" = None,
               max: "TensorLike | None" = None) -> "Tensor":
        """Limit values to [min, max] in place (see clamp)."""
        low, high = F.clamp_bounds(min, max, "clamp_")

        def clip(array: np.ndarray, _: None, out: Any, casting: Any) -> np.ndarray:
            return np.clip(array, low, high, out=out, casting=casting)
        return _inplace.update(self, "clamp_", clip, None, lambda old, _: F.clamp(old, low, high))

    clip_ = clamp_

    def copy_(self, source: "Tensor | ArrayLike") -> "Tensor":
        """Copy `source` (broadcast to this shape, converted to this dtype) into this tensor."""
        recorded = source if isinstance(source, Tensor) and source.requires_grad else None
        values = source.data if isinstance(source, Tensor) else np.asarray(source)
        if values.shape != self.shape and broadcast_shape("copy_", values.shape,
                                                          self.shape) != self.shape:
            raise ValueError(f"copy_: source of shape {values.shape} does not fit a tensor of "
                             f"shape {self.shape}")
        if recorded is not None and recorded.dtype != self.dtype:
            recorded = recorded.to(self.dtype)
        return _inplace.overwrite(self, "copy_", values.astype(self.dtype, copy=False),
                                  recorded)

    def fill_(self, value: "Scalar | Tensor") -> "Tensor":
        if isinstance(value, Tensor):
            if value.numel() != 1:
                raise ValueError(f"fill_: the value must be a number or a one-element tensor, "
                                 f"got shape {value.shape}")
            value = value.item()
        if not isinstance(value, (int, float, bool, np.number, np.bool_)):
            raise TypeError(f"fill_: the value must be a number, got {type(value).__name__}")
        return _inplace.overwrite(self, "fill_", value)

    def zero_(self) -> "Tensor":
        return self.fill_(0)

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> "Tensor":
        """Fill with samples from N(mean, std**2), drawn from minigrad's seeded generator."""
        mean, std = _finite(mean, "mean", "normal_"), _finite(std, "std", "normal_")
        if std < 0:
            raise ValueError(f"normal_: std must be >= 0, got {std}")
        check_floating(self.dtype, "normal_")
        values = _random.generator().normal(mean, std, self.shape)
        return _inplace.overwrite(self, "normal_", values.astype(self.dtype, copy=False))

    def uniform_(self, low: builtins.float = 0.0, high: builtins.float = 1.0) -> "Tensor":
        """Fill with samples from U(low, high) (PyTorch's `from`, `to`), seeded generator."""
        low, high = _finite(low, "low", "uniform_"), _finite(high, "high", "uniform_")
        if low > high:
            raise ValueError(f"uniform_: expects a [low, high) range, but found low={low} > "
                             f"high={high}")
        check_floating(self.dtype, "uniform_")
        values = _random.generator().uniform(low, high, self.shape)
        return _inplace.overwrite(self, "uniform_", values.astype(self.dtype, copy=False))

    # --- operators ----------------------------------------------------------------------------
    # A Python float with a floating tensor needs no promotion (the tensor's dtype wins): the
    # most common mixed case (`x * 0.5`, `y + 1e-5`). The arithmetic operators test it inline,
    # saving the promote_operands call that would decide the same.
    def __add__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Add.apply(x, other)

    def __radd__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Add.apply(other, x)

    def __sub__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Sub.apply(x, other)

    def __rsub__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Sub.apply(other, x)

    def __mul__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Mul.apply(x, other)

    def __rmul__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other)
        return Mul.apply(other, x)

    def __truediv__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other, True)
        return Div.apply(x, other)

    def __rtruediv__(self, other: "TensorLike") -> "Tensor":
        x = self
        if type(other) is not float or x.data.dtype not in _FLOATING:     # else: as is (above)
            x, other = promote_operands(x, other, True)
        return Div.apply(other, x)

    def __pow__(self, other: "TensorLike") -> "Tensor":
        x, other = promote_operands(self, other)
        return Pow.apply(x, other)

    def __rpow__(self, other: "TensorLike") -> "Tensor":
        x, other = promote_operands(self, other)
        return Pow.apply(other, x)

    def __floordiv__(self, other: "TensorLike") -> "Tensor":
        return _no_grad_binary(self, other, np.floor_divide, "//")

    def __rfloordiv__(self, other: "TensorLike") -> "Tensor":
        return _no_grad_binary(self, other, np.floor_divide, "//", reflected=True)

    def __mod__(self, other: "TensorLike") -> "Tensor":
        return _no_grad_binary(self, other, np.remainder, "%")

    def __rmod__(self, other: "TensorLike") -> "Tensor":
        return _no_grad_binary(self, other, np.remainder, "%", reflected=True)

    def __matmul__(self, other: "TensorLike") -> "Tensor":
        return F.matmul(self, other)

    def __rmatmul__(self, other: "TensorLike") -> "Tensor":
        return F.matmul(other, self)

    def __neg__(self) -> "Tensor":
        return Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return F.abs(self)

    def __getitem__(self, index: Any) -> "Tensor":
        return F.getitem(self, index)

    def _compare(self, other: Any, compare: np.ufunc) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(F.checked_compare(self.data, other, compare))

    def __lt__(self, other: "TensorLike") -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: "TensorLike") -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: "TensorLike") -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: "TensorLike") -> "Tensor":
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: object) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: object) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __invert__(self) -> "Tensor":
        if self.dtype != np.bool_:
            raise TypeError(f"~: only bool tensors can be inverted, got {self.dtype}")
        return Tensor._wrap(~self.data)

    def __and__(self, other: "TensorLike") -> "Tensor":
        return self._logical(other, np.bitwise_and, "&")

    def __or__(self, other: "TensorLike") -> "Tensor":
        return self._logical(other, np.bitwise_or, "|")

    def _logical(self, other: Any, combine: np.ufunc, symbol: str) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        try:
            return Tensor._wrap(combine(self.data, other))
        except (TypeError, ValueError) as error:
            raise TypeError(f"{symbol}: needs bool (or integer) tensors of broadcastable shapes, "
                            f"got {self.dtype} {self.shape} and {type(other).__name__} "
                            f"{getattr(other, 'dtype', '')}; compare first, e.g. (x > 0) "
                            f"{symbol} (x < 1) ({error})") from None

    # --- Python protocol ------------------------------------------------------------------------
    def __len__(self) -> builtins.int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator["Tensor"]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> builtins.bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.data.size} elements (shape "
                             f"{self.shape}) is ambiguous; use .any() or .all() on .data")
        return bool(self.data)

    def __float__(self) -> builtins.float:
        return float(self.item())

    def __int__(self) -> builtins.int:
        return int(self.item())

    def __index__(self) -> builtins.int:
        if self.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError(f"only one-element integer tensors can be used as an index, got "
                            f"{self.dtype} of shape {self.shape}")
        return int(self.data)

    def __array__(self, dtype: DTypeLike | None = None,
                  copy: builtins.bool | None = None) -> np.ndarray:
        if self.requires_grad and autograd.GRAPH_BACKWARD.function is not None:
            raise autograd.numpy_in_graph_backward_error(autograd.GRAPH_BACKWARD.function)
        return self.data if dtype is None else self.data.astype(dtype)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.dtype not in (np.float32, np.int64, np.bool_):
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}Backward>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # --- dtype and device ----------------------------------------------------------------------
    @property
    def device(self) -> Device:
        """Where the data lives: always the CPU here (see minigrad/device.py)."""
        return CPU

    is_cuda = False

    def to(self, *args: Any, **kwargs: Any) -> "Tensor":
        """Convert to another dtype and/or device, as PyTorch's `to`:
        `x.to(mg.float64)`, `x.to("cpu")`, `x.to(device, dtype)`, `x.to(other_tensor)`,
        with `copy=True` for a new tensor even when nothing changes. Differentiable between
        floating dtypes; any device but the CPU raises (minigrad runs on the CPU only)."""
        dtype, copy = parse_to_args(self, args, kwargs)
        out = self if dtype is None else F.cast(self, dtype)
        if copy and out is self:
            out = F.clone(self)
        return out

    def astype(self, dtype: DTypeLike) -> "Tensor":
        """`to(dtype)` (NumPy's name)."""
        return F.cast(self, dtype)

    def cpu(self) -> "Tensor":
        """This tensor: it is on the CPU already (as PyTorch, no copy)."""
        return self

    def cuda(self, device: "Device | str | builtins.int | None" = None,
             non_blocking: builtins.bool = False) -> "Tensor":
        """Raises: minigrad has no GPU backend (mg.cuda.is_available() is False)."""
        as_device("cuda" if device is None else device, "cuda")
        return self

    def float(self) -> "Tensor":
        return F.cast(self, np.float32)

    def double(self) -> "Tensor":
        return F.cast(self, np.float64)

    def half(self) -> "Tensor":
        return F.cast(self, np.float16)

    def long(self) -> "Tensor":
        return F.cast(self, np.int64)

    def int(self) -> "Tensor":
        """Convert to int32 (PyTorch's `int` dtype; `long()` is int64)."""
        return F.cast(self, np.int32)

    def bool(self) -> "Tensor":
        return F.cast(self, np.bool_)

    # --- methods: each is also the function mg.NAME -------------------------------------------
    def exp(self) -> "Tensor":
        return Exp.apply(self)          # F.exp without its operand check: self is a Tensor

    def log(self) -> "Tensor":
        return Log.apply(self)          # F.log without its operand check: self is a Tensor

    def sqrt(self) -> "Tensor":
        return Sqrt.apply(self)          # F.sqrt without its operand check: self is a Tensor

    def tanh(self) -> "Tensor":
        return Tanh.apply(self)          # F.tanh without its operand check: self is a Tensor

    def sigmoid(self) -> "Tensor":
        return Sigmoid.apply(self)          # F.sigmoid without its operand check: self is a Tensor

    def relu(self) -> "Tensor":
        return ReLU.apply(self)          # F.relu without its operand check: self is a Tensor

    def abs(self) -> "Tensor":
        return F.abs(self)

    def clamp(self, min: "TensorLike | None" = None,
              max: "TensorLike | None" = None) -> "Tensor":
        return F.clamp(self, min, max)

    clip = clamp

    def pow(self, exponent: "TensorLike") -> "Tensor":
        return F.pow(self, exponent)

    def maximum(self, other: "TensorLike") -> "Tensor":
        return F.maximum(self, other)

    def minimum(self, other: "TensorLike") -> "Tensor":
        return F.minimum(self, other)

    def sum(self, dim: "Dim" = None, keepdim: builtins.bool = False, *, axis: "Dim" = None,
            keepdims: builtins.bool | None = None) -> "Tensor":
        return F.sum(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def mean(self, dim: "Dim" = None, keepdim: builtins.bool = False, *, axis: "Dim" = None,
            keepdims: builtins.bool | None = None) -> "Tensor":
        return F.mean(self, dim, keepdim, axis=axis, keepdims=keepdims)

    @overload
    def max(self, dim: None = None, keepdim: builtins.bool = False, *, axis: None = None,
            keepdims: builtins.bool | None = None) -> "Tensor": ...

    @overload
    def max(self, dim: "Tensor") -> "Tensor": ...

    @overload
    def max(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
            axis: builtins.int | None = None,
            keepdims: builtins.bool | None = None) -> return_types.max: ...

    def max(self, dim: "builtins.int | Tensor | None" = None, keepdim: builtins.bool = False, *,
            axis: builtins.int | None = None, keepdims: builtins.bool | None = None
            ) -> "Tensor | return_types.max":
        return F.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    @overload
    def min(self, dim: None = None, keepdim: builtins.bool = False, *, axis: None = None,
            keepdims: builtins.bool | None = None) -> "Tensor": ...

    @overload
    def min(self, dim: "Tensor") -> "Tensor": ...

    @overload
    def min(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
            axis: builtins.int | None = None,
            keepdims: builtins.bool | None = None) -> return_types.min: ...

    def min(self, dim: "builtins.int | Tensor | None" = None, keepdim: builtins.bool = False, *,
            axis: builtins.int | None = None, keepdims: builtins.bool | None = None
            ) -> "Tensor | return_types.min":
        return F.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim: "Dim" = (), keepdim: builtins.bool = False, *, axis: "Dim" = None,
             keepdims: builtins.bool | None = None) -> "Tensor":
        return F.amax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amin(self, dim: "Dim" = (), keepdim: builtins.bool = False, *, axis: "Dim" = None,
             keepdims: builtins.bool | None = None) -> "Tensor":
        return F.amin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def var(self, dim: "Dim" = None, keepdim: builtins.bool = False, *, correction: "Scalar" = 1,
            unbiased: builtins.bool | None = None, axis: "Dim" = None,
            keepdims: builtins.bool | None = None) -> "Tensor":
        return F.var(self, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                     keepdims=keepdims)

    def std(self, dim: "Dim" = None, keepdim: builtins.bool = False, *, correction: "Scalar" = 1,
            unbiased: builtins.bool | None = None, axis: "Dim" = None,
            keepdims: builtins.bool | None = None) -> "Tensor":
        return F.std(self, dim, keepdim, correction=correction, unbiased=unbiased, axis=axis,
                     keepdims=keepdims)

    def logsumexp(self, dim: "Dim" = None, keepdim: builtins.bool = False, *, axis: "Dim" = None,
            keepdims: builtins.bool | None = None) -> "Tensor":
        return F.logsumexp(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def softmax(self, dim: builtins.int | None = None, *,
                axis: builtins.int | None = None) -> "Tensor":
        return F.softmax(self, dim, axis=axis)

    def log_softmax(self, dim: builtins.int | None = None, *,
                    axis: builtins.int | None = None) -> "Tensor":
        return F.log_softmax(self, dim, axis=axis)

    def argmax(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None,
               keepdims: builtins.bool | None = None) -> "Tensor":
        return F.argmax(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def argmin(self, dim: builtins.int | None = None, keepdim: builtins.bool = False, *,
               axis: builtins.int | None = None,
               keepdims: builtins.bool | None = None) -> "Tensor":
        return F.argmin(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return F.reshape(self, *shape)

    view = reshape

    def transpose(self, dim0: builtins.int, dim1: builtins.int) -> "Tensor":
        return F.transpose(self, dim0, dim1)

    def permute(self, *dims: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return F.permute(self, *dims)

    def flatten(self, start_dim: builtins.int = 0, end_dim: builtins.int = -1) -> "Tensor":
        return F.flatten(self, start_dim, end_dim)

    def squeeze(self, dim: "Dim" = None) -> "Tensor":
        return F.squeeze(self, dim)

    def unsqueeze(self, dim: builtins.int) -> "Tensor":
        return F.unsqueeze(self, dim)

    def expand(self, *shape: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return F.expand(self, *shape)

    def matmul(self, other: "TensorLike") -> "Tensor":
        return F.matmul(self, other)

    # --- more PyTorch methods (pointwise.py, selection.py, products.py) -----------------------
    def sin(self) -> "Tensor":
        return P.sin(self)

    def cos(self) -> "Tensor":
        return P.cos(self)

    def sign(self) -> "Tensor":
        return P.sign(self)

    def floor(self) -> "Tensor":
        return P.floor(self)

    def ceil(self) -> "Tensor":
        return P.ceil(self)

    def round(self, decimals: builtins.int = 0) -> "Tensor":
        return P.round(self, decimals)

    def isnan(self) -> "Tensor":
        return P.isnan(self)

    def isinf(self) -> "Tensor":
        return P.isinf(self)

    def isfinite(self) -> "Tensor":
        return P.isfinite(self)

    def nan_to_num(self, nan: builtins.float = 0.0, posinf: builtins.float | None = None,
                   neginf: builtins.float | None = None) -> "Tensor":
        return P.nan_to_num(self, nan, posinf, neginf)

    def eq(self, other: "TensorLike") -> "Tensor":
        return P.eq(self, other)

    def ne(self, other: "TensorLike") -> "Tensor":
        return P.ne(self, other)

    def lt(self, other: "TensorLike") -> "Tensor":
        return P.lt(self, other)

    def le(self, other: "TensorLike") -> "Tensor":
        return P.le(self, other)

    def gt(self, other: "TensorLike") -> "Tensor":
        return P.gt(self, other)

    def ge(self, other: "TensorLike") -> "Tensor":
        return P.ge(self, other)

    def isclose(self, other: "TensorLike", rtol: builtins.float = 1e-5,
                atol: builtins.float = 1e-8,
                equal_nan: builtins.bool = False) -> "Tensor":
        return P.isclose(self, other, rtol, atol, equal_nan)

    def allclose(self, other: "TensorLike", rtol: builtins.float = 1e-5,
                 atol: builtins.float = 1e-8,
                 equal_nan: builtins.bool = False) -> builtins.bool:
        return P.allclose(self, other, rtol, atol, equal_nan)

    def equal(self, other: "Tensor") -> builtins.bool:
        return P.equal(self, other)

    def clone(self) -> "Tensor":
        return F.clone(self)

    def is_floating_point(self) -> builtins.bool:
        return self.data.dtype.kind == "f"

    def contiguous(self) -> "Tensor":
        """This tensor (its values are what a contiguous copy would hold)."""
        return self

    def view_as(self, other: "Tensor") -> "Tensor":
        return S.view_as(self, other)

    def expand_as(self, other: "Tensor") -> "Tensor":
        return S.expand_as(self, other)

    def t(self) -> "Tensor":
        return S.t(self)

    def gather(self, dim: builtins.int, index: "Tensor") -> "Tensor":
        return S.gather(self, dim, index)

    def scatter(self, dim: builtins.int, index: "Tensor", src: "Tensor | None" = None, *,
                value: "Scalar | None" = None, reduce: str | None = None) -> "Tensor":
        return S.scatter(self, dim, index, src, value=value, reduce=reduce)

    def scatter_add(self, dim: builtins.int, index: "Tensor", src: "Tensor") -> "Tensor":
        return S.scatter_add(self, dim, index, src)

    def scatter_(self, dim: builtins.int, index: "Tensor", src: "Tensor | None" = None, *,
                 value: "Scalar | None" = None, reduce: str | None = None) -> "Tensor":
        """scatter, in place."""
        return _inplace.replace(self, "scatter_", lambda old: S.scatter(
            old, dim, index, src, value=value, reduce=reduce), src)

    def scatter_add_(self, dim: builtins.int, index: "Tensor", src: "Tensor") -> "Tensor":
        """scatter_add, in place."""
        return _inplace.replace(self, "scatter_add_",
                                lambda old: S.scatter_add(old, dim, index, src), src)

    def masked_fill(self, mask: "Tensor", value: "TensorLike") -> "Tensor":
        return S.masked_fill(self, mask, value)

    def masked_fill_(self, mask: "Tensor", value: "TensorLike") -> "Tensor":
        """masked_fill, in place."""
        return _inplace.replace(self, "masked_fill_",
                                lambda old: S.masked_fill(old, mask, value), value)

    def sort(self, dim: builtins.int = -1, descending: builtins.bool = False,
             stable: builtins.bool = False) -> return_types.sort:
        return S.sort(self, dim, descending, stable)

    def argsort(self, dim: builtins.int = -1, descending: builtins.bool = False,
                stable: builtins.bool = False) -> "Tensor":
        return S.argsort(self, dim, descending, stable)

    def topk(self, k: builtins.int, dim: builtins.int = -1, largest: builtins.bool = True,
             sorted: builtins.bool = True) -> return_types.topk:
        return S.topk(self, k, dim, largest, sorted)

    def flip(self, *dims: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return S.flip(self, dims[0] if len(dims) == 1 else dims)

    def roll(self, shifts: "builtins.int | Sequence[builtins.int]",
             dims: "builtins.int | Sequence[builtins.int] | None" = None) -> "Tensor":
        return S.roll(self, shifts, dims)

    def repeat(self, *sizes: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return S.repeat(self, *sizes)

    def tile(self, *dims: "builtins.int | Sequence[builtins.int]") -> "Tensor":
        return S.tile(self, dims[0] if len(dims) == 1 else dims)

    def diag(self, diagonal: builtins.int = 0) -> "Tensor":
        return S.diag(self, diagonal)

    def tril(self, diagonal: builtins.int = 0) -> "Tensor":
        return S.tril(self, diagonal)

    def triu(self, diagonal: builtins.int = 0) -> "Tensor":
        return S.triu(self, diagonal)

    def split(self, split_size: "builtins.int | Sequence[builtins.int]",
              dim: builtins.int = 0) -> tuple["Tensor", ...]:
        return S.split(self, split_size, dim)

    def chunk(self, chunks: builtins.int, dim: builtins.int = 0) -> tuple["Tensor", ...]:
        return S.chunk(self, chunks, dim)

    def mm(self, other: "TensorLike") -> "Tensor":
        return PR.mm(self, other)

    def bmm(self, other: "TensorLike") -> "Tensor":
        return PR.bmm(self, other)

    def prod(self, dim: builtins.int | None = None, keepdim: builtins.bool = False,
             dtype: DTypeLike | None = None) -> "Tensor":
        return PR.prod(self, dim, keepdim, dtype)

    def cumsum(self, dim: builtins.int, dtype: DTypeLike | None = None) -> "Tensor":
        return PR.cumsum(self, dim, dtype)

    def norm(self, p: "builtins.float | str | None" = "fro", dim: "Dim" = None,
             keepdim: builtins.bool = False,
             dtype: DTypeLike | None = None) -> "Tensor":
        return PR.norm(self, p, dim, keepdim, dtype)


from . import autograd  # noqa: E402  (the op machinery needs the class: see the docstring)
from . import functional as F  # noqa: E402
from .ops.elementwise import (Add, Div, Exp, Log, Mul, Neg, Pow, ReLU, Sigmoid,  # noqa: E402
                              Sqrt, Sub, Tanh)
from . import pointwise as P  # noqa: E402
from . import products as PR  # noqa: E402
from . import selection as S  # noqa: E402
