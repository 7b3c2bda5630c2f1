"""`mg.accelerator`, as `torch.accelerator` on a machine without one: the CPU only."""

from __future__ import annotations

from typing import Any

def is_available() -> bool:
    """False: minigrad has no GPU (or other accelerator) backend."""
    return False


def current_accelerator(check_available: bool = False) -> Any:
    """None: there is no accelerator (PyTorch returns None too when none is present)."""
    return None


def device_count() -> int:
    """0: no accelerator is usable."""
    return 0


__all__ = ["is_available", "current_accelerator", "device_count"]
