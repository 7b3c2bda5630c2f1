"""`save` / `load`: nested dicts (and lists) of tensors, arrays, numbers and strings in one .npz.

Layout of the file: a NumPy .npz archive holding one entry per array (`a0`, `a1`, ...) plus
`__minigrad__`, a JSON manifest (a unicode array, so no pickle is involved) describing the
nested structure and pointing at the array entries. Loading uses `allow_pickle=False`, so a
file can never execute code. Writes go to a temporary file in the same folder that is
fsync'ed and then renamed over the target: a crash mid-write leaves any previous file intact.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from .tensor import Tensor

MANIFEST_KEY = "__minigrad__"
FORMAT = "minigrad-save"
VERSION = 1


def _encode(obj, arrays: dict, where: str):
    """Turn `obj` into JSON-able data, moving arrays into `arrays`."""
    if isinstance(obj, Tensor):
        key = f"a{len(arrays)}"
        arrays[key] = obj.data
        return {"__tensor__": key, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise TypeError(f"save: {where} is an object array, which cannot be stored without "
                            "pickle; convert it to a numeric array")
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if np.isfinite(obj):
            return obj
        return {"__float__": repr(obj)}
    if isinstance(obj, dict):
        items = [[_encode_key(k, where), _encode(v, arrays, f"{where}[{k!r}]")]
                 for k, v in obj.items()]
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    raise TypeError(f"save: {where} has type {type(obj).__name__}, which mg.save cannot store; "
                    "use tensors, arrays, numbers, strings, None, and dicts/lists of them")


def _encode_key(key, where):
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        return key
    raise TypeError(f"save: dict key {key!r} in {where} must be a str or int")


def _decode(node, arrays, path):
    if isinstance(node, dict):
        if "__tensor__" in node:
            return Tensor(_array(arrays, node["__tensor__"], path),
                          requires_grad=bool(node.get("requires_grad", False)))
        if "__array__" in node:
            return _array(arrays, node["__array__"], path)
        if "__float__" in node:
            return float(node["__float__"])
        if "__dict__" in node:
            return {key: _decode(value, arrays, path) for key, value in node["__dict__"]}
        if "__list__" in node:
            return [_decode(value, arrays, path) for value in node["__list__"]]
        if "__tuple__" in node:
            return tuple(_decode(value, arrays, path) for value in node["__tuple__"])
        raise ValueError(f"load: {path} has an unknown entry in its manifest: {sorted(node)}")
    return node


def _array(arrays, key, path):
    if key not in arrays:
        raise ValueError(f"load: {path} is corrupt: its manifest names array {key!r}, which "
                         "the file does not contain")
    return arrays[key]


def save(obj, path) -> None:
    """Write `obj` (a nested dict/list of tensors, arrays, numbers, strings) to exactly `path`.

    The write is atomic: the file at `path` is either the old one or the complete new one.
    """
    path = _path(path, "save", "mg.save(obj, path)")
    arrays = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder} does not exist; create it first")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **{MANIFEST_KEY: np.array(json.dumps(manifest))}, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _file_mode(path) -> int:
    """The permissions the saved file should get: the old file's, or what open() would give
    (mkstemp creates its file readable by the owner only)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def load(path, map_location=None, weights_only=None):
    """Read what `save` wrote. Never unpickles: loading cannot execute code.

    `map_location` and `weights_only` are PyTorch's keywords, accepted so that
    `torch.load(path, map_location="cpu", weights_only=True)` ports unchanged: everything loads
    onto the CPU (map_location may be None, "cpu", mg.device("cpu"), or a dict mapping devices
    to "cpu"), and every load is weights-only in PyTorch's sense whatever the flag says.

    Raises FileNotFoundError for a missing file and ValueError naming the file for anything
    truncated, corrupt or not written by mg.save.
    """
    _check_map_location(map_location)
    if weights_only not in (None, True, False):
        raise TypeError(f"load: weights_only must be None, True or False, got {weights_only!r}")
    path = _path(path, "load", "mg.load(path)")
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path}")
    try:
        with _open_archive(path) as archive:
            if MANIFEST_KEY not in archive.files:
                raise ValueError(f"load: {path} is not a minigrad file (an .npz without a "
                                 "minigrad manifest); was it written by mg.save?")
            manifest = json.loads(str(archive[MANIFEST_KEY]))
            arrays = {name: archive[name] for name in archive.files if name != MANIFEST_KEY}
    except ValueError as error:
        if str(error).startswith("load:"):
            raise
        raise ValueError(f"load: {path} is corrupt or not a minigrad file: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, json.JSONDecodeError,
            UnicodeDecodeError, NotImplementedError) as error:
        raise ValueError(f"load: {path} is truncated, corrupt or not a minigrad file "
                         f"({type(error).__name__}: {error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ValueError(f"load: {path} is not a minigrad file (unknown manifest format)")
    if manifest.get("version") != VERSION:
        raise ValueError(f"load: {path} has format version {manifest.get('version')}; this "
                         f"minigrad reads version {VERSION}")
    try:
        return _decode(manifest["root"], arrays, path)
    except (TypeError, KeyError, AttributeError, ValueError) as error:
        if str(error).startswith("load:"):
            raise
        raise ValueError(f"load: {path} is corrupt: its manifest is malformed "
                         f"({type(error).__name__}: {error})") from None


def _check_map_location(map_location) -> None:
    targets = list(map_location.values()) if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is not None and str(target) != "cpu":
            raise ValueError(f"load: map_location {map_location!r} asks for a device other "
                             "than the CPU; minigrad loads onto the CPU only, so pass "
                             "map_location=None or 'cpu'")


def _path(path, op: str, usage: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{op}: the path must be a str or os.PathLike, got "
                        f"{type(path).__name__}; call it as {usage}")
    return os.fspath(path)


def _open_archive(path):
    """np.load with pickle refused; a lone .npy array is not a minigrad file either."""
    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} is a single NumPy array (.npy), not a minigrad file; "
                         "load it with numpy.load")
    return archive
