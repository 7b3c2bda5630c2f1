"""Fault injection for mg.save: every step that touches the disk (creating the temporary file,
each write, flush, fsync, chmod, the rename, syncing the folder) is made to fail in turn. After
each failure the target is the complete old file or the complete new one, never neither, and
no temporary file is left behind."""
import os
import tempfile

import numpy as np
import pytest

import minigrad as mg


class InjectedFault(OSError):
    pass


class _Steps:
    """Counts disk steps; raises InjectedFault at step `fail_at` (None: never)."""

    def __init__(self, fail_at=None):
        self.fail_at, self.names = fail_at, []

    def step(self, name):
        self.names.append(name)
        if len(self.names) - 1 == self.fail_at:
            raise InjectedFault(f"injected at step {self.fail_at} ({name})")


class _CountedFile:
    """A file object whose writes and flushes are steps; everything else passes through."""

    def __init__(self, file, steps):
        self._file, self._steps = file, steps

    def write(self, data):
        self._steps.step("write")
        return self._file.write(data)

    def flush(self):
        self._steps.step("flush")
        return self._file.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._file.close()
        return False

    def __getattr__(self, name):
        return getattr(self._file, name)


def _save_with_faults(monkeypatch, obj, path, steps):
    def counted(name, real):
        def wrapper(*args, **kwargs):
            steps.step(name)
            return real(*args, **kwargs)
        return wrapper

    real_fdopen = os.fdopen
    with monkeypatch.context() as patch:
        patch.setattr(tempfile, "mkstemp", counted("mkstemp", tempfile.mkstemp))
        patch.setattr(os, "fdopen",
                      lambda *a, **k: _CountedFile(counted("fdopen", real_fdopen)(*a, **k), steps))
        for name in ("fsync", "chmod", "replace", "open", "close"):
            patch.setattr(os, name, counted(name, getattr(os, name)))
        mg.save(obj, path)


def _state(value):
    return {"model": {"w": mg.full((64, 64), value), "b": mg.zeros(64)}, "step": int(value)}


def _load_step(path):
    loaded = mg.load(path)
    assert loaded["model"]["w"].shape == (64, 64)
    np.testing.assert_array_equal(loaded["model"]["w"].data, loaded["step"])
    return loaded["step"]


@pytest.mark.parametrize("has_old_file", [True, False], ids=["over-old-file", "new-file"])
def test_a_save_failing_at_any_step_leaves_old_or_new_and_no_temporary(tmp_path, monkeypatch,
                                                                       has_old_file):
    path = tmp_path / "ck.npz"
    dry_run = _Steps()
    _save_with_faults(monkeypatch, _state(1.0), tmp_path / "dry.npz", dry_run)
    (tmp_path / "dry.npz").unlink()
    names = dry_run.names
    assert {"mkstemp", "write", "flush", "fsync", "chmod", "replace"} <= set(names)
    outcomes = []
    for fail_at in range(len(names)):
        if path.exists():
            path.unlink()
        if has_old_file:
            mg.save(_state(1.0), path)
        try:
            _save_with_faults(monkeypatch, _state(2.0), path, _Steps(fail_at))
        except InjectedFault:
            pass
        left = sorted(p.name for p in tmp_path.iterdir())
        assert left == (["ck.npz"] if path.exists() else []), (fail_at, names[fail_at], left)
        if path.exists():
            outcomes.append(_load_step(path))
        else:
            assert not has_old_file, (fail_at, names[fail_at])
            outcomes.append(None)
    old = 1 if has_old_file else None
    replaced = names.index("replace")
    assert outcomes[:replaced + 1] == [old] * (replaced + 1)   # failed by the rename: old
    assert outcomes[replaced + 1:] == [2] * (len(names) - replaced - 1)  # after it: new
