"""mg.save file permissions (the round trip and failure cases live in test_safe_files.py)."""
import os
import stat

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
