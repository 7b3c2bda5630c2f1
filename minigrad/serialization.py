"""`save` / `load`: nested dicts (and lists) of tensors, arrays, numbers and strings in one .npz.

Layout of the file: a NumPy .npz archive holding one entry per array (`a0`, `a1`, ...) plus
`__minigrad__`, a JSON manifest (a unicode array, so no pickle is involved) describing the
nested structure and pointing at the array entries. Loading uses `allow_pickle=False`, so a
file can never execute code. Writes go to a temporary file in the target's folder that is
fsync'ed and then renamed over the target (a symlink's target, not the link): a crash
mid-write leaves any previous file intact, and everything that could make the file
unloadable is checked before the first byte is written.

Limits, both far beyond any real checkpoint: containers nest at most MAX_NESTING deep, and an
array may not declare more bytes than the file holds for it, so a crafted header cannot make
`load` allocate terabytes.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import tokenize
import zipfile
from typing import Any

import numpy as np

from .tensor import Tensor

MANIFEST_KEY = "__minigrad__"
FORMAT = "minigrad-save"
VERSION = 1
MAX_NESTING = 100          # dicts/lists/tuples inside each other; a state dict needs about 4
# Each container level is at most 3 JSON levels in the manifest ({"__dict__": [[key, value]]}),
# plus the manifest object itself and a leaf's object.
_MAX_MANIFEST_DEPTH = 3 * MAX_NESTING + 2
_MAX_DEFLATE_RATIO = 1100  # deflate cannot expand data by more than 1032x


def _encode(obj: Any, arrays: dict[str, np.ndarray], where: str, depth: int = 0) -> Any:
    """Turn `obj` into JSON-able data, moving arrays into `arrays`."""
    if isinstance(obj, Tensor):
        _check_storable(obj.data, where)
        key = f"a{len(arrays)}"
        arrays[key] = obj.data
        return {"__tensor__": key, "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray):
        _check_storable(obj, where)
        key = f"a{len(arrays)}"
        arrays[key] = obj
        return {"__array__": key}
    if isinstance(obj, (dict, list, tuple)) and depth >= MAX_NESTING:
        raise ValueError(f"save: {where} is nested more than {MAX_NESTING} containers deep "
                         "(or contains itself); mg.save stores trees of at most that depth")
    if isinstance(obj, np.generic):
        return _encode(obj.item(), arrays, where)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        if np.isfinite(obj):
            return obj
        return {"__float__": repr(obj)}
    if isinstance(obj, dict):
        items = [[_encode_key(k, where), _encode(v, arrays, f"{where}[{k!r}]", depth + 1)]
                 for k, v in obj.items()]
        return {"__dict__": items}
    if isinstance(obj, (list, tuple)):
        kind = "__list__" if isinstance(obj, list) else "__tuple__"
        return {kind: [_encode(v, arrays, f"{where}[{i}]", depth + 1)
                       for i, v in enumerate(obj)]}
    raise TypeError(f"save: {where} has type {type(obj).__name__}, which mg.save cannot store; "
                    "use tensors, arrays, numbers, strings, None, and dicts/lists of them")


def _check_storable(array: np.ndarray, where: str) -> None:
    """Refuse, before anything is written, an array that only pickle could store (an object
    array, or a structured one with an object field): the file could not be loaded."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"save: {where} holds a {type(array).__name__}, not a NumPy array; "
                        "move the tensor to the CPU first")
    if array.dtype.hasobject:
        raise TypeError(f"save: {where} is an array of dtype {array.dtype}, which holds Python "
                        "objects and cannot be stored without pickle (the file could not be "
                        "loaded); convert it to a numeric array")


def _encode_key(key: Any, where: str) -> str | int:
    if isinstance(key, (str, int)) and not isinstance(key, bool):
        return key
    raise TypeError(f"save: dict key {key!r} in {where} must be a str or int")


def _decode(node: Any, arrays: Any, path: Any) -> Any:
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


def _array(arrays: Any, key: Any, path: Any) -> np.ndarray:
    if key not in arrays:
        raise ValueError(f"load: {path} is corrupt: its manifest names array {key!r}, which "
                         "the file does not contain")
    return arrays[key]


def save(obj: Any, path: str | os.PathLike[str]) -> None:
    """Write `obj` (a nested dict/list of tensors, arrays, numbers, strings) to exactly `path`.

    The write is atomic: the file at `path` is either the old one or the complete new one.
    A symlink is followed (its target gets the new contents, the link stays); an existing file
    this user may not write raises PermissionError, as `open(path, "wb")` would.
    """
    path = _path(path, "save", "mg.save(obj, path)")
    arrays: dict = {}
    manifest = {"format": FORMAT, "version": VERSION, "root": _encode(obj, arrays, "obj")}
    target = os.path.realpath(path)          # through a symlink: replace the file it names
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: folder {folder} does not exist; create it first")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {path} is a folder; pass a file name inside it")
    if os.path.exists(target) and not os.access(target, os.W_OK):
        raise PermissionError(f"save: {path} is read-only for this user, so it is not "
                              "replaced; make it writable (chmod u+w) or save to another path")
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **{MANIFEST_KEY: np.array(json.dumps(manifest))}, **arrays)  # type: ignore[arg-type]
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _sync_folder(folder)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (POSIX: fsync the folder); a no-op where folders cannot
    be opened (Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass                                 # some file systems refuse fsync on a folder
    finally:
        os.close(descriptor)


def _file_mode(path: str) -> int:
    """The permissions the saved file should get: the old file's, or what open() would give
    (mkstemp creates its file readable by the owner only)."""
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def load(path: str | os.PathLike[str], map_location: Any = None,
         weights_only: bool | None = None) -> Any:
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
    if os.path.isdir(path):
        raise ValueError(f"load: {path} is a folder, not a file written by mg.save")
    try:
        handle = open(path, "rb")
    except OSError as error:                 # there, but this user may not read it
        raise type(error)(f"load: {path} is unreadable ({error.strerror or error}); check its "
                          "permissions") from None
    try:
        with handle, _open_archive(handle, path) as archive:
            if MANIFEST_KEY not in archive.files:
                raise ValueError(f"load: {path} is not a minigrad file (an .npz without a "
                                 "minigrad manifest); was it written by mg.save?")
            _check_declared_sizes(archive.zip, os.fstat(handle.fileno()).st_size, path)
            manifest = _parse_manifest(str(archive[MANIFEST_KEY]), path)
            arrays = {name: archive[name] for name in archive.files if name != MANIFEST_KEY}
    except ValueError as error:
        if str(error).startswith("load:"):
            raise
        raise ValueError(f"load: {path} is corrupt or not a minigrad file: {error}") from None
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, json.JSONDecodeError,
            UnicodeDecodeError, NotImplementedError, SyntaxError, tokenize.TokenError) as error:
        # (SyntaxError and TokenError: NumPy parses each .npy header as a Python literal)
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


def _check_map_location(map_location: Any) -> None:
    targets = list(map_location.values()) if isinstance(map_location, dict) else [map_location]
    for target in targets:
        if target is not None and str(target) != "cpu":
            raise ValueError(f"load: map_location {map_location!r} asks for a device other "
                             "than the CPU; minigrad loads onto the CPU only, so pass "
                             "map_location=None or 'cpu'")


def _path(path: Any, op: str, usage: str) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{op}: the path must be a str or os.PathLike, got "
                        f"{type(path).__name__}; call it as {usage}")
    text = os.fspath(path)
    if not text:
        raise ValueError(f"{op}: the path is empty; call it as {usage} with a file name")
    return text


def _open_archive(handle: Any, path: Any) -> Any:
    """np.load with pickle refused; a lone .npy array is not a minigrad file either."""
    archive = np.load(handle, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"load: {path} is a single NumPy array (.npy), not a minigrad file; "
                         "load it with numpy.load")
    return archive


def _check_declared_sizes(archive: zipfile.ZipFile, file_size: int, path: Any) -> None:
    """Read every entry's .npy header (not its data) and refuse sizes the file cannot hold,
    before anything is allocated: a crafted header could otherwise declare terabytes."""
    for info in archive.infolist():
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"load: {path} is not a minigrad file: entry {info.filename!r} "
                             f"uses compression method {info.compress_type}")
        expansion = 1 if info.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO
        if info.compress_size > file_size or info.file_size > info.compress_size * expansion:
            raise ValueError(f"load: {path} is corrupt: entry {info.filename!r} claims "
                             f"{info.file_size} bytes ({info.compress_size} stored) in a file "
                             f"of {file_size} bytes")
        with archive.open(info) as member:
            version = np.lib.format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(member)
            elif version == (3, 0):           # what NumPy writes for non-latin-1 field names
                shape, _, dtype = np.lib.format._read_array_header(member, version)  # type: ignore[attr-defined]
            else:
                raise ValueError(f"load: {path} is not a minigrad file: entry "
                                 f"{info.filename!r} has .npy format version {version}")
            header_size = member.tell()
        declared = math.prod(shape) * dtype.itemsize
        if declared > info.file_size - header_size:
            raise ValueError(f"load: {path} is corrupt: entry {info.filename!r} declares a "
                             f"{dtype} array of shape {shape} ({declared} bytes) but holds "
                             f"{info.file_size - header_size} bytes of data")


def _parse_manifest(text: str, path: Any) -> dict[str, Any]:
    """The JSON manifest, refused when it nests deeper than any mg.save file can."""
    try:
        manifest = json.loads(text)
        too_deep = _depth(manifest) > _MAX_MANIFEST_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        raise ValueError(f"load: {path} is corrupt or crafted: its manifest nests deeper than "
                         f"{_MAX_MANIFEST_DEPTH} levels (mg.save writes at most "
                         f"{MAX_NESTING} nested containers)")
    return manifest


def _depth(node: Any) -> int:
    """Nesting depth of JSON data, measured without recursion."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        node, depth = stack.pop()
        children = (node.values() if isinstance(node, dict) else node
                    if isinstance(node, list) else ())
        if children:
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in children)
    return deepest
