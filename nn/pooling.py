"""2-D pooling: `max_pool2d`, `avg_pool2d`, `adaptive_avg_pool2d`, `adaptive_max_pool2d` and
the `MaxPool2D`, `AvgPool2D`, `AdaptiveAvgPool2D`, `AdaptiveMaxPool2D` modules.

Both are a window view plus a reduction (max or mean) from minigrad's public ops, so their
gradients come from those ops: max pooling sends each window's gradient to the FIRST maximum
of the window (row by row, as PyTorch), overlapping windows add up (col2im).
Non-overlapping windows (stride == kernel, no padding), the common case, skip the window view:
a reshape to (N, C, OH, KH, OW, KW) is a free view whose backward is free too.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from .conv import _pair
from .module import Module


def _pool_args(x: Any, kernel_size: int | tuple[int, int], stride: int | tuple[int, int] | None,
               padding: int | tuple[int, int], op: str) -> tuple[tuple[int, int], tuple[int, int],
               tuple[int, int], tuple[int, int]]:
    """Validate and normalise; returns (kernel, stride, padding, (OH, OW))."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {x.ndim}-D shape "
                         f"{x.shape}; add a batch dim with x.unsqueeze(0)")
    kernel = _pair(kernel_size, "kernel_size", op, 1)
    strides = kernel if stride is None else _pair(stride, "stride", op, 1)
    pads = _pair(padding, "padding", op, 0)
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(f"{op}: padding {pads} must be at most half the kernel_size {kernel} "
                         f"(at most {(kernel[0] // 2, kernel[1] // 2)}), or a window could "
                         "hold padding only; use less padding")
    h, w = x.shape[2:]
    out_size = tuple((size + 2 * p - k) // s + 1
                     for size, p, k, s in zip((h, w), pads, kernel, strides))
    if min(out_size) < 1 or h + 2 * pads[0] < kernel[0] or w + 2 * pads[1] < kernel[1]:
        raise ValueError(f"{op}: the window {kernel} does not fit the input of size {(h, w)} "
                         f"(padded {(h + 2 * pads[0], w + 2 * pads[1])}, input shape "
                         f"{x.shape}); use a smaller kernel_size or pad the input")
    return kernel, strides, pads, out_size


def _tiles(x: Tensor, kernel: tuple, out_size: tuple) -> Tensor:
    """Non-overlapping windows as a view. (N, C, H, W) -> (N, C, OH, KH, OW, KW)."""
    (kh, kw), (oh, ow) = kernel, out_size
    if x.shape[2:] != (oh * kh, ow * kw):
        x = x[:, :, :oh * kh, :ow * kw]            # rows/columns no window reaches
    n, c = x.shape[:2]
    return x.reshape(n, c, oh, kh, ow, kw)


def max_pool2d(x: Tensor, kernel_size: int | tuple[int, int],
               stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> Tensor:
    """Largest value of each window; padding is -inf (never the max).

    The gradient of a window goes to its first maximum only (first in row-major order inside
    the window), as in PyTorch; other tied elements get 0.

    Shapes:
        x:   (N, C, H, W)
        out: (N, C, OH, OW), OH = (H + 2*PH - KH) // SH + 1 (likewise OW); stride defaults
             to kernel_size
    """
    kernel, strides, pads, out_size = _pool_args(x, kernel_size, stride, padding, "max_pool2d")
    if x.dtype == np.bool_:
        raise TypeError("max_pool2d: bool tensors are not supported (PyTorch: \"max_pool2d\" "
                        "not implemented for 'Bool'); convert first, e.g. x.to(mg.uint8)")
    if strides == kernel and pads == (0, 0):
        return _tiles(x, kernel, out_size).amax(dim=(3, 5))
    low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    windows = mg.sliding_window(x, kernel, strides, pads, 1, value=low, op="max_pool2d")
    return windows.amax(dim=(4, 5))                 # (N, C, OH, OW, KH, KW) -> (N, C, OH, OW)


def avg_pool2d(x: Tensor, kernel_size: int | tuple[int, int],
               stride: int | tuple[int, int] | None = None,
               padding: int | tuple[int, int] = 0) -> Tensor:
    """Mean of each window; padded zeros count (PyTorch's count_include_pad=True, no ceil_mode).

    Shapes:
        x:   (N, C, H, W)
        out: (N, C, OH, OW), OH = (H + 2*PH - KH) // SH + 1 (likewise OW); stride defaults
             to kernel_size
    """
    kernel, strides, pads, _ = _pool_args(x, kernel_size, stride, padding, "avg_pool2d")
    windows = mg.sliding_window(x, kernel, strides, pads, 1, op="avg_pool2d")
    return windows.mean(dim=(4, 5))                # (N, C, OH, OW, KH, KW) -> (N, C, OH, OW)


def _adaptive_args(x: Tensor, output_size: int | None | Sequence[int | None],
                   op: str) -> tuple[int, ...]:
    """Validate; returns (OH, OW), a None entry meaning "keep the input's size"."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got "
                         f"{x.ndim}-D shape {x.shape}")
    sizes = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * 2
    if len(sizes) != 2 or any(s is not None and (isinstance(s, bool) or not isinstance(
            s, (int, np.integer)) or s < 1) for s in sizes):
        raise ValueError(f"{op}: output_size must be a positive int or a pair of them (None "
                         f"keeps that dim), got {output_size!r}")
    h, w = x.shape[-2:]
    out = tuple(size if s is None else int(s) for s, size in zip(sizes, (h, w)))
    if h == 0 or w == 0:
        raise ValueError(f"{op}: input of shape {x.shape} has an empty spatial dim; nothing to "
                         "pool")
    return out


def _adaptive_bounds(size: int, out: int) -> list:
    """PyTorch's windows: output i pools [floor(i*size/out), ceil((i+1)*size/out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _adaptive_pool(x: Tensor, out_size: tuple[int, ...], reduce: Callable[..., Any],
                   pool: Callable[..., Any]) -> Tensor:
    """Adaptive pooling: plain pooling when the sizes divide, else one reduction per output
    row, then per output column (a max over a rectangle is a max of row maxima; reducing
    columns first keeps PyTorch's choice of the first maximum in row-major order)."""
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    (h, w), (oh, ow) = x.shape[2:], out_size
    if h % oh == 0 and w % ow == 0:
        out = pool(x, (h // oh, w // ow))
    else:
        columns = [reduce(x[:, :, :, start:stop], 3) for start, stop in _adaptive_bounds(w, ow)]
        by_columns = mg.stack(columns, 3)                 # (N, C, H, OW)
        rows = [reduce(by_columns[:, :, start:stop, :], 2) for start, stop in
                _adaptive_bounds(h, oh)]
        out = mg.stack(rows, 2)                           # (N, C, OH, OW)
    return out[0] if unbatched else out


def adaptive_avg_pool2d(x: Tensor, output_size: int | None | Sequence[int | None]) -> Tensor:
    """Average pooling to a fixed output size, whatever the input size (PyTorch's windows).

    Shapes:
        x:   (N, C, H, W) or (C, H, W)
        out: (N, C, OH, OW) or (C, OH, OW); output_size = OH (square) or (OH, OW), None
             keeping the input's size. adaptive_avg_pool2d(x, 1) is global average pooling.
    """
    out_size = _adaptive_args(x, output_size, "adaptive_avg_pool2d")
    return _adaptive_pool(x, out_size, lambda t, dim: t.mean(dim),
                          lambda t, kernel: avg_pool2d(t, kernel))


def adaptive_max_pool2d(x: Tensor, output_size: int | None | Sequence[int | None],
                        return_indices: bool = False) -> Tensor:
    """Max pooling to a fixed output size (PyTorch's windows); the gradient of each window
    goes to its first maximum in row-major order, as PyTorch.

    Shapes:
        x:   (N, C, H, W) or (C, H, W)
        out: (N, C, OH, OW) or (C, OH, OW); output_size = OH or (OH, OW)
    """
    if return_indices:
        raise ValueError("adaptive_max_pool2d: return_indices=True is not supported; compute "
                         "indices with argmax over the windows if needed")
    out_size = _adaptive_args(x, output_size, "adaptive_max_pool2d")
    return _adaptive_pool(x, out_size, lambda t, dim: t.amax(dim),
                          lambda t, kernel: max_pool2d(t, kernel))


class _AdaptivePool2D(Module):
    def __init__(self, output_size: int | None | Sequence[int | None]) -> None:
        super().__init__()
        sizes = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 2
        if len(sizes) != 2 or any(s is not None and (isinstance(s, bool) or not isinstance(
                s, (int, np.integer)) or s < 1) for s in sizes):
            raise ValueError(f"{type(self).__name__}: output_size must be a positive int or a "
                             f"pair of them (None keeps that dim), got {output_size!r}")
        self.output_size = output_size

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2D(_AdaptivePool2D):
    """adaptive_avg_pool2d as a layer (PyTorch alias `AdaptiveAvgPool2d`).

    Shapes: (N, C, H, W) -> (N, C, OH, OW); AdaptiveAvgPool2D(1) gives (N, C, 1, 1).
    """

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_avg_pool2d(x, self.output_size)


class AdaptiveMaxPool2D(_AdaptivePool2D):
    """adaptive_max_pool2d as a layer (PyTorch alias `AdaptiveMaxPool2d`).

    Shapes: (N, C, H, W) -> (N, C, OH, OW).
    """

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_max_pool2d(x, self.output_size)


class _Pool2D(Module):
    def __init__(self, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] | None = None,
                 padding: int | tuple[int, int] = 0) -> None:
        super().__init__()
        name = type(self).__name__
        self.kernel_size = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = self.kernel_size if stride is None else _pair(stride, "stride", name, 1)
        self.padding = _pair(padding, "padding", name, 0)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2D(_Pool2D):
    """Max pooling layer (PyTorch alias `MaxPool2d`); see `max_pool2d`.

    Shapes:
        input:  (N, C, H, W)
        output: (N, C, OH, OW), OH = (H + 2*PH - KH) // SH + 1; stride defaults to kernel_size
    """

    def forward(self, x: Tensor) -> Tensor:
        return max_pool2d(x, self.kernel_size, self.stride, self.padding)


class AvgPool2D(_Pool2D):
    """Average pooling layer (PyTorch alias `AvgPool2d`); padded zeros count; see `avg_pool2d`.

    Shapes:
        input:  (N, C, H, W)
        output: (N, C, OH, OW), OH = (H + 2*PH - KH) // SH + 1; stride defaults to kernel_size
    """

    def forward(self, x: Tensor) -> Tensor:
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding)


MaxPool2d = MaxPool2D
AvgPool2d = AvgPool2D
AdaptiveAvgPool2d = AdaptiveAvgPool2D
AdaptiveMaxPool2d = AdaptiveMaxPool2D
