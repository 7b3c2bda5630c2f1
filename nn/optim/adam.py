"""Adam (L2 penalty added to the gradient) and AdamW (decoupled weight decay)."""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

import minigrad as mg

from .optimizer import LIKE_PARAM, STEP_COUNT, Optimizer, check_number


class Adam(Optimizer):
    """PyTorch's Adam (amsgrad off). For each parameter p with gradient g, at step t = 1, 2, ...:

        g = g + weight_decay * p                  (Adam's L2 penalty; AdamW decouples it)
        m = beta1 * m + (1 - beta1) * g           v = beta2 * v + (1 - beta2) * g**2
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Parameters whose grad is None are skipped (their step count does not advance).
    """

    state_keys = {"step": STEP_COUNT, "exp_avg": LIKE_PARAM, "exp_avg_sq": LIKE_PARAM}

    decoupled = False

    def __init__(self, params: Any, lr: float = 1e-3, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        name = type(self).__name__
        lr = check_number(lr, "lr", name)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        betas = tuple(check_number(b, f"beta{i + 1}", name, 0.0, 1.0, high_open=True)
                      for i, b in enumerate(betas))
        eps = check_number(eps, "eps", name)
        weight_decay = check_number(weight_decay, "weight_decay", name)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        h = self.param_groups[0]
        lr, (beta1, beta2), eps, decay = h["lr"], h["betas"], h["eps"], h["weight_decay"]
        with mg.no_grad():
            for i, p in enumerate(self.params):
                if p.grad is None:
                    continue
                g = p.grad.data
                if decay and self.decoupled:
                    p.mul_(1.0 - lr * decay)
                elif decay:
                    g = g + decay * p.data
                state = self.state.get(i)
                if state is None:
                    state = self.state[i] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                             "exp_avg_sq": np.zeros_like(p.data)}
                state["step"] += 1
                t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
                m *= beta1
                m += (1.0 - beta1) * g
                v *= beta2
                v += (1.0 - beta2) * (g * g)
                denominator = np.sqrt(v) / math.sqrt(1.0 - beta2 ** t) + eps
                p.sub_(m / denominator, alpha=lr / (1.0 - beta1 ** t))


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): before the Adam update,
    p = p - lr * weight_decay * p; the gradient itself is left alone. Default
    weight_decay=1e-2, as PyTorch."""

    decoupled = True

    def __init__(self, params: Any, lr: float = 1e-3, betas: Sequence[float] = (0.9, 0.999),
                 eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)
