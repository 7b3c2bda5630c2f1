"""mg.save / mg.load are safe: atomic writes, no pickle, one error type for bad files."""
import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import serialization


def _checkpoint():
    return {"model": {"w": mg.randn(3, 4), "b": mg.zeros(4)}, "step": 7, "name": "run",
            "counts": np.arange(5), "history": [0.5, float("nan")]}


def _same(a, b) -> bool:
    """Structural equality: same types, same dtypes, bit-equal values (NaN == NaN)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, mg.Tensor):
        return isinstance(b, mg.Tensor) and _same(a.data, b.data)
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, float) and a != a:
        return isinstance(b, float) and b != b
    return type(a) is type(b) and a == b


# --- atomic writes ----------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["savez", "fsync", "replace"])
def test_failed_write_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch, where):
    path = tmp_path / "ckpt.npz"
    old = _checkpoint()
    mg.save(old, path)
    before = path.read_bytes()

    def savez_then_crash(file, **arrays):
        file.write(b"PK\x03\x04 half a checkpoint" * 100)     # some bytes reach the disk
        raise OSError("disk full")

    def crash(*args, **kwargs):
        raise OSError("disk full")

    if where == "savez":
        monkeypatch.setattr(serialization.np, "savez", savez_then_crash)
    else:
        monkeypatch.setattr(serialization.os, where, crash)
    with pytest.raises(OSError, match="disk full"):
        mg.save({"w": mg.ones(100)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _same(mg.load(path), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_unsavable_object_leaves_previous_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": 1}, path)
    with pytest.raises(TypeError, match="save: obj\\['bad'\\] has type object"):
        mg.save({"bad": object()}, path)
    assert mg.load(path) == {"a": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_round_trip_is_exact(tmp_path):
    obj = _checkpoint()
    mg.save(obj, tmp_path / "c.npz")
    assert _same(mg.load(tmp_path / "c.npz"), obj)


# --- pickle payloads are refused and never run ------------------------------------------------
class _Payload:
    """Unpickling this creates the marker file: evidence that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_npz_with_object_array_is_refused_without_running_code(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    manifest = {"format": "minigrad-save", "version": 1, "root": {"__array__": "a0"}}
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    np.savez(path, __minigrad__=np.array(json.dumps(manifest)), a0=payload)
    with pytest.raises(ValueError, match=f"load: {path}.*Object arrays cannot be loaded"):
        mg.load(path)
    assert not marker.exists()
    np.load(path, allow_pickle=True)["a0"]            # the payload is real: it does fire
    assert marker.exists()


def test_pickled_manifest_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    manifest = np.empty((), dtype=object)
    manifest[()] = _Payload(marker)
    np.savez(path, __minigrad__=manifest)
    with pytest.raises(ValueError, match=str(path)):
        mg.load(path)
    assert not marker.exists()


@pytest.mark.parametrize("name", ["evil.npz", "evil.pkl"])
def test_raw_pickle_file_is_refused_without_running_code(tmp_path, name):
    marker = tmp_path / "pwned"
    path = tmp_path / name
    path.write_bytes(pickle.dumps({"w": _Payload(marker)}))
    with pytest.raises(ValueError, match=f"load: {path} is corrupt or not a minigrad file"):
        mg.load(path)
    assert not marker.exists()


# --- truncated, corrupt, foreign: always ValueError naming the file ---------------------------
def _assert_refused_or_identical(path, original):
    try:
        loaded = mg.load(path)
    except ValueError as error:
        assert str(path) in str(error)
        return "refused"
    assert _same(loaded, original)         # a flip in an unused header field changes nothing
    return "identical"


def test_truncated_at_every_length_raises_value_error(tmp_path):
    path = tmp_path / "c.npz"
    mg.save(_checkpoint(), path)
    data = path.read_bytes()
    cut = tmp_path / "cut.npz"
    for length in list(range(0, len(data), 13)) + [len(data) - 1]:
        cut.write_bytes(data[:length])
        with pytest.raises(ValueError, match=f"load: {cut}"):
            mg.load(cut)


@pytest.mark.parametrize("stride", [7, pytest.param(1, marks=pytest.mark.slow)])
def test_single_byte_flips_are_refused_or_harmless(tmp_path, stride):
    path = tmp_path / "c.npz"
    original = _checkpoint()
    mg.save(original, path)
    data = path.read_bytes()
    bad = tmp_path / "bad.npz"
    outcomes = {"refused": 0, "identical": 0}
    for position in range(0, len(data), stride):
        flipped = bytearray(data)
        flipped[position] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        outcomes[_assert_refused_or_identical(bad, original)] += 1
    assert outcomes["refused"] > len(data) // (2 * stride)


def _write_png(path):
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
                     b"\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.mark.parametrize("kind", ["npz_without_manifest", "npy", "text", "png", "empty",
                                  "zip_of_text", "json_not_a_dict", "wrong_format",
                                  "future_version", "missing_array", "malformed_manifest",
                                  "string_tensor"])
def test_foreign_files_raise_value_error_naming_the_file(tmp_path, kind):
    path = tmp_path / f"foreign.{kind}"

    def with_manifest(manifest, **arrays):
        with open(path, "wb") as file:
            np.savez(file, __minigrad__=np.array(json.dumps(manifest)), **arrays)

    base = {"format": "minigrad-save", "version": 1}
    if kind == "npz_without_manifest":
        with open(path, "wb") as file:
            np.savez(file, weights=np.ones(3))
    elif kind == "npy":
        with open(path, "wb") as file:
            np.save(file, np.ones(3))
    elif kind == "text":
        path.write_text("epoch,loss\n1,0.5\n")
    elif kind == "png":
        _write_png(path)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "zip_of_text":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
    elif kind == "json_not_a_dict":
        with_manifest([1, 2, 3])
    elif kind == "wrong_format":
        with_manifest({"format": "other", "version": 1, "root": 1})
    elif kind == "future_version":
        with_manifest({**base, "version": 99, "root": 1})
    elif kind == "missing_array":
        with_manifest({**base, "root": {"__tensor__": "a7"}})
    elif kind == "malformed_manifest":
        with_manifest({**base, "root": {"__dict__": [[1, 2, 3]]}})
    elif kind == "string_tensor":
        with_manifest({**base, "root": {"__tensor__": "a0"}}, a0=np.array(["x", "y"]))
    with pytest.raises(ValueError, match=f"load: {path}"):
        mg.load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        mg.load(tmp_path / "nope.npz")


def test_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match=f"load: {tmp_path}"):
        mg.load(tmp_path)
    assert os.path.isdir(tmp_path)


def test_swapped_arguments_are_a_type_error(tmp_path):
    path = tmp_path / "c.npz"
    with pytest.raises(TypeError, match=r"save: the path must be a str or os.PathLike, got "
                                        r"PosixPath|save: the path must .* got dict"):
        mg.save(str(path), {"a": 1})
    with pytest.raises(TypeError, match=r"load: the path must be a str or os.PathLike, got "
                                        r"NoneType; call it as mg.load\(path\)"):
        mg.load(None)
    assert not path.exists()


@pytest.mark.parametrize("call", [lambda: mg.save({"w": mg.tensor([1.0])}, ""),
                                  lambda: mg.load("")])
def test_an_empty_path_is_a_value_error_naming_the_call(call):
    with pytest.raises(ValueError, match=r"(save|load): the path is empty"):
        call()


def test_saving_to_a_folder_is_an_is_a_directory_error(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder; pass a file name inside it"):
        mg.save({"w": mg.tensor([1.0])}, tmp_path)
