"""`summary(model, input_shape)`: a Keras-style table of layers, output shapes and parameter
counts, optionally with the formula behind each count.

    >>> print(nn.summary(nn.Sequential(nn.Dense(100, 32)), (100,), explain=True))
    Model: "Sequential"
    ...
     0 (Dense)      (None, 32)      3,232     100*32 + 32 = 3,232
    ...
    Total params: 3,232
"""
from __future__ import annotations

from typing import Any, Sequence

import minigrad as mg
from minigrad import Tensor

from .module import Module


def _count(n: int) -> str:
    return f"{n:,}"


def _direct_parameters(module: Module) -> list:
    return [p for p in module._parameters.values() if p is not None]


def _has_bias(module: Module) -> bool:
    return module._parameters.get("bias") is not None


def _formula(module: Module) -> str:
    """How the module's own parameter count is computed, e.g. `3*3*1*32 + 32 = 320`."""
    params = _direct_parameters(module)
    total = sum(p.numel() for p in params)
    if not params:
        return ""
    attrs = module.__dict__
    weight = module._parameters.get("weight")
    if weight is not None and all(k in attrs for k in ("in_channels", "out_channels",
                                                       "kernel_size", "groups")):
        kernel = attrs["kernel_size"]
        kh, kw = kernel if isinstance(kernel, (tuple, list)) else (kernel, kernel)
        per_group = attrs["in_channels"] // attrs["groups"]
        terms = [f"{kh}*{kw}*{per_group}*{attrs['out_channels']}"]   # Keras order: KH*KW*in*out
    elif weight is not None and all(k in attrs for k in ("in_features", "out_features")):
        terms = [f"{attrs['in_features']}*{attrs['out_features']}"]
    else:
        terms = ["*".join(map(str, p.shape)) if p.ndim else "1" for p in params]
        return " + ".join(terms) + f" = {_count(total)}"
    if _has_bias(module):
        terms.append(str(module._parameters["bias"].numel()))
    others = [p for name, p in module._parameters.items()
              if p is not None and name not in ("weight", "bias")]
    terms += ["*".join(map(str, p.shape)) if p.ndim else "1" for p in others]
    return " + ".join(terms) + f" = {_count(total)}"


def _shape_text(output: Any) -> str:
    """(None, 32, 26, 26): the output shape with the batch dim shown as None."""
    if isinstance(output, Tensor):
        dims = ("None",) + tuple(str(n) for n in output.shape[1:]) if output.ndim else ()
        return "(" + ", ".join(dims) + ("," if len(dims) == 1 else "") + ")"
    if isinstance(output, (tuple, list)):
        return "[" + ", ".join(_shape_text(o) for o in output) + "]"
    return "?"


def _input_shape(input_shape: Sequence[int]) -> tuple:
    shape = (input_shape,) if isinstance(input_shape, int) else input_shape
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n > 0 for n in shape):
        raise ValueError(f"summary: input_shape must be a tuple of positive ints without the "
                         f"batch dim, e.g. (1, 28, 28), got {input_shape!r}")
    return tuple(shape)


def _trace(model: Module, shape: tuple) -> list:
    """Run one forward pass on zeros of shape (1, *shape) in eval mode under no_grad; return
    [name, module, output] for each leaf module (and each module with parameters of its own)
    in call order."""
    rows = []
    wrapped = []

    def wrap(name: str, module: Module) -> None:
        original = module.forward

        def forward(*args: Any, **kwargs: Any) -> Any:
            row = [name, module, None]
            rows.append(row)                      # reserve the slot: rows in call order
            row[2] = original(*args, **kwargs)
            return row[2]

        had_own = "forward" in module.__dict__
        wrapped.append((module, had_own, module.__dict__.get("forward")))
        object.__setattr__(module, "forward", forward)

    modes = [(module, module.training) for module in model.modules()]
    try:
        for name, module in model.named_modules():
            if not module._modules or _direct_parameters(module):
                wrap(name, module)
        model.eval()
        with mg.no_grad():
            model(mg.zeros((1,) + shape))
    finally:
        for module, had_own, previous in wrapped:
            if had_own:
                object.__setattr__(module, "forward", previous)
            else:
                del module.__dict__["forward"]
        for module, training in modes:
            object.__setattr__(module, "training", training)
    return rows


def summary(model: Module, input_shape: Sequence[int], explain: bool = False) -> str:
    """A Keras-style table: layer (name and type), output shape, parameter count.

    One forward pass on a zero batch of one sample (eval mode, no_grad) finds the output
    shapes; the batch dim is shown as None. A module called twice gets two rows, its
    parameters are counted on the first. Totals come from `model.parameters()`: trainable =
    requires_grad. Buffers (e.g. batch-norm running statistics) are not parameters and are
    not counted. `explain=True` adds a column with each count's formula, e.g.
    `3*3*1*32 + 32 = 320` for Conv2D(1, 32, 3) (KH*KW*in*out + biases) and
    `9216*128 + 128 = 1,179,776` for Dense(9216, 128) (in*out + biases).

    Shapes: input_shape excludes the batch dim, e.g. (1, 28, 28) for MNIST.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an nn.Module, got {type(model).__name__}")
    shape = _input_shape(input_shape)
    counted = set()
    table = []
    for name, module, output in _trace(model, shape):
        own = 0 if id(module) in counted else sum(p.numel() for p in _direct_parameters(module))
        formula = "" if id(module) in counted else _formula(module)
        counted.add(id(module))
        kind = type(module).__name__
        table.append([f"{name} ({kind})" if name else kind, _shape_text(output), _count(own),
                      formula])
    header = ["Layer (type)", "Output Shape", "Param #", "Param # formula"]
    columns = 4 if explain else 3
    widths = [max(len(row[i]) for row in table + [header]) + 4 for i in range(columns)]

    def line(cells: Sequence[str]) -> str:
        return (" " + "".join(c.ljust(w) for c, w in zip(cells[:columns], widths))).rstrip()

    width = sum(widths) + 1
    params = list(model.parameters())
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    out = [f'Model: "{type(model).__name__}"', "_" * width, line(header), "=" * width]
    out += [line(row) for row in table]
    out += ["=" * width, f"Total params: {_count(total)}",
            f"Trainable params: {_count(trainable)}",
            f"Non-trainable params: {_count(total - trainable)}", "_" * width]
    return "\n".join(out)
