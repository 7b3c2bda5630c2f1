"""Adagrad: per-coordinate learning rates that shrink with the sum of squared gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg

from .optimizer import LIKE_PARAM, STEP_COUNT, Optimizer, check_number


class Adagrad(Optimizer):
    """PyTorch's Adagrad. For each parameter p with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * p
        s = s + g**2                                   (sum; starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    Defaults as PyTorch: lr=0.01, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
    eps=1e-10. As in PyTorch the state of every parameter exists from construction (step 0,
    the filled sum), so state_dict() looks the same before and after the first step.
    Parameters whose grad is None are skipped (their step count does not advance).
    """

    state_keys = {"step": STEP_COUNT, "sum": LIKE_PARAM}

    def __init__(self, params: Any, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10) -> None:
        lr = check_number(lr, "lr", "Adagrad")
        lr_decay = check_number(lr_decay, "lr_decay", "Adagrad")
        weight_decay = check_number(weight_decay, "weight_decay", "Adagrad")
        initial_accumulator_value = check_number(initial_accumulator_value,
                                                 "initial_accumulator_value", "Adagrad")
        eps = check_number(eps, "eps", "Adagrad")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))
        for i, p in enumerate(self.params):
            self.state[i] = {"step": 0,
                             "sum": np.full_like(p.data, initial_accumulator_value)}

    def step(self) -> None:
        h = self.param_groups[0]
        lr, lr_decay, decay, eps = h["lr"], h["lr_decay"], h["weight_decay"], h["eps"]
        with mg.no_grad():
            for i, p, g in self._l2_decayed_grads(decay):
                state = self.state.get(i)
                if state is None:      # a state dict loaded from before this parameter's step
                    state = self.state[i] = {"step": 0, "sum": np.full_like(
                        p.data, h["initial_accumulator_value"])}
                state["step"] += 1
                total = state["sum"]
                total += g * g
                step_size = lr / (1.0 + (state["step"] - 1) * lr_decay)
                p.sub_(g / (np.sqrt(total) + eps), alpha=step_size)
