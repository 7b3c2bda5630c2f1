"""The README's "Testing your own op" example runs, its tests pass, and they catch a bug."""
import pathlib
import re

import numpy as np
import pytest

import minigrad as mg

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def _example_namespace():
    text = README.read_text()
    section = text.split("## Testing your own op", 1)
    assert len(section) == 2, "README lost its 'Testing your own op' section"
    block = re.search(r"```python\n(.*?)```", section[1], flags=re.S)
    assert block, "no python example under 'Testing your own op'"
    # Compiled at its own line numbers in README.md: hypothesis reads the test functions'
    # source from the file, which must then be the code itself, not other README lines.
    first_line = text.count("\n", 0, len(section[0]) + len("## Testing your own op") +
                            block.start(1))
    namespace = {"__name__": "readme_example"}
    exec(compile("\n" * first_line + block.group(1), str(README), "exec"), namespace)
    return namespace


def test_readme_example_tests_pass():
    namespace = _example_namespace()
    tests = [name for name in namespace if name.startswith("test_")]
    assert len(tests) >= 2
    for name in tests:
        namespace[name]()


def test_readme_example_catches_a_broken_backward():
    namespace = _example_namespace()
    softplus = namespace["Softplus"]
    original = softplus.backward
    try:
        softplus.backward = staticmethod(lambda ctx, grad: original(ctx, grad) * 1.1)
        with pytest.raises(AssertionError, match="wrong gradient for input 0"):
            namespace["test_softplus_gradient"]()
        x = mg.tensor(np.array([0.5, -3.0]), requires_grad=True)
        assert mg.gradcheck(softplus.apply, x, raise_exception=False) is False
    finally:
        softplus.backward = original
