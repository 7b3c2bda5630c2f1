"""mg.conv2d computes in bands of output rows, two halves on two cores (minigrad/ops/conv.py,
minigrad/threads.py): every band size, in parallel or not, with its products whole or in
chunks of columns, gives the numbers of im2col + one
matrix product; a failure in the helper thread reaches the caller; a forked child still
convolves; OpenBLAS gets its thread count back. Max pooling's and ReLU's passes in two halves
give the whole passes' numbers."""
import os
import threading

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad import threads
from minigrad.ops import conv as conv_op
from op_table import np_conv2d

@pytest.fixture(autouse=True)
def split_small_convolutions(monkeypatch):
    """These tests' convolutions are tiny: split them over two cores all the same."""
    monkeypatch.setattr(conv_op, "SPLIT_WORK", 0)


GEOMETRIES = [  # (N, C, H, W, C_out, kernel, stride, padding, dilation, groups)
    (3, 4, 9, 7, 6, (3, 3), (1, 1), (0, 0), (1, 1), 1),
    (2, 4, 11, 8, 4, (3, 2), (2, 1), (1, 2), (1, 2), 2),
    (4, 1, 10, 10, 3, (5, 5), (1, 1), (2, 2), (1, 1), 1),
    (1, 2, 12, 6, 2, (2, 3), (3, 1), (1, 0), (2, 1), 1),
    (2, 4, 8, 12, 4, (2, 3), (1, 1), (1, 1), (2, 2), 2),     # dilated, grouped, wide col2im
]


def _conv_and_grads(geometry, batch_last, seed=0):
    n, c, h, w, c_out, kernel, stride, padding, dilation, groups = geometry
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((n, c, h, w))
    if batch_last:                # the layout conv2d's own outputs have
        images = np.ascontiguousarray(images.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    x = mg.Tensor(images, requires_grad=True)
    weight = mg.tensor(rng.standard_normal((c_out, c // groups) + kernel), requires_grad=True)
    bias = mg.tensor(rng.standard_normal(c_out), requires_grad=True)
    out = mg.conv2d(x, weight, bias, stride, padding, dilation, groups)
    upstream = rng.standard_normal(out.shape)
    (out * mg.tensor(upstream)).sum().backward()
    expected = np_conv2d(images, weight.data, bias.data, stride, padding, dilation, groups)
    return out, x, weight, bias, upstream, expected


@pytest.mark.parametrize("geometry", GEOMETRIES)
@pytest.mark.parametrize("band_bytes", [1, 600, 10**9])      # one row per band ... one band
@pytest.mark.parametrize("two_cores", [True, False])
@pytest.mark.parametrize("column_chunk", [None, 5])     # products whole, or 5 columns at a time
def test_every_band_size_gives_the_im2col_numbers(monkeypatch, geometry, band_bytes, two_cores,
                                                  column_chunk):
    monkeypatch.setattr(conv_op, "BAND_BYTES", band_bytes)
    if column_chunk is None:
        monkeypatch.setattr(conv_op, "THIN_KERNELS", 0)
    else:
        monkeypatch.setattr(conv_op, "THIN_KERNELS", 10**9)
        monkeypatch.setattr(conv_op, "COLUMN_CHUNK", column_chunk)
    if not two_cores:
        monkeypatch.setattr(threads, "parallel", lambda: False)
    for batch_last in (False, True):
        out, x, weight, bias, upstream, expected = _conv_and_grads(geometry, batch_last)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
        # the gradients of sum(out * upstream), from the reference's own formulas
        torch = pytest.importorskip("torch")
        xt = torch.tensor(x.data, requires_grad=True)
        wt = torch.tensor(weight.data, requires_grad=True)
        bt = torch.tensor(bias.data, requires_grad=True)
        n, c, h, w, c_out, kernel, stride, padding, dilation, groups = geometry
        yt = torch.nn.functional.conv2d(xt, wt, bt, stride, padding, dilation, groups)
        (yt * torch.tensor(upstream)).sum().backward()
        for ours, theirs in ((x, xt), (weight, wt), (bias, bt)):
            np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10,
                                       atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(3, 9), st.integers(1, 3), st.booleans())
def test_one_row_bands_in_two_halves_match_one_band(rows_kernel, height, stride, bias):
    """The second half's bands that add into rows the first half also adds into wait until the
    first half is done: with one-row bands that is every band near the middle."""
    rng = np.random.default_rng(height * 7 + rows_kernel)
    x = mg.tensor(rng.standard_normal((2, 3, height + rows_kernel, 5)), requires_grad=True)
    weight = mg.tensor(rng.standard_normal((4, 3, rows_kernel, 2)), requires_grad=True)
    b = mg.tensor(rng.standard_normal(4), requires_grad=True) if bias else None
    results = []
    for band_bytes in (1, 10**9):
        conv_op.BAND_BYTES, saved = band_bytes, conv_op.BAND_BYTES
        try:
            out = mg.conv2d(x, weight, b, stride=(stride, 1))
            grads = mg.grad(out.sum() + (out * out).sum(), [x, weight])
        finally:
            conv_op.BAND_BYTES = saved
        results.append([out.data] + [g.data for g in grads])
    for one_row, one_band in zip(*results):
        np.testing.assert_allclose(one_row, one_band, rtol=1e-12, atol=1e-12)


def test_an_error_in_the_helper_thread_reaches_the_caller():
    if not threads.parallel():
        pytest.skip("OpenBLAS with 2+ threads not found: run_both runs sequentially")
    ran = []

    def fail():
        raise ValueError("helper failed")
    with pytest.raises(ValueError, match="helper failed"):
        threads.run_both(lambda: ran.append("first"), fail)
    assert ran == ["first"]
    threads.run_both(lambda: ran.append("again"), lambda: ran.append("helper"))   # still works
    assert sorted(ran) == ["again", "first", "helper"]


def test_openblas_gets_its_thread_count_back():
    if threads._OPENBLAS is None:
        pytest.skip("OpenBLAS not found")
    get_threads = threads._OPENBLAS[0]
    before = get_threads()
    seen = []
    threads.run_both(lambda: seen.append(get_threads()), lambda: None)
    assert get_threads() == before
    assert seen == [1 if before >= 2 else before]     # one thread while the halves run


def test_concurrent_callers_each_get_their_own_numbers():
    """Two user threads convolving at once: one gets the helper, the other runs its halves
    itself; both results are right."""
    monkey = conv_op.BAND_BYTES
    conv_op.BAND_BYTES = 1
    try:
        results, errors = {}, []

        def work(seed):
            try:
                out, *_, expected = _conv_and_grads(GEOMETRIES[0], True, seed)
                results[seed] = np.abs(out.data - expected).max()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
        workers = [threading.Thread(target=work, args=(seed,)) for seed in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        assert not errors and len(results) == 4 and max(results.values()) < 1e-12
    finally:
        conv_op.BAND_BYTES = monkey


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_convolves_with_its_own_helper():
    """The parent's helper thread does not exist in a forked child (DataLoader workers): the
    child starts its own instead of waiting forever for the parent's."""
    conv_op.BAND_BYTES, saved = 1, conv_op.BAND_BYTES
    try:
        _conv_and_grads(GEOMETRIES[0], True)                  # the parent's helper exists now
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:                                          # the child
            try:
                out, *_, expected = _conv_and_grads(GEOMETRIES[0], True)
                ok = np.abs(out.data - expected).max() < 1e-12
            except BaseException:                             # noqa: BLE001
                ok = False
            os.write(write, b"1" if ok else b"0")
            os._exit(0)
        os.close(write)
        answer = os.read(read, 1)
        os.waitpid(pid, 0)
        assert answer == b"1"
    finally:
        conv_op.BAND_BYTES = saved


def test_conv2d_checks_its_arguments():
    x, weight = mg.ones(1, 3, 5, 5), mg.ones(4, 1, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: input has 3 channels but weight expects 1"):
        mg.conv2d(x, weight)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        mg.conv2d(mg.ones(1, 1, 5, 5), weight, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: a window spanning \(3, 3\)"):
        mg.conv2d(mg.ones(1, 1, 2, 2), weight)


_SPIN_PROBE = """
import ctypes, os, minigrad.threads as t
if t._OPENBLAS is None:
    print("no-openblas")
else:
    probe = t._OPENBLAS[2].openblas_thread_timeout
    probe.restype = ctypes.c_int
    print(t.SPIN_SHORTENED, os.environ.get("OPENBLAS_THREAD_TIMEOUT"), probe())
"""


@pytest.mark.parametrize("user_timeout", [None, "10"])
def test_import_shortens_openblas_spin_unless_the_user_chose(user_timeout):
    import subprocess
    import sys
    env = dict(os.environ, OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    if user_timeout:
        env["OPENBLAS_THREAD_TIMEOUT"] = user_timeout
    result = subprocess.run([sys.executable, "-c", _SPIN_PROBE], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    if result.stdout.strip() == "no-openblas":
        pytest.skip("NumPy does not use OpenBLAS here")
    expected = ("False 10 10" if user_timeout else
                f"True {threads.SPIN_EXPONENT} {threads.SPIN_EXPONENT}")
    assert result.stdout.split() == expected.split()


# --- max over small groups (max pooling) in two halves on two cores ------------------------------
@pytest.mark.parametrize("two_cores", [True, False])
@pytest.mark.parametrize("batch_last", [True, False])
def test_max_pooling_in_two_halves_gives_the_whole_passes_numbers(monkeypatch, two_cores,
                                                                  batch_last):
    """Ties (the first maximum gets the gradient) and NaN (it is the maximum) included."""
    nn = pytest.importorskip("nn")
    rng = np.random.default_rng(3)
    values = rng.integers(-2, 3, (4, 6, 8, 10)).astype(np.float64)    # many ties
    values[1, 2, 3, 4] = np.nan
    if batch_last:
        values = np.ascontiguousarray(values.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    upstream = rng.standard_normal((4, 6, 4, 5))
    results = []
    for split_bytes in (2**62, 0):
        monkeypatch.setattr(threads, "SPLIT_BYTES", split_bytes)
        if not two_cores:
            monkeypatch.setattr(threads, "parallel", lambda: False)
        x = mg.Tensor(values.copy(order="K"), requires_grad=True)
        pooled = nn.functional.max_pool2d(x, 2)
        (pooled * mg.tensor(upstream)).sum().backward()
        amax = x.amax(dim=(2, 3))                    # groups of 80: the other path
        results.append((pooled.data, x.grad.data, amax.data))
    for whole, halves in zip(*results):
        np.testing.assert_array_equal(whole, halves)


@pytest.mark.parametrize("batch_last", [True, False])
def test_relu_in_two_halves_gives_the_whole_passes_numbers(monkeypatch, batch_last):
    """Zeros (gradient 0, as PyTorch) and NaN (stays NaN, gradient 0) included."""
    rng = np.random.default_rng(5)
    values = rng.integers(-2, 3, (4, 6, 8, 10)).astype(np.float32)
    values[1, 2, 3, 4] = np.nan
    if batch_last:
        values = np.ascontiguousarray(values.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    upstream = rng.standard_normal(values.shape).astype(np.float32)
    results = []
    for split_bytes in (2**62, 0):
        monkeypatch.setattr(threads, "SPLIT_BYTES", split_bytes)
        monkeypatch.setattr(mg.buffers, "MIN_BYTES", 0)      # the big-array path
        x = mg.Tensor(values.copy(order="K"), requires_grad=True)
        out = x.relu()
        (out * mg.tensor(upstream)).sum().backward()
        results.append((out.data, x.grad.data))
    for whole, halves in zip(*results):
        np.testing.assert_array_equal(whole, halves)
    expected = np.where(values > 0, upstream, 0)
    np.testing.assert_array_equal(results[1][1], expected)
    assert np.isnan(results[1][0][1, 2, 3, 4])


@pytest.mark.parametrize("needs", [(False, False, True), (True, False, True), (False, True, False),
                                   (True, True, False)])
def test_each_gradient_alone_in_one_row_bands(monkeypatch, needs):
    """Bands compute only the gradients asked for; the bias gradient (summed band by band)
    and the others match those of a conv that needs all three."""
    monkeypatch.setattr(conv_op, "BAND_BYTES", 1)
    need_x, need_weight, need_bias = needs
    rng = np.random.default_rng(11)
    images, kernels, offsets = (rng.standard_normal(s) for s in ((3, 2, 7, 6), (4, 2, 3, 3), (4,)))
    upstream = mg.tensor(rng.standard_normal((3, 4, 5, 4)))
    grads = []
    for flags in (needs, (True, True, True)):
        x, weight, bias = (mg.Tensor(a, requires_grad=f)
                           for a, f in zip((images, kernels, offsets), flags))
        (mg.conv2d(x, weight, bias) * upstream).sum().backward()
        grads.append([t.grad for t in (x, weight, bias)])
    for asked, alone, together in zip(needs, *grads):
        if asked:
            np.testing.assert_allclose(alone.data, together.data, rtol=1e-12, atol=1e-12)
        else:
            assert alone is None
    np.testing.assert_allclose(grads[1][2].data, upstream.data.sum(axis=(0, 2, 3)), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_wide_col2im_is_not_used_for_kernels_that_are_not_finite(monkeypatch):
    """The wide col2im adds kernel * 0 for its padding columns: an inf kernel would put NaN
    on pixels its tap never reads. Those kernels take the per-tap path: same NaN pattern."""
    rng = np.random.default_rng(4)
    images = rng.standard_normal((2, 3, 6, 9))
    kernels = rng.standard_normal((2, 3, 3, 3))
    kernels[1, 2, 0, 0] = np.inf
    grads = []
    for wide_allowed in (True, False):
        if not wide_allowed:
            monkeypatch.setattr(conv_op._Plan, "can_go_wide", lambda self: False)
        x = mg.Tensor(images, requires_grad=True)
        mg.conv2d(x, mg.tensor(kernels)).sum().backward()
        grads.append(x.grad.data)
    np.testing.assert_array_equal(grads[0], grads[1])
    assert np.isfinite(grads[1][:, :, :, 7:]).all()      # columns the inf tap never reads
