"""Conv2d: a 2-D convolution as one op, computed in bands of output rows.

The numbers are those of im2col + one matrix product (window.py's Im2Col, then
weight (C_out, C*KH*KW) @ columns + bias), but the (C*KH*KW, OH*OW*N) column matrix is never
made whole: for 64 kernels of 3x3 over 32 channels at batch 64 it is 42 MB, written and read
back from main memory in the forward pass, again for the weight gradient, and once more as the
gradient of the columns before col2im. Here each band of a few output rows gets its own
columns (a few MB, which stay in the CPU's cache), its product, its weight-gradient product
and its col2im, and the two halves of the bands run on two cores (threads.py) when NumPy's
OpenBLAS is set to two threads or more.

Layout: batch last, as everywhere in minigrad's conv path: the padded input is read as
(C, H, W, N), the output is written as (C_out, OH, OW, N) and returned as its (N, C_out, OH, OW)
view; a gradient in that layout is read without a copy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import buffers, threads
from ..function import Function
from ..tensor import Tensor
from .window import Im2Col, WindowSum, _windows, padded_batch_last, window_output_size

BAND_BYTES = 4 * 2**20      # the columns of one band: about what a core's L2 cache holds
SPLIT_WORK = 10**7          # multiply-adds below which a conv runs in one thread: the helper's
                            # hand-over and OpenBLAS's thread switches cost more than a second
                            # core saves (LeNet-5's convs, 4-8 million: 10% slower split)
THIN_KERNELS = 400          # C_out * C/G*KH*KW at or below which the products run in chunks of
COLUMN_CHUNK = 2048         # this many columns: OpenBLAS is 2-3x slower on a product whose
                            # shared or output side is a few dozen wide when the other side is
                            # tens of thousands long (LeNet-5's first conv: weight gradient
                            # 449 -> 180 us, forward 223 -> 126 us at 2 threads)


class Conv2d(Function):
    """out = conv2d(x, weight) + bias (cross-correlation), channels split into `groups`.

    Shapes: x (N, C, H, W), weight (C_out, C // groups, KH, KW), bias (C_out,) or None ->
    out (N, C_out, OH, OW), OH = (H + top + bottom - DH*(KH - 1) - 1) // SH + 1 (likewise OW).
    Arguments: stride (SH, SW), dilation (DH, DW), padding ((top, bottom), (left, right)),
    groups.
    """

    @staticmethod
    def forward(ctx: Any, x: Any, weight: Any, bias: Any, stride: Any, dilation: Any,
                padding: Any, groups: Any) -> Any:
        ctx.save_for_backward(x, weight)
        ctx.geometry = (x.shape, weight.shape[2:], stride, dilation, padding, groups)
        plan = _Plan(x, weight, stride, dilation, padding, groups)
        out = buffers.empty((weight.shape[0],) + plan.out_rows_shape, x.dtype)
        kernels = weight.reshape(weight.shape[0], -1)       # (C_out, C/G*KH*KW)
        if bias is not None:
            bias = bias.reshape(-1, 1)

        def forward_rows(first: int, stop: int) -> None:
            for top, bottom in plan.bands(first, stop):
                for outs, ins in plan.groups():
                    rows = out[outs, top:bottom].reshape(outs.stop - outs.start, -1)
                    columns = plan.columns(ins, top, bottom)
                    for part in plan.chunks(rows.shape[1]):
                        np.matmul(kernels[outs], columns[:, part], out=rows[:, part])
                    if bias is not None:
                        rows += bias[outs]

        plan.split(forward_rows)
        ctx.kept_columns = plan.kept
        return out.transpose(3, 0, 1, 2)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, weight = ctx.saved_tensors
        need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
        if isinstance(grad, Tensor):               # create_graph: the composed, recorded form
            return _recorded_grads(ctx, x, weight, grad) + (None,) * 4
        c_out = weight.shape[0]
        plan = _Plan(x, weight, *ctx.geometry[2:])
        plan.kept, ctx.kept_columns = ctx.kept_columns, {}
        grad_rows = grad.transpose(1, 2, 3, 0)                      # (C_out, OH, OW, N)
        if not grad_rows.flags.c_contiguous:
            grad_rows = _copy(grad_rows)
        kernels = weight.reshape(c_out, -1)
        partial_weight_grads: list = []
        partial_bias_grads: list = []
        grad_padded: Any = plan.zeros_like_padded() if need_x else None
        deferred: list = []
        plan.wide = need_x and plan.can_go_wide() and bool(np.isfinite(kernels).all())

        def backward_rows(first: int, stop: int) -> None:
            grad_kernels: Any = np.zeros(kernels.shape, kernels.dtype) if need_weight else None
            grad_bias: Any = np.zeros(c_out, grad_rows.dtype) if need_bias else None
            wide_rows: Any = plan.wide_scratch(c_out, grad_rows.dtype) if plan.wide else None
            for top, bottom in plan.bands(first, stop):
                for outs, ins in plan.groups():
                    band_grad = grad_rows[outs, top:bottom].reshape(outs.stop - outs.start, -1)
                    if need_bias:       # summed here while the band is in cache
                        grad_bias[outs] += band_grad.sum(axis=1)
                    if need_weight:     # (columns @ grad.T).T: OpenBLAS is faster that way
                        # round for this long-inner-dim shape (CNN band: 0.76x the time)
                        columns = plan.columns(ins, top, bottom)
                        for part in plan.chunks(band_grad.shape[1]):
                            grad_kernels[outs] += (columns[:, part] @ band_grad[:, part].T).T
                    if need_x:
                        rows_grad = (plan.widened(wide_rows[outs], grad_rows[outs, top:bottom])
                                     if plan.wide else band_grad)
                        band_columns = kernels[outs].T @ rows_grad
                        if first > 0 and plan.overlaps_first_half(top):
                            deferred.append((ins, top, bottom, band_columns))   # shared rows
                        else:
                            plan.add_columns(grad_padded[ins], band_columns, top, bottom)
            partial_weight_grads.append(grad_kernels)
            partial_bias_grads.append(grad_bias)

        plan.split(backward_rows)
        for ins, top, bottom, band_columns in deferred:     # after the first half is done
            plan.add_columns(grad_padded[ins], band_columns, top, bottom)
        grad_x = plan.unpadded(grad_padded) if need_x else None
        grad_weight = _total(partial_weight_grads)
        if grad_weight is not None:
            grad_weight = grad_weight.reshape(weight.shape)
        return grad_x, grad_weight, _total(partial_bias_grads), None, None, None, None


class _Plan:
    """The geometry of one convolution: the padded batch-last input and its bands of rows."""

    def __init__(self, x: Any, weight: Any, stride: Any, dilation: Any, padding: Any,
                 groups: int) -> None:
        self.x_shape = x.shape
        self.group_count, self.c_out = groups, weight.shape[0]
        n, c, h, w = x.shape
        (kh, kw), (self.sh, self.sw), (self.dh, self.dw) = weight.shape[2:], stride, dilation
        (top, bottom), (left, right) = self.padding = padding
        self.kh, self.kw = kh, kw
        self.oh = window_output_size(h, kh, self.sh, self.dh, padding[0])
        self.ow = window_output_size(w, kw, self.sw, self.dw, padding[1])
        self.out_rows_shape = (self.oh, self.ow, n)
        self.padded = padded_batch_last(x, padding)                # (C, HP, WP, N)
        row_bytes = c // groups * kh * kw * self.ow * n * x.dtype.itemsize
        self.band = max(1, BAND_BYTES // max(row_bytes, 1))
        # One band (a small convolution): its columns are kept from forward for backward,
        # as im2col's output would be; with several bands they are made again in backward,
        # which is cheaper than writing them all to memory and reading them back.
        self.kept: dict | None = {} if self.band >= self.oh else None
        self.work = weight.shape[0] * (c // groups) * kh * kw * self.oh * self.ow * n
        self.thin = weight.shape[0] // groups * (c // groups) * kh * kw <= THIN_KERNELS

    def split(self, work: Any) -> None:
        """work(first, stop) over output rows [0, OH): two halves on two cores if possible."""
        half = self.oh // 2
        if half == 0 or self.work < SPLIT_WORK or not threads.parallel():
            work(0, self.oh)
            return
        self.half = half
        threads.run_both(lambda: work(0, half), lambda: work(half, self.oh))

    def bands(self, first: int, stop: int) -> Any:
        for top in range(first, stop, self.band):
            yield top, min(stop, top + self.band)

    def chunks(self, length: int) -> Any:
        """Slices of a band's `length` columns for its products: all at once, or COLUMN_CHUNK
        at a time when the kernels are thin."""
        step = COLUMN_CHUNK if self.thin else length
        return [slice(start, start + step) for start in range(0, length, step)]

    def groups(self) -> list:
        """(output channels, input channels) of each group, as slices."""
        c_in, c_out, g = self.padded.shape[0], self.c_out, self.group_count
        return [(slice(i * c_out // g, (i + 1) * c_out // g),
                 slice(i * c_in // g, (i + 1) * c_in // g)) for i in range(g)]

    def columns(self, channels: slice, top: int, bottom: int) -> Any:
        """The im2col columns of output rows [top, bottom) over some input channels:
        (C'*KH*KW, rows*OW*N)."""
        if self.kept is not None and (channels.start, top) in self.kept:
            return self.kept[channels.start, top]
        rows_read = slice(top * self.sh, (bottom - 1) * self.sh + self.dh * (self.kh - 1) + 1)
        band = self.padded[channels, rows_read].transpose(3, 0, 1, 2)    # (N, C', rows, WP)
        windows = _windows(band, (self.kh, self.kw), (self.sh, self.sw), (self.dh, self.dw),
                           ((0, 0), (0, 0))).transpose(1, 4, 5, 2, 3, 0)
        columns = np.empty(windows.shape, band.dtype)           # (C', KH, KW, rows, OW, N)
        columns[...] = windows
        columns = columns.reshape(windows.shape[0] * self.kh * self.kw, -1)
        if self.kept is not None:
            self.kept[channels.start, top] = columns
        return columns

    def overlaps_first_half(self, top: int) -> bool:
        """Do the input rows under output row `top` reach those of the first half's rows?"""
        last_of_first = (self.half - 1) * self.sh + self.dh * (self.kh - 1)
        return top * self.sh <= last_of_first

    def zeros_like_padded(self) -> Any:
        grad = buffers.empty(self.padded.shape, self.padded.dtype)
        grad.fill(0)
        return grad

    # Backward's col2im "wide": with stride 1, output position (r, x) of a band reads input
    # pixel (top + r + i*DH, x + j*DW) through tap (i, j), a fixed shift in the flattened
    # (row, column, batch) index if the band's gradient rows are as wide as the padded input
    # (WP columns, zeros past OW). Each tap's add is then one contiguous slice per channel
    # instead of a strided 4-D region: the Keras CNN's conv2 band, 9 taps, 0.98 -> 0.34 ms,
    # for WP/OW more work in the product before it (26/24 there; only when <= 1.5).
    # The zero columns add kernel * 0 = 0 onto pixels, so only for finite kernels.
    wide = False

    def can_go_wide(self) -> bool:
        wp = self.padded.shape[2]
        return self.sh == self.sw == 1 and 2 * wp <= 3 * self.ow

    def wide_scratch(self, c_out: int, dtype: Any) -> Any:
        """Zeros for `band` gradient rows of full padded width: (C_out, band*WP*N)."""
        wp, n = self.padded.shape[2:]
        return np.zeros((c_out, min(self.band, self.oh) * wp * n), dtype)

    def widened(self, wide_rows: Any, band_grad: Any) -> Any:
        """The band's gradient (C', rows, OW, N) written into the first rows of `wide_rows`
        (columns past OW stay zero): (C', rows*WP*N)."""
        c, rows, ow, n = band_grad.shape
        wp = self.padded.shape[2]
        wide_rows = wide_rows[:, :rows * wp * n]
        wide_rows.reshape(c, rows, wp, n)[:, :, :ow] = band_grad
        return wide_rows

    def add_columns(self, grad_padded: Any, band_columns: Any, top: int, bottom: int) -> None:
        """col2im of one band: each tap's slice of the columns added onto the pixels it read."""
        if self.wide:
            self._add_wide_columns(grad_padded, band_columns, top, bottom)
            return
        c, n = grad_padded.shape[0], grad_padded.shape[3]
        taps = band_columns.reshape(c, self.kh, self.kw, bottom - top, self.ow, n)
        rows, cols = bottom - top, self.ow
        for i in range(self.kh):
            first_row = top * self.sh + i * self.dh
            row_slice = slice(first_row, first_row + self.sh * (rows - 1) + 1, self.sh)
            for j in range(self.kw):
                first_col = j * self.dw
                col_slice = slice(first_col, first_col + self.sw * (cols - 1) + 1, self.sw)
                grad_padded[:, row_slice, col_slice, :] += taps[:, i, j]

    def _add_wide_columns(self, grad_padded: Any, band_columns: Any, top: int,
                          bottom: int) -> None:
        c, _, wp, n = grad_padded.shape
        pixels = grad_padded.reshape(c, -1)                 # (C', HP*WP*N), a view
        taps = band_columns.reshape(c, self.kh, self.kw, -1)
        length = ((bottom - top - 1) * wp + self.ow) * n   # up to the band's last real column
        for i in range(self.kh):
            for j in range(self.kw):
                start = ((top + i * self.dh) * wp + j * self.dw) * n
                target = pixels[:, start:start + length]
                np.add(target, taps[:, i, j, :length], out=target)

    def unpadded(self, grad_padded: Any) -> Any:
        (top, bottom), (left, right) = self.padding
        h, w = self.x_shape[2:]
        return grad_padded[:, top:top + h, left:left + w, :].transpose(3, 0, 1, 2)


def _total(partial_sums: list) -> Any:
    """The sum of the halves' partial sums (None where that gradient is not needed)."""
    total = partial_sums[0]
    if total is not None:
        for more in partial_sums[1:]:
            total += more
    return total


def _copy(array: Any) -> Any:
    out = buffers.empty(array.shape, array.dtype)
    out[...] = array
    return out


def _recorded_grads(ctx: Any, x: Any, weight: Any, grad: Any) -> tuple:
    """The three gradients as recorded ops (im2col + matrix products per group), for
    create_graph: the same numbers, differentiable again."""
    from ..functional import cat, matmul, permute, reshape, sum
    shape, kernel, stride, dilation, padding, groups = ctx.geometry
    n, c = shape[:2]
    c_out, oh, ow = grad.shape[1:]
    taps = kernel[0] * kernel[1]
    grad_rows = reshape(permute(grad, (1, 2, 3, 0)), (c_out, oh * ow * n))
    kernels = reshape(weight, (c_out, -1))                 # (C_out, C/G*KH*KW)
    outs = [slice(g * c_out // groups, (g + 1) * c_out // groups) for g in range(groups)]
    ins = [slice(g * c // groups * taps, (g + 1) * c // groups * taps) for g in range(groups)]
    need_x, need_weight, need_bias = ctx.needs_input_grad[:3]
    grad_x = grad_weight = grad_bias = None
    if need_weight:
        columns = Im2Col.apply(x, kernel, stride, dilation, padding)       # (C*KH*KW, L)
        per_group = [matmul(grad_rows[o], permute(columns[i], (1, 0))) for o, i in zip(outs, ins)]
        grad_weight = reshape(per_group[0] if groups == 1 else cat(per_group, 0), weight.shape)
    if need_x:
        per_group = [matmul(permute(kernels[o], (1, 0)), grad_rows[o]) for o in outs]
        band_columns = per_group[0] if groups == 1 else cat(per_group, 0)  # (C*KH*KW, L)
        windows = permute(reshape(band_columns, (c,) + tuple(kernel) + (oh, ow, n)),
                          (5, 0, 3, 4, 1, 2))
        grad_x = WindowSum.apply(windows, *ctx.geometry[:5])
    if need_bias:
        grad_bias = sum(grad_rows, 1)
    return grad_x, grad_weight, grad_bias
