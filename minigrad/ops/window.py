"""SlidingWindow: the im2col view that convolution and pooling are built from.

Forward pads the input and returns a read-only strided view holding, for every output position,
the KH x KW window under it. Backward is col2im: each kernel tap (i, j) adds its slice of the
gradient back onto the positions it read, a loop over the KH*KW taps with vectorised adds, so a
pixel covered by several windows receives the sum of their gradients.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..backend import array_module
from ..function import Function


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
    """

    @staticmethod
    def forward(ctx, x, kernel_size, stride, dilation, padding, value=0.0):
        xp = array_module(x)
        (kh, kw), (sh, sw), (dh, dw) = kernel_size, stride, dilation
        (top, bottom), (left, right) = padding
        if top or bottom or left or right:
            x = xp.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value)
        n, c, h, w = x.shape
        oh = (h - dh * (kh - 1) - 1) // sh + 1
        ow = (w - dw * (kw - 1) - 1) // sw + 1
        ctx.padded_shape = x.shape
        sn, sc, s_h, s_w = x.strides
        shape = (n, c, oh, ow, kh, kw)
        strides = (sn, sc, s_h * sh, s_w * sw, s_h * dh, s_w * dw)
        if xp is not np:                     # CuPy's as_strided has no `writeable` flag
            return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)
        return as_strided(x, shape=shape, strides=strides, writeable=False)

    @staticmethod
    def backward(ctx, grad):
        _, (kh, kw), (sh, sw), (dh, dw), ((top, bottom), (left, right)) = ctx.inputs[:5]
        xp = array_module(grad)
        n, c, oh, ow = grad.shape[:4]
        # Lay the result out in the memory order of the incoming gradient (e.g. batch-last
        # after nn.conv2d's single GEMM): each tap's add then walks both arrays in the same
        # order, with long contiguous runs; mixing layouts is ~2x slower.
        order = sorted(range(4), key=lambda axis: -grad.strides[axis])
        padded = xp.empty([ctx.padded_shape[a] for a in order], dtype=grad.dtype)
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
        h, w = ctx.padded_shape[2] - bottom, ctx.padded_shape[3] - right
        return padded[:, :, top:h, left:w]             # one gradient: x's
