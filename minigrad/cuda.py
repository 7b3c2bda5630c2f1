"""`mg.cuda`, as `torch.cuda` on a machine without a GPU: minigrad computes on the CPU only.

Scripts that pick a device with `"cuda" if mg.cuda.is_available() else "cpu"` run unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_available() -> bool:
    """False: minigrad has no GPU backend."""
    return False


def device_count() -> int:
    """0: no GPU is usable."""
    return 0


def manual_seed(seed: int) -> None:
    """Seed the GPU generators: there are none, so (as PyTorch without a GPU) this does
    nothing beyond checking `seed`; `mg.manual_seed` seeds minigrad's draws."""
    _check_seed_value(seed, "cuda.manual_seed")


def manual_seed_all(seed: int) -> None:
    """As `manual_seed`: nothing to seed without a GPU."""
    _check_seed_value(seed, "cuda.manual_seed_all")


def _check_seed_value(seed: Any, op: str) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{op}: seed must be an int, got {type(seed).__name__}")


__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all"]
