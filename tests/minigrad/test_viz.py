"""minigrad.viz: the DOT text is parsed and its nodes, labels, edges and clusters asserted."""
import re
import shutil
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import minigrad as mg
from dot_parse import Dot

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def reused_leaf_graph():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return (x * x + x * w).sum(), x, w


def test_reused_leaf_shows_every_edge_and_its_use_count():
    y, x, w = reused_leaf_graph()
    dot = Dot(mg.viz.to_dot(y, params={"x": x, "w": w}))
    x_id, w_id = dot.find("x"), dot.find("w")
    assert dot.nodes[x_id]["lines"] == ["x", "(3,) float32", "used 3x"]
    assert dot.nodes[w_id]["lines"] == ["w", "(3,) float32"]
    x_targets = sorted(dot.nodes[dst]["lines"][0] for _, dst, _ in dot.out_edges(x_id))
    assert x_targets == ["mul", "mul", "mul"]
    assert len(dot.out_edges(w_id)) == 1
    assert all(attrs.get("color") == "#e03131" for _, _, attrs in dot.out_edges(x_id))
    # ops: sum <- add <- (mul, mul); and the output node after sum
    labels = sorted(a["lines"][0] for a in dot.nodes.values())
    assert labels == ["add", "mul", "mul", "output = 18.5", "sum dim=all", "w", "x"]
    out = dot.find("output = 18.5")
    assert [dot.nodes[src]["lines"][0] for src, _, _ in dot.in_edges(out)] == ["sum dim=all"]
    assert dot.nodes[out]["shape"] == "doubleoctagon"
    assert len(dot.edges) == 8


def test_x_times_x_is_two_edges_into_the_same_op():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    dot = Dot(mg.viz.to_dot((x * x).sum()))
    leaf = dot.find("leaf")
    (mul,) = {dst for _, dst, _ in dot.out_edges(leaf)}
    assert len(dot.out_edges(leaf)) == 2 and dot.nodes[mul]["lines"][0] == "mul"


def test_op_arguments_shapes_and_dtypes_on_labels():
    x = mg.randn(2, 3, 6, 6, requires_grad=True)
    windows = mg.sliding_window(x, 3, stride=1, padding=1)            # (2, 3, 6, 6, 3, 3)
    flat = windows.reshape(2, -1)                                      # (2, 972)
    y = flat.sum(dim=1)[0:1]
    dot = Dot(mg.viz.to_dot(y))
    firsts = {a["lines"][0]: a["lines"] for a in dot.nodes.values()}
    assert firsts["sliding_window k=3x3 s=1 p=1"][1] == "(2, 3, 6, 6, 3, 3) float32"
    assert firsts["reshape"][1] == "(2, 972) float32"              # the shape line says it
    assert firsts["sum dim=(1,)"][1] == "(2,) float32"
    assert "getitem [0:1]" in firsts
    assert firsts["leaf"] == ["leaf", "(2, 3, 6, 6) float32"]
    no_shapes = Dot(mg.viz.to_dot(y, show_shapes=False))
    assert "reshape (2, 972)" in {a["lines"][0] for a in no_shapes.nodes.values()}
    assert all(len(a["lines"]) == 1 for a in no_shapes.nodes.values())


def test_data_tensors_and_scalars():
    x = mg.tensor([[1.0, -2.0]], requires_grad=True)
    data = mg.tensor([[3.0, 4.0]])
    y = ((x * data) * 2.0 + 1.5).relu().sum()
    dot = Dot(mg.viz.to_dot(y))
    firsts = {a["lines"][0] for a in dot.nodes.values()}
    assert {"mul 2", "add 1.5", "relu", "data", "leaf"} <= firsts
    assert dot.nodes[dot.find("data")]["fillcolor"] == "#f1f3f5"
    assert dot.nodes[dot.find("leaf")]["fillcolor"] == "#d3f9d8"


def test_weight_sharing_kernel_on_every_position_of_a_5x5_image():
    image = mg.randn(5, 5, requires_grad=True)
    kernel = mg.randn(3, 3, requires_grad=True)
    outs = [(image[i:i + 3, j:j + 3] * kernel).sum() for i in range(3) for j in range(3)]
    y = mg.stack(outs).sum()
    dot = Dot(mg.viz.to_dot(y, params={"kernel": kernel, "image": image}))
    k = dot.find("kernel")
    assert dot.nodes[k]["lines"][-1] == "used 9x"
    assert len(dot.out_edges(k)) == 9
    assert {dot.nodes[dst]["lines"][0] for _, dst, _ in dot.out_edges(k)} == {"mul"}
    crops = {dot.nodes[dst]["lines"][0] for _, dst, _ in dot.out_edges(dot.find("image"))}
    assert dot.nodes[dot.find("image")]["lines"][-1] == "used 9x"
    assert crops == {f"getitem [{i}:{i + 3}, {j}:{j + 3}]" for i in range(3) for j in range(3)}


def test_data_crops_are_separate_constants():
    image = mg.randn(5, 5)                   # no grad: cropping it is not recorded
    kernel = mg.randn(3, 3, requires_grad=True)
    y = mg.stack([(image[i:i + 3, 0:3] * kernel).sum() for i in range(3)]).sum()
    dot = Dot(mg.viz.to_dot(y))
    data = [i for i, a in dot.nodes.items() if a["lines"][0] == "data"]
    assert len(data) == 3 and all(len(dot.out_edges(i)) == 1 for i in data)


def test_params_from_named_parameters_pairs_and_type_errors():
    y, x, w = reused_leaf_graph()
    pairs = iter([("layer.x", x), ("layer.w", w)])
    dot = Dot(mg.viz.to_dot(y, params=pairs))
    assert dot.find("layer.x") and dot.find("layer.w")
    assert dot.nodes[dot.find("layer.w")]["shape"] == "box"
    with pytest.raises(TypeError, match=r"params\['w'\] is a list"):
        mg.viz.to_dot(y, params={"w": [1.0]})
    with pytest.raises(TypeError, match="named_parameters"):
        mg.viz.to_dot(y, params=5)
    with pytest.raises(TypeError, match="expected the Tensor"):
        mg.viz.to_dot(np.ones(3))
    with pytest.raises(ValueError, match="max_depth must be a positive int"):
        mg.viz.to_dot(y, max_depth=0)


def test_output_deterministic_for_identical_graphs():
    first, x1, w1 = reused_leaf_graph()
    second, x2, w2 = reused_leaf_graph()
    text = mg.viz.to_dot(first, params={"x": x1, "w": w1})
    assert text == mg.viz.to_dot(first, params={"x": x1, "w": w1})
    assert text == mg.viz.to_dot(second, params={"x": x2, "w": w2})


def test_show_grads_values_for_tiny_tensors_and_statistics_for_big_ones():
    y, x, w = reused_leaf_graph()
    big = mg.randn(4, 5, requires_grad=True)
    z = y + (big * 3.0).sum()
    z.backward(retain_graph=True)
    dot = Dot(mg.viz.to_dot(z, params={"x": x, "w": w, "big": big}, show_grads=True))
    assert dot.nodes[dot.find("x")]["lines"][-1] == "grad [2.5, 3, 8]"
    assert dot.nodes[dot.find("w")]["lines"][-1] == "grad [1, 2, 3]"
    norm = np.sqrt(20 * 9.0)
    assert dot.nodes[dot.find("big")]["lines"][-1] == f"grad norm={norm:.4g} mean=3"
    plain = Dot(mg.viz.to_dot(z, params={"x": x}))
    assert not any("grad" in line for a in plain.nodes.values() for line in a["lines"])


def test_grad_none_is_shown_before_backward():
    y, x, w = reused_leaf_graph()
    dot = Dot(mg.viz.to_dot(y, params={"x": x}, show_grads=True))
    assert dot.nodes[dot.find("x")]["lines"][-1] == "grad: None"


def test_graph_stays_drawable_after_backward():
    # Issue 13: backward frees the saved arrays only; ops, shapes and edges remain drawable,
    # and show_grads then has the gradients to show.
    y, x, w = reused_leaf_graph()
    before = mg.viz.to_dot(y, params={"x": x, "w": w})
    y.backward()
    assert y.grad_fn.freed and y.grad_fn.saved_tensors == ()
    assert mg.viz.to_dot(y, params={"x": x, "w": w}) == before
    dot = Dot(mg.viz.to_dot(y, params={"x": x, "w": w}, show_grads=True))
    assert dot.nodes[dot.find("w")]["lines"][-1] == "grad [1, 2, 3]"


def test_conv_graph_after_backward_keeps_intermediate_shapes():
    import nn
    model = nn.Sequential(nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dense(8, 2))
    loss = model(mg.randn(3, 1, 4, 4)).sum()
    before = mg.viz.to_dot(loss, model=model)
    loss.backward()
    assert mg.viz.to_dot(loss, model=model) == before


def test_max_depth_cuts_with_a_count_of_the_hidden_nodes():
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10):
        y = y * 2.0                          # 10 ops in a chain + the leaf
    dot = Dot(mg.viz.to_dot(y, max_depth=3))
    ops = [i for i in dot.nodes if i.startswith("op")]
    assert len(ops) == 3
    assert dot.nodes["more"]["lines"][0] == "... 8 more nodes"      # 7 ops + the leaf
    assert [dst for src, dst, _ in dot.edges if src == "more"] == ["op2"]
    full = Dot(mg.viz.to_dot(y, max_depth=50))
    assert "more" not in full.nodes and len(full.nodes) == 12


def check_chain_renders(length: int):
    x = mg.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(length):
        y = y + 1.0
    text = mg.viz.to_dot(y, params={"x": x})
    assert len(re.findall(r"\n  op\d+ \[label=", text)) == length
    assert text.count(" -> ") == length + 1
    assert f"op{length - 1} -> op{length - 2};" in text
    assert 'label="x\\n(1,) float32"' in text


def test_chain_far_deeper_than_the_recursion_limit_renders():
    check_chain_renders(5 * sys.getrecursionlimit())


@pytest.mark.slow
def test_chain_of_100_000_ops_renders():
    check_chain_renders(100_000)


def test_record_modules_clusters_ops_by_the_module_that_made_them():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Conv2D(1, 2, kernel_size=3), nn.ReLU(), nn.Conv2D(2, 3, 3),
                          nn.Flatten(), nn.Dense(3 * 4 * 4, 4))
    x = mg.randn(2, 1, 8, 8)
    with mg.viz.record_modules(model):
        loss = model(x).sum()
    assert all("forward" not in m.__dict__ for m in model.modules())   # restored
    dot = Dot(mg.viz.to_dot(loss, model=model))
    assert dot.cluster_labels == {"0": "0 (Conv2D)", "1": "1 (ReLU)", "2": "2 (Conv2D)",
                                  "3": "3 (Flatten)", "4": "4 (Dense)"}
    clusters = {}
    for node_id, path in dot.cluster_of.items():
        clusters.setdefault(path, set()).add(dot.nodes[node_id]["lines"][0])
    assert clusters["2"] == {"conv2d k=3x3 s=1", "2.weight", "2.bias"}    # one op per layer
    assert clusters["1"] == {"relu"}
    assert clusters["3"] == {"reshape"}
    assert dot.nodes[dot.find("sum dim=all")].get("lines") and "sum dim=all" not in {
        dot.nodes[i]["lines"][0] for i in dot.cluster_of}
    flat = Dot(mg.viz.to_dot(loss, model=model, group_by_module=False))
    assert flat.cluster_of == {} and flat.find("4.weight")


def test_collapse_modules_draws_one_node_per_layer():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Dense(3, 4), nn.ReLU(), nn.Dense(4, 2))
    with mg.viz.record_modules(model):
        loss = (model(mg.randn(5, 3)) * 2.0).sum()
    dot = Dot(mg.viz.to_dot(loss, model=model, collapse_modules=True))
    layers = {a["lines"][0]: (i, a) for i, a in dot.nodes.items() if a.get("shape") == "box3d"}
    assert sorted(layers) == ["0 (Dense)", "1 (ReLU)", "2 (Dense)"]
    first_id, first = layers["0 (Dense)"]
    assert first["lines"][1:] == ["(5, 4) float32", "1 op"]        # linear: one op
    assert layers["1 (ReLU)"][1]["lines"][2] == "1 op"
    chain = [(dot.nodes[a]["lines"][0], dot.nodes[b]["lines"][0]) for a, b, _ in dot.edges]
    assert ("0 (Dense)", "1 (ReLU)") in chain and ("1 (ReLU)", "2 (Dense)") in chain
    assert ("2 (Dense)", "mul 2") in chain
    assert sorted(src for src, dst in chain if dst == "0 (Dense)") == ["0.bias", "0.weight",
                                                                       "data"]
    assert len(chain) == len(set(chain)) and dot.cluster_of == {}
    with pytest.raises(ValueError, match="collapse_modules=True needs the model"):
        mg.viz.to_dot(loss, collapse_modules=True)


def test_without_recording_ops_join_the_module_whose_parameters_they_use():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Dense(3, 2), nn.ReLU(), nn.Dense(2, 1))
    loss = model(mg.randn(4, 3)).sum()
    dot = Dot(mg.viz.to_dot(loss, model=model))
    assert dot.cluster_of[dot.find("0.weight")] == "0"
    in_first = {dot.nodes[i]["lines"][0] for i, path in dot.cluster_of.items() if path == "0"}
    assert {"linear", "0.weight", "0.bias"} <= in_first
    assert dot.cluster_of.get(dot.find("relu")) is None


def test_draw_graph_without_dot_binary_says_how_to_install(monkeypatch):
    pytest.importorskip("graphviz")
    y, _, _ = reused_leaf_graph()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match=r"apt-get install graphviz.*to_dot\(\) still works"):
        mg.viz.draw_graph(y)
    assert mg.viz.to_dot(y).startswith("digraph minigrad {")


def test_draw_graph_without_the_python_package(monkeypatch):
    y, _, _ = reused_leaf_graph()
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(ImportError, match=r'pip install "minigrad\[viz\]"'):
        mg.viz.draw_graph(y)


@needs_dot
def test_draw_graph_renders_svg_that_holds_the_labels():
    graphviz = pytest.importorskip("graphviz")
    y, x, w = reused_leaf_graph()
    graph = mg.viz.draw_graph(y, params={"x": x, "w": w})
    assert isinstance(graph, graphviz.Digraph)
    assert graph.source.strip() == mg.viz.to_dot(y, params={"x": x, "w": w}).strip()
    svg = graph.pipe(format="svg")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for expected in ("x", "w", "used 3x", "mul", "add", "output = 18.5", "(3,) float32"):
        assert expected in texts
    edges = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "edge"]
    assert len(edges) == 8
    assert "image/svg+xml" in graph._repr_mimebundle_()        # inline display in Jupyter


def test_record_modules_draws_the_users_conv_input_not_the_im2col_array():
    # Issue 13: the first conv's input showed as `data (9, 1352)` (the im2col matrix, made
    # outside the graph because the input needs no gradient) instead of the user's input.
    import nn
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Dense(2 * 26 * 26, 3))
    x = mg.randn(2, 1, 28, 28)
    with mg.viz.record_modules(model):
        loss = model(x).sum()
    dot = Dot(mg.viz.to_dot(loss, model=model))
    data = [node["lines"][1] for node in dot.nodes.values() if node["lines"][0] == "data"]
    assert data == ["(2, 1, 28, 28) float32"]
    x_node = next(k for k, n in dot.nodes.items() if n["lines"][0] == "data")
    assert any(src == x_node for src, *_ in dot.edges)
    loss.backward()                             # and after backward, also without model=
    again = Dot(mg.viz.to_dot(loss))
    assert [n["lines"][1] for n in again.nodes.values() if n["lines"][0] == "data"] == data
    with mg.viz.record_modules(model):          # an input that needs a gradient is in the graph
        y = model(mg.randn(2, 1, 28, 28, requires_grad=True)).sum()
    assert not [n for n in Dot(mg.viz.to_dot(y)).nodes.values() if n["lines"][0] == "data"]
