"""2-D convolution: `conv2d` and the `Conv2D` module — the whole conv story in one file.

`conv2d` is minigrad's `mg.conv2d` (after turning "same"/"valid" into numbers). Its numbers
are those of `mg.im2col` (every window of the input as a column of one matrix) times the
kernel matrix plus the bias: one matrix product for the whole batch, so the kernel's gradient
is the sum over every position it was applied at (weight sharing) and the input's gradient is
col2im (tests check `mg.conv2d` against that composition and against PyTorch). `mg.conv2d`
computes them one band of output rows at a time, so the column matrix never leaves the CPU's
cache, and splits the bands over two cores.
"""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import init
from .module import Module, Parameter


def _pair(value: Any, name: str, op: str, minimum: int) -> tuple:
    """int or pair of ints -> pair of ints >= minimum, with a clear error otherwise."""
    if type(value) is int and value >= minimum:
        return value, value
    if type(value) is tuple and len(value) == 2 and type(value[0]) is type(value[1]) is int \
            and value[0] >= minimum and value[1] >= minimum:
        return value                  # already a checked pair (a layer's own): the hot path
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                             for v in pair):
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in pair):
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_padding(padding: Any, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """padding (int, pair, "valid" or "same") -> ((top, bottom), (left, right)).

    "same" keeps H and W for stride 1: each axis gets dilation*(k-1) zeros in all, the odd
    one at the bottom/right as in PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0), (0, 0))
        if padding != "same":
            raise ValueError(f"{op}: padding must be an int, a pair, 'valid' or 'same', got "
                             f"{padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{op}: padding='same' is not supported for stride {stride} "
                             "(the output size would depend on rounding); use stride=1 or "
                             "an explicit padding")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in totals)
    ph, pw = _pair(padding, "padding", op, 0)
    return ((ph, ph), (pw, pw))


def _tensor(x: Tensor, name: str, op: str) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}; wrap it with "
                        "mg.tensor(...)")
    return x


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None,
           stride: int | tuple[int, int] = 1, padding: Any = 0,
           dilation: int | tuple[int, int] = 1, groups: int = 1) -> Tensor:
    """2-D cross-correlation over NCHW input, as PyTorch's `conv2d`.

    Shapes:
        x:      (N, C_in, H, W)
        weight: (C_out, C_in // groups, KH, KW)
        bias:   (C_out,)
        out:    (N, C_out, OH, OW), OH = (H + top + bottom - DH*(KH - 1) - 1) // SH + 1
                (likewise OW)
    `stride`, `dilation`: an int or a pair. `padding`: an int, a pair, "valid" (no padding)
    or "same" (output as big as the input; stride 1 only; the odd zero goes bottom/right).
    `groups` splits the channels into independent convolutions.
    Example: conv2d(mg.randn(8, 1, 28, 28), mg.randn(32, 1, 3, 3)).shape == (8, 32, 26, 26)
    """
    x, weight = _tensor(x, "input", "conv2d"), _tensor(weight, "weight", "conv2d")
    if bias is not None:
        bias = _tensor(bias, "bias", "conv2d")
    if isinstance(padding, str) and weight.ndim == 4:      # "same" / "valid" -> numbers
        strides = _pair(stride, "stride", "conv2d", 1)
        dilations = _pair(dilation, "dilation", "conv2d", 1)
        padding = conv_padding(padding, weight.shape[2:], strides, dilations, "conv2d")
    return mg.conv2d(x, weight, bias, stride, padding, dilation, groups)


class Conv2D(Module):
    """2-D convolution layer (PyTorch alias `Conv2d`).

    Shapes:
        input:  (N, in_channels, H, W)
        weight: (out_channels, in_channels // groups, KH, KW), Glorot uniform
        bias:   (out_channels,), zeros (None when bias=False)
        output: (N, out_channels, OH, OW), OH = (H + 2*PH - DH*(KH - 1) - 1) // SH + 1
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int, int],
                 stride: int | tuple[int, int] = 1, padding: Any = 0,
                 dilation: int | tuple[int, int] = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels),
                            ("groups", groups)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Conv2D: {name} must be a positive int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"Conv2D: groups={groups} must divide in_channels ({in_channels}) "
                             f"and out_channels ({out_channels})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2D", 1)
        self.stride = _pair(stride, "stride", "Conv2D", 1)
        self.dilation = _pair(dilation, "dilation", "Conv2D", 1)
        conv_padding(padding, self.kernel_size, self.stride, self.dilation, "Conv2D")
        self.padding = padding if isinstance(padding, str) else _pair(padding, "padding",
                                                                        "Conv2D", 0)
        kh, kw = self.kernel_size
        # Glorot uniform with fans from the weight's shape: fan_in = in_channels*KH*KW,
        # fan_out = out_channels*KH*KW (per group when groups > 1, as Keras and PyTorch).
        self.weight = Parameter(np.zeros((out_channels, in_channels // groups, kh, kw),
                                         np.float32))
        init.glorot_uniform_(self.weight)
        if bias:
            self.bias = Parameter(np.zeros(out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        return conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                      self.groups)

    def extra_repr(self) -> str:
        return conv_extra_repr(self)


def conv_extra_repr(layer: Any) -> str:
    """Conv2D's and ConvTranspose2D's repr line: the sizes, then each setting that differs
    from its default, in PyTorch's order."""
    text = (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
            f"stride={layer.stride}")
    for name, default in (("padding", (0, 0)), ("output_padding", (0, 0)),
                          ("dilation", (1, 1)), ("groups", 1)):
        setting = getattr(layer, name, default)
        if setting != default:
            text += f", {name}={setting!r}"
    if layer.bias is None:
        text += ", bias=False"
    return text


Conv2d = Conv2D
