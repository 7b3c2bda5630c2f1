"""The backward sweep: iterative topological order, gradient accumulation, graph freeing.

Shapes: every gradient has the shape of the tensor it belongs to; an op may return a gradient
with a broadcast shape and `sum_to_shape` sums it back (the one place un-broadcasting lives).
"""
import numpy as np

from .backend import array_module
from .function import Function  # noqa: F401  (torch.autograd.Function's place)

FREED_MESSAGE = ("backward through a graph that was already freed (node {node}): pass "
                 "retain_graph=True to the first backward() if you need to backpropagate twice")


def sum_to_shape(grad: np.ndarray, shape: tuple, op_name: str = "?") -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
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


def graph_nodes(root_node):
    """Every node reachable from `root_node`, with how many graph edges point at each.

    Every node that saved its own output is checked here, before any gradient is computed,
    against in-place changes of that output.
    Iterative (explicit stack), so a chain of a million ops works. Returns a dict
    node -> number of consumers of that node's output inside the graph; leaves with hooks
    are counted too (tensor -> number of uses), so their hooks run once on the sum. Only inputs that
    required grad when the op ran can have a `grad_fn`, so the others are skipped unread.
    """
    consumers = {root_node: 0}
    stack = [root_node]
    _check_output_version(root_node)
    while stack:
        node = stack.pop()
        if node.freed:
            raise RuntimeError(FREED_MESSAGE.format(node=node.name))
        for tensor, needed in zip(node.inputs, node.needs_input_grad):
            if not needed:
                continue
            parent = tensor.grad_fn
            if parent is None:
                if tensor._hooks is not None:         # a hooked leaf: count its uses too
                    consumers[tensor] = consumers.get(tensor, 0) + 1
                continue
            if parent in consumers:
                consumers[parent] += 1
            else:
                consumers[parent] = 1
                stack.append(parent)
                _check_output_version(parent)
    return consumers


def _normalise_grads(node, grads):
    """Map what `backward` returned to one gradient (or None) per argument of the op."""
    if not isinstance(grads, (tuple, list)):
        grads = (grads,)
    inputs = node.inputs
    if len(grads) == len(inputs):
        return grads
    tensor_positions = [i for i, needed in enumerate(node.needs_input_grad)
                        if hasattr(inputs[i], "grad_fn")]
    if len(grads) == len(tensor_positions):
        full = [None] * len(inputs)
        for position, grad in zip(tensor_positions, grads):
            full[position] = grad
        return full
    raise RuntimeError(f"{node.name}.backward returned {len(grads)} gradients but the op has "
                       f"{len(inputs)} inputs ({len(tensor_positions)} of them Tensors); return "
                       "one per input (None for non-differentiable ones)")


def _version_error(node, tensor, version, role="an input"):
    return RuntimeError(
        f"{node.name}: {role} of shape {tensor.shape} was modified in place (version "
        f"{version} -> {tensor._version}) after the op used it, so its gradient would be "
        "wrong; do the in-place update after backward(), or operate on a copy")


def _check_output_version(node):
    """An op that saved its output (exp, tanh, sqrt ...) computes its gradient from it: the
    output must be as the op left it (version 0, a fresh tensor). An output no longer alive
    cannot have been changed since."""
    if node.saved_output is not None:
        output = node.saved_output()
        if output is not None and output._version != 0:
            raise _version_error(node, output, 0, role="its output")


def run_backward(root, gradient: np.ndarray, retain_graph: bool = False, observer=None):
    """Backpropagate `gradient` (shape of `root`) to every leaf that requires grad.

    Kahn's algorithm over the graph: a node runs once all its consumers have sent their
    gradients, which are summed first; leaves accumulate into `.grad` (summed over every use).
    `observer`, when given, is told about each node visit and each gradient contribution
    (see minigrad.inspect); without one the loop does no extra work.
    """
    root_node = root.grad_fn
    consumers = graph_nodes(root_node)
    pending = {root_node: gradient}
    ready = [root_node]
    ndarray = np.ndarray
    # The loop body runs once per node: the common cases (one gradient per input, already
    # the input's shape and dtype) take no function calls beyond the op's own backward.
    while ready:
        node = ready.pop()
        grad = pending.pop(node)
        if node._hooks is not None and node._hooks.grad:
            grad = run_grad_hooks(node._hooks.grad, grad, f"the output of {node.name}")
        inputs = node.inputs
        for tensor, version in zip(inputs, node.input_versions):
            if version is not None and tensor._version != version:
                raise _version_error(node, tensor, version)
        if observer is not None:
            observer.visit(node, grad)
        grads = node.function.backward(node, grad)
        if type(grads) is not tuple or len(grads) != len(inputs):
            grads = _normalise_grads(node, grads)
        for tensor, g, needed in zip(inputs, grads, node.needs_input_grad):
            if not needed:
                continue
            parent = tensor.grad_fn
            if g is not None:
                data = tensor.data
                if type(g) is not ndarray:              # a number, or another backend's array
                    g = array_module(g).asarray(g)
                if g.shape != data.shape:
                    g = sum_to_shape(g, data.shape, node.name)
                if g.dtype is not data.dtype and g.dtype != data.dtype:
                    g = g.astype(data.dtype)
                if observer is not None:
                    observer.contribute(node, tensor, g)
                if parent is None:
                    if tensor._hooks is None:
                        _accumulate_leaf(tensor, g)
                    else:
                        _hooked_leaf_contribution(tensor, g, consumers, pending)
                    continue
                if parent in pending:
                    pending[parent] = pending[parent] + g
                else:
                    pending[parent] = g
            if parent is None:
                if tensor._hooks is not None:
                    _hooked_leaf_contribution(tensor, None, consumers, pending)
            else:
                remaining = consumers[parent] - 1
                consumers[parent] = remaining
                if remaining == 0:
                    if parent not in pending:
                        pending[parent] = array_module(tensor.data).zeros_like(tensor.data)
                    ready.append(parent)
        if not retain_graph:
            node.saved_tensors = ()
            node.inputs = ()
            node.freed = True


def _hooked_leaf_contribution(tensor, g, consumers: dict, pending: dict) -> None:
    """Sum the gradients of a leaf that has hooks; after its last use, finish it."""
    if g is not None:
        pending[tensor] = pending[tensor] + g if tensor in pending else g
    remaining = consumers.get(tensor, 1) - 1
    consumers[tensor] = remaining
    if remaining == 0 and tensor in pending:
        accumulate_with_hooks(tensor, pending.pop(tensor))


def accumulate_with_hooks(tensor, g) -> None:
    """A leaf's summed gradient of one backward: its gradient hooks, `.grad`, then its
    post-accumulate hooks."""
    hooks = tensor._hooks
    if hooks is not None and hooks.grad:
        g = run_grad_hooks(hooks.grad, g, "a leaf tensor")
    _accumulate_leaf(tensor, g)
    if hooks is not None:
        for hook in tuple(hooks.post_accumulate.values()):
            hook(tensor)


def run_grad_hooks(hooks: dict, grad, owner: str):
    """Call each `hook(grad)` in order; a returned Tensor replaces the gradient."""
    from .tensor import Tensor
    for hook in tuple(hooks.values()):
        result = hook(Tensor._wrap(grad))
        if result is None:
            continue
        replaced = result.data if isinstance(result, Tensor) else result
        if getattr(replaced, "shape", None) != grad.shape:
            raise RuntimeError(f"register_hook: a gradient hook on {owner} "
                               f"returned {type(result).__name__} of shape "
                               f"{getattr(replaced, 'shape', '?')} for a gradient of shape "
                               f"{grad.shape}; return a Tensor of the same shape, or None")
        grad = replaced
    return grad


def _accumulate_leaf(tensor, g: np.ndarray):
    if tensor.grad is None:
        from .tensor import Tensor
        tensor.grad = Tensor._wrap(g.astype(tensor.data.dtype, copy=True))   # never alias g
    else:
        tensor.grad.data += g
