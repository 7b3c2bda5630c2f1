"""Gradient clipping, in place on `p.grad`, between `loss.backward()` and `optimizer.step()`."""
from __future__ import annotations

import math
import numbers
from typing import Iterable

import numpy as np

import minigrad as mg
from minigrad import Tensor


def _parameter_list(parameters: Tensor | Iterable[Tensor], op: str) -> list:
    """A Tensor or an iterable of Tensors -> a list of Tensors (as PyTorch accepts both)."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        parameters = list(parameters)
    except TypeError:
        raise TypeError(f"{op}: parameters must be a Tensor or an iterable of Tensors, got "
                        f"{type(parameters).__name__}; pass model.parameters()") from None
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: parameter {i} is a {type(p).__name__}, not a Tensor")
    return parameters


def _norm_order(norm_type: float | str, op: str) -> float:
    if isinstance(norm_type, str) and norm_type.lower() == "inf":
        return math.inf
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) \
            or not float(norm_type) >= 0:
        raise ValueError(f"{op}: norm_type must be a number >= 0 or 'inf', got {norm_type!r}")
    return float(norm_type)


def _vector_norm(array: np.ndarray, order: float) -> np.ndarray:
    """The p-norm of all entries (inf: largest |x|; 0: number of non-zeros), in array's dtype."""
    magnitudes = np.abs(array)
    if order == math.inf:
        return magnitudes.max(initial=0).astype(array.dtype)
    if order == 0:
        return np.asarray(np.count_nonzero(array), dtype=array.dtype)
    if order == 1:
        return magnitudes.sum(dtype=array.dtype)
    if order == 2:
        return np.sqrt(np.sum(magnitudes * magnitudes, dtype=array.dtype))
    return np.sum(magnitudes ** order, dtype=array.dtype) ** (1.0 / order)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most max_norm.

    The total norm is the norm_type-norm of the per-parameter gradient norms (the same as the
    norm of all gradients concatenated). Every gradient is multiplied by
    min(1, max_norm / (total_norm + 1e-6)), as in PyTorch. Parameters without a gradient are
    ignored. Returns the total norm BEFORE clipping, as a 0-d Tensor (0 when no parameter has a
    gradient). A NaN or infinite total raises RuntimeError when error_if_nonfinite=True.

    Shapes: parameters: any shapes; returns a 0-d tensor.
    """
    op = "clip_grad_norm_"
    parameters = _parameter_list(parameters, op)
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) \
            or math.isnan(max_norm):
        raise ValueError(f"{op}: max_norm must be a number, got {max_norm!r}")
    order = _norm_order(norm_type, op)
    grads = [p.grad.data for p in parameters if p.grad is not None]
    if not grads:
        return mg.tensor(0.0)
    dtype = np.result_type(*grads)
    norms = np.stack([_vector_norm(g, order).astype(dtype) for g in grads])
    total = _vector_norm(norms, order)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"{op}: the total gradient norm (order {order}) is {float(total)}, "
                           "so the gradients cannot be clipped; find where the NaN/inf comes "
                           "from (mg.detect_anomaly()), or pass error_if_nonfinite=False to "
                           "scale by it anyway")
    coefficient = min(float(max_norm) / (float(total) + 1e-6), 1.0)
    with mg.no_grad():
        for p in parameters:
            if p.grad is not None:
                p.grad.data *= np.asarray(coefficient, dtype=p.grad.dtype)
    return mg.tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place (grads that are None
    are skipped).

    Shapes: parameters: any shapes; nothing is returned.
    """
    op = "clip_grad_value_"
    parameters = _parameter_list(parameters, op)
    if isinstance(clip_value, bool) or not isinstance(clip_value, numbers.Real) \
            or math.isnan(clip_value):
        raise ValueError(f"{op}: clip_value must be a number, got {clip_value!r}")
    bound = abs(float(clip_value))
    for p in parameters:
        if p.grad is not None:
            np.clip(p.grad.data, -bound, bound, out=p.grad.data)
