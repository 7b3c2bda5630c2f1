"""Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg

from .optimizer import LIKE_PARAM, Optimizer, check_number


class SGD(Optimizer):
    """PyTorch's SGD (no dampening). For each parameter p with gradient g, at step t:

        g = g + weight_decay * p
        if momentum:  b = g (first step), else b = momentum * b + g
                      g = g + momentum * b if nesterov else b
        p = p - lr * g

    Parameters whose grad is None are skipped.
    """

    state_keys = {"momentum_buffer": LIKE_PARAM}          # only with momentum

    def __init__(self, params: Any, lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        lr = check_number(lr, "lr", "SGD")
        momentum = check_number(momentum, "momentum", "SGD")
        weight_decay = check_number(weight_decay, "weight_decay", "SGD")
        if nesterov and momentum <= 0:
            raise ValueError("SGD: nesterov=True needs momentum > 0, got momentum "
                             f"{momentum}; pass e.g. momentum=0.9")
        super().__init__(params, dict(lr=lr, momentum=momentum, nesterov=bool(nesterov),
                                      weight_decay=weight_decay))

    def step(self) -> None:
        h = self.param_groups[0]
        lr, momentum, nesterov, decay = h["lr"], h["momentum"], h["nesterov"], h["weight_decay"]
        with mg.no_grad():
            for i, p, g in self._l2_decayed_grads(decay):
                if momentum:
                    state = self.state.setdefault(i, {})
                    buffer = state.get("momentum_buffer")
                    if buffer is None:
                        buffer = state["momentum_buffer"] = np.array(g, dtype=p.dtype, copy=True)
                    else:
                        buffer *= momentum
                        buffer += g
                    g = g + momentum * buffer if nesterov else buffer
                p.sub_(g, alpha=lr)
