"""The benchmark's trainers compute the same step: the hand-written NumPy MLP step (the floor
that benchmarks/train_step.py times next to minigrad) gives minigrad's losses, step after step."""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "benchmarks"))
import train_step  # noqa: E402


def test_numpy_floor_step_is_minigrads_step():
    by_hand, ours = train_step.numpy_trainer("mlp", 16), train_step.minigrad_trainer("mlp", 16)
    losses = [(by_hand(), ours()) for _ in range(5)]
    np.testing.assert_allclose(*zip(*losses), rtol=1e-6)
    assert losses[-1][0] < losses[0][0]            # it trains: the update is applied


def test_numpy_floor_runs_the_mlp_only():
    with pytest.raises(ValueError, match="only \\['mlp'\\], not 'lenet'"):
        train_step.numpy_trainer("lenet", 4)
