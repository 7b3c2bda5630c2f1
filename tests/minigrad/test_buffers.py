"""The big-array cache (minigrad.buffers): reuse only what nothing else refers to."""
import numpy as np
import pytest

import minigrad as mg
import nn
from minigrad import buffers

BIG = (buffers.MIN_BYTES // 4 // 1024, 1024)          # float32: exactly MIN_BYTES


@pytest.fixture(autouse=True)
def _empty_cache():
    buffers.clear()
    yield
    buffers.clear()


def test_small_arrays_are_not_cached():
    a = buffers.empty((4, 5), np.float32)
    assert a.shape == (4, 5) and a.dtype == np.float32 and a.flags.c_contiguous
    assert buffers.cached_bytes() == 0


def test_a_free_array_is_reused_and_a_held_one_never():
    first = buffers.empty(BIG, np.float32)
    first_address = first.ctypes.data
    held = buffers.empty(BIG, np.float32)                # `first` is still referenced
    assert held.ctypes.data != first_address
    del first
    again = buffers.empty(BIG, np.float32)
    assert again.ctypes.data == first_address and again.shape == BIG
    assert buffers.cached_bytes() == 2 * buffers.MIN_BYTES


def test_a_view_keeps_its_array_in_use():
    array = buffers.empty(BIG, np.float32)
    address = array.ctypes.data
    column = array[:, 0]
    del array
    assert buffers.empty(BIG, np.float32).ctypes.data != address
    del column
    # two cached arrays now, both free: either may be handed out, but nothing new is made
    assert buffers.empty(BIG, np.float32).ctypes.data in {address} | {
        e[0].ctypes.data for e in buffers._entries}
    assert buffers.cached_bytes() == 2 * buffers.MIN_BYTES


def test_same_size_other_shape_and_dtype_reuses_the_memory():
    address = buffers.empty(BIG, np.float32).ctypes.data
    other = buffers.empty((BIG[0] // 2, BIG[1]), np.float64)
    assert other.ctypes.data == address and other.dtype == np.float64


def test_stale_free_arrays_are_released():
    buffers.empty(BIG, np.float32)                       # used once, then free
    held = [buffers.empty((BIG[0] + 1, BIG[1]), np.float32)
            for _ in range(buffers.STALE_AFTER + 1)]     # other sizes, all kept
    del held
    buffers.empty((BIG[0] + 2, BIG[1]), np.float32)      # a miss: stale free arrays go
    assert all(e[0].nbytes != buffers.MIN_BYTES for e in buffers._entries)


def test_the_cache_never_holds_more_than_max_bytes(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 3 * buffers.MIN_BYTES)
    kept = [buffers.empty(BIG, np.float32) for _ in range(5)]
    assert len(kept) == 5 and buffers.cached_bytes() == 3 * buffers.MIN_BYTES


def test_reshape_copy_results_survive_later_steps():
    """An im2col-sized reshape copy the user keeps is not overwritten by the next one."""
    x = mg.tensor(np.arange(np.prod(BIG), dtype=np.float32).reshape(BIG[1], BIG[0]))
    kept = x.T.reshape(-1)                               # a copy: the transpose is no view
    expected = kept.numpy().copy()
    for _ in range(3):
        (x * 2).T.reshape(-1)
    np.testing.assert_array_equal(kept.numpy(), expected)


def _conv_losses_and_grads():
    mg.manual_seed(0)
    conv = nn.Conv2d(8, 32, 5)
    x = mg.randn(64, 8, 34, 34, requires_grad=True)      # output: 32 x 30*30*64 floats
    results = []
    for _ in range(3):
        conv.zero_grad()
        loss = (conv(x) ** 2).mean()
        loss.backward()
        results.append((loss.item(), conv.weight.grad.numpy().copy(), x.grad.numpy().copy()))
        x.grad = None
    return results


def test_training_steps_reuse_the_big_buffers_and_give_the_same_results(monkeypatch):
    cached = _conv_losses_and_grads()
    # the conv's output (its im2col columns are made one band of rows at a time, never whole)
    assert buffers.cached_bytes() >= 32 * 30 * 30 * 64 * 4
    buffers.clear()
    monkeypatch.setattr(buffers, "MIN_BYTES", 2**62)                  # no caching
    plain = _conv_losses_and_grads()
    assert buffers.cached_bytes() == 0
    for (loss_a, *grads_a), (loss_b, *grads_b) in zip(cached, plain):
        assert loss_a == loss_b
        for a, b in zip(grads_a, grads_b):
            np.testing.assert_array_equal(a, b)


def test_empty_like_keeps_the_axis_order_of_its_model():
    batch_last = np.empty((BIG[1], BIG[0] // 4, 4), np.float32).transpose(2, 0, 1)
    out = buffers.empty_like(batch_last)
    assert out.shape == batch_last.shape and out.strides == batch_last.strides
    assert buffers.empty_like(batch_last, bool).dtype == np.bool_


def test_held_outputs_of_big_ops_survive_later_steps():
    x = mg.randn(*BIG, requires_grad=True)
    bias = mg.randn(BIG[1])
    weight = mg.randn(BIG[1], BIG[1])
    outputs = [mg.relu(x + bias), x @ weight]                 # both MIN_BYTES: cached
    expected = [o.numpy().copy() for o in outputs]
    for _ in range(3):
        y = mg.relu(x * 2 + bias)
        (y.sum() + (x @ weight).sum()).backward()
    for output, values in zip(outputs, expected):
        np.testing.assert_array_equal(output.numpy(), values)


def test_arrays_made_under_no_grad_are_not_added():
    with mg.no_grad():
        kept = buffers.empty(BIG, np.float32)
    assert buffers.cached_bytes() == 0 and kept.shape == BIG
    free = buffers.empty(BIG, np.float32)                 # recorded mode: cached ...
    address = free.ctypes.data
    del free
    with mg.no_grad():                                    # ... and reused under no_grad
        assert buffers.empty(BIG, np.float32).ctypes.data == address


def test_arrays_made_in_backward_are_cached():
    """backward runs with recording off, yet its gradients are training work: cached."""
    x = mg.randn(*BIG, requires_grad=True)
    weight = mg.randn(BIG[1], BIG[1])
    (x @ weight).sum().backward()                         # x.grad's product: MIN_BYTES
    assert buffers.cached_bytes() == 2 * buffers.MIN_BYTES      # forward's product and it
    assert buffers.BACKWARD.depth == 0


_FAULTS_PER_ROUND = """
import resource, sys
import numpy as np
if sys.argv[1] == "minigrad":
    import minigrad                          # tunes malloc at import
def round_trip():
    arrays = [np.ones(640 * 1024, np.float32) for _ in range(4)]   # 4 x 2.5 MiB, then freed
    del arrays
round_trip()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    round_trip()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_round(mode):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-c", _FAULTS_PER_ROUND, mode], capture_output=True,
                          text=True, timeout=120, check=True)
    return float(done.stdout)


@pytest.mark.skipif(not buffers.MALLOC_TUNED, reason="needs glibc's mallopt (Linux)")
def test_memory_a_step_frees_is_reused_without_page_faults():
    # Arrays of a few MiB, all freed at once (a step's activations): glibc alone hands the
    # freed heap back to the kernel and faults it in again next time (10 MiB = 2,560 pages);
    # after importing minigrad the heap keeps it.
    assert _faults_per_round("numpy") > 1000
    assert _faults_per_round("minigrad") < 50
