"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg

from .optimizer import LIKE_PARAM, STEP_COUNT, Optimizer, check_number


class RMSprop(Optimizer):
    """PyTorch's RMSprop. For each parameter p with gradient g, at every step:

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2                      (square_avg)
        if centered:  a = alpha * a + (1 - alpha) * g           (grad_avg)
                      denominator = sqrt(v - a**2) + eps
        else:         denominator = sqrt(v) + eps
        if momentum:  b = momentum * b + g / denominator;  p = p - lr * b
        else:         p = p - lr * g / denominator

    Defaults as PyTorch: lr=0.01, alpha=0.99, eps=1e-8. Parameters whose grad is None are
    skipped (their step count does not advance).
    """

    state_keys = {"step": STEP_COUNT, "square_avg": LIKE_PARAM}
    optional_state_keys = {"grad_avg": LIKE_PARAM, "momentum_buffer": LIKE_PARAM}

    def __init__(self, params: Any, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        lr = check_number(lr, "lr", "RMSprop")
        alpha = check_number(alpha, "alpha", "RMSprop")
        eps = check_number(eps, "eps", "RMSprop")
        weight_decay = check_number(weight_decay, "weight_decay", "RMSprop")
        momentum = check_number(momentum, "momentum", "RMSprop")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=bool(centered)))

    def step(self) -> None:
        h = self.param_groups[0]
        lr, alpha, eps, decay = h["lr"], h["alpha"], h["eps"], h["weight_decay"]
        momentum, centered = h["momentum"], h["centered"]
        with mg.no_grad():
            for i, p, g in self._l2_decayed_grads(decay):
                state = self.state.get(i)
                if state is None:
                    state = self.state[i] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                state["step"] += 1
                square_avg = state["square_avg"]
                square_avg *= alpha
                square_avg += (1.0 - alpha) * (g * g)
                if centered:
                    grad_avg = _buffer(state, "grad_avg", p.data)
                    grad_avg *= alpha
                    grad_avg += (1.0 - alpha) * g
                    denominator = np.sqrt(square_avg - grad_avg * grad_avg) + eps
                else:
                    denominator = np.sqrt(square_avg) + eps
                if momentum:
                    buffer = _buffer(state, "momentum_buffer", p.data)
                    buffer *= momentum
                    buffer += g / denominator
                    p.sub_(buffer, alpha=lr)
                else:
                    p.sub_(g / denominator, alpha=lr)


def _buffer(state: dict, name: str, like: np.ndarray) -> np.ndarray:
    """state[name], created as zeros shaped like the parameter on first use."""
    if name not in state:
        state[name] = np.zeros_like(like)
    return state[name]
