"""`Module` and `Parameter`: the building blocks of every layer.

Assigning a Parameter, a buffer (`register_buffer`) or another Module to an attribute registers
it, so `parameters()`, `state_dict()` and `repr` find it with a dotted name such as
`features.conv1.weight`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Iterator, Mapping, TypeVar

import numpy as np

import minigrad as mg
from minigrad import Tensor
from minigrad.device import DeviceLike
from minigrad.tensor import TensorLike


_M = TypeVar("_M", bound="Module")   # methods that return self keep the subclass type


class Parameter(Tensor):
    """A Tensor that is a trainable parameter: requires grad and registers on assignment."""

    __slots__ = ()

    def __init__(self, data: TensorLike, requires_grad: bool = True) -> None:
        source = data.data if isinstance(data, Tensor) else data
        super().__init__(source, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


# What may replace a registered entry (as PyTorch): the same kind, or None to remove it.
_REPLACEMENT_RULES = (("_parameters", "parameter", Parameter, "nn.Parameter"),
                      ("_modules", "child module", None, "nn.Module"),
                      ("_buffers", "buffer", Tensor, "mg.Tensor"))


def _check_assignment(module: Module, name: str, value: Any) -> None:
    """Refuse a value that would silently turn a registered parameter, submodule or buffer into
    a plain attribute, dropping it from parameters() and state_dict()."""
    for table, role, kind, kind_name in _REPLACEMENT_RULES:
        if name in module.__dict__[table] and value is not None and not isinstance(
                value, kind if kind is not None else Module):
            fix = (f"; wrap it (module.{name} = nn.Parameter(tensor)) or update it in place "
                   f"(with mg.no_grad(): module.{name}.copy_(tensor))"
                   if role == "parameter" else "")
            kind_of_value = type(value)
            value_type = ("Tensor" if isinstance(value, Tensor) else kind_of_value.__name__
                          if kind_of_value.__module__ == "builtins" else
                          f"{kind_of_value.__module__}.{kind_of_value.__name__}")
            raise TypeError(f"cannot assign '{value_type}' as {role} '{name}' ({kind_name} or "
                            f"None expected){fix}")


class SubmoduleError(AttributeError, ValueError):
    """get_submodule's error for a missing name: an AttributeError as in PyTorch, and a
    ValueError like minigrad's other bad-argument errors."""


class Module:
    """Base class of layers and models: subclass it, assign layers and Parameters in
    `__init__`, compute the output in `forward`, call the module like a function."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())

    # --- registration -----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning "
                               f"attributes (assigning {name!r})")
        _check_assignment(self, name, value)
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif isinstance(value, Tensor) and name in self.__dict__.get("_buffer_names", ()):
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for table in ("_parameters", "_buffers", "_modules"):
            entries = self.__dict__.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """A tensor that is state but not a parameter (e.g. BatchNorm's running mean):
        saved in state_dict, not returned by parameters()."""
        names = self.__dict__.setdefault("_buffer_names", set())
        names.add(name)
        if tensor is None:                    # a declared but absent buffer, as in PyTorch
            self.__dict__.pop(name, None)
            self._buffers[name] = None
            return
        self.__setattr__(name, tensor if isinstance(tensor, Tensor) else Tensor(tensor))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is None:
            self._parameters.pop(name, None)
            object.__setattr__(self, name, None)
            return
        self.__setattr__(name, param if isinstance(param, Parameter) else Parameter(param))

    def add_module(self, name: str, module: Module | None) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._modules[name] = module

    # --- calling ----------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook, with_kwargs in tuple(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = _pre_hook_result(result, hook)
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook, with_kwargs in tuple(self._forward_hooks.values()):
            result = hook(self, args, kwargs, output) if with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                                  with_kwargs: bool = False) -> mg.hooks.RemovableHandle:
        """Call `hook(module, args)` before every `forward` (as PyTorch).

        It may return new positional args (a tuple, or one value) or None to keep them; with
        `with_kwargs=True` it is called as `hook(module, args, kwargs)` and may return an
        `(args, kwargs)` pair. Returns a handle whose `remove()` unregisters the hook.
        """
        mg.hooks.check_callable(hook, "register_forward_pre_hook")
        return mg.hooks.add_hook(self._forward_pre_hooks, (hook, bool(with_kwargs)), prepend)

    def register_forward_hook(self, hook: Callable[..., Any], *, prepend: bool = False,
                              with_kwargs: bool = False) -> mg.hooks.RemovableHandle:
        """Call `hook(module, args, output)` after every `forward` (as PyTorch).

        It may return a replacement output, or None to keep it; with `with_kwargs=True` it is
        called as `hook(module, args, kwargs, output)`. `args` are the positional arguments
        forward received. Returns a handle whose `remove()` unregisters the hook.
        """
        mg.hooks.check_callable(hook, "register_forward_hook")
        return mg.hooks.add_hook(self._forward_hooks, (hook, bool(with_kwargs)), prepend)

    # --- traversal --------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for this module and every submodule, depth first."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = list(module._modules.items())
            for child_name, child in reversed(children):
                if child is not None:
                    stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self) -> Iterator[Module]:
        return (module for _, module in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((name, m) for name, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_parameters(self, prefix: str = "",
                         recurse: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, Parameter) pairs, e.g. ('0.weight', ...); shared ones listed once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, param in module._parameters.items():
                if param is None or id(param) in seen:
                    continue
                seen.add(id(param))
                yield (f"{module_name}.{name}" if module_name else name), param

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (param for _, param in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for module_name, module in self.named_modules(prefix):
            for name, buffer in module._buffers.items():
                if buffer is not None:
                    yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self) -> Iterator[Tensor]:
        return (buffer for _, buffer in self.named_buffers())

    # --- modes and gradients ----------------------------------------------------------------
    def train(self: _M, mode: bool = True) -> _M:
        """Training mode (dropout active, batch norm uses batch statistics); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self: _M) -> _M:
        """Evaluation mode: dropout is the identity, batch norm uses running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for param in self.parameters():
            if set_to_none:
                param.grad = None
            elif param.grad is not None:
                param.grad.data[...] = 0

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        for param in self.parameters():
            param.requires_grad_(requires_grad)
        return self

    def apply(self: _M, fn: Callable[[Module], Any]) -> _M:
        """Call fn(module) on every submodule (children first) and on self, as PyTorch;
        returns self. Example: model.apply(nn.init.torch_default_)."""
        if not callable(fn):
            raise TypeError(f"apply: fn must be a callable taking a module, got "
                            f"{type(fn).__name__}")
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def get_submodule(self, target: str) -> "Module":
        """The submodule at dotted path `target` (e.g. "features.0"); "" gives self."""
        if not isinstance(target, str):
            raise TypeError(f"get_submodule: target must be a dotted name (str), got "
                            f"{type(target).__name__}")
        module = self
        walked: list[str] = []
        for name in target.split(".") if target else []:
            child = module._modules.get(name)
            if child is None:
                where = ".".join(walked) or type(self).__name__
                raise SubmoduleError(f"get_submodule: {where} has no submodule {name!r} "
                                     f"(children: {list(module._modules)})")
            module, walked = child, walked + [name]
        return module

    # --- dtype and device -----------------------------------------------------------------------
    def to(self: _M, *args: Any, **kwargs: Any) -> _M:
        """Convert floating parameters and buffers to a dtype and/or move them to a device, in
        place (the same Parameter objects, so an optimizer built before keeps working);
        returns self. Takes Tensor.to's arguments: to(dtype), to(device), to(device, dtype),
        to(tensor), to(device=..., dtype=...). Devices: only the CPU here. Integer buffers
        (num_batches_tracked) keep their dtype, as PyTorch.
        """
        # Tensor.to checks the arguments; two probes tell "a dtype was given" from "device only"
        single = mg.zeros(0, dtype=mg.float32).to(*args, **kwargs).dtype
        double = mg.zeros(0, dtype=mg.float64).to(*args, **kwargs).dtype
        if (single, double) == (np.dtype(np.float32), np.dtype(np.float64)):
            return self
        target = single
        if target.kind != "f":
            raise TypeError(f"Module.to: dtype must be floating point (float32/float64), got "
                            f"{target}; parameters must stay differentiable")
        with mg.no_grad():
            for tensor in list(self.parameters()) + list(self.buffers()):
                if tensor.dtype.kind == "f" and tensor.dtype != target:
                    tensor.data = tensor.data.astype(target)
                    tensor._version += 1
                    if tensor.grad is not None:
                        tensor.grad = Tensor(tensor.grad.data.astype(target))
        return self

    def double(self: _M) -> _M:
        """Floating parameters and buffers to float64; returns self."""
        return self.to(np.float64)

    def float(self: _M) -> _M:
        """Floating parameters and buffers to float32; returns self."""
        return self.to(np.float32)

    def cpu(self: _M) -> _M:
        """Parameters are always on the CPU here; returns self."""
        return self

    def cuda(self: _M, device: DeviceLike | None = None) -> _M:
        """Raises, as Tensor.cuda: minigrad has no GPU backend (mg.cuda.is_available() is
        False)."""
        mg.zeros(0).cuda(device)
        return self

    # --- state ------------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, Tensor]":
        """Dotted name -> detached Tensor, for parameters then buffers."""
        state = OrderedDict()
        for name, param in self.named_parameters():
            state[name] = param.detach()
        for name, buffer in self.named_buffers():
            state[name] = buffer.detach()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any],
                        strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy values from `state_dict` into this module's parameters and buffers.

        Raises RuntimeError listing every missing key, unexpected key and shape mismatch at
        once (missing/unexpected only count when `strict`). Nothing is copied unless all fit.
        Returns (missing_keys, unexpected_keys).
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: expected a dict, got {type(state_dict).__name__}")
        own = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched = []
        for key, target in own.items():
            if key in state_dict:
                value = state_dict[key]
                array = _numeric_array(value)
                if array is None:
                    mismatched.append(f"bad value for {key}: a {type(value).__name__}, not a "
                                      "numeric tensor or array")
                    continue
                shape = array.shape
                if shape != target.shape:
                    mismatched.append(f"size mismatch for {key}: copying a param with shape "
                                      f"{shape} from the checkpoint, the shape in the current "
                                      f"model is {target.shape}")
        problems = []
        if strict and missing:
            problems.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
        if strict and unexpected:
            problems.append("Unexpected key(s) in state_dict: " +
                            ", ".join(map(repr, unexpected)))
        problems.extend(mismatched)
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" +
                               "\n\t".join(problems))
        with mg.no_grad():
            for key, target in own.items():
                if key in state_dict:
                    array = _numeric_array(state_dict[key])
                    target.data = np.array(array, dtype=target.dtype, copy=True)
                    target._version += 1
        return missing, unexpected

    # --- repr -------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Arguments shown inside the parentheses of repr, e.g. `1, 32, kernel_size=(3, 3)`."""
        return ""

    def __repr__(self) -> str:
        """PyTorch's layout: `Name(extra)` for a leaf, else one indented line per extra-repr
        line and per child `(name): repr(child)`."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(module).replace("\n", "\n  ")
                    for name, module in self._modules.items()]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        body = lines + children
        if not body:
            return f"{type(self).__name__}()"
        return f"{type(self).__name__}(\n  " + "\n  ".join(body) + "\n)"


def _pre_hook_result(result: Any,
                     hook: Callable[..., Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """A with_kwargs forward pre-hook's return value -> (args, kwargs)."""
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict)):
        raise RuntimeError(f"forward pre-hook {getattr(hook, '__name__', hook)!r} registered "
                           "with with_kwargs=True must return None or a tuple (args, kwargs), "
                           f"got {type(result).__name__}")
    args, kwargs = result
    return (args if isinstance(args, tuple) else (args,)), kwargs


def _numeric_array(value: Any) -> np.ndarray | None:
    """`value` (a Tensor, array or nested list of numbers) as an array; None if it is not one."""
    if isinstance(value, Tensor):
        return value.data
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):          # ragged lists, odd objects
        return None
    return array if array.dtype.kind in "biuf" else None

