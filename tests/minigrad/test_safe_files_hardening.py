"""mg.save / mg.load, round two: a save that would need pickle leaves the old file; saving goes
through symlinks and respects read-only files; crafted headers, deep manifests and unreadable
files give clear errors, never MemoryError, RecursionError or "corrupt"."""
import io
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np
import pytest

import minigrad as mg
from minigrad import serialization

NOBODY = 65534          # uid/gid of `nobody`, the unprivileged user the root runs drop to


def _as_unprivileged(action) -> int:
    """Run action() in a forked child without root's power over file permissions (as root:
    as user nobody; otherwise: as ourselves); return the child's exit status."""
    mg.save({"warm": mg.ones(1)}, os.path.join(tempfile.gettempdir(), f"warm-{os.getpid()}.npz"))
    os.remove(os.path.join(tempfile.gettempdir(), f"warm-{os.getpid()}.npz"))  # imports done
    child = os.fork()
    if child == 0:                                   # pragma: no cover (runs in the child)
        status = 99
        try:
            if os.geteuid() == 0:
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            status = action()
        finally:
            os._exit(status)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status)


@pytest.fixture
def shared_folder():
    """A folder the unprivileged child may create and rename files in (tmp_path's parents are
    private to the user running the tests)."""
    folder = tempfile.mkdtemp(prefix="minigrad-perm-")
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder)


# --- 1. a save that would need pickle is refused before anything is written ------------------
def _tensor_holding_objects():
    t = mg.tensor([1.0])
    t.data = np.array([None], dtype=object)
    return t


@pytest.mark.parametrize("bad", [
    lambda: np.zeros(1, [("a", object)]),
    lambda: np.array([{"x": 1}], dtype=object),
    _tensor_holding_objects,
], ids=["structured-with-object-field", "object-array", "tensor-of-objects"])
def test_a_save_that_would_need_pickle_raises_and_keeps_the_old_file(tmp_path, bad):
    path = tmp_path / "ck.npz"
    mg.save({"w": mg.tensor([1.0])}, path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"save: obj\['m'\] is an array of dtype .* cannot be "
                                        r"stored without pickle"):
        mg.save({"w": mg.tensor([2.0]), "m": bad()}, path)
    assert path.read_bytes() == before
    np.testing.assert_array_equal(mg.load(path)["w"].data, [1.0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ck.npz"]


# --- 5. symlinks and read-only files --------------------------------------------------------
def test_saving_through_a_symlink_writes_its_target(tmp_path):
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    target, link = real_folder / "ck.npz", link_folder / "latest.npz"
    mg.save({"step": 1}, target)
    link.symlink_to(os.path.relpath(target, link_folder))
    mg.save({"step": 2}, link)
    assert link.is_symlink() and os.path.samefile(link, target)
    assert mg.load(target) == {"step": 2} and mg.load(link) == {"step": 2}
    assert sorted(p.name for p in real_folder.iterdir()) == ["ck.npz"]
    assert sorted(p.name for p in link_folder.iterdir()) == ["latest.npz"]


def test_saving_through_a_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "new.npz")
    mg.save({"step": 3}, link)
    assert link.is_symlink() and mg.load(tmp_path / "new.npz") == {"step": 3}


def test_a_read_only_file_is_refused_as_open_would_refuse_it(tmp_path):
    # Same rule as open(path, "wb"): refused where this user may not write the file (so as
    # root, which may write anything, it is replaced, as torch.save would replace it).
    path = tmp_path / "ck.npz"
    mg.save({"step": 1}, path)
    path.chmod(0o444)
    try:
        open(path, "ab").close()
        writable = True
    except PermissionError:
        writable = False
    if writable:
        mg.save({"step": 2}, path)
        assert mg.load(path) == {"step": 2}
    else:
        with pytest.raises(PermissionError, match=r"save: .* is read-only for this user"):
            mg.save({"step": 2}, path)
        assert mg.load(path) == {"step": 1}
    assert (path.stat().st_mode & 0o777) == 0o444


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_a_read_only_file_is_refused_for_an_unprivileged_user(shared_folder):
    path = os.path.join(shared_folder, "ck.npz")
    mg.save({"step": 1}, path)
    os.chmod(path, 0o444)

    def save_over_it():
        try:
            mg.save({"step": 2}, path)
        except PermissionError as error:
            return 0 if "read-only for this user" in str(error) else 2
        return 1                                     # replaced: the bug

    assert _as_unprivileged(save_over_it) == 0
    assert mg.load(path) == {"step": 1}
    assert sorted(os.listdir(shared_folder)) == ["ck.npz"]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (POSIX)")
def test_an_unreadable_file_is_reported_as_unreadable_not_corrupt(shared_folder):
    path = os.path.join(shared_folder, "ck.npz")
    mg.save({"step": 1}, path)
    os.chmod(path, 0o000)

    def load_it():
        try:
            mg.load(path)
        except PermissionError as error:
            return 0 if "is unreadable" in str(error) and "corrupt" not in str(error) else 2
        return 1

    assert _as_unprivileged(load_it) == 0


def test_an_open_failure_is_passed_on_with_its_type(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    mg.save({"step": 1}, path)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(serialization, "open", refuse, raising=False)
    with pytest.raises(PermissionError, match=rf"load: {path} is unreadable \(Permission "
                                              r"denied\); check its permissions"):
        mg.load(path)


# --- 6. crafted headers and deep manifests ---------------------------------------------------
def _npy_bytes(header: dict, data: bytes) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def _crafted(path, array_entry: bytes, manifest=None):
    manifest = manifest or {"format": "minigrad-save", "version": 1,
                            "root": {"__dict__": [["w", {"__array__": "a0"}]]}}
    buffer = io.BytesIO()
    np.save(buffer, np.array(json.dumps(manifest)))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__minigrad__.npy", buffer.getvalue())
        archive.writestr("a0.npy", array_entry)


@pytest.mark.parametrize("shape, descr", [((10 ** 12,), "<f8"), ((2 ** 40, 8), "<f4"),
                                          ((3,), "<f8"), ((2 ** 62, 2 ** 62), "|u1")])
def test_a_header_declaring_more_than_the_file_holds_is_refused(tmp_path, shape, descr):
    path = tmp_path / "crafted.npz"
    _crafted(path, _npy_bytes({"descr": descr, "fortran_order": False, "shape": shape},
                              b"\x00" * 16))
    with pytest.raises(ValueError, match=rf"load: {path} is corrupt: entry 'a0.npy' declares "
                                         rf"a \w+ array of shape .* but holds 16 bytes"):
        mg.load(path)


def test_a_crafted_manifest_header_is_refused_too(tmp_path):
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__minigrad__.npy", _npy_bytes(
            {"descr": "<U100", "fortran_order": False, "shape": ()}, b""))
    with pytest.raises(ValueError, match=r"entry '__minigrad__.npy' declares"):
        mg.load(path)


def test_compressed_files_with_real_compression_ratios_still_load(tmp_path):
    path = tmp_path / "compressed.npz"
    manifest = {"format": "minigrad-save", "version": 1, "root": {"__dict__": [["z", {"__array__": "a0"}]]}}
    with open(path, "wb") as file:
        np.savez_compressed(file, __minigrad__=np.array(json.dumps(manifest)),
                            a0=np.zeros(2_000_000, np.float32))      # deflates ~1000x
    assert mg.load(path)["z"].shape == (2_000_000,)


@pytest.mark.parametrize("depth", [100_000, 400])
def test_a_deeply_nested_manifest_is_refused_without_recursion_error(tmp_path, depth):
    path = tmp_path / "deep.npz"
    text = ('{"format": "minigrad-save", "version": 1, "root": ' + '{"__list__": [' * depth
            + "1" + "]}" * depth + "}")
    with open(path, "wb") as file:
        np.savez(file, __minigrad__=np.array(text))
    with pytest.raises(ValueError, match=rf"load: {path} is corrupt or crafted: its manifest "
                                         r"nests deeper than 302 levels"):
        mg.load(path)


def test_nesting_up_to_the_limit_round_trips_and_beyond_it_is_refused_at_save(tmp_path):
    path = tmp_path / "nested.npz"
    deepest = {"x": 1}
    for _ in range(serialization.MAX_NESTING - 1):
        deepest = [deepest]
    mg.save(deepest, path)
    assert mg.load(path) == deepest
    with pytest.raises(ValueError, match=r"save: obj(\[0\])+ is nested more than 100 "
                                         r"containers deep"):
        mg.save([deepest], path)
    assert mg.load(path) == deepest
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match=r"or contains itself"):
        mg.save(loop, tmp_path / "loop.npz")
    assert not (tmp_path / "loop.npz").exists()
