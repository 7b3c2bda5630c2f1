"""Containers: `Sequential` (a pipeline) and `ModuleList` (a registered list of layers).

Their children are named "0", "1", ... (or by the keys of an OrderedDict given to
Sequential), so parameters get dotted names such as `0.weight` or `features.conv1.bias`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, Iterator, TypeVar

from .module import Module

_S = TypeVar("_S", bound="_ModuleSequence")


def _check_module(module: Any, op: str, where: object) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{op}: item {where} must be an nn.Module, got {type(module).__name__}; "
                        "wrap functions in a Module subclass")
    return module


def _position(index: object, length: int, op: str) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"{op}: indices must be ints or slices, got {type(index).__name__}")
    if not -length <= index < length:
        raise IndexError(f"{op}: index {index} is out of range for {length} modules")
    return index % length


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: len, iteration, append and indexing (a slice
    gives a container of the same kind, built by `_from_items`)."""

    def append(self: _S, module: Module) -> _S:
        """Add a module at the end (named by its position); returns self."""
        name = type(self).__name__
        self.add_module(str(len(self)), _check_module(module, f"{name}.append", len(self)))
        return self

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Module:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return self._from_items(items[index])
        return items[_position(index, len(items), type(self).__name__)][1]


class Sequential(_ModuleSequence):
    """Modules applied one after another: Sequential(a, b, c)(x) == c(b(a(x))).

    Also `Sequential(OrderedDict([("conv1", ...), ("relu1", ...)]))` (or a dict) to name
    the steps.
    Supports len, iteration, indexing (a slice gives a Sequential keeping the names) and
    append.
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], dict):
            for name, module in modules[0].items():
                if not isinstance(name, str) or not name or "." in name:
                    raise ValueError(f"Sequential: module names must be non-empty strings "
                                     f"without '.', got {name!r}")
                self.add_module(name, _check_module(module, "Sequential", repr(name)))
        else:
            for i, module in enumerate(modules):
                self.add_module(str(i), _check_module(module, "Sequential", i))

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    @staticmethod
    def _from_items(items: Any) -> Any:
        return Sequential(OrderedDict(items))            # a slice keeps the names


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the parent module sees (a plain Python list would
    hide them). Has no forward: iterate over it in the parent's forward.

        self.blocks = nn.ModuleList([nn.Dense(4, 4) for _ in range(3)])
        for block in self.blocks:
            x = block(x)
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.extend(modules)

    def extend(self, modules: Iterable[Module]) -> "ModuleList":
        for module in modules:
            self.append(module)
        return self

    @staticmethod
    def _from_items(items: Any) -> Any:
        return ModuleList(module for _, module in items)

    def __setitem__(self, index: int, module: Module) -> None:
        position = _position(index, len(self), "ModuleList")
        self.add_module(str(position), _check_module(module, "ModuleList", index))


class ModuleDict(Module):
    """A dict of modules (str -> Module) whose parameters the parent module sees, ordered by
    insertion. Has no forward: look the layers up in the parent's forward.

        self.heads = nn.ModuleDict({"digit": nn.Dense(8, 10), "parity": nn.Dense(8, 2)})
        logits = self.heads[task](features)
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check_key(self, key: object) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict: keys must be strings, got {type(key).__name__}")
        if not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', got "
                           f"{key!r}")
        return key

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict: no module named {key!r}; keys are "
                           f"{list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(self._check_key(key), _check_module(module, "ModuleDict", repr(key)))

    def __delitem__(self, key: str) -> None:
        self[key]                                       # the KeyError naming the keys
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        return self._modules.keys()

    def items(self) -> Iterable[tuple[str, Module]]:
        return self._modules.items()

    def values(self) -> Iterable[Module]:
        return self._modules.values()

    def pop(self, key: str) -> Module:
        module = self[key]
        del self._modules[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Any) -> None:
        """Add (or replace) modules from a dict or an iterable of (name, module) pairs."""
        if isinstance(modules, dict):
            pairs: list = list(modules.items())
        elif isinstance(modules, (list, tuple)) or hasattr(modules, "__iter__") \
                and not isinstance(modules, (str, Module)):
            pairs = list(modules)
            if any(not isinstance(p, (list, tuple)) or len(p) != 2 for p in pairs):
                raise TypeError("ModuleDict.update: expected a dict or an iterable of "
                                "(name, module) pairs")
        else:
            raise TypeError(f"ModuleDict.update: expected a dict or an iterable of (name, "
                            f"module) pairs, got {type(modules).__name__}")
        for key, module in pairs:
            self[key] = module
