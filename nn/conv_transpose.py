"""Transposed 2-D convolution: `conv_transpose2d` and the `ConvTranspose2D`
[`ConvTranspose2d`] module — the gradient of conv2d with respect to its input, used as a
learnable upsampling layer.

Composed from public ops as conv2d's backward is: one matrix product gives, for every input
pixel, its KH*KW output patches (the "columns"); col2im then adds each kernel offset's
patch values into the output at stride spacing (per output phase, i.e. row mod SH and column
mod SW: shifted copies summed on a grid SH x SW times coarser; the phases then interleave by a
reshape); the border `padding` is cropped. The gradient
therefore comes from autodiff, and the multiply count equals conv2d's.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import init
from .conv import _pair, _tensor, conv_extra_repr
from .module import Module, Parameter
from .shape import pad


def _output_padding(value: Any, stride: tuple, dilation: tuple, op: str) -> tuple:
    pads = _pair(value, "output_padding", op, 0)
    if any(p >= max(s, d) for p, s, d in zip(pads, stride, dilation)):
        raise ValueError(f"{op}: output_padding {pads} must be smaller than stride {stride} or "
                         f"dilation {dilation} (per dim)")
    return pads


def _check_args(x: Tensor, weight: Tensor, bias: Any, groups: int) -> None:
    op = "conv_transpose2d"
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C_in, H, W), got {x.ndim}-D shape "
                         f"{x.shape}; add a batch dim with x.unsqueeze(0)")
    if weight.ndim != 4:
        raise ValueError(f"{op}: weight must have shape (C_in, C_out // groups, KH, KW), got "
                         f"{weight.ndim}-D shape {weight.shape}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if x.shape[1] != weight.shape[0] or x.shape[1] % groups:
        raise ValueError(f"{op}: input has {x.shape[1]} channels but weight {weight.shape} "
                         f"expects {weight.shape[0]} (its dim 0), divisible by groups={groups}; "
                         f"build the layer with in_channels={x.shape[1]}")
    c_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{op}: bias must have shape ({c_out},) (one per output channel of "
                         f"weight {weight.shape}, groups {groups}), got {bias.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{op}: input dtype {x.dtype} differs from {name} dtype "
                            f"{t.dtype}; convert one, e.g. x.to({t.dtype})")


def conv_transpose2d(input: Tensor, weight: Tensor, bias: "Tensor | None" = None,
                     stride: int | tuple[int, int] = 1,
                     padding: Any = 0, output_padding: int | tuple[int, int] = 0, groups: int = 1,
                     dilation: int | tuple[int, int] = 1) -> Tensor:
    """2-D transposed convolution over NCHW input, as PyTorch's `conv_transpose2d`.

    Shapes:
        input:  (N, C_in, H, W)
        weight: (C_in, C_out // groups, KH, KW)  (note: in-channels first, as PyTorch)
        bias:   (C_out,)
        out:    (N, C_out, OH, OW),
                OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding_H + 1 (likewise OW)
    Example: conv_transpose2d(mg.randn(1, 8, 7, 7), mg.randn(8, 4, 2, 2), stride=2).shape
             == (1, 4, 14, 14)
    """
    op = "conv_transpose2d"
    x, weight = _tensor(input, "input", op), _tensor(weight, "weight", op)
    if bias is not None:
        bias = _tensor(bias, "bias", op)
    _check_args(x, weight, bias, groups)
    strides = _pair(stride, "stride", op, 1)
    pads = _pair(padding, "padding", op, 0)
    dilations = _pair(dilation, "dilation", op, 1)
    extra = _output_padding(output_padding, strides, dilations, op)
    n, c_in, h, w = x.shape
    kh, kw = weight.shape[2:]
    out_size = [(size - 1) * s - 2 * p + d * (k - 1) + e + 1 for size, s, p, d, k, e in
                zip((h, w), strides, pads, dilations, (kh, kw), extra)]
    if min(out_size) < 1 or h == 0 or w == 0:
        raise ValueError(f"{op}: the output would be {tuple(out_size)} for input {x.shape}, "
                         f"kernel {(kh, kw)}, stride {strides}, padding {pads}; use less "
                         "padding")
    c_out_group = weight.shape[1]
    c_out = c_out_group * groups
    # columns: (G, C_out/G*KH*KW, C_in/G) @ (G, C_in/G, N*H*W) -> (G, C_out/G*KH*KW, N*H*W)
    rows = x.permute(1, 0, 2, 3).reshape(groups, c_in // groups, n * h * w)
    kernels = weight.reshape(groups, c_in // groups, c_out_group * kh * kw).permute(0, 2, 1)
    columns = (kernels @ rows).reshape(c_out, kh, kw, n, h, w)
    # col2im: offset (i, j) of the patch of input pixel (y, x) lands at
    # (y*SH + i*DH, x*SW + j*DW) of the uncropped output. Split the output rows by phase
    # (row mod SH; columns likewise): within one phase every offset adds a SHIFTED, not
    # spread, copy of its patch on a grid SH (SW) times coarser, and the phases interleave.
    full = [size + 2 * p for size, p in zip(out_size, pads)]
    coarse = [-(-size // s) for size, s in zip(full, strides)]        # ceil(full / stride)
    phases = []
    for row_phase in range(strides[0]):
        for column_phase in range(strides[1]):
            phases.append(_phase(columns, row_phase, column_phase, strides, dilations, coarse))
    # (SH*SW, C_out, N, HC, WC) -> (C_out, N, HC, SH, WC, SW) -> (C_out, N, HC*SH, WC*SW)
    grid = mg.stack(phases).reshape(strides[0], strides[1], c_out, n, coarse[0], coarse[1])
    out = grid.permute(2, 3, 4, 0, 5, 1).reshape(c_out, n, coarse[0] * strides[0],
                                                  coarse[1] * strides[1])
    out = out[:, :, pads[0]:pads[0] + out_size[0], pads[1]:pads[1] + out_size[1]]
    if bias is not None:
        out = out + bias.reshape(c_out, 1, 1, 1)
    return out.permute(1, 0, 2, 3)                        # (C_out, N, OH, OW) -> (N, C_out, ..)


def _phase(columns: Tensor, row_phase: int, column_phase: int, strides: tuple,
           dilations: tuple, coarse: list) -> Tensor:
    """The output pixels at rows = row_phase (mod SH), columns = column_phase (mod SW): the
    sum of the patches of the offsets (i, j) with i*DH = row_phase (mod SH) (j likewise),
    each shifted by (i*DH // SH, j*DW // SW) on the coarse grid.

    Shapes: columns (C_out, KH, KW, N, H, W) -> (C_out, N, HC, WC).
    """
    c_out, kh, kw, n, h, w = columns.shape
    total = None
    for i in range(kh):
        if i * dilations[0] % strides[0] != row_phase:
            continue
        for j in range(kw):
            if j * dilations[1] % strides[1] != column_phase:
                continue
            top, left = i * dilations[0] // strides[0], j * dilations[1] // strides[1]
            placed = pad(columns[:, i, j], (left, coarse[1] - left - w,
                                            top, coarse[0] - top - h))
            total = placed if total is None else total + placed
    if total is None:                                     # no offset lands on this phase
        total = mg.zeros(c_out, n, coarse[0], coarse[1], dtype=columns.dtype)
    return total


class ConvTranspose2D(Module):
    """Transposed convolution layer (PyTorch alias `ConvTranspose2d`); see conv_transpose2d.

    Shapes:
        input:  (N, in_channels, H, W)
        weight: (in_channels, out_channels // groups, KH, KW), Glorot uniform
        bias:   (out_channels,), zeros (None when bias=False)
        output: (N, out_channels, OH, OW),
                OH = (H - 1)*SH - 2*PH + DH*(KH - 1) + output_padding_H + 1
    forward(x, output_size=(OH, OW)) picks output_padding to reach that size (as PyTorch).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: Any = 0,
                 output_padding: int | tuple[int, int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int, int] = 1,
                 padding_mode: str = "zeros") -> None:
        super().__init__()
        name = "ConvTranspose2D"
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels),
                           ("groups", groups)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: groups={groups} must divide in_channels ({in_channels}) "
                             f"and out_channels ({out_channels})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", name, 1)
        self.stride = _pair(stride, "stride", name, 1)
        self.padding = _pair(padding, "padding", name, 0)
        self.dilation = _pair(dilation, "dilation", name, 1)
        self.output_padding = _output_padding(output_padding, self.stride, self.dilation, name)
        kh, kw = self.kernel_size
        self.weight = Parameter(np.zeros((in_channels, out_channels // groups, kh, kw),
                                         np.float32))
        init.glorot_uniform_(self.weight)
        if bias:
            self.bias = Parameter(np.zeros(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        extra = self.output_padding
        if output_size is not None:
            extra = self._padding_for(x, output_size)
        return conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, extra,
                                self.groups, self.dilation)

    def _padding_for(self, x: Tensor, output_size: Sequence[int] | None) -> tuple:
        """The output_padding that makes the output (OH, OW) = output_size[-2:]."""
        name = "ConvTranspose2D"
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError(f"{name}: expected input of shape (N, C, H, W), got "
                             f"{getattr(x, 'shape', type(x).__name__)}")
        if not isinstance(output_size, (tuple, list)) or len(output_size) < 2 or any(
                isinstance(s, bool) or not isinstance(s, (int, np.integer))
                for s in output_size[-2:]):
            raise ValueError(f"{name}: output_size must end with (OH, OW) ints, got "
                             f"{output_size!r}")
        extra = []
        for axis, target in enumerate(output_size[-2:]):
            smallest = ((x.shape[2 + axis] - 1) * self.stride[axis] - 2 * self.padding[axis] +
                        self.dilation[axis] * (self.kernel_size[axis] - 1) + 1)
            reach = max(self.stride[axis], self.dilation[axis]) - 1
            if not smallest <= target <= smallest + reach:
                raise ValueError(f"{name}: output_size {tuple(output_size)} is not reachable "
                                 f"from input {x.shape}: dim {2 + axis} can be "
                                 f"{smallest}..{smallest + reach}")
            extra.append(int(target - smallest))
        return tuple(extra)

    def extra_repr(self) -> str:
        return conv_extra_repr(self)


ConvTranspose2d = ConvTranspose2D
