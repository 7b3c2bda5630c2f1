"""Adadelta: step sizes from running averages of squared gradients and squared updates."""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg

from .optimizer import LIKE_PARAM, STEP_COUNT, Optimizer, check_number


class Adadelta(Optimizer):
    """PyTorch's Adadelta. For each parameter p with gradient g, at every step:

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g**2                            (square_avg)
        delta = sqrt(u + eps) / sqrt(v + eps) * g                  (u: acc_delta)
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta

    Defaults as PyTorch: lr=1.0, rho=0.9, eps=1e-6, weight_decay=0. Parameters whose grad is
    None are skipped (their step count does not advance).
    """

    state_keys = {"step": STEP_COUNT, "square_avg": LIKE_PARAM, "acc_delta": LIKE_PARAM}

    def __init__(self, params: Any, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0) -> None:
        lr = check_number(lr, "lr", "Adadelta")
        rho = check_number(rho, "rho", "Adadelta", 0.0, 1.0)
        eps = check_number(eps, "eps", "Adadelta")
        weight_decay = check_number(weight_decay, "weight_decay", "Adadelta")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        h = self.param_groups[0]
        lr, rho, eps, decay = h["lr"], h["rho"], h["eps"], h["weight_decay"]
        with mg.no_grad():
            for i, p, g in self._l2_decayed_grads(decay):
                state = self.state.get(i)
                if state is None:
                    state = self.state[i] = {"step": 0, "square_avg": np.zeros_like(p.data),
                                             "acc_delta": np.zeros_like(p.data)}
                state["step"] += 1
                square_avg, acc_delta = state["square_avg"], state["acc_delta"]
                square_avg *= rho
                square_avg += (1.0 - rho) * (g * g)
                delta = np.sqrt(acc_delta + eps) / np.sqrt(square_avg + eps) * g
                acc_delta *= rho
                acc_delta += (1.0 - rho) * (delta * delta)
                p.sub_(delta, alpha=lr)
