"""Learning-rate schedulers, as `torch.optim.lr_scheduler`: each one rewrites
`optimizer.param_groups[i]["lr"]` when its `step()` is called.

Call order, as in PyTorch since 1.1: `optimizer.step()` first, then `scheduler.step()` (once per
epoch, or once per batch for OneCycleLR). Building a scheduler already sets the first rate
(`initial_lr`, recorded in each param group); calling `scheduler.step()` before any
`optimizer.step()` skips that first rate, and a UserWarning says so.

Every scheduler has `get_last_lr()` (the rates it last set, one per param group) and
`state_dict()` / `load_state_dict()` (plain numbers, lists and strings, ready for `mg.save`;
save the optimizer's state beside it). The rates follow PyTorch's recursive formulas step for
step, so a schedule matches torch's to the last bits.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import math
import numbers
import types
import warnings
import weakref
from bisect import bisect_right
from collections import Counter
from typing import Any

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "OneCycleLR", "ReduceLROnPlateau"]


def _check_optimizer(optimizer: Any, op: str) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{op}: optimizer must be an nn.optim Optimizer, got "
                        f"{type(optimizer).__name__}; pass e.g. optim.SGD(model.parameters(), "
                        "lr=0.1)")
    return optimizer


def _check_int(value: Any, name: str, op: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{op}: {name} must be an int >= {low}, got {value!r}")
    return int(value)


def _check_real(value: Any, name: str, op: str, low: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value) \
            or low is not None and value < low:
        bound = "" if low is None else f" >= {low}"
        raise ValueError(f"{op}: {name} must be a number{bound}, got {value!r}")
    return float(value)


def _per_group(value: Any, name: str, optimizer: Optimizer, op: str) -> list:
    """One value per param group: a list/tuple of the right length, or one number for all."""
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"{op}: expected {groups} values of {name} (one per param group), "
                             f"got {len(value)}")
        return [_check_real(v, name, op) for v in value]
    return [_check_real(value, name, op)] * groups


def _track_optimizer_steps(optimizer: Optimizer) -> None:
    """Make `optimizer.step()` record that it ran (`optimizer._opt_called = True`), so the first
    `scheduler.step()` can warn when it comes before any optimizer step."""
    if getattr(optimizer.step, "_records_calls", False):
        return
    method = getattr(optimizer.step, "__func__", None)
    if method is None:                   # step replaced by a plain function: leave it alone
        return
    owner = weakref.ref(optimizer)       # no reference cycle optimizer -> step -> optimizer

    def recording_step(*args: Any, **kwargs: Any) -> Any:
        opt: Any = owner()
        opt._opt_called = True
        return method(opt, *args, **kwargs)

    setattr(recording_step, "_records_calls", True)
    recording_step.__doc__ = method.__doc__
    setattr(optimizer, "step", recording_step)


class LRScheduler:
    """Base class: subclasses define `get_lr()`, the rates for `last_epoch` (PyTorch's API, so a
    torch scheduler subclass ports unchanged). `last_epoch=-1` starts a new schedule; another
    value resumes one and needs 'initial_lr' in the param groups (load the optimizer's state
    first)."""

    # Flags used while computing a rate; not part of the saved state.
    _transient = ("optimizer", "_in_step", "_is_initial")
    optimizer: Optimizer
    base_lrs: list
    last_epoch: int
    _step_count: int
    _in_step: bool
    _is_initial: bool
    _last_lr: list

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        self.optimizer = _check_optimizer(optimizer, name)
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) \
                or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an int >= -1 (-1 starts a new "
                             f"schedule), got {last_epoch!r}")
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param_groups[{i}] has no 'initial_lr', needed to "
                                   f"resume with last_epoch={last_epoch}; load the optimizer's "
                                   "saved state_dict first, or pass last_epoch=-1 to start")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        _track_optimizer_steps(optimizer)
        self._step_count = 0
        self._in_step = False
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list:
        """The rates for `last_epoch`, one per param group (called by `step()`; to read the
        current rates use `get_last_lr()`)."""
        raise NotImplementedError(f"{type(self).__name__} must define get_lr()")

    def get_last_lr(self) -> list:
        """The learning rates this scheduler set last, one float per param group."""
        return list(self._last_lr)

    def _warn_unless_in_step(self) -> None:
        if not self._in_step:
            warnings.warn(f"{type(self).__name__}.get_lr() was called outside step(); to read "
                          "the current learning rates use get_last_lr()", UserWarning,
                          stacklevel=3)

    def _current_lrs(self) -> list:
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch: int | None = None) -> None:
        """Advance the schedule by one epoch (or batch) and write the new rates into the
        optimizer. Call it after `optimizer.step()`. Passing `epoch` (deprecated in PyTorch)
        jumps to that epoch, with the closed-form rate where the scheduler has one."""
        name = type(self).__name__
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", False):
            warnings.warn(f"{name}.step() was called before optimizer.step(); since PyTorch "
                          "1.1 the order is optimizer.step() then scheduler.step(), and this "
                          "order skips the first learning rate of the schedule", UserWarning,
                          stacklevel=2)
        self._step_count += 1
        self._in_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                warnings.warn(f"{name}.step(epoch) is deprecated, as in PyTorch; call step() "
                              "once per epoch without an argument", UserWarning, stacklevel=2)
                self.last_epoch = _check_int(epoch, "epoch", f"{name}.step", 0)
                closed_form = getattr(self, "_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._in_step = False
        values = list(values)
        if len(values) != len(self.optimizer.param_groups):
            raise ValueError(f"{name}.get_lr() returned {len(values)} rates for "
                             f"{len(self.optimizer.param_groups)} param groups")
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = self._current_lrs()

    def state_dict(self) -> dict:
        """Everything but the optimizer: counters, base rates and settings (save the
        optimizer's own state_dict beside it)."""
        return {k: _copy(v) for k, v in self.__dict__.items() if k not in self._transient}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore what `state_dict()` returned (also after mg.save / mg.load)."""
        name = type(self).__name__
        expected = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != expected:
            got = sorted(state_dict) if isinstance(state_dict, dict) else type(state_dict)
            raise ValueError(f"{name}.load_state_dict: expected the keys {sorted(expected)} "
                             f"of {name}.state_dict(), got {got}; was it saved by another "
                             "scheduler type?")
        self.__dict__.update({k: _copy(v) for k, v in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def _copy(value: Any) -> Any:
    """A copy of nested lists/dicts so a saved state does not alias the live one."""
    if isinstance(value, Counter):
        return Counter(value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class LambdaLR(LRScheduler):
    """lr = initial_lr * lr_lambda(epoch): one function, or a list with one per param group.

    The functions are not part of state_dict() (a plain function cannot be saved); a callable
    object's attributes are, as in PyTorch.
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "LambdaLR")
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) \
            else [lr_lambda] * groups
        if len(lambdas) != groups:
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per param group), "
                             f"got {len(lambdas)}")
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the epoch, got "
                                f"{type(fn).__name__}; pass e.g. lambda epoch: 0.95 ** epoch")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self) -> dict:
        state = {k: _copy(v) for k, v in self.__dict__.items()
                 if k not in self._transient and k != "lr_lambdas"}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(vars(fn))
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        lambdas = state_dict.get("lr_lambdas") if isinstance(state_dict, dict) else None
        if not isinstance(lambdas, (list, tuple)) or len(lambdas) != len(self.lr_lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: 'lr_lambdas' must be a list of "
                             f"{len(self.lr_lambdas)} entries (None or attribute dicts)")
        rest = {k: v for k, v in state_dict.items() if k != "lr_lambdas"}
        keep = self.lr_lambdas
        super().load_state_dict(dict(rest, lr_lambdas=None))
        self.lr_lambdas = keep
        for fn, attributes in zip(self.lr_lambdas, lambdas):
            if attributes is not None:
                vars(fn).update(attributes)


class StepLR(LRScheduler):
    """Multiply the rate by gamma every step_size epochs: lr = initial_lr * gamma ** (epoch //
    step_size)."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        self.step_size = _check_int(step_size, "step_size", "StepLR", 1)
        self.gamma = _check_real(gamma, "gamma", "StepLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the rate by gamma at each milestone epoch (by gamma**k for a milestone listed k
    times)."""

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        try:
            milestones = list(milestones)
        except TypeError:
            raise TypeError(f"MultiStepLR: milestones must be a list of epoch numbers, got "
                            f"{type(milestones).__name__}") from None
        self.milestones = Counter(_check_int(m, "each milestone", "MultiStepLR", 0)
                                  for m in milestones)
        self.gamma = _check_real(gamma, "gamma", "MultiStepLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list:
        passed = bisect_right(sorted(self.milestones.elements()), self.last_epoch)
        return [base * self.gamma ** passed for base in self.base_lrs]

    def load_state_dict(self, state_dict: dict) -> None:
        super().load_state_dict(state_dict)
        self.milestones = Counter({int(k): int(v) for k, v in self.milestones.items()})


class ExponentialLR(LRScheduler):
    """Multiply the rate by gamma every epoch: lr = initial_lr * gamma ** epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = _check_real(gamma, "gamma", "ExponentialLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine from initial_lr down to eta_min over T_max epochs (no restarts; past T_max the
    rate rises again along the same cosine, as in PyTorch):

        lr(epoch) = eta_min + (initial_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2

    computed step by step with PyTorch's recursive form, so the values match torch's exactly.
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        self.T_max = _check_int(T_max, "T_max", "CosineAnnealingLR", 1)
        self.eta_min = _check_real(eta_min, "eta_min", "CosineAnnealingLR", 0.0)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        epoch, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and epoch > 0:      # resumed: jump straight to the curve
            return self._closed_form_lr()
        if (epoch - 1 - T) % (2 * T) == 0:           # leaving the bottom of the cosine
            return [lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        ratio = (1 + math.cos(math.pi * epoch / T)) / (1 + math.cos(math.pi * (epoch - 1) / T))
        return [ratio * (lr - low) + low for lr in self._current_lrs()]

    def _closed_form_lr(self) -> list:
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """The 1cycle policy, stepped once per BATCH: the rate rises from max_lr / div_factor to
    max_lr over the first pct_start of total_steps, then falls to initial_lr /
    final_div_factor (three_phase=True: back to the initial rate first, then down). With
    cycle_momentum, momentum (or Adam's beta1) moves the opposite way between max_momentum and
    base_momentum. Give total_steps, or epochs and steps_per_epoch. Stepping more than
    total_steps times raises ValueError.
    """

    def __init__(self, optimizer: Optimizer, max_lr: float | Sequence[float],
                 total_steps: int | None = None,
                 epochs: int | None = None, steps_per_epoch: int | None = None,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True,
                 base_momentum: float | Sequence[float] = 0.85,
                 max_momentum: float | Sequence[float] = 0.95,
                 div_factor: float = 25.0, final_div_factor: float = 1e4,
                 three_phase: bool = False, last_epoch: int = -1) -> None:
        _check_optimizer(optimizer, "OneCycleLR")
        if total_steps is not None:
            self.total_steps = _check_int(total_steps, "total_steps", "OneCycleLR", 1)
        elif epochs is not None and steps_per_epoch is not None:
            self.total_steps = (_check_int(epochs, "epochs", "OneCycleLR", 1)
                                * _check_int(steps_per_epoch, "steps_per_epoch", "OneCycleLR",
                                             1))
        else:
            raise ValueError("OneCycleLR: give total_steps, or both epochs and "
                             "steps_per_epoch (total_steps = epochs * steps_per_epoch)")
        pct_start = _check_real(pct_start, "pct_start", "OneCycleLR", 0.0)
        if pct_start > 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        div_factor = _check_real(div_factor, "div_factor", "OneCycleLR", 0.0)
        final_div_factor = _check_real(final_div_factor, "final_div_factor", "OneCycleLR", 0.0)
        if div_factor == 0 or final_div_factor == 0:
            raise ValueError("OneCycleLR: div_factor and final_div_factor must be > 0")
        up = float(pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if three_phase:
            self._schedule_phases = [
                _phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                       "base_momentum", "max_momentum"),
                _phase(last, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        else:
            self._schedule_phases = [
                _phase(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                _phase(last, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        max_lrs = _per_group(max_lr, "max_lr", optimizer, "OneCycleLR")
        if last_epoch == -1:
            for peak, group in zip(max_lrs, optimizer.param_groups):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = bool(cycle_momentum)
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: {type(optimizer).__name__} has neither momentum "
                                 "nor betas to cycle; pass cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            highs = _per_group(max_momentum, "max_momentum", optimizer, "OneCycleLR")
            lows = _per_group(base_momentum, "base_momentum", optimizer, "OneCycleLR")
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups):
                    self._set_momentum(group, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _set_momentum(self, group: dict, value: float) -> None:
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list:
        self._warn_unless_in_step()
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: step() called {step} times, but total_steps is "
                             f"{self.total_steps}; make total_steps (or epochs * "
                             "steps_per_epoch) cover every batch")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, phase in enumerate(self._schedule_phases):
                end = phase["end_step"]
                if step <= end or i == len(self._schedule_phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]],
                                            pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(
                            group[phase["start_momentum"]], group[phase["end_momentum"]], pct))
                    break
                start = end
        return lrs


def _phase(end_step: float, start_lr: str, end_lr: str, start_momentum: str,
           end_momentum: str) -> dict:
    return {"end_step": end_step, "start_lr": start_lr, "end_lr": end_lr,
            "start_momentum": start_momentum, "end_momentum": end_momentum}


class ReduceLROnPlateau(LRScheduler):
    """Multiply the rate by factor when a metric has not improved for more than patience
    epochs: `scheduler.step(val_loss)` once per epoch. mode='min' (lower is better) or 'max';
    improvement means beating the best by threshold (relative, or absolute with
    threshold_mode='abs'); after a reduction, cooldown epochs are not counted; the rate never
    goes below min_lr, and changes smaller than eps are skipped.
    """

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | Sequence[float] = 0,
                 eps: float = 1e-8) -> None:
        op = "ReduceLROnPlateau"
        self.optimizer = _check_optimizer(optimizer, op)
        factor = _check_real(factor, "factor", op, 0.0)
        if factor >= 1.0:
            raise ValueError(f"{op}: factor must be < 1 (new lr = lr * factor), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"{op}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{op}: threshold_mode must be 'rel' or 'abs', got "
                             f"{threshold_mode!r}")
        self.factor = factor
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) \
            else _check_real(min_lr, "min_lr", op, 0.0)
        self.min_lrs = _per_group(min_lr, "min_lr", optimizer, op)
        self.patience = _check_int(patience, "patience", op, 0)
        self.cooldown = _check_int(cooldown, "cooldown", op, 0)
        self.threshold = _check_real(threshold, "threshold", op, 0.0)
        self.eps = _check_real(eps, "eps", op, 0.0)
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, value: float) -> bool:
        best, t = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1.0 - t) if self.threshold_mode == "rel" else best - t)
        return value > (best * (t + 1.0) if self.threshold_mode == "rel" else best + t)

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric (a number or a 0-d Tensor) and reduce the rate if it has
        stalled."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            raise TypeError(f"ReduceLROnPlateau.step: metrics must be a number or a 1-element "
                            f"tensor (e.g. the validation loss), got {metrics!r}") from None
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn("ReduceLROnPlateau.step(metrics, epoch) is deprecated, as in "
                          "PyTorch; call step(metrics) once per epoch", UserWarning,
                          stacklevel=2)
        self.last_epoch = epoch
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} "
                                   f"param groups but min_lr lists {len(self.min_lrs)}; set "
                                   "scheduler.min_lrs to one value per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, low in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, low)
            if old - new > self.eps:
                group["lr"] = new

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def get_lr(self) -> list:
        raise NotImplementedError("ReduceLROnPlateau sets rates from the metric given to "
                                  "step(metrics); read them with get_last_lr()")
