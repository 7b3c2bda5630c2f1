"""detect_anomaly: the first NaN/Inf in forward or backward raises, naming the op and the line."""
import numpy as np
import pytest

import minigrad as mg
from minigrad.anomaly import creation_site
from minigrad.hooks import TOOLS


def _line_of(marker: str) -> int:
    """The line number in this file of the statement tagged with `# <marker>`."""
    with open(__file__) as source:
        for number, line in enumerate(source, start=1):
            if line.rstrip().endswith(f"# {marker}"):
                return number
    raise AssertionError(marker)


def test_forward_nan_names_op_and_user_line():
    x = mg.tensor([1.0, -1.0], requires_grad=True)
    with mg.detect_anomaly():
        y = x * 2.0
        with pytest.raises(RuntimeError) as info:
            mg.log(y)  # LOG-LINE
    message = str(info.value)
    assert "Log produced NaN (1 of 2 elements)" in message
    assert f"test_anomaly.py:{_line_of('LOG-LINE')}" in message
    assert "inputs held no NaN, so this op made it" in message


def test_inf_in_forward_is_caught():
    x = mg.tensor([0.0, 2.0], requires_grad=True)
    with mg.detect_anomaly(), np.errstate(divide="ignore"):
        with pytest.raises(RuntimeError, match=r"Div produced Inf"):
            mg.tensor([1.0, 1.0]) / x


def test_nan_propagating_through_ops_names_the_first_op_only():
    x = mg.tensor([-1.0, 4.0], requires_grad=True)
    with mg.detect_anomaly(), pytest.raises(RuntimeError) as info:
        y = mg.sqrt(x)          # first NaN here
        (y * 3.0 + 1.0).exp()
    assert "Sqrt produced NaN" in str(info.value)
    assert "Mul" not in str(info.value) and "Exp" not in str(info.value)


def test_nan_from_data_is_reported_at_first_consumer_as_preexisting():
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    data = mg.tensor([np.nan, 1.0])
    with mg.detect_anomaly(), pytest.raises(RuntimeError) as info:
        w * data
    message = str(info.value)
    assert "Mul produced NaN" in message
    assert "input 1 (shape (2,), data, or the result of ops run without gradient tracking)" \
        in message and "already held NaN when it arrived" in message


def test_backward_nan_names_op_and_creation_line():
    x = mg.tensor([0.0, 4.0], requires_grad=True)
    with mg.detect_anomaly():
        y = mg.sqrt(x)  # SQRT-LINE
        with np.errstate(divide="ignore"), pytest.raises(RuntimeError) as info:
            y.sum().backward()
    message = str(info.value)
    assert "Sqrt.backward produced Inf" in message
    assert "gradient of its input 0 (shape (2,))" in message
    assert f"test_anomaly.py:{_line_of('SQRT-LINE')}" in message
    assert "y = mg.sqrt(x)" in message


def test_nonfinite_gradient_argument_is_reported():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly():
        y = x * 2.0
        with pytest.raises(RuntimeError, match=r"gradient reaching Mul .* holds NaN"):
            y.backward(gradient=np.array([np.nan, 1.0], dtype=np.float32))


def test_creation_site_skips_library_frames():
    x = mg.tensor([[1.0, 2.0]], requires_grad=True)
    with mg.detect_anomaly():
        y = mg.softmax(x, dim=1)  # SOFTMAX-LINE
    site = creation_site(y.grad_fn)
    assert site is not None and site[0] == __file__
    assert site[1] == _line_of("SOFTMAX-LINE")


def test_nothing_recorded_or_checked_outside_the_block():
    x = mg.tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = mg.log(x)                     # no error: anomaly mode is off
    assert np.isnan(y.data).all()
    assert creation_site(y.grad_fn) is None
    assert TOOLS.record is None and TOOLS.backward is None
    assert not mg.is_anomaly_enabled()


def test_hooks_restored_after_error_and_nesting():
    with pytest.raises(RuntimeError):
        with mg.detect_anomaly():
            assert mg.is_anomaly_enabled()
            with mg.detect_anomaly():
                mg.log(mg.tensor([0.0], requires_grad=True))
    assert TOOLS.record is None and TOOLS.backward is None
    assert not mg.is_anomaly_enabled()


def test_runs_beside_a_tool_already_subscribed():
    seen = []

    class Recorder:
        def visit(self, node, grad):
            seen.append(("visit", node.name))

        def contribute(self, node, tensor, grad):
            seen.append(("contribute", node.name, grad.shape))

    handle = TOOLS.subscribe(Recorder())
    try:
        x = mg.tensor([1.0, 2.0], requires_grad=True)
        with mg.detect_anomaly():
            (x * 3.0).sum().backward()
        assert TOOLS.backward is not None and TOOLS.record is None
    finally:
        handle.remove()
    assert TOOLS.backward is None
    assert ("visit", "Mul") in seen and ("contribute", "Mul", (2,)) in seen
    np.testing.assert_allclose(x.grad.data, [3.0, 3.0])


def test_finite_training_step_is_unchanged_by_anomaly_mode():
    mg.manual_seed(1)
    w = mg.randn(3, 2, requires_grad=True)
    x = mg.randn(4, 3)
    (mg.tanh(x @ w).log_softmax(dim=1)).sum().backward()
    expected = w.grad.data.copy()
    w.grad = None
    with mg.detect_anomaly():
        (mg.tanh(x @ w).log_softmax(dim=1)).sum().backward()
    np.testing.assert_array_equal(w.grad.data, expected)


def test_works_as_decorator():
    @mg.detect_anomaly()
    def step(x):
        return mg.log(x)

    with pytest.raises(RuntimeError, match="Log produced"):
        step(mg.tensor([0.0], requires_grad=True))
    assert TOOLS.record is None


def test_intended_infinities_are_not_anomalies():
    import nn
    x = mg.tensor(np.arange(32, dtype=np.float32).reshape(1, 2, 4, 4) / 7, requires_grad=True)
    scores = mg.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    mask = np.array([[True, True, False]])
    with mg.detect_anomaly():
        pooled = nn.functional.max_pool2d(x, 3, stride=1, padding=1)   # pads with -inf
        masked = mg.where(mask, scores, -np.inf)                       # a -inf mask
        probs = mg.softmax(masked, dim=1)
        additive = mg.log_softmax(scores + mg.tensor([[0.0, -np.inf, 0.0]]), dim=1)
        (pooled.sum() + probs[0, 0] + additive[0, 0]).backward()
    np.testing.assert_allclose(probs.data, [[1 / (1 + np.e), np.e / (1 + np.e), 0.0]],
                               rtol=1e-6)
    assert np.isfinite(x.grad.data).all() and np.isfinite(scores.grad.data).all()


def test_nan_made_from_infinities_is_reported():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    with mg.detect_anomaly(), np.errstate(invalid="ignore"), \
            pytest.raises(RuntimeError) as info:
        inf = x * mg.tensor([np.inf, 1.0])           # Inf from the data: allowed
        inf - inf                                      # inf - inf = NaN: made here
    assert "Sub produced NaN" in str(info.value) and "held no NaN" in str(info.value)


def test_overflow_to_inf_is_reported():
    x = mg.tensor([1.0, 100.0], requires_grad=True)
    with mg.detect_anomaly(), np.errstate(over="ignore"):
        with pytest.raises(RuntimeError, match=r"Exp produced Inf \(1 of 2 elements\)"):
            mg.exp(x)
