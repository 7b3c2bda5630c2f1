"""Shape layers: `Flatten` (feature maps to Dense layers), `Unflatten` (the reverse), and
padding: `pad` (PyTorch's F.pad) with the `ZeroPad2D` [`ZeroPad2d`] layer."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from .module import Module

PAD_MODES = ("constant", "reflect", "replicate", "circular")


class Flatten(Module):
    """Merge dims start_dim..end_dim into one (the batch dim stays by default).

    Shapes: (N, C, H, W) -> (N, C*H*W) with the defaults start_dim=1, end_dim=-1.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"Flatten: expected a Tensor, got {type(x).__name__}")
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim `dim` into `unflattened_size` (one entry may be -1).

    Shapes: (N, C*H*W) -> (N, C, H, W) with Unflatten(1, (C, H, W)).
    """

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"Unflatten: dim must be an int, got {dim!r}")
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < -1
                for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a non-empty tuple of ints, "
                            f"got {unflattened_size!r}")
        self.dim, self.unflattened_size = int(dim), tuple(int(s) for s in unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"Unflatten: expected a Tensor, got {type(x).__name__}")
        if not -x.ndim <= self.dim < x.ndim:
            raise ValueError(f"Unflatten: dim {self.dim} is out of range for an input of shape "
                             f"{x.shape}")
        dim = self.dim % x.ndim
        sizes = self.unflattened_size
        known = int(np.prod([s for s in sizes if s != -1]))
        fits = x.shape[dim] == known if -1 not in sizes else known and x.shape[dim] % known == 0
        if sizes.count(-1) > 1 or not fits:
            raise ValueError(f"Unflatten: cannot split dim {self.dim} of size {x.shape[dim]} "
                             f"(input shape {x.shape}) into {sizes}; the sizes must multiply "
                             f"to {x.shape[dim]} (at most one -1)")
        return x.reshape(x.shape[:dim] + sizes + x.shape[dim + 1:])

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


def _pad_widths(pad: Sequence[int], ndim: int) -> list:
    """PyTorch's pad tuple (last dim first: left, right, top, bottom, ...) -> one
    (before, after) pair per dim of the input, first dim first."""
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or any(
            isinstance(p, bool) or not isinstance(p, (int, np.integer)) for p in pad):
        raise TypeError(f"pad: pad must be a tuple of ints of even length (left, right, top, "
                        f"bottom, ...: the last dim first), got {pad!r}")
    if len(pad) // 2 > ndim:
        raise ValueError(f"pad: pad {tuple(pad)} pads {len(pad) // 2} dims but the input has "
                         f"only {ndim}")
    widths = [(0, 0)] * ndim
    for i in range(len(pad) // 2):
        widths[ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return widths


def _source_index(size: int, before: int, after: int, mode: str) -> np.ndarray:
    """Which input position each padded position copies, along one dim."""
    positions = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    positions = np.abs(positions)                          # reflect about 0 ...
    return np.where(positions > size - 1, 2 * (size - 1) - positions, positions)   # ... and size-1


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant",
        value: "float | None" = None) -> Tensor:
    """Pad (or, with negative widths in "constant" mode, crop) the trailing dims, as F.pad.

    `pad` lists (before, after) widths starting from the LAST dim: (left, right) pads W,
    (left, right, top, bottom) pads W and H, and so on. Modes: "constant" (fill `value`,
    default 0), "reflect" (mirror without repeating the edge; widths < the dim's size),
    "replicate" (repeat the edge), "circular" (wrap around; widths <= the size).

    Shapes: (*, H, W) with pad (l, r, t, b) -> (*, H + t + b, W + l + r).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    widths = _pad_widths(pad, input.ndim)
    if mode not in PAD_MODES:
        raise ValueError(f"pad: mode must be one of {PAD_MODES}, got {mode!r}")
    if mode == "constant":
        fill = 0.0 if value is None else value
        if isinstance(fill, bool) or not isinstance(fill, (int, float, np.integer, np.floating)):
            raise TypeError(f"pad: value must be a number, got {value!r}")
        crop = tuple(slice(max(-a, 0), size - max(-b, 0))
                     for (a, b), size in zip(widths, input.shape))
        if any(s.start > s.stop for s in crop):
            raise ValueError(f"pad: negative pad {tuple(pad)} crops more than the input of shape "
                             f"{input.shape} holds")
        if any(a < 0 or b < 0 for a, b in widths):
            input = input[crop]
        return mg.pad(input, [(max(a, 0), max(b, 0)) for a, b in widths], fill)
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value (got value={value!r}); use "
                         "mode='constant' to fill with a value")
    out = input
    for dim, ((before, after), size) in enumerate(zip(widths, input.shape)):
        if before == after == 0:
            continue
        limit = size - 1 if mode == "reflect" else size if mode == "circular" else None
        if before < 0 or after < 0 or size == 0 or limit is not None and max(before,
                                                                              after) > limit:
            rule = {"reflect": "< the dim's size", "circular": "<= the dim's size",
                    "replicate": ">= 0 on a non-empty dim"}[mode]
            raise ValueError(f"pad: mode {mode!r} needs widths {rule}; got {(before, after)} "
                             f"for dim {dim} of the input of shape {input.shape}")
        index = (slice(None),) * dim + (_source_index(size, before, after, mode),)
        out = out[index]
    return out


class ZeroPad2D(Module):
    """Pad the last two dims with zeros; padding is an int or (left, right, top, bottom).

    Shapes: (N, C, H, W) -> (N, C, H + top + bottom, W + left + right).
    """

    def __init__(self, padding: Any) -> None:
        super().__init__()
        if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
            padding = (int(padding),) * 4
        if not isinstance(padding, (tuple, list)) or len(padding) != 4:
            raise TypeError(f"ZeroPad2D: padding must be an int or (left, right, top, bottom), "
                            f"got {padding!r}")
        _pad_widths(padding, 2)
        self.padding = tuple(int(p) for p in padding)

    def forward(self, x: Tensor) -> Tensor:
        if isinstance(x, Tensor) and x.ndim not in (3, 4):
            raise ValueError(f"ZeroPad2D: expected input of shape (N, C, H, W) or (C, H, W), got "
                             f"{x.shape}")
        return pad(x, self.padding)

    def extra_repr(self) -> str:
        return f"{self.padding}"


ZeroPad2d = ZeroPad2D
