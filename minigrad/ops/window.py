"""SlidingWindow: the im2col view that convolution and pooling are built from.

Forward pads the input and returns a read-only strided view holding, for every output position,
the KH x KW window under it. Backward is col2im: each kernel tap (i, j) adds its slice of the
gradient back onto the positions it read, a loop over the KH*KW taps with vectorised adds, so a
pixel covered by several windows receives the sum of their gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import buffers
from ..backend import array_module
from ..function import Function
from ..tensor import Tensor


def window_output_size(size: int, kernel: int, stride: int, dilation: int, pad: tuple) -> int:
    """Number of window positions along one axis: (size + pads - dil*(k-1) - 1) // stride + 1."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


class SlidingWindow(Function):
    """Windows over the last two axes.

    Shapes: x (N, C, H, W) -> out (N, C, OH, OW, KH, KW), where
        out[n, c, oh, ow, i, j] = padded_x[n, c, oh*SH + i*DH, ow*SW + j*DW],
        OH = (H + top + bottom - DH*(KH - 1) - 1) // SH + 1, likewise OW.
    Arguments: kernel_size (KH, KW), stride (SH, SW), dilation (DH, DW),
    padding ((top, bottom), (left, right)), value = the padding constant.
    Backward is WindowSum (col2im), its adjoint.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, kernel_size: Any, stride: Any, dilation: Any, padding: Any,
                value: Any = 0.0) -> Any:
        ctx.geometry = (x.shape, kernel_size, stride, dilation, padding)
        return _windows(x, kernel_size, stride, dilation, padding, value)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            return (WindowSum.apply(grad, *ctx.geometry),) + (None,) * 5
        return (_col2im(grad, *ctx.geometry),) + (None,) * 5


class WindowSum(Function):
    """col2im: each window's values added back onto the pixels it covers (overlaps sum).

    SlidingWindow's backward as an op, so that backward is differentiable; its own backward
    is the sliding window again (the two are adjoint linear maps).
    Shapes: windows (N, C, OH, OW, KH, KW) -> out `shape` (N, C, H, W).
    """

    @staticmethod
    def forward(ctx: Any, windows: Any, shape: Any, kernel_size: Any, stride: Any,
                dilation: Any, padding: Any) -> Any:
        ctx.window = (kernel_size, stride, dilation, padding)
        return _col2im(windows, shape, kernel_size, stride, dilation, padding)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        if isinstance(grad, Tensor):
            return (SlidingWindow.apply(grad, *ctx.window, 0.0),) + (None,) * 5
        return (_windows(grad, *ctx.window),) + (None,) * 5


class Im2Col(Function):
    """The windows as the columns of one matrix, batch last: a convolution's GEMM operand.

    Shapes: x (N, C, H, W) -> out (C*KH*KW, OH*OW*N), where
        out[(c*KH + i)*KW + j, (oh*OW + ow)*N + n] = padded_x[n, c, oh*SH + i*DH, ow*SW + j*DW]
    (OH, OW as in SlidingWindow; zero padding). The same numbers as
    sliding_window(x).permute(1, 4, 5, 2, 3, 0).reshape(C*KH*KW, -1), as one op: one copy
    and one graph node instead of three; backward is col2im, as SlidingWindow's.
    Arguments: kernel_size (KH, KW), stride (SH, SW), dilation (DH, DW),
    padding ((top, bottom), (left, right)).
    """

    @staticmethod
    def forward(ctx: Any, x: Any, kernel_size: Any, stride: Any, dilation: Any,
                padding: Any) -> Any:
        ctx.geometry = (x.shape, kernel_size, stride, dilation, padding)
        xp = array_module(x)
        n, c = x.shape[:2]
        # Batch last (a batch-first input, the user's NCHW images in the first layer, is
        # copied once, as small as the input): the column copy below then reads runs of
        # OW*N values instead of single values C*H*W apart (LeNet-5's step: 0.4 ms less of ~6).
        padded = padded_batch_last(x, padding).transpose(3, 0, 1, 2)
        windows = _windows(padded, kernel_size, stride, dilation, ((0, 0), (0, 0)))
        oh, ow = windows.shape[2:4]
        (kh, kw) = kernel_size
        shape = (c, kh, kw, oh, ow, n)
        cols = buffers.empty(shape, x.dtype) if xp is np else xp.empty(shape, x.dtype)
        cols[...] = windows.transpose(1, 4, 5, 2, 3, 0)
        return cols.reshape(c * kh * kw, oh * ow * n)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        shape, (kh, kw), stride, dilation, padding = ctx.geometry
        n, c, h, w = shape
        oh = window_output_size(h, kh, stride[0], dilation[0], padding[0])
        ow = window_output_size(w, kw, stride[1], dilation[1], padding[1])
        # (C*KH*KW, OH*OW*N) -> (C, KH, KW, OH, OW, N) -> (N, C, OH, OW, KH, KW), views
        order = (5, 0, 3, 4, 1, 2)
        if isinstance(grad, Tensor):
            windows = grad.reshape(c, kh, kw, oh, ow, n).permute(*order)
            return (WindowSum.apply(windows, *ctx.geometry),) + (None,) * 4
        windows = grad.reshape(c, kh, kw, oh, ow, n).transpose(order)
        return (_col2im(windows, *ctx.geometry),) + (None,) * 4


def padded_batch_last(x: Any, padding: Any) -> Any:
    """x (N, C, H, W) as (C, H + top + bottom, W + left + right, N) with zero borders: a view
    when x is already batch last and needs no padding, else one copy."""
    xp = array_module(x)
    (top, bottom), (left, right) = padding
    view = x.transpose(1, 2, 3, 0)
    if not (top or bottom or left or right) and view.flags.c_contiguous:
        return view
    c, h, w, n = view.shape
    shape = (c, h + top + bottom, w + left + right, n)
    padded = buffers.empty(shape, x.dtype) if xp is np else xp.empty(shape, x.dtype)
    if top or bottom or left or right:
        padded.fill(0)
    padded[:, top:top + h, left:left + w, :] = view
    return padded


def _windows(x: Any, kernel_size: Any, stride: Any, dilation: Any, padding: Any,
             value: Any = 0.0) -> Any:
    """The read-only strided view (N, C, OH, OW, KH, KW) of x padded with `value`."""
    xp = array_module(x)
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    (top, bottom), (left, right) = padding
    if top or bottom or left or right:
        x = _pad(x, padding, value)
    n, c, h, w = x.shape
    oh = (h - dh * (kh - 1) - 1) // sh + 1
    ow = (w - dw * (kw - 1) - 1) // sw + 1
    sn, sc, s_h, s_w = x.strides
    shape = (n, c, oh, ow, kh, kw)
    strides = (sn, sc, s_h * sh, s_w * sw, s_h * dh, s_w * dw)
    if xp is not np:                     # CuPy's as_strided has no `writeable` flag
        return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)
    return as_strided(x, shape=shape, strides=strides, writeable=False)


def _pad(x: Any, padding: Any, value: Any) -> Any:
    """x (N, C, H, W) padded with `value` on the last two axes, laid out in x's memory order
    (np.pad's result is C order: a batch-last input, as nn.conv2d makes, would lose its
    layout, and the im2col copy of the windows would gather with the batch axis strided)."""
    xp = array_module(x)
    (top, bottom), (left, right) = padding
    n, c, h, w = x.shape
    shape = (n, c, h + top + bottom, w + left + right)
    order = sorted(range(4), key=lambda axis: -x.strides[axis])
    padded = xp.empty([shape[a] for a in order], x.dtype).transpose(
        [order.index(a) for a in range(4)])
    padded[...] = value
    padded[:, :, top:top + h, left:left + w] = x
    return padded


def _col2im(grad: Any, shape: Any, kernel_size: Any, stride: Any, dilation: Any,
            padding: Any) -> Any:
    """Sum each window of `grad` (N, C, OH, OW, KH, KW) back onto x's `shape` (N, C, H, W)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
    (top, bottom), (left, right) = padding
    padded_shape = (shape[0], shape[1], shape[2] + top + bottom, shape[3] + left + right)
    xp = array_module(grad)
    n, c, oh, ow = grad.shape[:4]
    # Lay the result out in the memory order of the incoming gradient (e.g. batch-last
    # after nn.conv2d's single GEMM): each tap's add then walks both arrays in the same
    # order, with long contiguous runs; mixing layouts is ~2x slower.
    order = sorted(range(4), key=lambda axis: -grad.strides[axis])
    padded = (buffers.empty if xp is np else xp.empty)([padded_shape[a] for a in order],
                                                      grad.dtype)
    padded = padded.transpose([order.index(a) for a in range(4)])
    taps = [(i, j) for i in range(kh) for j in range(kw)]
    if (sh, sw) == (1, 1):
        # Tap (0, 0) covers the top-left (OH, OW) block: write it, zero the rest only.
        padded[:, :, oh:, :] = 0
        padded[:, :, :oh, ow:] = 0
        padded[:, :, :oh, :ow] = grad[:, :, :, :, 0, 0]
        taps = taps[1:]
    else:
        padded[...] = 0
    for i, j in taps:
        rows = slice(i * dh, i * dh + sh * (oh - 1) + 1, sh)
        cols = slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)
        padded[:, :, rows, cols] += grad[:, :, :, :, i, j]
    h, w = padded_shape[2] - bottom, padded_shape[3] - right
    return padded[:, :, top:h, left:w]
