"""Losses, as PyTorch's functions and modules (same signatures, defaults and reductions).

Classification: `cross_entropy` (= `nll_loss` of `log_softmax`, with class weights,
ignore_index, label smoothing and probability targets), `nll_loss`,
`binary_cross_entropy`, `binary_cross_entropy_with_logits`.
Regression: `mse_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss`. Distributions: `kl_div`.
Modules: `CrossEntropyLoss`, `NLLLoss`, `BCELoss`, `BCEWithLogitsLoss`, `MSELoss`, `L1Loss`,
`SmoothL1Loss`, `HuberLoss`, `KLDivLoss`.

Every loss is a composite of minigrad ops, so its gradient comes from autodiff.
`size_average` and `reduce` are PyTorch's deprecated spellings of `reduction`; they are
accepted (as bools) and mapped the same way, with PyTorch's warning.
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor
from minigrad.tensor import TensorLike

from ._checks import finite_number, integer
from .activation import stable_softplus
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: Any, op: str, allowed: tuple[str, ...] = REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"{op}: reduction must be one of {allowed}, got {reduction!r}")
    return reduction


def _legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str, op: str,
                      allowed: tuple[str, ...] = REDUCTIONS) -> str:
    """PyTorch's mapping of the deprecated size_average/reduce flags onto `reduction`."""
    for name, value in (("size_average", size_average), ("reduce", reduce)):
        if value is not None and not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{op}: {name} must be a bool or None, got {value!r} (it is "
                            f"deprecated; pass reduction={value!r} by keyword instead)")
    if size_average is None and reduce is None:
        return _check_reduction(reduction, op, allowed)
    warnings.warn(f"{op}: size_average and reduce are deprecated, use reduction= instead",
                  UserWarning, stacklevel=3)
    if reduce is not None and not reduce:
        return "none"
    return "sum" if size_average is not None and not size_average else "mean"


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.mean()
    return losses


# --- classification with class indices ---------------------------------------------------------
def _check_scores(scores: Any, op: str) -> Tensor:
    if not isinstance(scores, Tensor):
        raise TypeError(f"{op}: input must be a Tensor of shape (N, C), got "
                        f"{type(scores).__name__}")
    if scores.ndim == 0:
        raise ValueError(f"{op}: input must have shape (N, C) (or (C,) or (N, C, *d)), got a "
                         "0-d tensor")
    if scores.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point scores, got dtype {scores.dtype}; "
                        "convert it with x.float()")
    return scores


def _class_targets(scores: Tensor, target: TensorLike, op: str,
                   ignore_index: int = -100) -> np.ndarray:
    """Validate (scores, target) and return the targets as an int64 array of shape (N, *d)."""
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}; "
                        "convert it with target.long() (or, for cross_entropy, give class "
                        "probabilities of the input's shape and float dtype)")
    expected = () if scores.ndim == 1 else (scores.shape[0],) + scores.shape[2:]
    if labels.shape != expected:
        raise ValueError(f"{op}: target of shape {labels.shape} does not match input of shape "
                         f"{scores.shape}; expected target shape {expected} (one class index per "
                         "sample, not one-hot)")
    classes = scores.shape[0] if scores.ndim == 1 else scores.shape[1]
    bad = ((labels < 0) | (labels >= classes)) & (labels != ignore_index)
    if bad.any():
        value = labels[bad].flat[0]
        raise IndexError(f"{op}: target {value} is out of range for {classes} classes (input "
                         f"shape {scores.shape}); class indices must be in [0, {classes - 1}] "
                         f"(or ignore_index={ignore_index})")
    return labels.astype(np.int64, copy=False)


def _check_class_weight(weight: Any, classes: int, op: str) -> Tensor | None:
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: weight must be a Tensor of shape ({classes},) or None, got "
                        f"{type(weight).__name__}")
    if weight.shape != (classes,):
        raise ValueError(f"{op}: weight has shape {weight.shape} but the input has {classes} "
                         f"classes; give one weight per class, shape ({classes},)")
    return weight


def _as_rows(scores: Tensor) -> Tensor:
    """Classes last, one row per sample. (C,) -> (1, C); (N, C, *d) -> (N*prod(d), C)."""
    if scores.ndim == 1:
        return scores.reshape(1, -1)
    if scores.ndim > 2:
        order = (0,) + tuple(range(2, scores.ndim)) + (1,)
        scores = scores.permute(order)
    return scores.reshape(-1, scores.shape[-1])


class NllLoss(mg.Function):
    """-sum_n log_probs[n, t_n] / divisor: the usual classifier loss after log_softmax, as one op
    (the graph node PyTorch also calls NllLoss; the layer is `NLLLoss`) instead of four (pick,
    negate, sum, divide). Its gradient puts -grad / divisor at each sample's target class.

    Shapes: log_probs (M, C), labels (M,) int64 in [0, C), divisor M ("mean") or 1 ("sum")
    -> loss ().
    """

    @staticmethod
    def forward(ctx: Any, log_probs: Any, labels: Any, divisor: int) -> Any:
        ctx.targets_over_divisor = (labels, divisor, log_probs.shape, log_probs.dtype)
        picked = log_probs[np.arange(labels.size), labels]
        return np.asarray(np.negative(picked).sum() / divisor, log_probs.dtype)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        labels, divisor, shape, dtype = ctx.targets_over_divisor
        weights = np.zeros(shape, dtype)                   # -1/divisor at each target class
        weights[np.arange(labels.size), labels] = -1.0 / divisor
        return grad * weights, None, None                  # an operator: twice differentiable


def _nll(log_probs: Tensor, labels: np.ndarray, weight: Any, ignore_index: int, reduction: str,
         op: str) -> Tensor:
    """-weight[t] * log_probs[n, t] per sample, 0 where t == ignore_index; "mean" divides by
    the summed weights of the samples that count (PyTorch's weighted mean)."""
    rows = log_probs if log_probs.ndim == 2 else _as_rows(log_probs)     # (M, C)
    flat = labels.reshape(-1)                             # (M,)
    counted = flat != ignore_index
    if weight is None and counted.all():                   # every sample counting once
        if reduction != "none" and flat.size and type(rows.data) is np.ndarray:
            return NllLoss.apply(rows, flat, flat.size if reduction == "mean" else 1)
        losses = -rows[np.arange(flat.size), flat]        # (M,)
        total: Any = flat.size
    else:
        safe = np.where(counted, flat, 0)
        sample_weight = (weight[safe] if weight is not None else
                         Tensor(np.ones(flat.size, rows.dtype)))
        sample_weight = sample_weight * Tensor(counted.astype(rows.dtype))
        losses = -(rows[np.arange(flat.size), safe] * sample_weight)
        total = sample_weight.sum()
    if reduction == "none":
        return losses.reshape(labels.shape)
    if reduction == "sum":
        return losses.sum()
    if flat.size == 0:
        raise ValueError(f"{op}: cannot average over an empty batch (target shape "
                         f"{labels.shape}); use reduction='sum' or 'none'")
    return losses.sum() / total


def nll_loss(input: Tensor, target: TensorLike, weight: "Tensor | None" = None,
             size_average: bool | None = None,
             ignore_index: int = -100, reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -weight[t] * input[n, t] for t = target[n], averaged (by the
    summed weights) or summed over n. Targets equal to ignore_index count for nothing.

    Shapes:
        input:  (N, C) log-probabilities (or (C,), or (N, C, *d))
        target: (N,) int class indices in [0, C) (or (), or (N, *d)); Tensor or array
        weight: (C,) or None
        out:    () for "mean"/"sum", target's shape for "none"
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "nll_loss")
    input = _check_scores(input, "nll_loss")
    ignore_index = integer(ignore_index, "ignore_index", "nll_loss")
    labels = _class_targets(input, target, "nll_loss", ignore_index)
    classes = input.shape[0] if input.ndim == 1 else input.shape[1]
    weight = _check_class_weight(weight, classes, "nll_loss")
    return _nll(input, labels, weight, ignore_index, reduction, "nll_loss")


def cross_entropy(input: Tensor, target: TensorLike, weight: "Tensor | None" = None,
                  size_average: bool | None = None,
                  ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy from raw scores: nll_loss(log_softmax(input, dim=1), target).

    Computed through log_softmax (the max logit is subtracted before exp), so it stays finite
    for logits of any magnitude, e.g. 1e4. A target outside [0, C) (other than ignore_index)
    raises IndexError. `target` may also be class probabilities (float, input's shape).
    label_smoothing=e mixes the target with the uniform distribution: (1 - e) * target + e / C.

    Shapes:
        input:  (N, C) logits (or (C,), or (N, C, *d))
        target: (N,) int class indices (or (), or (N, *d)), or probabilities of input's shape
        weight: (C,) or None
        out:    () for "mean"/"sum", (N,) (or (N, *d)) for "none"
    """
    op = "cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, op)
    input = _check_scores(input, op)
    ignore_index = integer(ignore_index, "ignore_index", op)
    smoothing = finite_number(label_smoothing, "label_smoothing", op)
    if not 0.0 <= smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    weight = _check_class_weight(weight, classes, op)
    weight_shape = (classes,) + (1,) * (input.ndim - class_dim - 1)   # broadcast over *d
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind == "f":
        return _cross_entropy_probabilities(input, target, weight, weight_shape, reduction,
                                            smoothing)
    labels = _class_targets(input, target, op, ignore_index)
    log_probs = mg.log_softmax(input, class_dim)
    nll = _nll(log_probs, labels, weight, ignore_index, reduction, op)
    if smoothing == 0.0:
        return nll
    # the uniform part: -sum_c weight[c] * log_probs[c] per sample, ignored samples 0
    weighted = log_probs if weight is None else log_probs * weight.reshape(weight_shape)
    counted = labels != ignore_index
    smooth = -weighted.sum(class_dim) * Tensor(counted.astype(input.dtype))
    if reduction == "sum":
        smooth = smooth.sum()
    elif reduction == "mean":
        safe = np.where(counted, labels, 0)
        total = (weight[safe.reshape(-1)] * Tensor(counted.reshape(-1).astype(input.dtype))).sum() \
            if weight is not None else float(counted.sum())
        smooth = smooth.sum() / total
    return nll * (1.0 - smoothing) + smooth * (smoothing / classes)


def _cross_entropy_probabilities(input: Tensor, target: TensorLike, weight: Any,
                                 weight_shape: tuple[int,
                                 ...], reduction: str, smoothing: float) -> Tensor:
    """cross_entropy with class probabilities as target (no ignore_index, as PyTorch)."""
    op = "cross_entropy"
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target, input.dtype))
    if target.shape != input.shape:
        raise ValueError(f"{op}: a probability target (float dtype) must have the input's shape "
                         f"{input.shape}, got {target.shape}; for class indices use an integer "
                         "target of shape (N,)")
    class_dim = 0 if input.ndim == 1 else 1
    classes = input.shape[class_dim]
    if smoothing:
        target = target * (1.0 - smoothing) + smoothing / classes
    log_probs = mg.log_softmax(input, class_dim)
    terms = log_probs * target
    if weight is not None:
        terms = terms * weight.reshape(weight_shape)
    losses = -terms.sum(class_dim)
    if reduction == "mean" and losses.numel() == 0:
        raise ValueError(f"{op}: cannot average over an empty batch (input shape "
                         f"{input.shape}); use reduction='sum' or 'none'")
    return _reduce(losses, reduction)


# --- elementwise losses -------------------------------------------------------------------------
def _pair(input: Tensor, target: TensorLike, op: str) -> tuple[Tensor, Tensor]:
    """(input, target) as Tensors of the same shape and floating dtype."""
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.dtype.kind != "f":
        raise TypeError(f"{op}: input must be floating point, got dtype {input.dtype}; convert "
                        "it with x.float()")
    if not isinstance(target, Tensor):
        try:
            target = Tensor(np.asarray(target, input.dtype))
        except (TypeError, ValueError):
            raise TypeError(f"{op}: target must be a Tensor or an array of numbers, got "
                            f"{type(target).__name__}") from None
    if target.shape != input.shape:
        raise ValueError(f"{op}: input of shape {input.shape} and target of shape "
                         f"{target.shape} differ; they must match (reshape one of them, e.g. "
                         "target.reshape(input.shape))")
    if target.dtype != input.dtype:
        target = target.to(input.dtype)
    return input, target


def _reduce_elementwise(losses: Tensor, reduction: str, op: str) -> Tensor:
    if reduction == "mean" and losses.numel() == 0:
        raise ValueError(f"{op}: cannot average over an empty input; use reduction='sum'")
    return _reduce(losses, reduction)


def mse_loss(input: Tensor, target: TensorLike, size_average: bool | None = None,
             reduce: bool | None = None,
             reduction: str = "mean") -> Tensor:
    """Mean squared error: (input - target)^2, averaged (or summed) over every element.

    Shapes: input (*), target (*) the same shape -> () ("mean"/"sum") or (*) ("none").
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "mse_loss")
    input, target = _pair(input, target, "mse_loss")
    diff = input - target
    return _reduce_elementwise(diff * diff, reduction, "mse_loss")


def l1_loss(input: Tensor, target: TensorLike, size_average: bool | None = None,
            reduce: bool | None = None,
            reduction: str = "mean") -> Tensor:
    """Mean absolute error: |input - target|, averaged (or summed) over every element.

    Shapes: input (*), target (*) the same shape -> () ("mean"/"sum") or (*) ("none").
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "l1_loss")
    input, target = _pair(input, target, "l1_loss")
    return _reduce_elementwise(mg.abs(input - target), reduction, "l1_loss")


def _quadratic_then_linear(diff: Tensor, threshold: float, quadratic_scale: float,
                           linear_scale: float) -> Tensor:
    """quadratic_scale * d^2 where |d| < threshold, else linear_scale * (|d| - threshold/2)."""
    size = mg.abs(diff)
    inside = size.data < threshold
    return mg.where(inside, diff * diff * quadratic_scale,
                    (size - 0.5 * threshold) * linear_scale)


def smooth_l1_loss(input: Tensor, target: TensorLike, size_average: bool | None = None,
                   reduce: bool | None = None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 * d^2 / beta where |d| < beta, else |d| - 0.5 * beta (d = input - target);
    beta = 0 is l1_loss.

    Shapes: input (*), target (*) the same shape -> () ("mean"/"sum") or (*) ("none").
    """
    reduction = _legacy_reduction(size_average, reduce, reduction, "smooth_l1_loss")
    beta = finite_number(beta, "beta", "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    input, target = _pair(input, target, "smooth_l1_loss")
    diff = input - target
    if beta == 0:
        return _reduce_elementwise(mg.abs(diff), reduction, "smooth_l1_loss")
    losses = _quadratic_then_linear(diff, beta, 0.5 / beta, 1.0)
    return _reduce_elementwise(losses, reduction, "smooth_l1_loss")


def huber_loss(input: Tensor, target: TensorLike, reduction: str = "mean",
               delta: float = 1.0) -> Tensor:
    """0.5 * d^2 where |d| < delta, else delta * (|d| - 0.5 * delta) (d = input - target);
    smooth_l1_loss with beta = delta, times delta.

    Shapes: input (*), target (*) the same shape -> () ("mean"/"sum") or (*) ("none").
    """
    reduction = _check_reduction(reduction, "huber_loss")
    delta = finite_number(delta, "delta", "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    losses = _quadratic_then_linear(input - target, delta, 0.5, delta)
    return _reduce_elementwise(losses, reduction, "huber_loss")


def _elementwise_weight(weight: Any, shape: tuple[int, ...], name: str, op: str) -> Tensor | None:
    if weight is None:
        return None
    if not isinstance(weight, Tensor):
        raise TypeError(f"{op}: {name} must be a Tensor or None, got {type(weight).__name__}")
    try:
        np.broadcast_shapes(weight.shape, shape)
    except ValueError:
        raise ValueError(f"{op}: {name} of shape {weight.shape} does not broadcast to the "
                         f"input's shape {shape}") from None
    return weight


def binary_cross_entropy(input: Tensor, target: TensorLike, weight: "Tensor | None" = None,
                         size_average: bool | None = None, reduce: bool | None = None,
                         reduction: str = "mean") -> Tensor:
    """-weight * (target * log(input) + (1 - target) * log(1 - input)), input in [0, 1].

    Each log is clamped at -100, as PyTorch, so input 0 or 1 gives a finite loss; there the
    gradient is 0 through the clamped log (PyTorch: about -1e12 / +1e12). For logits use
    binary_cross_entropy_with_logits (stable, and faster).

    Shapes: input (*), target (*) the same shape, weight broadcastable to (*) ->
    () ("mean"/"sum") or (*) ("none").
    """
    op = "binary_cross_entropy"
    reduction = _legacy_reduction(size_average, reduce, reduction, op)
    input, target = _pair(input, target, op)
    weight = _elementwise_weight(weight, input.shape, "weight", op)
    values = input.data
    if ((values < 0) | (values > 1)).any():
        bad = values[(values < 0) | (values > 1)].flat[0]
        raise ValueError(f"{op}: input values must be probabilities in [0, 1], got {bad}; "
                         "apply sigmoid first, or use binary_cross_entropy_with_logits")
    losses = -(target * _clamped_log(input) + (1.0 - target) * _clamped_log(1.0 - input))
    if weight is not None:
        losses = losses * weight
    return _reduce_elementwise(losses, reduction, op)


def _clamped_log(p: Tensor) -> Tensor:
    """max(log(p), -100), with p = 0 giving -100 (and a zero gradient) instead of -inf."""
    positive = p.data > 0
    return mg.where(positive, mg.clamp(mg.log(mg.where(positive, p, 1.0)), min=-100.0), -100.0)


def binary_cross_entropy_with_logits(input: Tensor, target: TensorLike,
                                     weight: "Tensor | None" = None,
                                     size_average: bool | None = None, reduce: bool | None = None,
                                     reduction: str = "mean",
                                     pos_weight: "Tensor | None" = None) -> Tensor:
    """binary_cross_entropy(sigmoid(input), target) computed stably from the logits:
    (1 - target) * x + (1 + (pos_weight - 1) * target) * softplus(-x), x = input.

    `pos_weight` weighs the positive term (one value per class, broadcast along the last dim).

    Shapes: input (*), target (*) the same shape, weight and pos_weight broadcastable to
    (*) -> () ("mean"/"sum") or (*) ("none").
    """
    op = "binary_cross_entropy_with_logits"
    reduction = _legacy_reduction(size_average, reduce, reduction, op)
    input, target = _pair(input, target, op)
    weight = _elementwise_weight(weight, input.shape, "weight", op)
    pos_weight = _elementwise_weight(pos_weight, input.shape, "pos_weight", op)
    softplus_neg = stable_softplus(-input)                # -log(sigmoid(x))
    if pos_weight is None:
        losses = (1.0 - target) * input + softplus_neg
    else:
        losses = (1.0 - target) * input + (target * (pos_weight - 1.0) + 1.0) * softplus_neg
    if weight is not None:
        losses = losses * weight
    return _reduce_elementwise(losses, reduction, op)


KL_REDUCTIONS = ("mean", "batchmean", "sum", "none")


def kl_div(input: Tensor, target: TensorLike, size_average: bool | None = None,
           reduce: bool | None = None, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence KL(target || exp(input)) pointwise:
    target * (log(target) - input), 0 where target == 0; with log_target=True the target is
    given as log-probabilities: exp(target) * (target - input).

    `input` holds log-probabilities. reduction="batchmean" (sum / N) is the true KL divergence
    per sample; "mean" averages over every element, as PyTorch.

    Shapes: input (N, *), target (N, *) the same shape -> () or (N, *) ("none").
    """
    op = "kl_div"
    reduction = _legacy_reduction(size_average, reduce, reduction, op, KL_REDUCTIONS)
    if not isinstance(log_target, (bool, np.bool_)):
        raise TypeError(f"{op}: log_target must be True or False, got {log_target!r}")
    input, target = _pair(input, target, op)
    if log_target:
        losses = mg.exp(target) * (target - input)
    else:
        positive = target.data > 0
        log_target_values = mg.log(mg.where(positive, target, 1.0))   # log 1 = 0 where t == 0
        losses = mg.where(positive, target * (log_target_values - input), 0.0 * input)
    if reduction == "mean":
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size "
                      "and the support size; 'batchmean' divides only by the batch size and "
                      "gives the KL divergence", UserWarning, stacklevel=2)
    if reduction == "batchmean":
        if input.ndim == 0 or input.shape[0] == 0:
            raise ValueError(f"{op}: reduction='batchmean' divides by the batch size (dim 0), "
                             f"got input of shape {input.shape}; use 'sum'")
        return losses.sum() / input.shape[0]
    return _reduce_elementwise(losses, reduction, op)


# --- modules ------------------------------------------------------------------------------------
class _Loss(Module):
    """A loss module: holds the reduction ("mean", "sum" or "none")."""

    reductions: tuple[str, ...] = REDUCTIONS

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__()
        self.reduction = _legacy_reduction(size_average, reduce, reduction,
                                           type(self).__name__, self.reductions)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


def _weight_buffer(module: Module, name: str, weight: Any) -> None:
    """A class weight kept as a buffer (in state_dict, as PyTorch)."""
    if weight is not None and not isinstance(weight, Tensor):
        raise TypeError(f"{type(module).__name__}: {name} must be a Tensor or None, got "
                        f"{type(weight).__name__}")
    module.register_buffer(name, weight)


class CrossEntropyLoss(_Loss):
    """cross_entropy as a module: `CrossEntropyLoss()(logits, target)`; `weight` is a buffer."""

    def __init__(self, weight: "Tensor | None" = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None, reduction: str = "mean",
                 label_smoothing: float = 0.0) -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, "weight", weight)
        self.ignore_index = integer(ignore_index, "ignore_index", "CrossEntropyLoss")
        self.label_smoothing = finite_number(label_smoothing, "label_smoothing",
                                            "CrossEntropyLoss")
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return cross_entropy(input, target, self.weight, ignore_index=self.ignore_index,
                             reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_Loss):
    """nll_loss as a module: `NLLLoss()(log_probs, target)`; `weight` is a buffer."""

    def __init__(self, weight: "Tensor | None" = None, size_average: bool | None = None,
                 ignore_index: int = -100, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, "weight", weight)
        self.ignore_index = integer(ignore_index, "ignore_index", "NLLLoss")

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return nll_loss(input, target, self.weight, ignore_index=self.ignore_index,
                        reduction=self.reduction)


class MSELoss(_Loss):
    """mse_loss as a module: `MSELoss()(input, target)`."""

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """l1_loss as a module: `L1Loss()(input, target)`."""

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return l1_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """smooth_l1_loss as a module: `SmoothL1Loss(beta=1.0)(input, target)`."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean",
                 beta: float = 1.0) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = finite_number(beta, "beta", "SmoothL1Loss")
        if self.beta < 0:
            raise ValueError(f"SmoothL1Loss: beta must be >= 0, got {beta}")

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """huber_loss as a module: `HuberLoss(delta=1.0)(input, target)`."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = finite_number(delta, "delta", "HuberLoss")
        if self.delta <= 0:
            raise ValueError(f"HuberLoss: delta must be > 0, got {delta}")

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_Loss):
    """binary_cross_entropy as a module: `BCELoss()(probabilities, target)`."""

    def __init__(self, weight: "Tensor | None" = None, size_average: bool | None = None,
                 reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, "weight", weight)

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """binary_cross_entropy_with_logits as a module: `BCEWithLogitsLoss()(logits, target)`."""

    def __init__(self, weight: "Tensor | None" = None, size_average: bool | None = None,
                 reduce: bool | None = None,
                 reduction: str = "mean", pos_weight: "Tensor | None" = None) -> None:
        super().__init__(size_average, reduce, reduction)
        _weight_buffer(self, "weight", weight)
        _weight_buffer(self, "pos_weight", pos_weight)

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return binary_cross_entropy_with_logits(input, target, self.weight,
                                                reduction=self.reduction,
                                                pos_weight=self.pos_weight)


class KLDivLoss(_Loss):
    """kl_div as a module: `KLDivLoss(reduction="batchmean")(log_probs, target)`."""

    reductions = KL_REDUCTIONS

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean",
                 log_target: bool = False) -> None:
        super().__init__(size_average, reduce, reduction)
        if not isinstance(log_target, (bool, np.bool_)):
            raise TypeError(f"KLDivLoss: log_target must be True or False, got {log_target!r}")
        self.log_target = bool(log_target)

    def forward(self, input: Tensor, target: TensorLike) -> Tensor:
        return kl_div(input, target, reduction=self.reduction, log_target=self.log_target)
