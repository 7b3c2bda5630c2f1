"""All parameters as one flat vector and back (for line searches, second-order methods,
evolution strategies...)."""
from __future__ import annotations

from typing import Iterable

import minigrad as mg
from minigrad import Tensor

from .clip_grad import _parameter_list


def parameters_to_vector(parameters: Tensor | Iterable[Tensor]) -> Tensor:
    """Concatenate the flattened parameters, in order, into one vector (differentiable).

    Shapes: parameters of shapes s1, s2, ... -> (sum of their sizes,).
    """
    parameters = _parameter_list(parameters, "parameters_to_vector")
    if not parameters:
        raise ValueError("parameters_to_vector: got no parameters; pass model.parameters() of "
                         "a model that has some (was the generator used up?)")
    return mg.cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Tensor | Iterable[Tensor]) -> None:
    """Make each parameter's data the matching slice of vec, reshaped, as PyTorch does
    (`param.data = ...`: the parameters then SHARE memory with vec and take its dtype).

    Shapes: vec (sum of the parameters' sizes,).
    """
    op = "vector_to_parameters"
    if not isinstance(vec, Tensor):
        raise TypeError(f"{op}: vec must be a Tensor, got {type(vec).__name__}")
    parameters = _parameter_list(parameters, op)
    needed = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.shape[0] != needed:
        raise ValueError(f"{op}: vec has shape {vec.shape} but the parameters hold {needed} "
                         f"values; pass a 1-D vector of length {needed}, e.g. from "
                         "parameters_to_vector")
    start = 0
    for p in parameters:
        p.data = vec.data[start:start + p.numel()].reshape(p.shape)
        start += p.numel()
