"""The packages ship their annotations (PEP 561); mypy itself runs in .ci/run."""
import pathlib

import minigrad
import nn


def test_both_packages_ship_py_typed():
    for package in (minigrad, nn):
        marker = pathlib.Path(package.__file__).with_name("py.typed")
        assert marker.is_file(), f"{package.__name__} lacks py.typed at {marker}"


def test_pyproject_lists_py_typed_as_package_data():
    text = (pathlib.Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert 'minigrad = ["py.typed"]' in text and 'nn = ["py.typed"]' in text
