"""Gradient checking: analytic gradients (backward) against central finite differences.

Everything runs in float64: float inputs are copied and promoted before the check, so float32
rounding can't cause false alarms. A random projection of the outputs finds suspect input
elements cheaply; a suspect is then judged on the exact Jacobian entries d output[k] / d input[j]
(those are what a failure reports). One-sided differences tell a point where the function is not
differentiable (a kink or a tie: left and right slopes differ) from a wrong backward (the slopes
agree but the analytic value does not).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .autograd import grad as autograd_grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """A gradient check failed.

    Attributes:
        kind:            "wrong_gradient" or "nondifferentiable"
        input_index:     position of the input (0-based) in `inputs`
        element:         index tuple of the failing input element (None in fast mode)
        output_index:    which output of `fn` (0-based; None in fast mode)
        output_element:  index tuple of the output element (None in fast mode)
        analytic, numeric: the two values compared: the Jacobian entry
                         d output[output_element] / d input[element] (in fast mode the
                         directional derivative along a random direction)
    """

    kind: str
    input_index: int
    element: Any            # tuple of ints, None in fast mode
    analytic: float
    numeric: float
    output_index: Any       # int, None in fast mode
    output_element: Any     # tuple of ints, None in fast mode

    def __init__(self, message: str, kind: str, input_index: int,
                 element: Optional[tuple[int, ...]], analytic: float, numeric: float,
                 output_index: Optional[int] = None,
                 output_element: Optional[tuple[int, ...]] = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.input_index = input_index
        self.element = element
        self.analytic = analytic
        self.numeric = numeric
        self.output_index = output_index
        self.output_element = output_element


def _promoted(inputs: list[Any]) -> list[Any]:
    """float64 leaf copies of the floating inputs; everything else passes through."""
    copies = []
    for value in inputs:
        if isinstance(value, Tensor) and value.dtype.kind == "f":
            copies.append(Tensor(value.data.astype(np.float64), requires_grad=value.requires_grad))
        else:
            copies.append(value)
    return copies


def _outputs(result: Any, tool: str = "gradcheck") -> Any:
    outputs = result if isinstance(result, (tuple, list)) else (result,)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"{tool}: fn must return a Tensor (or a tuple of them), got "
                            f"{type(out).__name__}")
    return outputs


class _Objective:
    """f(inputs) = sum_k <v_k, fn(inputs)_k>: one random projection of every output.

    Comparing gradients of this scalar costs one backward and two evaluations per input
    element; the projection only finds suspects: `jacobian_column` and `analytic_jacobian`
    then give the exact entries d output / d input that failure messages report.
    """

    def __init__(self, fn: Callable[..., Any], inputs: list[Any], seed: int) -> None:
        self.fn, self.inputs = fn, inputs
        outputs = _outputs(fn(*inputs))
        rng = np.random.default_rng(seed)
        self.projections = [rng.standard_normal(out.shape) for out in outputs]
        self.outputs = outputs

    def output_arrays(self) -> list:
        with no_grad():
            outputs = _outputs(self.fn(*self.inputs))
        return [out.data.astype(np.float64) for out in outputs]

    def value(self) -> float:
        return float(sum(np.sum(v * out) for v, out in zip(self.projections,
                                                            self.output_arrays())))

    def analytic_gradients(self, checked: list[Tensor]) -> list[np.ndarray]:
        for t in checked:
            t.grad = None
        live = [(out, v) for out, v in zip(self.outputs, self.projections) if out.requires_grad]
        if len(live) == 1:
            live[0][0].backward(gradient=live[0][1].astype(live[0][0].dtype))
        elif live:
            total = sum((out * Tensor(v.astype(out.dtype))).sum() for out, v in live)
            total.backward()
        return [np.zeros_like(t.data) if t.grad is None else t.grad.data for t in checked]

    def analytic_jacobian(self, checked: list[Tensor], t: Tensor) -> list:
        """Per output, d output / d t as an array of shape output.shape + t.shape: one
        backward per output element (only run to explain a failure)."""
        outputs = _outputs(self.fn(*self.inputs))
        jacobians = []
        for out in outputs:
            jacobian = np.zeros(out.shape + t.shape)
            rows = jacobian.reshape(out.data.size, *t.shape)
            for k in range(out.data.size if out.requires_grad else 0):
                for u in checked:
                    u.grad = None
                onehot = np.zeros(out.data.size, dtype=out.dtype)
                onehot[k] = 1
                out.backward(gradient=onehot.reshape(out.shape), retain_graph=True)
                if t.grad is not None:
                    rows[k] = t.grad.data
            jacobians.append(jacobian)
        for u in checked:
            u.grad = None
        return jacobians

    def jacobian_column(self, flat: np.ndarray, j: Any, eps: float) -> list:
        """Per output, the central difference d output / d flat[j] (output's shape)."""
        original = flat[j]
        flat[j] = original + eps
        plus = self.output_arrays()
        flat[j] = original - eps
        minus = self.output_arrays()
        flat[j] = original
        return [(p - m) / (2 * eps) for p, m in zip(plus, minus)]


def _close(analytic: np.ndarray, numeric: np.ndarray, atol: float, rtol: float) -> Any:
    both_nan = np.isnan(analytic) & np.isnan(numeric)
    return both_nan | (np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))


def gradcheck(fn: Callable[..., Any], inputs: Any, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, fast_mode: bool = False, seed: int = 0) -> bool:
    """Check the gradients of `fn` at `inputs` against central differences in float64.

    Args:
        fn:         takes the inputs, returns a Tensor (or tuple of Tensors)
        inputs:     a Tensor or a tuple of Tensors/values; those with requires_grad are checked
        fast_mode:  compare one random directional derivative per check instead of every
                    element (for big inputs such as convolutions)
        seed:       seeds the random projection of the outputs (and direction in fast mode)
    Every Jacobian entry d output[k] / d input[j] must match its central difference within
    atol + rtol * |numeric|. Returns True when they do; otherwise raises `GradcheckError`
    naming the input (position and shape), the element, the output element, both values of
    that Jacobian entry and the relative error, or returns False when `raise_exception=False`.
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
                _check_elements(objective, checked, position, t, grad, eps, atol, rtol)
    except GradcheckError:
        if raise_exception:
            raise
        return False
    return True


def _check_elements(objective: _Objective, checked: list[Tensor], position: int, t: Tensor,
                    analytic: np.ndarray, eps: float, atol: float, rtol: float) -> None:
    """Projected gradient against central differences, element by element; the elements it
    flags are then checked entry by entry against the exact Jacobian."""
    j: Any
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
    suspects = np.flatnonzero(~_close(analytic, numeric, atol, rtol))
    if suspects.size == 0:
        return
    jacobians = objective.analytic_jacobian(checked, t)
    wrong = []
    for j in suspects:
        for m, (column, jacobian) in enumerate(zip(objective.jacobian_column(flat, j, eps),
                                                   jacobians)):
            exact = jacobian.reshape(column.size, flat.size)[:, j]
            bad = np.flatnonzero(~_close(exact, column.reshape(-1), atol, rtol))
            if bad.size:
                wrong.append((int(j), m, int(bad[0]), float(exact[bad[0]]),
                              float(column.reshape(-1)[bad[0]])))
                break
    if not wrong:
        return                 # only the sum of small, tolerated errors differed
    j, m, k, a, n = wrong[0]
    element = tuple(int(i) for i in np.unravel_index(j, t.shape))
    output = objective.outputs[m]
    output_element = tuple(int(i) for i in np.unravel_index(k, output.shape))
    entry = (f"d {_at('output' if len(objective.outputs) == 1 else f'output {m}', output_element)}"
             f" / d {_at(f'input {position}', element)}")
    kink = _one_sided(objective, flat, j, m, k, eps)
    if kink is not None:
        left, right = kink
        raise GradcheckError(
            f"gradcheck: input {position} (shape {t.shape}) is not differentiable at element "
            f"{element} (value {float(flat[j]):.6g}): the one-sided slopes disagree (left "
            f"{left:.6g}, right {right:.6g} for {entry}), so no gradient is right there; analytic "
            f"{a:.6g}, central difference {n:.6g}. Keep test inputs away from kinks and ties "
            "(mg.testing.tensors(avoid=..., distinct=True)).",
            "nondifferentiable", position, element, a, n, m, output_element)
    raise GradcheckError(
        f"gradcheck: wrong gradient for input {position} (shape {t.shape}) at element "
        f"{element}: the Jacobian entry {entry} (output shape {output.shape}) is analytic "
        f"{a:.6g}, numeric {n:.6g}, |difference| {abs(a - n):.3g}, relative error "
        f"{abs(a - n) / max(abs(n), 1e-12):.3g} (atol={atol}, rtol={rtol}); {len(wrong)} of "
        f"{flat.size} elements of input {position} have a wrong gradient",
        "wrong_gradient", position, element, a, n, m, output_element)


def _at(name: str, element: tuple) -> str:
    """`output[1, 2]`, or just `output` for a 0-d tensor."""
    return f"{name}[{', '.join(str(i) for i in element)}]" if element else name


def _one_sided(objective: _Objective, flat: np.ndarray, j: int, m: int, k: int,
               eps: float) -> Optional[tuple[float, float]]:
    """(left slope, right slope) of output m's element k along flat[j], when they differ by
    more than smooth curvature explains."""
    original = flat[j]
    centre = objective.output_arrays()[m].reshape(-1)[k]
    flat[j] = original + eps
    right = (objective.output_arrays()[m].reshape(-1)[k] - centre) / eps
    flat[j] = original - eps
    left = (centre - objective.output_arrays()[m].reshape(-1)[k]) / eps
    flat[j] = original
    scale = max(abs(left), abs(right), 1.0)
    if abs(right - left) > 1e-3 * scale:
        return float(left), float(right)
    return None


def _check_direction(objective: _Objective, checked: list[Tensor], positions: list[int],
                     analytic: list[np.ndarray], eps: float, atol: float, rtol: float,
                     seed: int) -> None:
    rng = np.random.default_rng(seed + 1)
    directions = [rng.standard_normal(t.shape) for t in checked]
    originals = [t.data.copy() for t in checked]

    def shifted(step: float) -> float:
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


def gradgradcheck(fn: Callable[..., Any], inputs: Any, grad_outputs: Any = None, eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, raise_exception: bool = True, fast_mode: bool = False,
                  seed: int = 0) -> bool:
    """Check the second derivatives of `fn` at `inputs` against central differences of its
    analytic gradient, in float64.

    The function checked is g(inputs, v) = mg.grad(fn(inputs), inputs, grad_outputs=v,
    create_graph=True): its gradients (by a backward through the backward) are compared with
    finite differences of g. So every second derivative d^2 <v, fn> / d input_i d input_j is
    checked, and so is g's dependence on v (the first derivative again).

    Args:
        fn, inputs:    as for `gradcheck`; the inputs with requires_grad are differentiated
        grad_outputs:  v, one Tensor per output of `fn` (a Tensor for a single output), or None
                       for random ones (seeded by `seed`), which are then checked as inputs
                       too; given ones are checked when they require grad, as PyTorch does
    Returns True when every entry matches; otherwise raises `GradcheckError` naming the
    gradient entry, the input (position, shape and element) and both values, or returns False
    when `raise_exception=False`.
    """
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    copies = _promoted(inputs)
    positions = [i for i, t in enumerate(copies) if isinstance(t, Tensor) and t.requires_grad]
    if not positions:
        raise ValueError("gradgradcheck: no input requires grad; create the inputs to check "
                         "with requires_grad=True")
    with enable_grad():
        outputs = _outputs(fn(*copies), "gradgradcheck")
    vectors = _grad_outputs(grad_outputs, outputs, seed)
    count = len(copies)

    def first_derivatives(*args: Any) -> tuple[Tensor, ...]:
        xs, vs = args[:count], args[count:]
        wrt = [xs[i] for i in positions]
        with enable_grad():
            outs = _outputs(fn(*xs), "gradgradcheck")
            live = [(out, v) for out, v in zip(outs, vs) if out.requires_grad]
            grads: Any = [None] * len(wrt)
            if live:
                grads = autograd_grad([out for out, _ in live], wrt,
                                      grad_outputs=[v for _, v in live], create_graph=True,
                                      allow_unused=True)
        return tuple(Tensor(np.zeros(x.shape)) if g is None else g for g, x in zip(grads, wrt))

    try:
        gradcheck(first_derivatives, copies + vectors, eps=eps, atol=atol, rtol=rtol,
                  fast_mode=fast_mode, seed=seed)
    except GradcheckError as error:
        if raise_exception:
            raise _second_order_error(error, copies, positions, vectors) from None
        return False
    return True


def _grad_outputs(grad_outputs: Any, outputs: Any, seed: int) -> list[Tensor]:
    """float64 leaf copies of the given grad_outputs, or random ones that require grad."""
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 2)
        return [Tensor(rng.standard_normal(out.shape), requires_grad=True) for out in outputs]
    given = list(grad_outputs) if isinstance(grad_outputs, (tuple, list)) else [grad_outputs]
    if len(given) != len(outputs):
        raise ValueError(f"gradgradcheck: got {len(given)} grad_outputs for {len(outputs)} "
                         "outputs of fn; pass one per output (or None for random ones)")
    vectors = []
    for i, (v, out) in enumerate(zip(given, outputs)):
        if not isinstance(v, Tensor):
            raise TypeError(f"gradgradcheck: grad_outputs[{i}] must be a Tensor, got "
                            f"{type(v).__name__}")
        if v.shape != out.shape:
            raise ValueError(f"gradgradcheck: grad_outputs[{i}] has shape {v.shape} but output "
                             f"{i} of fn has shape {out.shape}; they must match")
        vectors.append(Tensor(v.data.astype(np.float64), requires_grad=v.requires_grad))
    return vectors


def _second_order_error(error: GradcheckError, copies: list[Any], positions: list[int],
                        vectors: list[Tensor]) -> GradcheckError:
    """Restate a gradcheck failure of the first derivatives in the user's terms."""
    count = len(copies)
    if error.input_index < count:
        wrt = f"input {error.input_index}"
        shape = copies[error.input_index].shape
    else:
        wrt = f"grad_outputs {error.input_index - count}"
        shape = vectors[error.input_index - count].shape
    if error.element is None:             # fast mode: a directional derivative
        message = (f"gradgradcheck (fast mode): the derivative of the analytic gradient along a "
                   f"random direction differs: analytic {error.analytic:.6g}, numeric "
                   f"{error.numeric:.6g}; rerun with fast_mode=False on a smaller input to find "
                   "the entry")
    else:
        gradient = f"grad of input {positions[error.output_index]}"
        entry = f"d ({_at(gradient, error.output_element)}) / d {_at(wrt, error.element)}"
        a, n = error.analytic, error.numeric
        if error.kind == "nondifferentiable":
            message = (f"gradgradcheck: the gradient is not differentiable with respect to {wrt} "
                       f"(shape {shape}) at element {error.element}: the one-sided slopes of "
                       f"{entry} disagree (analytic {a:.6g}, central difference {n:.6g}); keep "
                       "test inputs away from the kinks of the gradient")
        else:
            what = "second derivative" if error.input_index < count else "gradient"
            message = (f"gradgradcheck: wrong {what} {entry} ({wrt} has shape {shape}, element "
                       f"{error.element}): analytic {a:.6g}, numeric {n:.6g}, |difference| "
                       f"{abs(a - n):.3g}, relative error {abs(a - n) / max(abs(n), 1e-12):.3g}")
    return GradcheckError(message, error.kind, error.input_index, error.element, error.analytic,
                          error.numeric, error.output_index, error.output_element)
