"""Resizing feature maps: `interpolate` (PyTorch's F.interpolate; modes "nearest" and
"bilinear") and the `Upsample` layer.

Both modes are gathers of input rows and columns (integer indexing) plus, for bilinear, a
weighted sum of the two neighbours, so the gradient comes from autodiff: each input pixel
receives the sum of the weights it was used with.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from minigrad import Tensor

from .module import Module

MODES = ("nearest", "bilinear")


def _output_size(x: Tensor, size: int | Sequence[int] | None,
                 scale_factor: float | Sequence[float] | None, op: str) -> tuple:
    """(OH, OW) and the scales used for the source positions (None: in/out)."""
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor, got size={size!r}, "
                         f"scale_factor={scale_factor!r}")
    if size is not None:
        sizes = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        if len(sizes) != 2 or any(isinstance(s, bool) or not isinstance(s, (int, np.integer))
                                  or s < 1 for s in sizes):
            raise ValueError(f"{op}: size must be a positive int or a pair (OH, OW) for a 4-D "
                             f"input, got {size!r}")
        return tuple(int(s) for s in sizes), (None, None)
    scales = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else \
        (scale_factor, scale_factor)
    if len(scales) != 2 or any(isinstance(s, bool) or not isinstance(
            s, (int, float, np.integer, np.floating)) or not math.isfinite(s) or s <= 0
            for s in scales):
        raise ValueError(f"{op}: scale_factor must be a positive number or a pair of them, got "
                         f"{scale_factor!r}")
    out = tuple(int(math.floor(length * s)) for length, s in zip(x.shape[2:], scales))
    if min(out) < 1:
        raise ValueError(f"{op}: scale_factor {scale_factor!r} shrinks the input of shape "
                         f"{x.shape} to nothing ({out}); use a larger scale_factor")
    return out, tuple(float(s) for s in scales)


def _nearest_index(size: int, out: int, scale: float | None) -> np.ndarray:
    """PyTorch's "nearest": source = floor(i * scale), scale = 1/scale_factor or size/out,
    computed in float32 as PyTorch does."""
    step = np.float32(1.0 / scale) if scale is not None else np.float32(size) / np.float32(out)
    source = np.floor(np.arange(out, dtype=np.float32) * step).astype(np.int64)
    return np.minimum(source, size - 1)


def _linear_weights(size: int, out: int, scale: float | None, align_corners: bool) -> tuple:
    """Lower neighbour, upper neighbour and the upper one's weight for each output position."""
    positions = np.arange(out, dtype=np.float64)
    if align_corners:
        source = positions * ((size - 1) / (out - 1) if out > 1 else 0.0)
    else:
        step = 1.0 / scale if scale is not None else size / out
        source = np.maximum((positions + 0.5) * step - 0.5, 0.0)
    low = np.minimum(np.floor(source).astype(np.int64), size - 1)
    high = np.minimum(low + 1, size - 1)
    return low, high, source - low


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: "bool | None" = None, recompute_scale_factor: "bool | None" = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of an NCHW input to `size`, or by `scale_factor`.

    mode="nearest": copy the pixel at floor(i / scale_factor) (PyTorch's "nearest").
    mode="bilinear": weighted mean of the 4 nearest pixels; align_corners=True maps the
    corner pixels onto each other, False (the default) maps pixel areas (half-pixel offsets).
    recompute_scale_factor=True uses output/input sizes instead of scale_factor.

    Shapes:
        input: (N, C, H, W)
        out:   (N, C, OH, OW), (OH, OW) = size, or floor(H * scale_factor) (likewise OW)
    """
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {input.ndim}-D "
                         f"shape {input.shape}; only 2-D (spatial) resizing is supported")
    if mode not in MODES:
        raise ValueError(f"{op}: mode must be one of {MODES}, got {mode!r}")
    if align_corners is not None and mode == "nearest":
        raise ValueError(f"{op}: align_corners only applies to mode='bilinear'; leave it None "
                         "for 'nearest'")
    if align_corners is not None and not isinstance(align_corners, (bool, np.bool_)):
        raise TypeError(f"{op}: align_corners must be True, False or None, got "
                        f"{align_corners!r}")
    if antialias:
        raise ValueError(f"{op}: antialias=True is not supported")
    if min(input.shape[2:], default=0) < 1:
        raise ValueError(f"{op}: input of shape {input.shape} has an empty spatial dim")
    if recompute_scale_factor and size is not None:
        raise ValueError(f"{op}: recompute_scale_factor is only meaningful with scale_factor, "
                         "not with an explicit size")
    (oh, ow), scales = _output_size(input, size, scale_factor, op)
    if recompute_scale_factor:
        scales = (None, None)
    h, w = input.shape[2:]
    if mode == "nearest":
        rows = _nearest_index(h, oh, scales[0])
        columns = _nearest_index(w, ow, scales[1])
        return input[:, :, rows][:, :, :, columns]
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: mode='bilinear' needs a floating input, got {input.dtype}")
    align = bool(align_corners)
    top, bottom, row_weight = _linear_weights(h, oh, scales[0], align)
    left, right, column_weight = _linear_weights(w, ow, scales[1], align)
    row_weight = Tensor(row_weight.reshape(oh, 1).astype(input.dtype))
    column_weight = Tensor(column_weight.astype(input.dtype))
    # (N, C, H, W) -> (N, C, OH, W): blend the two source rows of each output row
    blended_rows = input[:, :, top] * (1.0 - row_weight) + input[:, :, bottom] * row_weight
    # (N, C, OH, W) -> (N, C, OH, OW): then the two source columns
    return blended_rows[:, :, :, left] * (1.0 - column_weight) + \
        blended_rows[:, :, :, right] * column_weight


class Upsample(Module):
    """interpolate as a layer: Upsample(scale_factor=2, mode="nearest") doubles H and W.

    Shapes: (N, C, H, W) -> (N, C, OH, OW).
    """

    def __init__(self, size: int | Sequence[int] | None = None,
                 scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                 align_corners: "bool | None" = None,
                 recompute_scale_factor: "bool | None" = None) -> None:
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: give exactly one of size and scale_factor")
        if mode not in MODES:
            raise ValueError(f"Upsample: mode must be one of {MODES}, got {mode!r}")
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners, self.recompute_scale_factor = align_corners, recompute_scale_factor

    def forward(self, x: Tensor) -> Tensor:
        return interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                           self.recompute_scale_factor)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else \
            f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}"
