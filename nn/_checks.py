"""Argument checks shared by nn's functions: one message for each kind of bad value."""
from __future__ import annotations

import math
from typing import Any

import numpy as np


def finite_number(value: Any, name: str, op: str) -> float:
    """`value` as a float; TypeError naming op and argument unless it is a finite real number
    (bools refused: True is not a learning rate or an epsilon)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise TypeError(f"{op}: {name} must be a finite number, got {value!r}")
    return float(value)


def integer(value: Any, name: str, op: str) -> int:
    """`value` as an int; TypeError naming op and argument unless it is an int (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)
