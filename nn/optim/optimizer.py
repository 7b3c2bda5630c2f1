"""`Optimizer`: the parameter list, argument checks, `zero_grad` and `state_dict` that every
optimizer shares. Subclasses implement `step()` (the update rule, readable in one loop).

State is kept per parameter, keyed by the parameter's position in the list, so a state dict
saved with `mg.save` and loaded into a fresh optimizer over a fresh model (same architecture)
resumes training exactly.
"""
import numbers

import numpy as np

from minigrad import Tensor


def check_number(value, name: str, op: str, low: float = 0.0, high: float | None = None,
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


# Keys that learning-rate schedulers add to a parameter group, as in PyTorch (StepLR & co.
# record 'initial_lr'; OneCycleLR also its bounds): a state dict may carry them.
SCHEDULER_KEYS = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}


class Optimizer:
    """Base class: holds `params` (one list), `param_groups` (one dict of hyperparameters with
    the params, PyTorch-style, so `opt.param_groups[0]["lr"] = 0.01` changes the rate),
    `defaults` (the constructor's hyperparameters) and `state` (parameter index -> dict of
    arrays and counters)."""

    def __init__(self, params, defaults: dict):
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
        self.state = {}

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
            param = self.params[index]
            state[index] = {}
            for k, v in entries.items():
                v = v.data if isinstance(v, Tensor) else v
                if not (isinstance(v, (int, float, np.number)) or isinstance(v, np.ndarray)
                        and v.dtype.kind in "biuf"):
                    raise ValueError(f"{name}.load_state_dict: {k} of parameter {index} is a "
                                     f"{type(v).__name__}, not a number or numeric array")
                if isinstance(v, np.ndarray) and v.ndim > 0:
                    if v.shape != param.shape:
                        raise ValueError(f"{name}.load_state_dict: {k} of parameter {index} "
                                         f"has shape {v.shape} but the parameter has shape "
                                         f"{param.shape}")
                    v = np.array(v, dtype=param.dtype, copy=True)
                elif isinstance(v, np.ndarray):
                    v = v.item()
                state[index][k] = v
        self.state = state
        self.param_groups[0].update(
            {k: tuple(v) if isinstance(v, list) else v for k, v in group.items()})

    def __repr__(self):
        settings = ", ".join(f"{k}={v}" for k, v in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"
