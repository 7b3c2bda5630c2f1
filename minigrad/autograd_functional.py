"""Derivatives of whole functions: vjp, jvp, vhp, hvp, jacobian, hessian.

The names, arguments and return conventions are PyTorch's `torch.autograd.functional`; they
are reached as `mg.functional.vjp` and so on. Each one calls `func(*inputs)` and differentiates
it with `mg.grad`; second-order ones differentiate a gradient built with `create_graph=True`.

    f = lambda x: (x ** 3).sum()
    x = mg.tensor([1.0, 2.0])
    mg.functional.hvp(f, x, mg.ones(2))     # (f(x), H @ v) = (tensor(9.), tensor([6., 12.]))

Conventions shared by all of them (as in PyTorch):
- `inputs` is a Tensor or a tuple of Tensors; results about inputs come back in the same form.
  A function returning a tuple gets tuple results about its outputs.
- `create_graph=False`: the results are detached (no grad_fn) and the user's tensors are not
  part of any graph. `create_graph=True`: the results are differentiable, and gradients flow
  back into inputs that require grad.
- `strict=False`: an input the outputs do not depend on gets zeros. `strict=True` raises
  instead, naming the input.
- `jvp` uses the double-vjp trick (a backward of a backward): minigrad has no forward mode.
- `jacobian`/`hessian` run one backward per output element: for small inputs.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .autograd import grad as autograd_grad
from .creation import ones_like, zeros_like
from .grad_mode import enable_grad
from .ops.shape import Cat
from .tensor import Tensor

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


# --- shared plumbing --------------------------------------------------------------------------
def _as_tuple(value: Any, what: str, fn_name: str) -> tuple[bool, tuple[Any, ...]]:
    """(was it a tuple, the Tensors as a tuple); a clear TypeError for anything else."""
    was_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if was_tuple else (value,)
    for i, item in enumerate(values):
        if not isinstance(item, Tensor):
            where = f"{what}[{i}] is" if was_tuple else f"{what} is"
            raise TypeError(f"{fn_name}: {what} must be a Tensor or a tuple of Tensors, but "
                            f"{where} a {type(item).__name__}; wrap numbers with mg.tensor(...)")
    return was_tuple, values


def _unpack(values: Sequence[Any], was_tuple: bool) -> Any:
    return tuple(values) if was_tuple else values[0]


def _prepared_inputs(inputs: Sequence[Tensor], create_graph: bool) -> tuple:
    """New Tensor objects that require grad, so that only the path through the arguments of
    `func` is differentiated (not tensors the function captures itself). With create_graph,
    inputs that require grad stay connected to their graph."""
    return tuple(x[...] if create_graph and x.requires_grad else x.detach().requires_grad_(True)
                 for x in inputs)


def _checked_vectors(v: Any, refs: Sequence[Tensor], refs_were_tuple: bool, fn_name: str, what: str) -> tuple:
    """`v` as a tuple matching `refs` in number and shapes (refs are the inputs or outputs)."""
    _, vectors = _as_tuple(v, "v", fn_name)
    if len(vectors) != len(refs):
        raise ValueError(f"{fn_name}: v has {len(vectors)} Tensors but there are {len(refs)} "
                         f"{what}; pass one v per {what[:-1]}")
    for i, (vector, ref) in enumerate(zip(vectors, refs)):
        if vector.shape != ref.shape:
            label = f"v[{i}]" if refs_were_tuple else "v"
            raise ValueError(f"{fn_name}: {label} has shape {vector.shape} but "
                             f"{what[:-1]} {i} has shape {ref.shape}; they must match")
    return vectors


def _default_vector(refs: Sequence[Tensor], fn_name: str, what: str) -> tuple:
    if len(refs) != 1 or refs[0].numel() != 1:
        shapes = ", ".join(str(r.shape) for r in refs)
        raise ValueError(f"{fn_name}: v can be omitted only when there is a single one-element "
                         f"{what[:-1]}, but the {what} have shapes {shapes}; pass v")
    return (ones_like(refs[0]),)


def _check_outputs_require_grad(outputs: Sequence[Tensor], strict: bool,
                                fn_name: str) -> None:
    if not strict:
        return
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"{fn_name}(strict=True): output {i} of func does not require "
                               "grad, so it does not depend on the inputs; compute it from "
                               "the inputs with differentiable ops, or pass strict=False")


def _grads(outputs: Sequence[Tensor], inputs: Sequence[Tensor], grad_outputs: Sequence[Any],
           create_graph: bool) -> tuple:
    """mg.grad over the outputs that require grad; None for each input nothing reaches."""
    live = [(out, g) for out, g in zip(outputs, grad_outputs) if out.requires_grad]
    if not live:
        return (None,) * len(inputs)
    return tuple(autograd_grad([out for out, _ in live], list(inputs),
                               grad_outputs=[g for _, g in live], retain_graph=True,
                               create_graph=create_graph, allow_unused=True))


def _zeros_where_unused(grads: Sequence[Any], refs: Sequence[Tensor], strict: bool, create_graph: bool, fn_name: str,
                        independent: str) -> tuple:
    """Replace None gradients by zeros, or raise in strict mode. `independent` says what does
    not depend on what, with {i} standing for the position."""
    filled = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None or strict and create_graph and not g.requires_grad:
            if strict:
                raise RuntimeError(f"{fn_name}(strict=True): {independent.format(i=i)}; pass "
                                   "strict=False to get zeros for it")
            g = zeros_like(ref)
        filled.append(g)
    return tuple(filled)


def _finished(values: Sequence[Any], create_graph: bool) -> tuple:
    return tuple(values) if create_graph else tuple(v.detach() for v in values)


def _scalar_output(func: Callable[..., Any], inputs: Sequence[Any], fn_name: str) -> Tensor:
    output = func(*inputs)
    if not isinstance(output, Tensor):
        raise TypeError(f"{fn_name}: func must return a single Tensor with one element, got "
                        f"{type(output).__name__}")
    if output.numel() != 1:
        raise ValueError(f"{fn_name}: func must return a single Tensor with one element, got "
                         f"shape {output.shape}; reduce it (e.g. .sum()) inside func")
    return output


# --- the functions ----------------------------------------------------------------------------
def vjp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """Vector-Jacobian product: v^T J of `func` at `inputs`.

    Shapes: v like func's output(s); the result like `inputs`. v may be omitted when func
    returns one one-element Tensor. Returns (func_output, vjp).
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        inputs = _prepared_inputs(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "the output of func", "vjp")
        _check_outputs_require_grad(outputs, strict, "vjp")
        vectors = (_default_vector(outputs, "vjp", "outputs") if v is None else
                   _checked_vectors(v, outputs, outputs_tuple, "vjp", "outputs"))
        grads = _grads(outputs, inputs, vectors, create_graph)
        result = _zeros_where_unused(grads, inputs, strict, create_graph, "vjp",
                                     "the output of func does not depend on input {i}")
    return (_unpack(_finished(outputs, create_graph), outputs_tuple),
            _unpack(_finished(result, create_graph), inputs_tuple))


def jvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """Jacobian-vector product: J v of `func` at `inputs`, by the double-vjp trick.

    g(u) = u^T J is linear in a dummy u, so d<g(u), v>/du = J v. Shapes: v like `inputs`; the
    result like func's output(s). v may be omitted for a single one-element input.
    Returns (func_output, jvp).
    """
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
    with enable_grad():
        inputs = _prepared_inputs(inputs, create_graph)
        vectors = (_default_vector(inputs, "jvp", "inputs") if v is None else
                   _checked_vectors(v, inputs, inputs_tuple, "jvp", "inputs"))
        outputs_tuple, outputs = _as_tuple(func(*inputs), "the output of func", "jvp")
        _check_outputs_require_grad(outputs, strict, "jvp")
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        transposed = _grads(outputs, inputs, dummies, create_graph=True)
        if strict:
            for i, g in enumerate(transposed):
                if g is None:
                    raise RuntimeError(f"jvp(strict=True): the output of func does not depend "
                                       f"on input {i}; pass strict=False to get zeros for it")
        live = [(g, vector) for g, vector in zip(transposed, vectors)
                if g is not None and g.requires_grad]
        grads = _grads([g for g, _ in live], dummies, [vector for _, vector in live],
                       create_graph)
        result = _zeros_where_unused(grads, outputs, strict, create_graph, "jvp",
                                     "output {i} of func does not depend on the inputs")
    return (_unpack(_finished(outputs, create_graph), outputs_tuple),
            _unpack(_finished(result, create_graph), outputs_tuple))


def vhp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """Vector-Hessian product v^T H of a scalar `func` at `inputs`.

    Shapes: v like `inputs`, and so is the result; v may be omitted for a single one-element
    input. Returns (func_output, vhp).
    """
    return _second_order(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable[..., Any], inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple[Any, Any]:
    """Hessian-vector product H v of a scalar `func` at `inputs`.

    Computed as the gradient of <grad func, v>, which is v^T H: the same as H v because a
    Hessian is symmetric wherever func is twice continuously differentiable. Shapes: v like
    `inputs`, and so is the result. Returns (func_output, hvp).
    """
    return _second_order(func, inputs, v, create_graph, strict, "hvp")


def _second_order(func: Callable[..., Any], inputs: Any, v: Any, create_graph: bool,
                  strict: bool, fn_name: str) -> tuple[Any, Any]:
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn_name)
    with enable_grad():
        inputs = _prepared_inputs(inputs, create_graph)
        output = _scalar_output(func, inputs, fn_name)
        _check_outputs_require_grad((output,), strict, fn_name)
        vectors = (_default_vector(inputs, fn_name, "inputs") if v is None else
                   _checked_vectors(v, inputs, inputs_tuple, fn_name, "inputs"))
        gradients = _first_gradients(output, inputs, strict, fn_name)
        live = [(g, vector) for g, vector in zip(gradients, vectors)
                if g is not None and g.requires_grad]
        dot = None
        for g, vector in live:
            term = (g * vector).sum()
            dot = term if dot is None else dot + term
        grads = ((None,) * len(inputs) if dot is None else
                 _grads((dot,), inputs, (ones_like(dot),), create_graph))
        result = _zeros_where_unused(grads, inputs, strict, create_graph, fn_name,
                                     "the Hessian of func does not depend on input {i}")
    return output.detach() if not create_graph else output, _unpack(
        _finished(result, create_graph), inputs_tuple)


def _first_gradients(output: Tensor, inputs: Sequence[Tensor], strict: bool, fn_name: str) -> tuple:
    """grad of a one-element output with create_graph=True; strict mode wants every gradient
    to exist and to depend on the inputs (else the second derivatives are all zero)."""
    gradients = _grads((output,), inputs, (ones_like(output),), create_graph=True)
    if strict:
        for i, g in enumerate(gradients):
            if g is None or not g.requires_grad:
                raise RuntimeError(f"{fn_name}(strict=True): the gradient of func with respect "
                                   f"to input {i} does not depend on the inputs (func is "
                                   "linear or constant in them), so its derivative is zero; "
                                   "pass strict=False to get zeros")
    return gradients


_STRATEGIES = ("reverse-mode", "forward-mode")


def _check_strategy(strategy: Any, name: str, fn_name: str) -> None:
    if strategy not in _STRATEGIES:
        raise ValueError(f"{fn_name}: {name} must be 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")
    if strategy == "forward-mode":
        raise NotImplementedError(f"{fn_name}: {name}='forward-mode' needs forward-mode "
                                  "autodiff, which minigrad does not have; the default "
                                  "'reverse-mode' gives the same result")


def jacobian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
             strict: bool = False, vectorize: bool = False,
             strategy: str = "reverse-mode") -> Any:
    """The Jacobian of `func` at `inputs`, one backward per output element (small inputs).

    Shapes: entry [i][j] is output i's shape + input j's shape. A single Tensor input and
    output give one Tensor; a tuple of inputs (or outputs) gives a tuple over them, and both
    give a tuple (over outputs) of tuples (over inputs). `vectorize` only changes speed in
    PyTorch and is accepted for compatibility: minigrad computes row by row either way.
    """
    _check_strategy(strategy, "strategy", "jacobian")
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        inputs = _prepared_inputs(inputs, create_graph)
        outputs_tuple, outputs = _as_tuple(func(*inputs), "the output of func", "jacobian")
        _check_outputs_require_grad(outputs, strict, "jacobian")
        blocks = tuple(_jacobian_blocks(i, out, inputs, create_graph, strict)
                       for i, out in enumerate(outputs))
    blocks = tuple(_unpack(_finished(row, create_graph), inputs_tuple) for row in blocks)
    return _unpack(blocks, outputs_tuple)


def _jacobian_blocks(index: int, output: Tensor, inputs: Sequence[Tensor], create_graph: bool,
                     strict: bool) -> tuple[Any, ...]:
    """d output / d input_j for every j, each of shape output.shape + input_j.shape."""
    rows: list[list] = [[] for _ in inputs]
    reached = [False] * len(inputs)
    flat_size = output.numel()
    for k in range(flat_size):
        onehot = np.zeros(flat_size, dtype=output.dtype)
        onehot[k] = 1
        seed = Tensor(onehot.reshape(output.shape))
        grads = _grads((output,), inputs, (seed,), create_graph)
        for j, (g, x) in enumerate(zip(grads, inputs)):
            if g is not None:
                reached[j] = True
                if strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"jacobian(strict=True): the Jacobian of output {index} "
                                       f"with respect to input {j} does not depend on the "
                                       "inputs, which strict mode forbids with "
                                       "create_graph=True; pass strict=False")
            rows[j].append(zeros_like(x) if g is None else g)
    blocks = []
    for j, x in enumerate(inputs):
        if strict and flat_size and not reached[j]:
            raise RuntimeError(f"jacobian(strict=True): output {index} of func does not depend "
                               f"on input {j}; pass strict=False to get zeros for it")
        if rows[j]:
            stacked = Cat.apply(0, *(row.reshape((1,) + x.shape) for row in rows[j]))
            blocks.append(stacked.reshape(output.shape + x.shape))
        else:
            blocks.append(Tensor(np.zeros(output.shape + x.shape, dtype=x.dtype)))
    return tuple(blocks)


def hessian(func: Callable[..., Any], inputs: Any, create_graph: bool = False,
            strict: bool = False, vectorize: bool = False,
            outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar `func` at `inputs`: the Jacobian of its gradient (small inputs).

    Shapes: a single Tensor input x gives a Tensor of shape x.shape + x.shape; a tuple of
    inputs gives a tuple of tuples, entry [i][j] of shape input i's shape + input j's shape.
    """
    _check_strategy(outer_jacobian_strategy, "outer_jacobian_strategy", "hessian")
    inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def gradient(*xs: Any) -> Any:
        output = _scalar_output(func, xs, "hessian")
        _check_outputs_require_grad((output,), strict, "hessian")
        grads = _first_gradients(output, xs, strict, "hessian")
        filled = tuple(zeros_like(x) if g is None else g for g, x in zip(grads, xs))
        return _unpack(filled, inputs_tuple)

    return jacobian(gradient, _unpack(inputs, inputs_tuple), create_graph=create_graph,
                    strict=strict, vectorize=vectorize)
