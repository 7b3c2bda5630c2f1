"""minigrad.inspect: the per-use gradient ledger and the backward trace."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import minigrad as mg
from minigrad import _graph
from minigrad.hooks import TOOLS
from dot_parse import Dot


def shared_kernel_graph(size: int = 32):
    """A 3x3 kernel applied at every position of a size x size image by indexing:
    (size - 2)^2 uses of the kernel, each a separate mul."""
    image = mg.tensor(np.random.default_rng(1).standard_normal((size, size)), dtype=np.float64)
    kernel = mg.tensor(np.random.default_rng(2).standard_normal((3, 3)), dtype=np.float64,
                       requires_grad=True)
    positions = [(i, j) for i in range(size - 2) for j in range(size - 2)]
    weights = np.random.default_rng(3).standard_normal(len(positions))
    outs = [(image[i:i + 3, j:j + 3] * kernel).sum() * float(c)
            for (i, j), c in zip(positions, weights)]
    return mg.stack(outs).sum(), image, kernel, positions, weights


def test_ledger_of_a_kernel_used_900_times_sums_to_its_grad():
    loss, image, kernel, positions, weights = shared_kernel_graph(32)
    with mg.inspect.record_contributions(kernel=kernel) as ledger:
        loss.backward()
    parts = ledger[kernel]
    assert len(parts) == 900
    assert {p.op for p in parts} == {"mul"}
    # every use sent weight * the image patch under it (in some order): check the multiset
    expected = sorted(float(c * image.data[i:i + 3, j:j + 3].sum())
                      for (i, j), c in zip(positions, weights))
    assert np.allclose(sorted(float(p.grad.sum()) for p in parts), expected)
    total = np.sum([p.grad for p in parts], axis=0)
    np.testing.assert_allclose(total, kernel.grad.data, rtol=1e-12)
    np.testing.assert_allclose(ledger.total(kernel), kernel.grad.data, rtol=1e-12)
    assert ledger.name(kernel) == "kernel" and kernel in ledger and len(ledger) == 1


def test_per_use_sum_equals_the_sliding_window_convolution_gradient():
    loss, image, kernel, positions, weights = shared_kernel_graph(8)
    with mg.inspect.record_contributions(kernel) as ledger:
        loss.backward()
    k2 = mg.tensor(kernel.data.copy(), requires_grad=True)
    windows = mg.sliding_window(image.reshape(1, 1, 8, 8), 3)          # (1, 1, 6, 6, 3, 3)
    conv = (windows.reshape(36, 9) @ k2.reshape(9, 1)).reshape(36)     # one matmul: 1 use
    with mg.inspect.record_contributions(k2) as conv_ledger:
        (conv * mg.tensor(weights)).sum().backward()
    assert [p.op for p in conv_ledger[k2]] == ["reshape"]
    np.testing.assert_allclose(conv_ledger.total(k2), ledger.total(kernel), rtol=1e-10)
    assert len(ledger[kernel]) == 36


def test_ledger_total_is_what_this_backward_added_when_grad_already_held_something():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * 3.0).sum().backward()
    with mg.inspect.record_contributions(x=x) as ledger:
        (x * x).sum().backward()
    assert [p.op for p in ledger[x]] == ["mul", "mul"]
    np.testing.assert_allclose(ledger.total(x), [2.0, 4.0])
    np.testing.assert_allclose(x.grad.data, [5.0, 7.0])


def test_ledger_without_arguments_records_every_leaf_and_copies_arrays():
    a = mg.tensor([1.0, -1.0], requires_grad=True)
    b = mg.tensor([2.0, 0.5], requires_grad=True)
    with mg.inspect.record_contributions() as ledger:
        (a * b + a).sum().backward()
    assert [ledger.name(t) for t in ledger] == ["leaf 0", "leaf 1"] or \
        [ledger.name(t) for t in ledger] == ["leaf 0", "leaf 1"][::-1]
    np.testing.assert_allclose(ledger.total(a), a.grad.data)
    np.testing.assert_allclose(ledger.total(b), b.grad.data)
    assert sorted(p.op for p in ledger[a]) == ["add", "mul"]
    a.grad.data[...] = 100.0                  # the ledger kept its own copies
    np.testing.assert_allclose(ledger.total(a), [3.0, 1.5])


def test_ledger_records_an_intermediate_tensor_and_named_parameters():
    w = mg.tensor([[1.0, 2.0]], requires_grad=True)
    hidden = w * 2.0
    y = (hidden * hidden).sum() + hidden.sum()
    with mg.inspect.record_contributions([("layer.w", w)], hidden=hidden) as ledger:
        y.backward()
    assert sorted(p.op for p in ledger[hidden]) == ["mul", "mul", "sum"]
    np.testing.assert_allclose(ledger.total(hidden), 2 * hidden.data + 1)
    assert ledger.name(w) == "layer.w"
    text = str(ledger)
    assert "hidden (1, 2) float32: 3 contribution(s)" in text
    assert "layer.w (1, 2) float32: 1 contribution(s)" in text


def test_ledger_text_shows_the_parts_and_the_sum():
    loss, _, kernel, _, _ = shared_kernel_graph(6)             # 16 uses
    with mg.inspect.record_contributions(kernel=kernel) as ledger:
        loss.backward()
    text = str(ledger)
    assert "kernel (3, 3) float64: 16 contribution(s)" in text
    assert "  ... 9 more ..." in text
    assert "#16" in text and "#6 " not in text
    assert "from mul" in text and "<- what backward added to .grad" in text
    assert _graph.format_array(kernel.grad.data, 9) in text


def test_ledger_errors_and_the_observer_is_restored():
    x = mg.tensor([1.0], requires_grad=True)
    other = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="record_contributions: argument 0 is a int"):
        mg.inspect.record_contributions(3)
    with pytest.raises(ValueError):
        with mg.inspect.record_contributions(x) as ledger:
            raise ValueError("inside")
    assert TOOLS.backward is None
    with pytest.raises(KeyError, match="was not recorded"):
        ledger[other]
    (x * 2.0).sum().backward()                 # outside the block: nothing is recorded
    assert ledger[x] == []
    np.testing.assert_allclose(ledger.total(x), [0.0])


def test_ledger_trace_and_anomaly_mode_nest():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    with mg.detect_anomaly(), mg.inspect.record_contributions(x=x) as ledger:
        with mg.inspect.trace_backward(x=x) as trace:
            y.backward()
    assert TOOLS.backward is None
    assert len(ledger[x]) == 2 and len(trace.steps) == 2
    np.testing.assert_allclose(ledger.total(x), x.grad.data)


def reused_leaf_graph():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    w = mg.tensor([0.5, -1.0, 2.0], requires_grad=True)
    return (x * x + x * w).sum(), x, w


def test_trace_text_walks_the_chain_rule():
    y, x, w = reused_leaf_graph()
    with mg.inspect.trace_backward(x=x, w=w) as trace:
        y.backward()
    text = str(trace)
    assert [s.op.name for s in trace.steps] == ["sum", "add", "mul", "mul"]
    assert text.count("\nstep ") == 4
    assert "step 1: op0 sum dim=all -> () float32" in text
    assert "upstream gradient  1\n" in text
    assert "rule               d(a*b)/da = b, d(a*b)/db = a" in text
    assert "pending sum at op1 add (1 of 1 in): [1, 1, 1]" in text
    # the last step sends x its last contributions; the running sum reaches x.grad
    assert text.rstrip().endswith("x.grad so far: [2.5, 3, 8]")
    assert "w.grad so far: [1, 2, 3]" in text
    mul_x_w = next(s for s in trace.steps if s.op.name == "mul" and len(
        {send.target for send in s.sends}) == 2)
    np.testing.assert_allclose(mul_x_w.local[0], w.data)        # d(x*w)/dx = w
    np.testing.assert_allclose(mul_x_w.local[1], x.data)        # d(x*w)/dw = x
    assert "local d out/d in0  [0.5, -1, 2]" in text


def test_trace_pending_sum_of_an_intermediate_used_twice():
    x = mg.tensor([2.0], requires_grad=True)
    h = x.exp()
    y = (h * 3.0 + h).sum()
    with mg.inspect.trace_backward(x=x) as trace:
        y.backward()
    sends_to_h = [send for s in trace.steps for send in s.sends if send.target.endswith("exp")]
    assert [send.received for send in sends_to_h] == [1, 2]
    assert all(send.uses == 2 for send in sends_to_h)
    np.testing.assert_allclose(sends_to_h[-1].running, [4.0])
    exp_step = next(s for s in trace.steps if s.op.name == "exp")
    np.testing.assert_allclose(exp_step.upstream, [4.0])
    assert "(2 of 2 in): [4]" in str(trace)


def random_dag(draw_ops):
    """Build a graph from a list of (op, i, j) choices over earlier tensors."""
    x = mg.tensor([0.3, -0.7], requires_grad=True, dtype=np.float64)
    w = mg.tensor([1.1, 0.4], requires_grad=True, dtype=np.float64)
    values = [x, w]
    for op, i, j in draw_ops:
        a, b = values[i % len(values)], values[j % len(values)]
        values.append({"add": lambda: a + b, "mul": lambda: a * b,
                       "tanh": lambda: a.tanh(), "sub": lambda: a - b}[op]())
    return sum(values[2:], values[0] * 0.0).sum()


@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "tanh", "sub"]),
                          st.integers(0, 20), st.integers(0, 20)), min_size=1, max_size=12))
def test_trace_visits_nodes_in_reverse_topological_order(ops):
    y = random_dag(ops)
    model = _graph.build(y)
    consumers_of = {op.ctx: set() for op in model.ops}
    for edge in model.edges:
        if edge.src.startswith("op") and edge.ctx is not None:
            consumers_of[model.ops[int(edge.src[2:])].ctx].add(edge.ctx)
    with mg.inspect.trace_backward() as trace:
        y.backward()
    order = trace.order()
    assert len(order) == len(set(order)) == len(model.ops)
    position = {ctx: k for k, ctx in enumerate(order)}
    for node, consumers in consumers_of.items():
        for consumer in consumers:                # every node after all of its consumers
            assert position[consumer] < position[node]


def test_frames_highlight_the_current_node_and_the_swept_edges():
    y, x, w = reused_leaf_graph()
    with mg.inspect.trace_backward(x=x, w=w) as trace:
        y.backward()
    frames = [Dot(text) for text in trace.frames()]
    assert len(frames) == len(trace.steps) == 4
    swept_counts = []
    for step, frame in zip(trace.steps, frames):
        current = [i for i, a in frame.nodes.items() if a.get("fillcolor") == "#ffe066"]
        assert current == [step.op.id]
        done = {i for i, a in frame.nodes.items() if a.get("fillcolor") == "#e9ecef"}
        assert done == {s.op.id for s in trace.steps[:step.index - 1]}
        orange = [e for e in frame.edges if e[2].get("color") == "#f08c00"]
        assert len(orange) == len(step.sends)
        assert all(e[1] == step.op.id for e in orange)
        swept_counts.append(sum(1 for e in frame.edges if "label" in e[2]))
    assert swept_counts == sorted(swept_counts) and swept_counts[-1] == len(frames[-1].edges)
    last = frames[-1]
    assert last.nodes[last.find("x")]["lines"][-1] == "grad so far [2.5, 3, 8]"


def test_trace_of_a_second_backward_through_a_retained_graph_starts_afresh():
    y, x, w = reused_leaf_graph()
    with mg.inspect.trace_backward(x=x) as trace:
        y.backward(retain_graph=True)
        y.backward()
    assert len(trace.steps) == 8
    assert "x.grad so far: [5, 6, 16]" in str(trace)
    pending = [send.running for s in trace.steps[4:] for send in s.sends
               if send.target == "op1 add"]
    np.testing.assert_allclose(pending[0], [1, 1, 1])          # not [2, 2, 2]
    assert len(trace.frames()) == 8
