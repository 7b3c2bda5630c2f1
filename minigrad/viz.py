"""Graph rendering: `to_dot` (DOT text, no Graphviz needed) and `draw_graph` (a graphviz.Digraph).

    y = (x * x + x * w).sum()
    print(mg.viz.to_dot(y, params={"x": x, "w": w}))          # DOT text
    mg.viz.draw_graph(y, params={"x": x, "w": w}).render("graph", format="svg")

What the picture shows: every op as a blue box (`sliding_window k=3x3 s=1`, `sum dim=(1,)`,
`getitem [0:3, 1:4]`) with the shape and dtype of the tensor it made; leaves as ovals (green:
requires grad; grey: data, no grad), parameters as orange boxes labelled with their names,
the output as a red double octagon. Every use of a tensor is one edge, and a tensor used k > 1 times gets
a red border, red edges and `used kx` on its label — weight sharing is visible at a glance.

The graph can be drawn before or after `backward()`, which frees only the arrays ops saved:
draw after it for `show_grads=True`, which adds each leaf's gradient statistics.
"""
from typing import Any, Callable, Iterator
import contextlib
import shutil

from . import _graph
from .hooks import TOOLS
from .tensor import Tensor

_STYLES = {
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#dbe4ff",
           "color": "#4263eb"},
    "param": {"shape": "box", "style": "filled", "fillcolor": "#ffe8cc", "color": "#e8590c"},
    "leaf": {"shape": "ellipse", "style": "filled", "fillcolor": "#d3f9d8", "color": "#2b8a3e"},
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#f1f3f5",
              "color": "#868e96"},
    "output": {"shape": "doubleoctagon", "style": "filled", "fillcolor": "#ffc9c9",
               "color": "#c92a2a"},
    "more": {"shape": "note", "style": "dashed", "color": "#868e96", "fontcolor": "#495057"},
}
_TITLES = {"leaf": "leaf", "input": "data", "output": "output", "param": "param"}
_MODULE_NODE = {"shape": "box3d", "style": "filled", "fillcolor": "#e5dbff",
                "color": "#7048e8"}
_REUSED_NODE = {"color": "#e03131", "penwidth": "2.5"}
_REUSED_EDGE = {"color": "#e03131"}
_HEADER = [
    'graph [rankdir=TB, fontname="Helvetica", fontsize=12, nodesep=0.25, ranksep=0.35];',
    'node [fontname="Helvetica", fontsize=11, margin="0.12,0.05"];',
    'edge [color="#495057", arrowsize=0.7, fontname="Helvetica", fontsize=10];',
]


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attributes(attrs: dict) -> str:
    return ", ".join(f"{key}={_quote(value)}" for key, value in attrs.items())


_STYLE_TEXT: dict = {}


def _style(kind: str, reused: bool, extra: dict | None) -> str:
    """The attribute text of a node of `kind` (cached: a 100,000-node graph has few styles)."""
    if extra:
        attrs = dict(_STYLES[kind], **(_REUSED_NODE if reused else {}))
        attrs.update(extra)
        return _attributes(attrs)
    text = _STYLE_TEXT.get((kind, reused))
    if text is None:
        attrs = dict(_STYLES[kind], **(_REUSED_NODE if reused else {}))
        text = _STYLE_TEXT[(kind, reused)] = _attributes(attrs)
    return text


def _grad_line(tensor: Any) -> str:
    grad = tensor.grad
    if grad is None:
        return "grad: None"
    array = grad.data
    if array.size <= 4:
        return "grad " + _graph.format_array(array)
    return (f"grad norm={_graph.format_number(float((array.astype('float64') ** 2).sum()) ** 0.5)}"
            f" mean={_graph.format_number(float(array.mean()))}")


def _op_label(op: Any, show_shapes: bool) -> list:
    args = op.args
    if show_shapes and args == str(op.shape):     # reshape/expand: the shape line says it
        args = ""
    lines = [f"{op.name} {args}".strip()]
    if show_shapes:
        lines.append(f"{op.shape} {op.dtype}")
    if op.uses > 1:
        lines.append(f"used {op.uses}x")
    return lines


def _tensor_label(node: Any, show_shapes: bool, show_grads: bool) -> list:
    title = node.name or _TITLES[node.kind]
    tensor = node.tensor
    if node.kind == "output" and tensor is not None and tensor.data.size == 1:
        title += " = " + _graph.format_number(tensor.data.reshape(()))
    lines = [title]
    if show_shapes:
        lines.append(f"{node.shape} {node.dtype}")
    if node.uses > 1:
        lines.append(f"used {node.uses}x")
    if show_grads and tensor is not None and tensor.requires_grad and tensor.grad_fn is None:
        lines.append(_grad_line(tensor))
    return lines


def render(model: Any, show_shapes: bool = True, show_grads: bool = False,
           max_depth: int | None = None,
           modules: dict | None = None, node_extra: dict | None = None,
           label_extra: dict | None = None, edge_extra: dict | None = None,
           title: str | None = None) -> str:
    """DOT text for a GraphModel. `modules` ({path: type name}) turns on clusters;
    `node_extra`/`label_extra`/`edge_extra` (by node id / edge index) restyle single
    nodes and edges (the backward trace's frames use them)."""
    node_extra, label_extra, edge_extra = node_extra or {}, label_extra or {}, edge_extra or {}
    visible_ops = [op for op in model.ops if max_depth is None or op.depth < max_depth]
    visible = {op.id for op in visible_ops} | {"out"}
    edges = [(i, e) for i, e in enumerate(model.edges) if e.dst in visible]
    sources = {e.src for _, e in edges}
    tensors = [t for t in model.tensors if t.id in sources]
    shown_tensors = {t.id for t in tensors}
    hidden = len(model.ops) - len(visible_ops) + len(model.tensors) - len(tensors)

    statements = {}                       # node id -> its DOT statement
    for op in visible_ops:
        lines = _op_label(op, show_shapes) + label_extra.get(op.id, [])
        style = _style("op", op.uses > 1, node_extra.get(op.id))
        statements[op.id] = f"{op.id} [label={_quote(chr(10).join(lines))}, {style}];"
    for node in tensors + [model.output]:
        lines = _tensor_label(node, show_shapes, show_grads) + label_extra.get(node.id, [])
        style = _style(node.kind, node.uses > 1, node_extra.get(node.id))
        statements[node.id] = f"{node.id} [label={_quote(chr(10).join(lines))}, {style}];"

    out = ["digraph minigrad {"] + ["  " + line for line in _HEADER]
    if title:
        out.append(f"  label={_quote(title)}; labelloc=t;")
    members: dict = {}
    if modules is not None:
        for node in visible_ops + tensors:
            if node.module is not None:
                members.setdefault(node.module, []).append(node.id)
    clustered = {node_id for ids in members.values() for node_id in ids}
    out.extend(_clusters(members, modules or {}, statements))
    out.extend("  " + statements[key] for key in statements if key not in clustered)

    uses = {op.id: op.uses for op in model.ops}
    uses.update({t.id: t.uses for t in model.tensors})
    for index, edge in edges:
        attrs = dict(_REUSED_EDGE) if uses.get(edge.src, 1) > 1 else {}
        attrs.update(edge_extra.get(index, {}))
        if edge.src not in visible and edge.src not in shown_tensors:
            continue
        suffix = f" [{_attributes(attrs)}]" if attrs else ""
        out.append(f"  {edge.src} -> {edge.dst}{suffix};")
    if hidden:
        out.extend(_cut_marker(model, visible, hidden, max_depth))
    out.append("}")
    return "\n".join(out) + "\n"


def _cut_marker(model: Any, visible: set, hidden: int,
                max_depth: int | None) -> list:
    """One '... N more nodes' note with a dashed edge into each shown op with hidden inputs."""
    label = f"... {hidden} more nodes\n(depth >= {max_depth} from the output)"
    lines = [f"  more [label={_quote(label)}, {_attributes(_STYLES['more'])}];"]
    targets = []
    for edge in model.edges:
        if edge.src not in visible and edge.src.startswith("op") and edge.dst in visible:
            if edge.dst not in targets:
                targets.append(edge.dst)
    lines.extend(f'  more -> {dst} [style=dashed, color="#868e96"];' for dst in targets)
    return lines


def _clusters(members: dict, types: dict, statements: dict) -> list:
    """Nested `subgraph cluster_...` blocks, one per module path holding shown nodes."""
    paths: set = set()
    for path in members:
        parts = path.split(".")
        paths.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    children: dict = {}
    for path in sorted(paths):
        parent = path.rsplit(".", 1)[0] if "." in path else ""
        children.setdefault(parent, []).append(path)
    lines = []
    stack = [(path, 1, False) for path in reversed(children.get("", []))]
    while stack:                          # iterative: (path, depth, closing?)
        path, depth, closing = stack.pop()
        pad = "  " * depth
        if closing:
            lines.append(pad + "}")
            continue
        name = path.rsplit(".", 1)[-1]
        label = f"{name} ({types[path]})" if path in types else name
        lines.append(f"{pad}subgraph {_quote('cluster_' + path)} {{")
        lines.append(f'{pad}  label={_quote(label)}; style="rounded,filled"; '
                     'fillcolor="#f8f9fa"; color="#adb5bd"; fontsize=12;')
        lines.extend(f"{pad}  {statements[node_id]}" for node_id in members.get(path, []))
        stack.append((path, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(children.get(path, [])))
    return lines


def to_dot(y: Any, params: Any = None, show_shapes: bool = True, show_grads: bool = False,
           model: Any = None,
           group_by_module: bool = True, max_depth: int | None = None,
           collapse_modules: bool = False) -> str:
    """DOT text of the graph that produced `y`; needs no Graphviz.

    Args:
        params: names for tensors: a dict or (name, tensor) pairs, e.g.
            `model.named_parameters()`; named leaves are drawn as parameters.
        show_shapes: put each tensor's shape and dtype on its node.
        show_grads: add each leaf's gradient (norm and mean, or the values when it has at
            most 4 elements); call `backward(retain_graph=True)` first.
        model: an nn.Module (anything with `named_modules()`/`named_parameters()`): names
            its parameters and, with `group_by_module`, draws a cluster per module. Ops made
            under `with mg.viz.record_modules(model):` go to the module that made them;
            otherwise an op joins the module whose parameters it consumes.
        max_depth: draw only ops less than `max_depth` steps from the output, plus one
            "... N more nodes" marker for the rest.
        collapse_modules: with `model`, draw each top-level module (e.g. each layer of a
            Sequential) as one purple node: its name, type, op count and output shape.
    The graph can be drawn before or after backward() (which frees only saved arrays).
    """
    if not isinstance(y, Tensor):
        raise TypeError(f"to_dot: expected the Tensor whose graph to draw, got "
                        f"{type(y).__name__}")
    if max_depth is not None and (isinstance(max_depth, bool) or not isinstance(max_depth, int)
                                  or max_depth < 1):
        raise ValueError(f"to_dot: max_depth must be a positive int or None, got {max_depth!r}")
    if params is None and model is not None:
        params = list(model.named_parameters())
    names = _graph.normalise_names(params, "to_dot")
    graph = _graph.build(y, names)
    if collapse_modules and model is None:
        raise ValueError("to_dot: collapse_modules=True needs the model whose modules to "
                         "collapse; pass model=...")
    modules: dict | None = None
    extra: dict = {}
    labels: dict = {}
    if model is not None and (group_by_module or collapse_modules):
        modules = _graph.assign_modules(graph, model, names)
    if collapse_modules:
        graph = _graph.collapse_modules(graph, modules or {})
        extra = {node_id: _MODULE_NODE for node_id in graph.op_counts}
        labels = {node_id: [f"{count} op" + ("s" if count > 1 else "")]
                  for node_id, count in graph.op_counts.items()}
        modules = None
    return render(graph, show_shapes, show_grads, max_depth, modules, node_extra=extra,
                  label_extra=labels)


def draw_graph(y: Any, **kwargs: Any) -> Any:
    """`to_dot(y, **kwargs)` as a `graphviz.Digraph`: `.render("graph", format="svg")`, or
    display it inline in Jupyter. Needs the `graphviz` package and Graphviz's `dot` program."""
    try:
        import graphviz
    except ImportError:
        raise ImportError('draw_graph: the Python package "graphviz" is missing; install it '
                          'with pip install "minigrad[viz]" (to_dot() works without it)') from None
    if shutil.which("dot") is None:
        raise RuntimeError("draw_graph: Graphviz's `dot` program is not on PATH, so the graph "
                           "cannot be rendered; install Graphviz (apt-get install graphviz, "
                           "brew install graphviz or conda install graphviz). "
                           "mg.viz.to_dot() still works without it and returns the DOT text")
    text = to_dot(y, **kwargs)
    graph = graphviz.Digraph(name="minigrad")
    graph.body.extend(line + "\n" for line in text.splitlines()[1:-1])
    return graph


@contextlib.contextmanager
def record_modules(model: Any) -> Iterator[Any]:
    """Remember, for every op created inside the block, which submodule of `model` was
    running; `to_dot(y, model=model)` then clusters ops by the module that made them.

        with mg.viz.record_modules(model):
            loss = nn.functional.cross_entropy(model(x), target)
        mg.viz.draw_graph(loss, model=model)

    Module boundaries come from forward (pre-)hooks on every module of `model` (anything
    whose `named_modules()` yields objects with `register_forward_pre_hook` and
    `register_forward_hook`, such as nn.Module); all are removed when the block ends.
    """
    stack: list = []
    handles: list = []
    recorder = _ModuleRecorder(stack)
    for path, module in model.named_modules():
        handles.append(module.register_forward_pre_hook(_enter_module(path, stack, recorder)))
        handles.append(module.register_forward_hook(_leave_module(path, stack)))
    handles.append(TOOLS.subscribe(recorder))
    try:
        yield model
    finally:
        for handle in handles:
            handle.remove()
        recorder.origin.clear()


def _is_data(value: Any) -> bool:
    """A Tensor outside the graph: no grad_fn and no gradient wanted (the user's input)."""
    return isinstance(value, Tensor) and value.grad_fn is None and not value.requires_grad


class _ModuleRecorder:
    """Tool: tags each recorded op with the innermost module running. Also follows the ops
    that run outside the graph on a module's data input (conv's im2col of an input that needs
    no gradient): a graph op fed by their result is drawn fed by that input instead, so the
    picture shows the user's (N, C, H, W) tensor, not an internal array."""

    def __init__(self, stack: list) -> None:
        self.stack = stack
        self.origin: dict = {}          # id(tensor made outside the graph) -> (it, the module input)

    def add_source(self, tensor: Any) -> None:
        self.origin.setdefault(id(tensor), (tensor, tensor))

    def _source_of(self, value: Any) -> Any:
        entry = self.origin.get(id(value)) if _is_data(value) else None
        return entry[1] if entry is not None and entry[0] is value else None

    def record(self, ctx: Any, result: Any) -> None:
        if result.grad_fn is None:
            sources = {id(s): s for s in map(self._source_of, ctx.inputs) if s is not None}
            if len(sources) == 1:
                self.origin[id(result)] = (result, next(iter(sources.values())))
            return
        if self.stack:
            _graph.MODULE_OF[ctx] = self.stack[-1]
        shown = {position: source for position, source in
                 enumerate(map(self._source_of, ctx.inputs))
                 if source is not None and source is not ctx.inputs[position]}
        if shown:
            _graph.SHOWN_INPUTS[ctx] = shown


def _enter_module(path: str, stack: list,
                  recorder: _ModuleRecorder) -> Callable[[Any, Any], None]:
    def pre_hook(module: Any, args: Any) -> None:
        stack.append(path)
        for arg in args:
            if _is_data(arg):
                recorder.add_source(arg)
    return pre_hook


def _leave_module(path: str, stack: list) -> Callable[[Any, Any, Any], None]:
    def hook(module: Any, args: Any, output: Any) -> None:
        while stack:                      # also drops entries of submodules that raised
            if stack.pop() == path:
                break
    return hook
