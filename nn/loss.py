"""Losses: `cross_entropy` (= `nll_loss` of `log_softmax`), `nll_loss`, `mse_loss`, and their
modules `CrossEntropyLoss`, `NLLLoss`, `MSELoss`."""
import numpy as np

import minigrad as mg
from minigrad import Tensor

from .module import Module

REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction, op: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "sum":
        return losses.sum()
    if reduction == "mean":
        return losses.mean()
    return losses


def _class_targets(scores: Tensor, target, op: str) -> np.ndarray:
    """Validate (scores, target) and return the targets as an int64 array of shape (N, *d)."""
    if not isinstance(scores, Tensor):
        raise TypeError(f"{op}: input must be a Tensor of shape (N, C), got "
                        f"{type(scores).__name__}")
    labels = target.data if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold integer class indices, got dtype {labels.dtype}; "
                        "convert it with target.long() (probabilities are not supported)")
    if scores.ndim == 1:                                  # one unbatched sample: (C,) and ()
        expected = ()
    elif scores.ndim >= 2:
        expected = (scores.shape[0],) + scores.shape[2:]
    else:
        raise ValueError(f"{op}: input must have shape (N, C) (or (C,) or (N, C, *d)), got a "
                         "0-d tensor")
    if labels.shape != expected:
        raise ValueError(f"{op}: target of shape {labels.shape} does not match input of shape "
                         f"{scores.shape}; expected target shape {expected} (one class index per "
                         "sample, not one-hot)")
    classes = scores.shape[0] if scores.ndim == 1 else scores.shape[1]
    bad = (labels < 0) | (labels >= classes)
    if bad.any():
        value = labels[bad].flat[0]
        raise IndexError(f"{op}: target {value} is out of range for {classes} classes (input "
                         f"shape {scores.shape}); class indices must be in [0, {classes - 1}]")
    return labels.astype(np.int64, copy=False)


def _nll(log_probs: Tensor, target, reduction: str, op: str) -> Tensor:
    _check_reduction(reduction, op)
    labels = _class_targets(log_probs, target, op)
    if log_probs.ndim == 1:
        picked = log_probs[int(labels)]
    else:
        if log_probs.ndim > 2:                            # (N, C, *d) -> (N*prod(d), C)
            order = (0,) + tuple(range(2, log_probs.ndim)) + (1,)
            log_probs = log_probs.permute(order).reshape(-1, log_probs.shape[1])
        rows = np.arange(labels.size)
        picked = log_probs[rows, labels.reshape(-1)].reshape(labels.shape)
    if reduction == "mean" and labels.size == 0:
        raise ValueError(f"{op}: cannot average over an empty batch (target shape "
                         f"{labels.shape}); use reduction='sum' or 'none'")
    return _reduce(-picked, reduction)


def nll_loss(log_probs: Tensor, target, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: -log_probs[n, target[n]], averaged (or summed) over n.

    Shapes:
        log_probs: (N, C) (or (C,), or (N, C, *d))
        target:    (N,) int class indices in [0, C) (or (), or (N, *d)); Tensor or array
        out:       () for "mean"/"sum", target's shape for "none"
    """
    return _nll(log_probs, target, reduction, "nll_loss")


def cross_entropy(logits: Tensor, target, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from raw scores: nll_loss(log_softmax(logits, dim=1), target).

    Computed through log_softmax (the max logit is subtracted before exp), so it stays finite
    for logits of any magnitude, e.g. 1e4. A target outside [0, C) raises IndexError.

    Shapes:
        logits: (N, C) (or (C,), or (N, C, *d))
        target: (N,) int class indices in [0, C) (or (), or (N, *d)); Tensor or array
        out:    () for "mean"/"sum", target's shape for "none"
    """
    _check_reduction(reduction, "cross_entropy")
    _class_targets(logits, target, "cross_entropy")
    return _nll(mg.log_softmax(logits, 0 if logits.ndim == 1 else 1), target, reduction,
                "cross_entropy")


def mse_loss(input: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean squared error: (input - target)^2, averaged (or summed) over every element.

    Shapes: input (*), target (*) the same shape -> () ("mean"/"sum") or (*) ("none").
    """
    _check_reduction(reduction, "mse_loss")
    if not isinstance(input, Tensor):
        raise TypeError(f"mse_loss: input must be a Tensor, got {type(input).__name__}")
    target = target if isinstance(target, Tensor) else Tensor(np.asarray(target, input.dtype))
    if target.shape != input.shape:
        raise ValueError(f"mse_loss: input of shape {input.shape} and target of shape "
                         f"{target.shape} differ; they must match (reshape one of them, e.g. "
                         "target.reshape(input.shape))")
    if reduction == "mean" and input.numel() == 0:
        raise ValueError("mse_loss: cannot average over an empty input; use reduction='sum'")
    diff = input - target
    return _reduce(diff * diff, reduction)


class _Loss(Module):
    """A loss module: holds the reduction ("mean", "sum" or "none")."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = _check_reduction(reduction, type(self).__name__)

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class CrossEntropyLoss(_Loss):
    """cross_entropy as a module: `CrossEntropyLoss()(logits, target)`."""

    def forward(self, logits: Tensor, target) -> Tensor:
        return cross_entropy(logits, target, self.reduction)


class NLLLoss(_Loss):
    """nll_loss as a module: `NLLLoss()(log_probs, target)`."""

    def forward(self, log_probs: Tensor, target) -> Tensor:
        return nll_loss(log_probs, target, self.reduction)


class MSELoss(_Loss):
    """mse_loss as a module: `MSELoss()(input, target)`."""

    def forward(self, input: Tensor, target) -> Tensor:
        return mse_loss(input, target, self.reduction)
