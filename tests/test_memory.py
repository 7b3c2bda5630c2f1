"""Memory stays flat over training; backward releases the saved arrays, and dropping the
output releases the rest of the graph (its structure stays drawable until then)."""
import gc
import tracemalloc
import weakref

import numpy as np

import minigrad as mg
import nn

STEPS = 500
WARMUP = 50           # first steps fill optimizer state and interpreter caches


def _small_cnn_step():
    """A step function training a small CNN (conv, pool, dropout, Adam, shuffled batches)."""
    mg.manual_seed(0)
    model = nn.Sequential(nn.Conv2D(1, 4, kernel_size=3), nn.ReLU(), nn.MaxPool2D(2),
                          nn.Flatten(), nn.Dropout(0.25), nn.Dense(4 * 3 * 3, 3))
    opt = nn.optim.Adam(model.parameters(), lr=1e-3)
    data = nn.data.TensorDataset(mg.randn(64, 1, 8, 8), mg.randint(0, 3, size=64))
    loader = nn.data.DataLoader(data, batch_size=16, shuffle=True)

    def batches():
        while True:
            yield from loader
    stream = batches()

    def step() -> float:
        x, y = next(stream)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()
    return step


def test_500_training_steps_keep_memory_flat():
    step = _small_cnn_step()
    tracemalloc.start()
    try:
        for _ in range(WARMUP):
            step()
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        losses = [step() for _ in range(STEPS - WARMUP)]
        gc.collect()
        after, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"\nmemory (tracemalloc, after gc): {before / 1024:.1f} KiB after {WARMUP} steps, "
          f"{after / 1024:.1f} KiB after {STEPS} steps (growth {(after - before) / 1024:+.1f} "
          f"KiB), peak {peak / 1024:.1f} KiB")
    assert np.isfinite(losses).all()
    # One leaked activation per step (the conv output alone is 16*4*6*6 float32 = 9 KiB)
    # would add > 4 MiB over these steps; allocator and interpreter caches stay far below.
    assert after - before < 512 * 1024
    assert peak - before < 2 * 1024 * 1024


def test_backward_frees_saved_arrays_and_dropping_the_output_frees_the_rest_without_gc():
    gc.disable()                          # no reference cycles: refcounting alone frees them
    try:
        w = mg.randn(4, 3, requires_grad=True)
        x = mg.randn(5, 4)
        hidden = mg.relu(x @ w)
        hidden_ref = weakref.ref(hidden)
        saved_ref = weakref.ref(hidden.data)
        node_ref = weakref.ref(hidden.grad_fn)
        loss = mg.exp(hidden * 2.0).sum()
        exp_out_ref = weakref.ref(loss.grad_fn.inputs[0].data)     # saved by exp, not an input
        del hidden
        loss.backward()
        # Issue 13: backward frees the saved arrays only; the structure (ops, shapes, edges,
        # the tensors flowing through) stays drawable until the output is dropped.
        assert exp_out_ref() is not None              # still the input of sum
        assert node_ref().freed and node_ref().saved_tensors == ()
        assert loss.grad_fn.freed and loss.grad_fn.saved_tensors == ()
        assert w.grad.shape == (4, 3)
        del loss
        assert hidden_ref() is None, "the graph kept an intermediate tensor alive"
        assert saved_ref() is None, "the graph kept an activation alive"
        assert node_ref() is None, "the graph kept a node alive"
    finally:
        gc.enable()


def test_dropping_an_unused_graph_frees_it_without_gc():
    gc.disable()
    try:
        w = mg.randn(4, 3, requires_grad=True)
        loss = mg.relu(mg.randn(5, 4) @ w).sum()
        node_ref = weakref.ref(loss.grad_fn)
        del loss                          # e.g. an evaluation forward that is never backpropagated
        assert node_ref() is None
    finally:
        gc.enable()


def test_retain_graph_keeps_activations_until_the_last_backward():
    w = mg.randn(3, requires_grad=True)
    hidden = mg.exp(w)
    saved_ref = weakref.ref(hidden.data)
    loss = (hidden * hidden).sum()
    del hidden
    mul_node = loss.grad_fn.inputs[0].grad_fn
    loss.backward(retain_graph=True)
    assert saved_ref() is not None and len(mul_node.saved_tensors) == 2
    loss.backward()
    assert mul_node.saved_tensors == () and mul_node.freed
    del loss, mul_node
    assert saved_ref() is None
