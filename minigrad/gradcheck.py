"""Gradient checking: analytic gradients (backward) against central finite differences.

Everything runs in float64: float inputs are copied and promoted before the check, so float32
rounding can't cause false alarms. When an element disagrees, one-sided differences tell a
point where the function is not differentiable (a kink or a tie: left and right slopes
differ) from a wrong backward (the slopes agree but the analytic value does not).
"""
import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient check failed.

    Attributes:
        kind:         "wrong_gradient" or "nondifferentiable"
        input_index:  position of the input (0-based) in `inputs`
        element:      index tuple of the failing element (None in fast mode)
        analytic, numeric: the two values compared
    """

    def __init__(self, message, kind, input_index, element, analytic, numeric):
        super().__init__(message)
        self.kind = kind
        self.input_index = input_index
        self.element = element
        self.analytic = analytic
        self.numeric = numeric


def _promoted(inputs):
    """float64 leaf copies of the floating inputs; everything else passes through."""
    copies = []
    for value in inputs:
        if isinstance(value, Tensor) and value.dtype.kind == "f":
            copies.append(Tensor(value.data.astype(np.float64), requires_grad=value.requires_grad))
        else:
            copies.append(value)
    return copies


def _outputs(result):
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor (or a tuple of them), got "
                            f"{type(out).__name__}")
    return outputs


class _Objective:
    """f(inputs) = sum_k <v_k, fn(inputs)_k>: one random projection of every output."""

    def __init__(self, fn, inputs, seed):
        self.fn, self.inputs = fn, inputs
        outputs = _outputs(fn(*inputs))
        rng = np.random.default_rng(seed)
        self.projections = [rng.standard_normal(out.shape) for out in outputs]
        self.outputs = outputs

    def value(self) -> float:
        with no_grad():
            outputs = _outputs(self.fn(*self.inputs))
        return float(sum(np.sum(v * out.data.astype(np.float64))
                         for v, out in zip(self.projections, outputs)))

    def analytic_gradients(self, checked):
        for t in checked:
            t.grad = None
        live = [(out, v) for out, v in zip(self.outputs, self.projections) if out.requires_grad]
        if len(live) == 1:
            live[0][0].backward(gradient=live[0][1].astype(live[0][0].dtype))
        elif live:
            total = sum((out * Tensor(v.astype(out.dtype))).sum() for out, v in live)
            total.backward()
        return [np.zeros_like(t.data) if t.grad is None else t.grad.data for t in checked]


def _close(analytic, numeric, atol, rtol):
    both_nan = np.isnan(analytic) & np.isnan(numeric)
    return both_nan | (np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, seed: int = 0) -> bool:
    """Check the gradients of `fn` at `inputs` against central differences in float64.

    Args:
        fn:         takes the inputs, returns a Tensor (or tuple of Tensors)
        inputs:     a Tensor or a tuple of Tensors/values; those with requires_grad are checked
        fast_mode:  compare one random directional derivative per check instead of every
                    element (for big inputs such as convolutions)
        seed:       seeds the random upstream gradient (and direction in fast mode)
    Returns True when every gradient matches; otherwise raises `GradcheckError` naming the
    input (position and shape), the element, both values and the relative error, or returns
    False when `raise_exception=False`.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    copies = _promoted(inputs)
    checked_positions = [i for i, t in enumerate(copies)
                         if isinstance(t, Tensor) and t.requires_grad]
    if not checked_positions:
        raise ValueError("gradcheck: no input requires grad; create the inputs to check with "
                         "requires_grad=True")
    objective = _Objective(fn, copies, seed)
    checked = [copies[i] for i in checked_positions]
    analytic = objective.analytic_gradients(checked)
    try:
        if fast_mode:
            _check_direction(objective, checked, checked_positions, analytic, eps, atol, rtol, seed)
        else:
            for position, t, grad in zip(checked_positions, checked, analytic):
                _check_elements(objective, position, t, grad, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check_elements(objective, position, t, analytic, eps, atol, rtol):
    flat = t.data.reshape(-1)            # a view: perturbing it perturbs the input
    numeric = np.empty(flat.size)
    for j in range(flat.size):
        original = flat[j]
        flat[j] = original + eps
        plus = objective.value()
        flat[j] = original - eps
        minus = objective.value()
        flat[j] = original
        numeric[j] = (plus - minus) / (2 * eps)
    analytic = analytic.reshape(-1).astype(np.float64)
    ok = _close(analytic, numeric, atol, rtol)
    if ok.all():
        return
    bad = np.flatnonzero(~ok)
    j = int(bad[0])
    element = tuple(int(i) for i in np.unravel_index(j, t.shape))
    a, n = float(analytic[j]), float(numeric[j])
    kink = _one_sided(objective, flat, j, eps)
    if kink is not None:
        left, right = kink
        raise GradcheckError(
            f"gradcheck: input {position} (shape {t.shape}) is not differentiable at element "
            f"{element} (value {float(flat[j]):.6g}): the one-sided slopes disagree "
            f"(left {left:.6g}, right {right:.6g}), so no gradient is right there; analytic "
            f"{a:.6g}, central difference {n:.6g}. Keep test inputs away from kinks and ties "
            "(mg.testing.tensors(avoid=..., distinct=True)).",
            "nondifferentiable", position, element, a, n)
    raise GradcheckError(
        f"gradcheck: wrong gradient for input {position} (shape {t.shape}) at element "
        f"{element}: analytic {a:.6g}, numeric {n:.6g}, |difference| {abs(a - n):.3g}, "
        f"relative error {abs(a - n) / max(abs(n), 1e-12):.3g} (atol={atol}, rtol={rtol}); "
        f"{bad.size} of {flat.size} elements differ",
        "wrong_gradient", position, element, a, n)


def _one_sided(objective, flat, j, eps):
    """(left slope, right slope) when they differ by more than smooth curvature explains."""
    original = flat[j]
    centre = objective.value()
    flat[j] = original + eps
    right = (objective.value() - centre) / eps
    flat[j] = original - eps
    left = (centre - objective.value()) / eps
    flat[j] = original
    scale = max(abs(left), abs(right), 1.0)
    if abs(right - left) > 1e-3 * scale:
        return left, right
    return None


def _check_direction(objective, checked, positions, analytic, eps, atol, rtol, seed):
    rng = np.random.default_rng(seed + 1)
    directions = [rng.standard_normal(t.shape) for t in checked]
    originals = [t.data.copy() for t in checked]

    def shifted(step):
        for t, original, u in zip(checked, originals, directions):
            t.data[...] = original + step * u
        return objective.value()

    plus, minus = shifted(eps), shifted(-eps)
    shifted(0.0)
    numeric = (plus - minus) / (2 * eps)
    predicted = float(sum(np.sum(g * u) for g, u in zip(analytic, directions)))
    if not _close(np.array(predicted), np.array(numeric), atol, rtol):
        shapes = ", ".join(f"input {p} {t.shape}" for p, t in zip(positions, checked))
        raise GradcheckError(
            f"gradcheck (fast mode): the directional derivative along a random direction "
            f"differs: analytic {predicted:.6g}, numeric {numeric:.6g}, relative error "
            f"{abs(predicted - numeric) / max(abs(numeric), 1e-12):.3g} ({shapes}); rerun with "
            "fast_mode=False on a smaller input to find the element",
            "wrong_gradient", positions[0], None, predicted, numeric)
