"""Lookup tables: `embedding` and the `Embedding` layer (rows of a weight matrix picked by
integer index), and `one_hot`."""
from __future__ import annotations

from typing import Any

import numpy as np

import minigrad as mg
from minigrad import Tensor

from . import init
from .module import Module, Parameter


def _indices(input: Any, op: str) -> np.ndarray:
    values = input.data if isinstance(input, Tensor) else input
    if not isinstance(values, np.ndarray) or values.dtype.kind not in "iu":
        kind = values.dtype if isinstance(values, np.ndarray) else type(values).__name__
        raise TypeError(f"{op}: input must be an integer Tensor (or array) of indices, got "
                        f"{kind}; convert it with x.long()")
    return values


def _padding_idx(padding_idx: int | None, rows: int, op: str) -> int | None:
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)) \
            or not -rows <= padding_idx < rows:
        raise ValueError(f"{op}: padding_idx must be None or an int in [{-rows}, {rows}), got "
                         f"{padding_idx!r}")
    return int(padding_idx) % rows


def embedding(input: Any, weight: Tensor, padding_idx: "int | None" = None,
              max_norm: "float | None" = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Row input[...] of weight for every index: out[..., :] = weight[input[...], :].

    The gradient adds up in the rows that were picked (repeated indices add). The row
    `padding_idx` gets no gradient (its value is returned as it is, as PyTorch).
    max_norm, scale_grad_by_freq and sparse are not supported (an error says so).

    Shapes:
        input:  (*) integer indices in [0, num_embeddings)
        weight: (num_embeddings, embedding_dim)
        out:    (*, embedding_dim)
    """
    indices = _indices(input, "embedding")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = weight.shape if isinstance(weight, Tensor) else type(weight).__name__
        raise ValueError(f"embedding: weight must be a Tensor of shape (num_embeddings, "
                         f"embedding_dim), got {shape}")
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise ValueError("embedding: max_norm, scale_grad_by_freq and sparse are not "
                         "supported; leave them at their defaults")
    rows = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= rows):
        bad = indices[(indices < 0) | (indices >= rows)].flat[0]
        raise IndexError(f"embedding: index {bad} is out of range for a table of {rows} rows "
                         f"(weight shape {weight.shape}); indices must be in [0, {rows - 1}]")
    padding = _padding_idx(padding_idx, rows, "embedding")
    out = weight[indices]
    if padding is None or not (indices == padding).any():
        return out
    picked = (indices != padding)[..., None]             # (*, 1): rows that get a gradient
    return mg.where(picked, out, out.detach())


class Embedding(Module):
    """A table of num_embeddings vectors of size embedding_dim, looked up by index.

    weight is drawn from N(0, 1), as PyTorch (row padding_idx zeroed).

    Shapes:
        input:  (*) integer indices
        weight: (num_embeddings, embedding_dim)
        out:    (*, embedding_dim)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: "int | None" = None, max_norm: "float | None" = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: "Tensor | None" = None,
                 _freeze: bool = False) -> None:
        super().__init__()
        for name, value in (("num_embeddings", num_embeddings),
                            ("embedding_dim", embedding_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {value!r}")
        if max_norm is not None or scale_grad_by_freq or sparse:
            raise ValueError("Embedding: max_norm, scale_grad_by_freq and sparse are not "
                             "supported; leave them at their defaults")
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.padding_idx = _padding_idx(padding_idx, self.num_embeddings, "Embedding")
        if _weight is None:
            self.weight = Parameter(mg.zeros(num_embeddings, embedding_dim))
            init.normal_(self.weight)
            if self.padding_idx is not None:
                with mg.no_grad():
                    self.weight[self.padding_idx] = 0.0
        else:
            if not isinstance(_weight, Tensor) or _weight.shape != (num_embeddings,
                                                                    embedding_dim):
                raise ValueError(f"Embedding: _weight must be a Tensor of shape "
                                 f"({num_embeddings}, {embedding_dim})")
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: "int | None" = None, **kwargs: Any) -> "Embedding":
        """An Embedding holding a copy of `embeddings` (frozen unless freeze=False)."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            shape = embeddings.shape if isinstance(embeddings, Tensor) else \
                type(embeddings).__name__
            raise ValueError(f"Embedding.from_pretrained: embeddings must be a 2-D Tensor "
                             f"(num_embeddings, embedding_dim), got {shape}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, _weight=Tensor(embeddings.data.copy()),
                   _freeze=freeze, **kwargs)

    def forward(self, input: Any) -> Tensor:
        return embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text + (f", padding_idx={self.padding_idx}" if self.padding_idx is not None
                       else "")


def one_hot(tensor: Any, num_classes: int = -1) -> Tensor:
    """Class indices -> one-hot int64 vectors (no gradient).

    num_classes=-1 uses max(tensor) + 1.
    Shapes: (*) -> (*, num_classes).
    """
    indices = _indices(tensor, "one_hot")
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < -1:
        raise ValueError(f"one_hot: num_classes must be -1 or a non-negative int, got "
                         f"{num_classes!r}")
    if indices.size and indices.min() < 0:
        raise ValueError(f"one_hot: class values must be non-negative, got {indices.min()}")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass "
                             "num_classes")
        num_classes = int(indices.max()) + 1
    if indices.size and indices.max() >= num_classes:
        raise ValueError(f"one_hot: class value {indices.max()} is too large for "
                         f"num_classes={num_classes}; use num_classes={indices.max() + 1}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[indices])
