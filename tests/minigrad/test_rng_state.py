"""set_rng_state refuses anything that is not a state from get_rng_state(), with one ValueError,
before touching any generator (a crafted name used to call np.random.seed(), then crash)."""
import numpy as np
import pytest

import minigrad as mg


@pytest.mark.parametrize("name", ["seed", "rand", "default_rng", "Generator", "SeedSequence",
                                  "BitGenerator", "__name__", 5, None])
def test_a_name_that_is_not_a_bit_generator_is_refused_without_side_effects(name):
    legacy_before = np.random.get_state(legacy=False)
    mg.manual_seed(3)
    expected = mg.randn(3).data
    mg.manual_seed(3)
    with pytest.raises(ValueError, match=r"set_rng_state: unknown bit generator .*; expected "
                                         r"the name of a NumPy BitGenerator"):
        mg.set_rng_state({"bit_generator": name})
    np.testing.assert_array_equal(mg.randn(3).data, expected)      # our stream: untouched
    legacy_after = np.random.get_state(legacy=False)
    np.testing.assert_array_equal(legacy_after["state"]["key"],     # NumPy's global: unseeded
                                  legacy_before["state"]["key"])


@pytest.mark.parametrize("state", [
    {"bit_generator": "PCG64"},
    {"bit_generator": "PCG64", "state": {"state": "x", "inc": 1}, "has_uint32": 0,
     "uinteger": 0},
    {"bit_generator": "PCG64", "state": {"state": -1, "inc": 1}, "has_uint32": 0,
     "uinteger": 0},
    {"bit_generator": "PCG64", "state": [1, 2]},
    {"bit_generator": "MT19937", "state": {"key": [1, 2], "pos": 3}},
    {"bit_generator": "Philox", "state": None},
], ids=["no-state", "str", "negative", "list", "short-key", "none"])
def test_a_malformed_state_is_refused_and_the_stream_kept(state):
    mg.manual_seed(4)
    expected = mg.randn(3).data
    mg.manual_seed(4)
    with pytest.raises(ValueError, match=r"set_rng_state: the \w+ state is malformed .*; pass "
                                         r"the dict returned by get_rng_state\(\)"):
        mg.set_rng_state(state)
    np.testing.assert_array_equal(mg.randn(3).data, expected)


def test_every_numpy_bit_generator_state_round_trips(tmp_path):
    for name in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
        state = getattr(np.random, name)(7).state
        mg.set_rng_state(state)
        first = mg.rand(5).data
        mg.save({"rng": state}, tmp_path / "rng.npz")
        mg.set_rng_state(mg.load(tmp_path / "rng.npz")["rng"])
        np.testing.assert_array_equal(mg.rand(5).data, first, err_msg=name)
