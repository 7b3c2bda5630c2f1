"""One shared random generator for every draw minigrad and nn make.

`manual_seed(n)` makes initialisation, dropout and DataLoader shuffling reproducible;
`get_rng_state()` / `set_rng_state()` let a checkpoint resume the exact random stream.
"""
import copy

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Seed every random draw of minigrad and nn; returns the generator."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def generator() -> np.random.Generator:
    """The shared NumPy Generator (use it for draws minigrad has no function for)."""
    return _generator


def get_rng_state() -> dict:
    """A copy of the generator's state: a dict of strings and ints that mg.save can store."""
    return copy.deepcopy(dict(_generator.bit_generator.state))


def set_rng_state(state: dict) -> None:
    """Restore a state from get_rng_state(), so the following draws repeat exactly."""
    if not isinstance(state, dict) or "bit_generator" not in state:
        raise ValueError("set_rng_state: expected the dict returned by get_rng_state(), got "
                         f"{type(state).__name__}")
    name = state["bit_generator"]
    bit_generator = getattr(np.random, name, None) if isinstance(name, str) else None
    if not (isinstance(bit_generator, type) and issubclass(bit_generator, np.random.BitGenerator)
            and bit_generator is not np.random.BitGenerator):
        raise ValueError(f"set_rng_state: unknown bit generator {name!r}; expected the name of "
                         "a NumPy BitGenerator such as 'PCG64', as get_rng_state() returns")
    fresh = bit_generator()
    try:
        fresh.state = state
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as error:
        raise ValueError(f"set_rng_state: the {name} state is malformed ({type(error).__name__}: "
                         f"{error}); pass the dict returned by get_rng_state()") from None
    global _generator
    _generator = np.random.Generator(fresh)
