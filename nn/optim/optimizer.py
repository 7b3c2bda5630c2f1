"""`Optimizer`: the parameter list, argument checks, `zero_grad` and `state_dict` that every
optimizer shares. Subclasses implement `step()` (the update rule, readable in one loop).

State is kept per parameter, keyed by the parameter's position in the list, so a state dict
saved with `mg.save` and loaded into a fresh optimizer over a fresh model (same architecture)
resumes training exactly.
"""
from __future__ import annotations

import inspect
import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from minigrad import Tensor


def check_number(value: Any, name: str, op: str, low: float = 0.0, high: float | None = None,
                 high_open: bool = False) -> float:
    """A real number in [low, high] (or [low, high) when high_open), else a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a number, got {type(value).__name__}")
    value = float(value)
    too_high = high is not None and (value >= high if high_open else value > high)
    if not value >= low or too_high:     # `not >=` also rejects NaN
        upper = "" if high is None else f" and {'<' if high_open else '<='} {high}"
        raise ValueError(f"{op}: invalid {name} {value}: it must be >= {low}{upper}")
    return value


def _checked_count(value: Any, key: str, index: int, op: str) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{op}: {key} of parameter {index} must be a non-negative integer "
                         f"step count, got {type(value).__name__} {value!r}")
    return int(value)


def _checked_scalar(value: Any, key: str, index: int, op: str) -> int | float | np.number:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise ValueError(f"{op}: {key} of parameter {index} is a {type(value).__name__}, not a "
                         "number or numeric array")
    return value


# Keys that learning-rate schedulers add to a parameter group, as in PyTorch (StepLR & co.
# record 'initial_lr'; OneCycleLR also its bounds): a state dict may carry them.
SCHEDULER_KEYS = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}


# Kinds of per-parameter state entries, for `Optimizer.state_keys`.
STEP_COUNT = "step count"          # a non-negative integer
LIKE_PARAM = "like the parameter"  # a floating array of the parameter's shape (stored in its dtype)


class Optimizer:
    """Base class: holds `params` (one list), `param_groups` (one dict of hyperparameters with
    the params, PyTorch-style, so `opt.param_groups[0]["lr"] = 0.01` changes the rate),
    `defaults` (the constructor's hyperparameters) and `state` (parameter index -> dict of
    arrays and counters).

    What `load_state_dict` checks comes from each optimizer's own declarations:
    - hyperparameters: the constructor is the declaration; the loaded ones are passed to it
      (on a throwaway instance), so they get exactly the checks and conversions that
      `SGD(params, lr=...)` applies, and the same errors;
    - per-parameter state: `state_keys` (every state entry has all of them) and
      `optional_state_keys` (created on demand by step()), each name -> STEP_COUNT or
      LIKE_PARAM. Unknown names are refused too. An optimizer that declares no state keys
      gets the generic checks only (numbers, or numeric arrays of the parameter's shape).
    """

    state_keys: dict = {}
    optional_state_keys: dict = {}

    def __init__(self, params: Any, defaults: dict) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors, got a single "
                            "Tensor; pass [tensor] or model.parameters()")
        try:
            params = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors, got "
                            f"{type(params).__name__}") from None
        if not params:
            raise ValueError(f"{name}: got an empty parameter list; pass model.parameters() "
                             "of a model that has parameters (was the generator used up?)")
        seen = set()
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, not a Tensor")
            if p.grad_fn is not None:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) is not a leaf "
                                 "tensor (it was computed from others); optimize the leaves")
            if id(p) in seen:
                raise ValueError(f"{name}: parameter {i} (shape {p.shape}) appears twice in "
                                 "the list; pass each parameter once")
            seen.add(id(p))
        self.params = params
        self.defaults = dict(defaults)
        self.param_groups = [dict(defaults, params=params)]
        self.state: dict = {}

    @property
    def hyperparameters(self) -> dict:
        """The current hyperparameters (lr, momentum, ...) as a plain dict."""
        return {k: v for k, v in self.param_groups[0].items() if k != "params"}

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients (None by default; zeros with set_to_none=False)."""
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.data[...] = 0

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def _l2_decayed_grads(self, decay: float) -> Iterator[tuple[int, Tensor, np.ndarray]]:
        """(index, parameter, gradient array + decay * parameter array) for each parameter
        that has a gradient: the loop each step() starts from (L2 weight decay, as PyTorch's
        SGD, Adagrad, Adadelta and RMSprop add it; AdamW decouples it instead)."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad.data
            yield i, p, (g + decay * p.data if decay else g)

    def state_dict(self) -> dict:
        """{"state": {index: {name: array or number}}, "param_groups": [hyperparameters and
        "params": indices]}: copies, ready for `mg.save`."""
        state = {i: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                 for i, s in self.state.items()}
        group = dict(self.hyperparameters, params=list(range(len(self.params))))
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what `state_dict()` returned (also after mg.save / mg.load)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and "
                             "'param_groups', as returned by state_dict()")
        groups = state_dict["param_groups"]
        if not isinstance(groups, (list, tuple)) or len(groups) != 1:
            raise ValueError(f"{name}.load_state_dict: expected one parameter group, got "
                             f"{len(groups) if isinstance(groups, (list, tuple)) else groups!r}")
        if not isinstance(groups[0], dict):
            raise ValueError(f"{name}.load_state_dict: the parameter group must be a dict, got "
                             f"{type(groups[0]).__name__}")
        group = dict(groups[0])
        count = len(group.pop("params", ()))
        if count != len(self.params):
            raise ValueError(f"{name}.load_state_dict: the state holds {count} parameters but "
                             f"this optimizer has {len(self.params)}; build it over the same "
                             "model")
        if not set(self.defaults) <= set(group) <= set(self.defaults) | SCHEDULER_KEYS:
            raise ValueError(f"{name}.load_state_dict: hyperparameters {sorted(group)} do not "
                             f"match {sorted(self.defaults)}; was it saved by another "
                             "optimizer type?")
        hyperparameters = self._checked_hyperparameters(group)
        if not isinstance(state_dict["state"], dict):
            raise ValueError(f"{name}.load_state_dict: 'state' must be a dict (parameter index "
                             f"-> dict of values), got {type(state_dict['state']).__name__}")
        state = {}
        for key, entries in state_dict["state"].items():
            if not (isinstance(key, (int, np.integer)) and not isinstance(key, bool)
                    or isinstance(key, str) and key.isdigit()) or not isinstance(entries, dict):
                raise ValueError(f"{name}.load_state_dict: 'state' must map parameter indices "
                                 f"to dicts, got {key!r} -> {type(entries).__name__}")
            index = int(key)
            if not 0 <= index < len(self.params):
                raise ValueError(f"{name}.load_state_dict: state for parameter {index}, but "
                                 f"there are only {len(self.params)}")
            state[index] = self._checked_state(index, entries)
        self.state = state
        self.param_groups[0].update(hyperparameters)

    def _checked_hyperparameters(self, group: dict) -> dict:
        """The loaded hyperparameters after the constructor's own checks and conversions."""
        name = type(self).__name__
        values = {k: v for k, v in group.items() if k in self.defaults}
        try:
            inspect.signature(type(self)).bind(self.params, **values)
        except TypeError:                   # a constructor that does not take them by name
            return {k: tuple(v) if isinstance(v, list) else v for k, v in group.items()}
        try:
            probe = type(self)(self.params, **values)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{name}.load_state_dict: the saved hyperparameters are not "
                              f"valid ({error}); load a state dict saved by {name}") from None
        checked = {k: probe.param_groups[0][k] for k in values}
        for key in set(group) - set(values):         # learning-rate schedulers' bookkeeping
            checked[key] = check_number(group[key], key, f"{name}.load_state_dict")
        return checked

    def _checked_state(self, index: int, entries: dict) -> dict:
        """One parameter's loaded state: required keys present, no unknown ones, arrays of the
        parameter's shape (converted to its dtype), step counts non-negative integers."""
        name = f"{type(self).__name__}.load_state_dict"
        param = self.params[index]
        declared = {**self.state_keys, **self.optional_state_keys}
        if declared:
            missing = sorted(set(self.state_keys) - set(entries))
            unknown = sorted(set(entries) - set(declared))
            if missing or unknown:
                raise ValueError(f"{name}: the state of parameter {index} "
                                 + (f"lacks {missing}" if missing else "")
                                 + (" and " if missing and unknown else "")
                                 + (f"has unknown entries {unknown}" if unknown else "")
                                 + f"; {type(self).__name__} keeps {sorted(self.state_keys)}"
                                 + (f" (and optionally {sorted(self.optional_state_keys)})"
                                    if self.optional_state_keys else "")
                                 + ": was it saved by another optimizer type?")
        checked: dict[str, Any] = {}
        for k, v in entries.items():
            v = v.data if isinstance(v, Tensor) else v
            kind = declared.get(k)
            if isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "biuf":
                v = v.item()
            if kind == STEP_COUNT or kind is None and not isinstance(v, np.ndarray):
                checked[k] = _checked_count(v, k, index, name) if kind == STEP_COUNT else (
                    _checked_scalar(v, k, index, name))
                continue
            if not isinstance(v, np.ndarray) or v.dtype.kind not in ("f" if kind else "biuf"):
                described = (f"a {v.dtype} array" if isinstance(v, np.ndarray)
                             else f"a {type(v).__name__}")
                raise ValueError(f"{name}: {k} of parameter {index} is {described}; expected "
                                 f"a {'floating' if kind else 'numeric'} array of the "
                                 f"parameter's shape {param.shape}")
            if v.shape != param.shape:
                raise ValueError(f"{name}: {k} of parameter {index} has shape {v.shape} but "
                                 f"the parameter has shape {param.shape}")
            checked[k] = np.array(v, dtype=param.dtype, copy=True)
        return checked

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"
