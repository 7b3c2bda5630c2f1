"""mg.save file permissions (the round trip and failure cases live in test_safe_files.py)."""
import os
import stat

import pytest

import minigrad as mg


def test_saved_file_gets_normal_permissions_and_keeps_an_existing_files(tmp_path):
    fresh = tmp_path / "fresh.npz"
    mg.save({"x": 1}, fresh)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o666 & ~umask
    os.chmod(fresh, 0o640)
    mg.save({"x": 2}, fresh)
    assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o640
    assert mg.load(fresh) == {"x": 2}


def test_load_accepts_torchs_keywords_for_the_cpu(tmp_path):
    path = tmp_path / "w.pt"
    mg.save({"w": mg.tensor([1.0, 2.0])}, path)
    for location in (None, "cpu", {"cuda:0": "cpu"}):
        for weights_only in (None, True, False):
            loaded = mg.load(path, map_location=location, weights_only=weights_only)
            assert loaded["w"].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"map_location 'cuda:0' asks for a device other than "
                                         r"the CPU; .* map_location=None or 'cpu'"):
        mg.load(path, map_location="cuda:0")
    with pytest.raises(TypeError, match="weights_only must be None, True or False"):
        mg.load(path, weights_only="yes")
