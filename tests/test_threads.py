"""Threaded stress test: four threads train four separate small models, each interleaving
`no_grad` evaluation with its training steps, and every gradient equals the one the same model
gets when trained alone in one thread.

The threads meet at a barrier before and after each phase, so two threads' `no_grad` blocks
always enclose the other two threads' recorded forward and backward passes: with a process-wide grad flag the training
threads lose their graphs (or leave recording off for good)."""
import threading

import numpy as np

import minigrad as mg
import nn

THREADS, STEPS, BATCH = 4, 12, 16


def _model(seed: int):
    """A small MLP whose weights come from its own generator (not the shared global one)."""
    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Dense(6, 12), nn.Tanh(), nn.Dense(12, 3))
    with mg.no_grad():
        for parameter in model.parameters():
            parameter.copy_(rng.normal(0.0, 0.5, parameter.shape).astype(np.float32))
    data = rng.normal(size=(STEPS, BATCH, 6)).astype(np.float32)
    labels = rng.integers(0, 3, size=(STEPS, BATCH))
    return model, data, labels


def _train(seed: int, barrier=None):
    """Train one model for STEPS steps; return every step's gradients and eval outputs."""
    model, data, labels = _model(seed)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

    def meet():
        if barrier is not None:
            barrier.wait(timeout=60)

    @mg.no_grad
    def evaluate(x):
        meet()                         # the other threads start training inside this block
        out = model(x)
        assert not out.requires_grad and not mg.is_grad_enabled()
        meet()
        return out.data.copy()

    def train(x, y):
        meet()
        assert mg.is_grad_enabled()
        loss = nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        meet()
        grads = [p.grad.data.copy() for p in model.parameters()]
        optimizer.step()
        return grads

    grads, evaluations = [], []
    for step in range(STEPS):
        x, y = mg.tensor(data[step]), mg.tensor(labels[step])
        for half in range(2):          # each step: half the threads evaluate, the others train
            if (seed + half) % 2:
                evaluations.append(evaluate(x))
            else:
                grads.append(train(x, y))
    return grads, evaluations


def test_four_training_threads_with_interleaved_no_grad_match_single_threaded_runs():
    expected = [_train(seed) for seed in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    results, errors = [None] * THREADS, []

    def worker(seed):
        try:
            results[seed] = _train(seed, barrier)
        except BaseException as error:             # reported by the main thread below
            errors.append(error)
            barrier.abort()

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert not errors, errors[0]
    assert mg.is_grad_enabled()
    for seed in range(THREADS):
        (grads, evaluations), (expected_grads, expected_evaluations) = results[seed], expected[seed]
        assert len(grads) == STEPS and len(evaluations) == STEPS
        for step in range(STEPS):
            for got, want in zip(grads[step], expected_grads[step]):
                np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7,
                                           err_msg=f"model {seed}, step {step}")
            np.testing.assert_allclose(evaluations[step], expected_evaluations[step],
                                       rtol=1e-6, atol=1e-7)
