"""The backward sweep: iterative topological order, gradient accumulation, graph freeing;
`backward` (Tensor.backward) and `grad` (mg.grad) are its two entry points.

Shapes: every gradient has the shape of the tensor it belongs to; an op may return a gradient
with a broadcast shape and `sum_to_shape` sums it back (the one place un-broadcasting lives).

Two modes, one loop. Plain (`create_graph=False`, the training path): gradients are NumPy
arrays and nothing is recorded. `create_graph=True`: gradients are Tensors, each op's backward
gets Tensors (its saved arrays replaced by the graph's own input/output Tensors) and records
what it computes, so the gradients are differentiable in turn. See function.py's contract.
"""

from __future__ import annotations

import sys
import threading
from typing import Any, Sequence

import numpy as np

from . import buffers, grad_mode
from .backend import array_module
from .hooks import TOOLS
from .tensor import Tensor, TensorLike, new_tensor
from .function import Function  # noqa: F401  (torch.autograd.Function's place)

FREED_MESSAGE = ("backward through a graph that was already freed (node {node}): pass "
                 "retain_graph=True to the first backward() if you need to backpropagate twice")


class _GraphBackward(threading.local):
    """The Function whose backward runs under create_graph in this thread (else None):
    `Tensor.__array__` refuses to hand it raw arrays of graph tensors."""

    def __init__(self) -> None:
        self.function = None


GRAPH_BACKWARD = _GraphBackward()


def sum_to_shape(grad: Any, shape: tuple[int, ...], op_name: str = "?") -> Any:
    """Sum `grad` (an array, or a Tensor under create_graph) over the axes that broadcasting
    added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra < 0:
        raise RuntimeError(f"{op_name}.backward returned a gradient of shape {grad.shape} for an "
                           f"input of shape {shape}: it has fewer dims than the input")
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    if grad.shape != shape:
        raise RuntimeError(f"{op_name}.backward returned a gradient of shape {grad.shape} for an "
                           f"input of shape {shape}; they are not broadcast-compatible")
    return grad


# --- entry points -----------------------------------------------------------------------------
def backward(tensors: "Tensor | Sequence[Tensor]",
             grad_tensors: "TensorLike | Sequence[TensorLike | None] | None" = None,
             retain_graph: bool | None = None, create_graph: bool = False,
             inputs: "Tensor | Sequence[Tensor] | None" = None,
             caller: str = "backward") -> None:
    """Accumulate the gradients of `tensors` (weighted by `grad_tensors`) into the `.grad` of
    the leaves (only those in `inputs`, when given). What `Tensor.backward` runs."""
    gradients = _root_gradients(tensors, grad_tensors, create_graph, caller)
    targets = None
    if inputs is not None:
        targets = _tensor_sequence(inputs, "inputs", caller)
        if not targets:
            raise RuntimeError(f"{caller}: inputs= is empty; pass the tensors to accumulate "
                               "gradients into, or leave it out")
    results = run_backward(tensors, gradients,
                           create_graph if retain_graph is None else retain_graph,
                           create_graph, targets, accumulate=True)
    for tensor, result in zip(targets or (), results or ()):
        if tensor.grad_fn is not None and result is not None:    # leaves are done already
            _accumulate_leaf(tensor, result, create_graph)


def grad(outputs: "Tensor | Sequence[Tensor]", inputs: "Tensor | Sequence[Tensor]",
         grad_outputs: "TensorLike | Sequence[TensorLike | None] | None" = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple[Tensor | None, ...]:
    """The gradients of `outputs` with respect to `inputs`, as a tuple (PyTorch's
    `torch.autograd.grad`); nothing is written into any `.grad`.

    `outputs`: a Tensor or a sequence of them; `grad_outputs` the matching upstream gradients
    (may be omitted for one-element outputs). With `create_graph=True` the returned gradients
    are differentiable (Hessian-vector products, gradient penalties). An input that `outputs`
    do not depend on raises, naming its position, unless `allow_unused=True` (its gradient
    is then None). `retain_graph` defaults to `create_graph`.

    Shapes: each returned gradient has the shape and dtype of its input.
    """
    outputs = _tensor_sequence(outputs, "outputs", "grad")
    targets = _tensor_sequence(inputs, "inputs", "grad")
    if not targets:
        raise RuntimeError("grad: inputs is empty; pass the tensors to differentiate with "
                           "respect to")
    for position, tensor in enumerate(targets):
        if not tensor.requires_grad:
            raise RuntimeError(f"grad: input {position} (shape {tensor.shape}) does not require "
                               "grad, so no gradient can be computed for it; create it with "
                               "requires_grad=True")
    if grad_outputs is not None:
        grad_outputs = (grad_outputs if isinstance(grad_outputs, (list, tuple))
                        else (grad_outputs,))
        if len(grad_outputs) != len(outputs):
            raise ValueError(f"grad: got {len(grad_outputs)} grad_outputs for {len(outputs)} "
                             "outputs; give one per output (None for a one-element output)")
    gradients = _root_gradients(outputs, grad_outputs, create_graph, "grad")
    results = run_backward(outputs, gradients,
                           create_graph if retain_graph is None else retain_graph,
                           create_graph, targets, accumulate=False)
    for position, (tensor, result) in enumerate(zip(targets, results)):
        if result is None and not allow_unused:
            raise RuntimeError(f"grad: input {position} (shape {tensor.shape}) was not used to "
                               "compute the outputs, so it has no gradient; pass "
                               "allow_unused=True to get None for it")
    if create_graph:
        return tuple(results)
    return tuple(None if r is None else new_tensor(r) for r in results)


def _tensor_sequence(value: Any, name: str, caller: str) -> list:
    items = [value] if isinstance(value, Tensor) else value
    try:
        items = list(items)
    except TypeError:
        raise TypeError(f"{caller}: {name} must be a Tensor or a sequence of Tensors, got "
                        f"{type(value).__name__}") from None
    for position, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"{caller}: {name}[{position}] is a {type(item).__name__}, not a "
                            "Tensor")
    return items


def _root_gradients(tensors: Any, grad_tensors: Any, create_graph: bool,
                    caller: str) -> list[Any]:
    """One starting gradient per output: arrays, or Tensors under create_graph."""
    gradients = []
    for position, tensor in enumerate(tensors):
        given = None if grad_tensors is None else grad_tensors[position]
        where = "" if len(tensors) == 1 else f" (output {position})"
        if not tensor.requires_grad:
            raise RuntimeError(f"{caller}: this tensor{where} does not require grad and has no "
                               "grad_fn; create the inputs with requires_grad=True (and not "
                               "under no_grad)")
        if given is None:
            if tensor.data.size != 1:
                raise RuntimeError(
                    f"{caller}: gradient can be omitted only for a one-element tensor, but this "
                    f"one{where} has shape {tensor.shape}; reduce it first (e.g. "
                    "y.sum().backward()) or pass gradient= of the same shape")
            gradient = array_module(tensor.data).ones_like(tensor.data)
        elif isinstance(given, Tensor) and create_graph:
            gradient = given             # may itself be part of a graph (double backward)
        else:
            array = given.data if isinstance(given, Tensor) else given
            gradient = array_module(tensor.data).asarray(array)      # onto the tensor's backend
        if gradient.shape != tensor.shape:
            raise ValueError(f"{caller}: gradient{where} has shape {tuple(gradient.shape)} but "
                             f"the tensor has shape {tensor.shape}; they must match")
        if create_graph:
            if not isinstance(gradient, Tensor):
                gradient = new_tensor(gradient)
            if gradient.dtype != tensor.dtype:
                gradient = gradient.astype(tensor.dtype)
        else:
            gradient = gradient.astype(tensor.dtype, copy=False)
        gradients.append(gradient)
    return gradients


# --- the sweep ----------------------------------------------------------------------------------
def graph_nodes(root_nodes: Any, outputs: Any = None,
                counted_leaves: Any = None) -> tuple[dict[Any, int], bool]:
    """Every node reachable from `root_nodes`, with how many graph edges point at each.

    Every node that saved its own output is checked here, before any gradient is computed,
    against in-place changes of that output (which the in-place ops mark on the node).
    Iterative (explicit stack), so a chain of a million ops works. Returns a dict
    node -> number of consumers of that node's output inside the graph, and whether any
    node's input was changed in place since the op ran (the sweep then checks each node's
    inputs just before running it, to say which one). Leaves with hooks,
    and those in `counted_leaves` (ids), are counted too (tensor -> number of uses), so their
    gradients are summed before hooks run or the gradient is returned. `outputs`, when given
    (create_graph), is filled with node -> the Tensor it produced.
    """
    consumers = {node: 0 for node in root_nodes}
    inputs_changed = False
    stack = list(consumers)
    for node in stack:
        _check_output_version(node)
    while stack:
        node = stack.pop()
        if node.freed:
            raise RuntimeError(FREED_MESSAGE.format(node=node.name))
        for tensor, needed, version in zip(node.inputs, node.needs_input_grad,
                                           node.input_versions):
            if version is not None and tensor._version != version:
                inputs_changed = True
            if not needed:
                continue
            parent = tensor.grad_fn
            if parent is None:
                if tensor._hooks is not None or (counted_leaves and id(tensor) in counted_leaves):
                    consumers[tensor] = consumers.get(tensor, 0) + 1
                continue
            if outputs is not None:
                outputs[parent] = tensor
            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)
                if parent.changed_output is not None:
                    _check_output_version(parent)
    return consumers, inputs_changed


def _normalise_grads(node: Any, grads: Any) -> Any:
    """Check what `backward` returned: one gradient (or None) per argument of the op."""
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    inputs = node.inputs
    if len(grads) == len(inputs):
        return tuple(grads)
    tensors = sum(1 for a in inputs if isinstance(a, Tensor))
    change = (" (backward returns one gradient per argument of forward, None for the "
              "non-Tensor ones; returning one per Tensor argument is no longer accepted)"
              if len(grads) == tensors else "")
    raise RuntimeError(f"{node.name}.backward returned {len(grads)} gradients but forward has "
                       f"{len(inputs)} arguments ({tensors} of them Tensors){change}; return "
                       "one per argument, None for non-differentiable ones")


def _version_error(node: Any, tensor: Any, version: int, role: str = "an input") -> RuntimeError:
    return RuntimeError(
        f"{node.name}: {role} of shape {tensor.shape} was modified in place (version "
        f"{version} -> {tensor._version}) after the op used it, so its gradient would be "
        "wrong; do the in-place update after backward(), or operate on a copy")


def _check_input_versions(node: Any) -> None:
    """The Tensor inputs of `node` must be as they were when the op ran."""
    for tensor, version in zip(node.inputs, node.input_versions):
        if version is not None and tensor._version != version:
            raise _version_error(node, tensor, version)


def _check_output_version(node: Any) -> None:
    """An op that saved its output (exp, tanh, sqrt ...) computes its gradient from it: the
    output must be as the op left it (version 0, a fresh tensor). The in-place ops mark a
    node whose saved output they changed (minigrad._inplace); an output no longer alive
    cannot have been changed since."""
    if node.changed_output is not None:
        output = node.changed_output()
        if output is not None and output._version != 0:
            raise _version_error(node, output, 0, role="its output")


def run_backward(roots: Any, gradients: Any, retain_graph: bool = False,
                 create_graph: bool = False,
                 targets: Any = None, accumulate: bool = True) -> Any:
    """Backpropagate `gradients` (one per root, of its shape) through the graph.

    Kahn's algorithm over the graph: a node runs once all its consumers have sent their
    gradients, which are summed first; leaves accumulate into `.grad` (summed over every use)
    when `accumulate`. With `targets` (tensors), returns their gradients (None where none
    arrived), and nodes that lead to no target are not run. Subscribed tools (hooks.TOOLS)
    are told about each node visit and each gradient contribution; without them the loop
    does no extra work. The recording mode is `create_graph` while the sweep runs.
    """
    previous = grad_mode.STATE.enabled
    grad_mode.STATE.enabled = create_graph
    buffers.BACKWARD.depth += 1                  # training work: big arrays may be cached
    try:
        return _sweep(roots, gradients, retain_graph, create_graph, targets, accumulate)
    finally:
        grad_mode.STATE.enabled = previous
        buffers.BACKWARD.depth -= 1


def _sweep(roots: Any, gradients: Any, retain_graph: bool, create_graph: bool, targets: Any,
           accumulate: Any) -> Any:
    tools = TOOLS.backward
    outputs: Any = {} if create_graph else None
    target_ids: Any = None if targets is None else {id(t): t for t in targets}
    captured: Any = None if targets is None else {}
    pending: dict[Any, Any] = {}
    root_nodes: list[Any] = []
    leaf_roots = []
    for tensor, gradient in zip(roots, gradients):
        node = tensor.grad_fn
        if node is None:
            leaf_roots.append((tensor, gradient))
            continue
        if outputs is not None:
            outputs[node] = tensor
        pending[node] = pending[node] + gradient if node in pending else gradient
        root_nodes.append(node)
    consumers, inputs_changed = graph_nodes(root_nodes, outputs, target_ids)
    for tensor, gradient in leaf_roots:          # a leaf as an output: its gradient is given
        consumers[tensor] = consumers.get(tensor, 0) + 1
        _leaf_gradient(tensor, gradient, consumers, pending, captured, target_ids, accumulate,
                       create_graph)
    skip: Any = ()
    target_nodes: Any = None
    if targets is not None:
        target_nodes = {t.grad_fn: t for t in targets if t.grad_fn is not None}
        skip = _nodes_leading_nowhere(root_nodes, target_nodes, target_ids)
    ready = [node for node in dict.fromkeys(root_nodes) if consumers[node] == 0]
    plain = not create_graph and targets is None
    ndarray = np.ndarray
    # Each node's inputs must be as they were when the op ran. graph_nodes found whether any
    # changed; if none did, only code run during the sweep that handles Tensors (hooks, tools,
    # the backward formulas under create_graph; a plain backward gets arrays) could change
    # one, so each node's inputs are checked again just before it runs (the check that names
    # the node) only once such code has run. The common case pays nothing per node.
    recheck = inputs_changed or tools is not None or create_graph or bool(leaf_roots)
    # The loop body runs once per node: the common cases (plain mode, one gradient per input,
    # already the input's shape and dtype) take no function calls beyond the op's backward.
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        if node._hooks is not None and node._hooks.grad:
            grad = run_grad_hooks(node._hooks.grad, grad, f"the output of {node.name}")
            recheck = True
        if recheck:
            _check_input_versions(node)
        inputs = node.inputs
        if tools is not None:
            tools.visit(node, grad.data if create_graph else grad)
        if plain:
            grads = node.function.backward(node, grad)
            if type(grads) is not tuple or len(grads) != len(inputs):
                # an op of one argument may return its gradient bare (Tanh, Exp, ...)
                grads = ((grads,) if type(grads) is ndarray and len(inputs) == 1 else
                         _normalise_grads(node, grads))
        else:
            if target_nodes and node in target_nodes:
                captured[id(target_nodes[node])] = grad
            if node in skip:
                grads = (None,) * len(inputs)
            elif create_graph:
                grads = _graph_backward(node, grad, outputs)
            else:
                grads = node.function.backward(node, grad)
                if type(grads) is not tuple or len(grads) != len(inputs):
                    grads = _normalise_grads(node, grads)
        for tensor, g, needed in zip(inputs, grads, node.needs_input_grad):
            if not needed:
                continue
            parent = tensor.grad_fn
            if g is not None:
                data = tensor.data
                if type(g) is not ndarray:      # a Tensor (create_graph), a number, a CuPy array
                    g = _unusual_gradient(node, g, tensor, create_graph)
                if g.shape != data.shape:
                    g = sum_to_shape(g, data.shape, node.name)
                if g.dtype is not data.dtype and g.dtype != data.dtype:
                    g = g.astype(data.dtype)
                if tools is not None:
                    tools.contribute(node, tensor, g.data if create_graph else g)
                if parent is None:
                    if tensor._hooks is None and target_ids is None:
                        _accumulate_leaf(tensor, g, create_graph, tools is None)
                    else:
                        _leaf_gradient(tensor, g, consumers, pending, captured, target_ids,
                                       accumulate, create_graph)
                        recheck = True          # the leaf's hooks may have run
                    continue
                if parent in pending:
                    pending[parent] = pending[parent] + g
                else:
                    pending[parent] = g
            if parent is None:
                if tensor in consumers:
                    _leaf_gradient(tensor, None, consumers, pending, captured, target_ids,
                                   accumulate, create_graph)
                    recheck = True
            else:
                remaining = consumers[parent] - 1
                consumers[parent] = remaining
                if remaining == 0:
                    if parent not in pending:
                        zeros = array_module(tensor.data).zeros_like(tensor.data)
                        pending[parent] = new_tensor(zeros) if create_graph else zeros
                    ready.append(parent)
        if not retain_graph:
            # Release the saved arrays; keep the structure (op, arguments, edges), so the graph
            # can still be drawn. The inputs (and their arrays) live as long as the graph's
            # output does.
            node.saved_tensors = ()
            node.freed = True
    if captured is None:
        return None
    return [captured.get(id(t)) for t in targets]


def _nodes_leading_nowhere(root_nodes: Any, target_nodes: dict, target_ids: dict) -> set:
    """For mg.grad: the nodes from which no target can be reached (their backward is skipped)."""
    leads: dict = {}
    stack = list(root_nodes)
    while stack:
        node = stack[-1]
        if node in leads:
            stack.pop()
            continue
        parents = [t.grad_fn for t, needed in zip(node.inputs, node.needs_input_grad)
                   if needed and t.grad_fn is not None and t.grad_fn not in leads]
        if parents:
            stack.extend(parents)
            continue
        stack.pop()
        leads[node] = any(
            (id(t) in target_ids) if t.grad_fn is None else
            (t.grad_fn in target_nodes or leads[t.grad_fn])
            for t, needed in zip(node.inputs, node.needs_input_grad) if needed)
    return {node for node, leads_somewhere in leads.items() if not leads_somewhere}


# --- create_graph: backward on Tensors ---------------------------------------------------------
def numpy_in_graph_backward_error(name: str, detail: str = "") -> RuntimeError:
    detail = detail or "converted a graph Tensor to a NumPy array"
    return RuntimeError(
        f"{name}.backward is not twice differentiable: under create_graph=True it receives "
        f"Tensors (grad and ctx.saved_tensors) and must compute with them, but it {detail}, which "
        "would silently cut the gradient's own graph. Write its backward with operators "
        "(+, -, *, /, **, comparisons, indexing) and the helpers of minigrad.ops.dual "
        "(exp, log, where, reshape, sum_dims, ...), which take arrays and Tensors alike; the "
        "same code then serves backward() and create_graph=True")


def _graph_backward(node: Any, grad: Any, outputs: dict) -> Any:
    """Run `node`'s backward on Tensors: its saved arrays become the graph's Tensors."""
    saved = node.saved_tensors
    name = node.name
    node.saved_tensors = _connected_saved(node, saved, outputs.get(node))
    previous = GRAPH_BACKWARD.function
    GRAPH_BACKWARD.function = name
    try:
        grads = node.function.backward(node, grad)
    except TypeError as error:
        raise numpy_in_graph_backward_error(
            name, f"failed on them ({type(error).__name__}: {error})") from error
    finally:
        GRAPH_BACKWARD.function = previous
        node.saved_tensors = saved
    if type(grads) is not tuple or len(grads) != len(node.inputs):
        grads = _normalise_grads(node, grads)
    for position, (g, needed) in enumerate(zip(grads, node.needs_input_grad)):
        if needed and g is not None and not isinstance(g, (Tensor, int, float)):
            raise numpy_in_graph_backward_error(
                name, f"returned a {type(g).__name__} for input {position} instead of a Tensor")
    return grads


def _connected_saved(node: Any, saved: tuple, output: Any) -> tuple:
    """`saved` with each input array replaced by its input Tensor and the output array by the
    output Tensor; other values must be constants (not floating arrays)."""
    connected = []
    for value in saved:
        for arg in node.inputs:
            if arg is value or isinstance(arg, Tensor) and arg.data is value:
                connected.append(arg)
                break
        else:
            if output is not None and value is output.data:
                connected.append(output)
            elif isinstance(value, (np.ndarray, np.generic)) and value.dtype.kind in "fc":
                raise RuntimeError(
                    f"{node.name}: under create_graph=True, each array saved with "
                    "ctx.save_for_backward must be one of forward's inputs or its output (they "
                    f"are replaced by the graph's Tensors), but a {value.dtype} array of shape "
                    f"{value.shape} is neither; recompute it in backward from the saved inputs, "
                    "or keep a constant (a mask, indices) as a ctx attribute")
            else:
                connected.append(value)
    return tuple(connected)


def _unusual_gradient(node: Any, g: Any, tensor: Any, create_graph: bool) -> Any:
    """A gradient that is not a NumPy array: under create_graph it must be a Tensor (numbers
    become constants); on plain runs numbers and other backends' arrays become arrays."""
    if not create_graph:
        return array_module(g).asarray(g)
    if isinstance(g, Tensor):
        return g
    if isinstance(g, (int, float)):
        return new_tensor(np.full(tensor.shape, g, dtype=tensor.dtype))
    raise numpy_in_graph_backward_error(
        node.name, f"returned a {type(g).__name__} instead of a Tensor")


# --- leaves and hooks ----------------------------------------------------------------------------
def _leaf_gradient(tensor: Any, g: Any, consumers: dict, pending: dict, captured: Any,
                   target_ids: Any,
                   accumulate: bool, create_graph: bool) -> None:
    """Sum the gradients of a counted leaf (hooks, or an mg.grad target); after its last
    use: its hooks, then `.grad` (+ post-accumulate hooks) or the captured result."""
    if g is not None:
        pending[tensor] = pending[tensor] + g if tensor in pending else g
    remaining = consumers.get(tensor, 1) - 1
    consumers[tensor] = remaining
    if remaining != 0 or tensor not in pending:
        return
    total = pending.pop(tensor)
    hooks = tensor._hooks
    if hooks is not None and hooks.grad:
        total = run_grad_hooks(hooks.grad, total, "a leaf tensor")
    if captured is not None and id(tensor) in target_ids:
        captured[id(tensor)] = total
    if not accumulate or (target_ids is not None and id(tensor) not in target_ids):
        return
    _accumulate_leaf(tensor, total, create_graph)
    if hooks is not None:
        for hook in tuple(hooks.post_accumulate.values()):
            hook(tensor)


def run_grad_hooks(hooks: dict, grad: Any, owner: str) -> Any:
    """Call each `hook(grad)` in order; a returned Tensor replaces the gradient."""
    is_graph = isinstance(grad, Tensor)
    for hook in tuple(hooks.values()):
        result = hook(grad if is_graph else new_tensor(grad))
        if result is None:
            continue
        replaced = result if is_graph and isinstance(result, Tensor) else (
            result.data if isinstance(result, Tensor) else result)
        if getattr(replaced, "shape", None) != grad.shape:
            raise RuntimeError(f"register_hook: a gradient hook on {owner} returned "
                               f"{type(result).__name__} of shape "
                               f"{getattr(replaced, 'shape', '?')} for a gradient of shape "
                               f"{grad.shape}; return a Tensor of the same shape, or None")
        grad = replaced
    return grad


def _accumulate_leaf(tensor: Any, g: Any, create_graph: bool = False,
                     may_take: bool = False) -> None:
    """Add `g` into `tensor.grad`: in place on plain runs; under create_graph a recorded
    sum, so `.grad` is differentiable (as PyTorch's AccumulateGrad).

    A plain run's first gradient becomes `.grad` itself, without a copy, when nothing but the
    backward sweep refers to it (`_can_take`), as PyTorch's AccumulateGrad takes a gradient
    no one else holds: a training step then makes no second pass over each parameter's
    gradient. Otherwise `.grad` is a copy, so it never shares memory with anything else: a
    gradient that an op sends to two inputs (a + b), a broadcast or reshaped view, the array
    given to backward(gradient=...), one a hook or a Function keeps, or one that reaches the
    leaf through hooks, `inputs=` or a subscribed tool (`may_take` False). Either way a later
    backward adds into `.grad` in place.
    """
    if create_graph:
        # A new Tensor: g may be shared (Add sends one gradient to both of its inputs).
        tensor._grad = g * 1 if tensor._grad is None else tensor._grad + g
    elif tensor._grad is None:
        taken = may_take and _can_take(g, tensor)
        tensor._grad = new_tensor(g if taken else g.astype(tensor.data.dtype, copy=True))
    else:
        tensor._grad.data += g


def _can_take(g: Any, tensor: Any) -> bool:
    """Whether the sweep's loop may hand `g` to `tensor` as its `.grad`: a writable NumPy array
    of the leaf's shape and dtype that only the sweep refers to (exactly `_SWEEP_REFERENCES`:
    the op's result tuple, zip's, the loop's variable, the two parameters; those go with the
    loop's next step, so no one else can ever read or change it), whose memory is its own or
    a whole cached buffer it alone uses (buffers.is_sole_user; the cache will not hand that
    buffer out again while `.grad` holds it). Copied instead: a view of anything else (a
    saved array, the user's gradient, a broadcast), and a gradient the loop itself summed to
    the leaf's shape or cast (fewer references than counted, so the count proves nothing)."""
    return (type(g) is np.ndarray and g.dtype == tensor.data.dtype
            and g.shape == tensor.data.shape and g.flags.writeable
            and sys.getrefcount(g) == _SWEEP_REFERENCES
            and (g.flags.owndata or buffers.is_sole_user(g)))


def _sweep_references() -> int:
    """What `_can_take` counts for a gradient that only the sweep refers to, measured as
    buffers._FREE is: a fresh array passed the way the sweep's loop passes an op's gradient
    (in the op's result tuple, unpacked from zip's reused result tuple into a loop variable,
    then through `_accumulate_leaf`'s parameter into `_can_take`'s).
    tests/minigrad/test_leaf_grad_taken.py checks it on the real path."""
    def accumulate_leaf(g: Any) -> int:
        return can_take(g)

    def can_take(g: Any) -> int:
        return sys.getrefcount(g)

    for _, g in zip((None,), (np.empty(0),)):
        count = accumulate_leaf(g)
    return count


_SWEEP_REFERENCES = _sweep_references()
