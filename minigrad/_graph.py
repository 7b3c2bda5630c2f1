"""The graph model behind `minigrad.viz` and the backward trace.

One breadth-first walk from the output over the recorded nodes (`tensor.grad_fn` Contexts)
gives op nodes, leaf-tensor nodes and one edge per use of a tensor, with ids that depend only
on the graph's structure (`op0` is the op that made the output, `op1`... in breadth-first
order; `t0`, `t1`... the leaves in the order they are met; `out` the output). The walk is
iterative, so a chain of 100,000 ops works. An intermediate tensor is drawn as part of the op
node that produced it (its shape and use count are on that node's label).
"""
from typing import Any
import math
import re
import weakref
from collections import deque

import numpy as np

from .tensor import Tensor

_SPECIAL_NAMES = {"MatMul": "matmul", "GetItem": "getitem", "ReLU": "relu", "Im2Col": "im2col"}
# Set by viz.record_modules: graph node -> module path, and graph node -> {argument position:
# the tensor drawn there instead (the user's input behind an array made outside the graph).
MODULE_OF: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
SHOWN_INPUTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


_DTYPE_NAMES: dict = {}


def dtype_name(dtype: Any) -> str:
    """'float32' for np.float32 / np.dtype('float32') (cached: numpy's .name is slow)."""
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = np.dtype(dtype).name
    return name


def op_name(ctx: Any) -> str:
    """`SlidingWindow` -> `sliding_window`, `MatMul` -> `matmul`, a user's `Cube` -> `cube`."""
    name = ctx.name
    if name not in _SPECIAL_NAMES:
        _SPECIAL_NAMES[name] = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return _SPECIAL_NAMES[name]


def format_number(value: Any) -> str:
    """A short number: 4 significant digits, no trailing zeros (2.0 -> 2, 0.123456 -> 0.1235)."""
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def format_array(array: Any, max_elements: int = 4) -> str:
    """Small arrays in full (nested lists, 4 significant digits), bigger ones as shape + norm."""
    array = np.asarray(array)
    if array.size > max_elements:
        norm = float(np.sqrt(np.sum(np.square(array, dtype=np.float64))))
        return f"{array.shape} norm={format_number(norm)}"
    return _nested(array)


def _nested(array: Any) -> str:
    if array.ndim == 0:
        return format_number(array) if array.dtype.kind in "fiu" else str(array)
    return "[" + ", ".join(_nested(part) for part in array) + "]"


def _pair_text(pair: Any) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}x{pair[1]}"


def _index_text(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    shown = []
    for part in parts:
        if isinstance(part, slice):
            text = ":".join("" if v is None else str(v) for v in (part.start, part.stop))
            shown.append(text + (f":{part.step}" if part.step not in (None, 1) else ""))
        elif part is Ellipsis:
            shown.append("...")
        elif part is None:
            shown.append("None")
        elif isinstance(part, np.ndarray):
            shown.append(f"{part.dtype.name}{list(part.shape)}" if part.size > 4
                         else str(part.tolist()))
        else:
            shown.append(str(part))
    return "[" + ", ".join(shown) + "]"


def _plain_text(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, float, np.number)):
        return format_number(value)
    if isinstance(value, np.ndarray):
        return format_array(value) if value.size <= 4 else f"array{value.shape}"
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _window_text(kernel: Any, stride: Any, dilation: Any, padding: Any) -> str:
    """`k=3x3 s=1`, with ` d=...` and ` p=...` when they are not the defaults."""
    text = f"k={kernel[0]}x{kernel[1]} s={_pair_text(stride)}"
    if tuple(dilation) != (1, 1):
        text += f" d={_pair_text(dilation)}"
    if any(p for pair in padding for p in pair):
        flat = (padding[0][0], padding[0][1], padding[1][0], padding[1][1])
        text += f" p={flat[0]}" if len(set(flat)) == 1 else f" p={padding}"
    return text


def op_arguments(ctx: Any) -> str:
    """The op's non-tensor arguments, short: `k=3x3 s=1`, `dim=(1,)`, `(64, 9216)`."""
    name, args = ctx.name, ctx.inputs
    if name == "Conv2d":
        stride, dilation, padding, groups = args[3:7]
        text = _window_text(args[1].shape[2:], stride, dilation, padding)
        return text + (f" groups={groups}" if groups != 1 else "")
    if name in ("SlidingWindow", "Im2Col"):
        text = _window_text(*args[1:5])
        if len(args) > 5 and args[5] != 0:
            text += f" fill={format_number(args[5])}"
        return text
    if name in ("Sum", "Max"):
        every_axis = len(args[1]) == len(getattr(ctx, "shape", args[0].shape))
        dims = "all" if every_axis else str(tuple(args[1]))
        return f"dim={dims}" + (" keepdim" if args[2] else "")
    if name in ("Reshape", "Expand", "Permute"):
        return str(tuple(args[1]))
    if name == "GetItem":
        return _index_text(args[1])
    if name == "Cat":
        return f"dim={args[0]}"
    if name == "Clamp":
        parts = [f"{key}={format_number(v)}" for key, v in (("min", args[1]), ("max", args[2]))
                 if v is not None]
        return " ".join(parts)
    if name == "Cast":
        return np.dtype(args[1]).name
    return " ".join(_plain_text(a) for a in args if not isinstance(a, Tensor))


class OpNode:
    """One recorded op: its Context, display text, output shape/dtype and depth from the output."""

    __slots__ = ("id", "ctx", "name", "args", "shape", "dtype", "depth", "uses", "module")

    def __init__(self, node_id: Any, ctx: Any, shape: Any, dtype: Any, depth: Any) -> None:
        self.id, self.ctx, self.depth = node_id, ctx, depth
        self.name, self.args = op_name(ctx), op_arguments(ctx)
        self.shape, self.dtype = tuple(shape), dtype_name(dtype)
        self.uses = 0
        self.module: str | None = None


class TensorNode:
    """A leaf tensor (kind 'param', 'leaf' or 'input') or the output (kind 'output')."""

    __slots__ = ("id", "tensor", "kind", "name", "shape", "dtype", "uses", "module")

    def __init__(self, node_id: str, tensor: Any, kind: str, name: Any, shape: Any,
                 dtype: Any) -> None:
        self.id, self.tensor, self.kind, self.name = node_id, tensor, kind, name
        self.shape, self.dtype = tuple(shape), dtype_name(dtype)
        self.uses = 0
        self.module: str | None = None


class Edge:
    """One use of a tensor: `src` (leaf or producing op) -> `dst` (the consuming op), the
    consumer's Context and the argument position the tensor fills there."""

    __slots__ = ("src", "dst", "ctx", "position")

    def __init__(self, src: Any, dst: Any, ctx: Any, position: Any) -> None:
        self.src, self.dst, self.ctx, self.position = src, dst, ctx, position


class GraphModel:
    """Op nodes, tensor nodes and edges of one graph, in deterministic order."""

    def __init__(self) -> None:
        self.ops: list[OpNode] = []
        self.tensors: list[TensorNode] = []
        self.edges: list[Edge] = []
        self.op_of: dict = {}            # Context -> OpNode
        self.output: TensorNode | None = None
        self.op_counts: dict = {}        # merged module node id -> how many ops it stands for

    def edge_index(self) -> dict:
        """(Context, argument position) -> index into `edges`."""
        return {(e.ctx, e.position): i for i, e in enumerate(self.edges) if e.ctx is not None}


def normalise_names(params: Any, caller: str) -> dict:
    """A dict or an iterable of (name, tensor) pairs -> {id(tensor): name}."""
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    names: dict = {}
    try:
        for name, tensor in items:
            if not isinstance(tensor, Tensor):
                raise TypeError(f"{caller}: params[{name!r}] is a {type(tensor).__name__}, not "
                                "a Tensor; pass a dict or (name, tensor) pairs such as "
                                "model.named_parameters()")
            names.setdefault(id(tensor), str(name))
    except (TypeError, ValueError) as error:
        if "params[" in str(error):
            raise
        raise TypeError(f"{caller}: params must be a dict or an iterable of (name, tensor) "
                        f"pairs such as model.named_parameters(), got "
                        f"{type(params).__name__}") from None
    return names


def build(root: Any, names: dict | None = None, output_shape: Any = None,
          output_dtype: Any = None) -> GraphModel:
    """Walk the graph that produced `root` (a Tensor, or a Context with the output's shape
    and dtype given) and return its GraphModel. A graph that backward() freed keeps its
    structure (only the saved arrays are gone), so it is drawn the same."""
    names = names or {}
    model = GraphModel()
    if isinstance(root, Tensor):
        root_ctx, out_tensor = root.grad_fn, root
        output_shape, output_dtype = root.shape, root.dtype
    else:
        root_ctx, out_tensor = root, None
    out_name = names.get(id(out_tensor)) if out_tensor is not None else None
    model.output = TensorNode("out", out_tensor, "output", out_name, output_shape, output_dtype)
    if root_ctx is None:
        return model
    leaves: dict = {}
    first = OpNode("op0", root_ctx, output_shape, output_dtype, 0)
    model.ops.append(first)
    model.op_of[root_ctx] = first
    model.edges.append(Edge("op0", "out", None, 0))
    queue = deque([first])
    while queue:
        op = queue.popleft()
        ctx = op.ctx
        shown = SHOWN_INPUTS.get(ctx)
        for position, value in enumerate(ctx.inputs):
            if shown and position in shown:
                value = shown[position]           # the user's input behind an internal array
            if not isinstance(value, Tensor):
                continue
            parent = value.grad_fn
            if parent is None:
                node = leaves.get(id(value))
                if node is None:
                    name = names.get(id(value))
                    kind = "param" if name is not None else (
                        "leaf" if value.requires_grad else "input")
                    node = TensorNode(f"t{len(model.tensors)}", value, kind, name,
                                      value.shape, value.dtype)
                    leaves[id(value)] = node
                    model.tensors.append(node)
            else:
                node = model.op_of.get(parent)
                if node is None:
                    node = OpNode(f"op{len(model.ops)}", parent, value.shape, value.dtype,
                                  op.depth + 1)
                    model.ops.append(node)
                    model.op_of[parent] = node
                    queue.append(node)
            node.uses += 1
            model.edges.append(Edge(node.id, op.id, ctx, position))
    return model


def assign_modules(model: GraphModel, module: Any, names: dict) -> dict:
    """Put ops and parameters into module clusters; returns {path: type name} of the modules.

    An op recorded under `viz.record_modules` belongs to the module that was running when it
    was created. Otherwise an op belongs to module M when one of its inputs is a parameter of
    M, or the output of an op whose tensor inputs are all parameters of M (e.g. the matmul
    after `weight.reshape`). Duck-typed: `module` needs `named_modules()`.
    """
    types = {path: type(m).__name__ for path, m in module.named_modules()}
    param_module = {}
    for tensor_node in model.tensors:
        if tensor_node.kind == "param" and "." in tensor_node.name:
            path = tensor_node.name.rsplit(".", 1)[0]
            if path in types:
                tensor_node.module = path
                param_module[tensor_node.id] = path
        elif tensor_node.kind == "param" and "" in types:
            param_module[tensor_node.id] = ""
    inputs_of: dict = {}
    for edge in model.edges:
        inputs_of.setdefault(edge.dst, []).append(edge.src)
    only_params_of = {}
    for op in model.ops:
        owners = {param_module.get(src) for src in inputs_of.get(op.id, ())}
        if len(owners) == 1 and None not in owners:
            only_params_of[op.id] = owners.pop()
    recorded = [MODULE_OF.get(op.ctx) for op in model.ops]
    if any(path is not None for path in recorded):
        for op, path in zip(model.ops, recorded):
            op.module = path or None          # "" (the model itself) and unrecorded: no cluster
        return types
    for op in model.ops:
        for src in inputs_of.get(op.id, ()):
            owner = param_module.get(src) or only_params_of.get(src)
            if owner:
                op.module = owner
                break
    return types


def collapse_modules(model: GraphModel, types: dict) -> GraphModel:
    """A copy of `model` (after `assign_modules`) with the ops of each top-level module
    merged into one node named `<name> (<type>)` with the module's output shape (that of
    its op nearest the output); `op_counts` says how many ops each merged node stands for. Parameters stay separate nodes; repeated edges
    between the same two nodes are drawn once."""
    groups: dict = {}
    for op in model.ops:
        if op.module is not None:
            groups.setdefault(op.module.split(".")[0], []).append(op)
    if not groups:
        return model
    merged = GraphModel()
    merged.output, merged.tensors = model.output, model.tensors
    replacement: dict[str, OpNode] = {}
    for op in model.ops:
        if op.module is None:
            merged.ops.append(op)
            merged.op_of[op.ctx] = op
            continue
        path = op.module.split(".")[0]
        if path not in replacement:
            members = groups[path]
            last = min(members, key=lambda member: member.depth)
            node = OpNode.__new__(OpNode)
            node.id, node.ctx, node.depth, node.module = f"op_{path}", None, last.depth, None
            node.name, node.args = f"{path} ({types.get(path, 'module')})", ""
            merged.op_counts[node.id] = len(members)
            node.shape, node.dtype, node.uses = last.shape, last.dtype, 0
            replacement[path] = node
            merged.ops.append(node)
        merged.op_of[op.ctx] = replacement[path]
    group_of = {op.id: replacement[op.module.split(".")[0]].id
                for op in model.ops if op.module is not None}
    seen = set()
    for edge in model.edges:
        src, dst = group_of.get(edge.src, edge.src), group_of.get(edge.dst, edge.dst)
        if src == dst:
            continue
        if src != edge.src or dst != edge.dst:
            if (src, dst) in seen:
                continue
            seen.add((src, dst))
        merged.edges.append(Edge(src, dst, edge.ctx, edge.position))
    uses: dict = {}
    for edge in merged.edges:
        uses[edge.src] = uses.get(edge.src, 0) + 1
    for node in replacement.values():
        node.uses = uses.get(node.id, 0) - (1 if node.id == merged.edges[0].src else 0)
    return merged
