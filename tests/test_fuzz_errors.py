"""Bad input, fuzzed: every public op and layer, called with wrong shapes, wrong dtypes, empty
tensors, None and strings, either works or raises a documented error with a message.

Documented: ValueError, TypeError, IndexError (incl. mg.DimensionError), RuntimeError,
FileNotFoundError for a path that does not exist (mg.load, the IDX reader), and mg.save's
IsADirectoryError (a folder given as the file) and PermissionError (a file this user may not
write). Never
an error from inside NumPy (AxisError, LinAlgError, or any error whose last traceback frame is in
NumPy, unless minigrad re-raised it with its `<op>: ...` message), never a hang.

The targets are found by introspection (`mg.__all__`, Tensor's public methods and operators,
`nn.functional`, `nn.init`, `nn.optim`, `nn.data`, every Module in `nn.__all__`), so a new op
is fuzzed without editing this file. Run with `-s` to see how many calls ran and how many
distinct error paths (exception type, op, message template) they hit.
"""
import collections
import inspect
import io
import os
import re
import signal
import tempfile
import traceback
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad as mg
import nn

ALLOWED = (ValueError, TypeError, IndexError, RuntimeError, FileNotFoundError,
           IsADirectoryError, PermissionError)
FORBIDDEN = (np.exceptions.AxisError, np.linalg.LinAlgError)
NUMPY_DIR = os.path.dirname(np.__file__) + os.sep
TIME_LIMIT_S = 10

# not callables that take data: classes of errors, dtypes, submodules, context managers
SKIP_MG = {"Function", "Context", "DimensionError", "GradcheckError", "random", "no_grad",
           "enable_grad", "set_grad_enabled", "detect_anomaly", *mg._DTYPE_NAMES}
# Modules that are containers or bases: fuzzed through their constructor only
CONTAINERS = {"Module", "ModuleList", "ModuleDict", "Parameter"}


def _valid_layers() -> dict:
    """One working instance per layer class, so its forward can be fuzzed."""
    return {
        "Sequential": lambda: nn.Sequential(nn.Dense(3, 2), nn.ReLU()),
        "Conv2D": lambda: nn.Conv2D(2, 3, kernel_size=2),
        "MaxPool2D": lambda: nn.MaxPool2D(2), "AvgPool2D": lambda: nn.AvgPool2D(2),
        "Dense": lambda: nn.Dense(3, 2), "ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid,
        "Tanh": nn.Tanh, "Softmax": lambda: nn.Softmax(dim=1),
        "LogSoftmax": lambda: nn.LogSoftmax(dim=1), "Flatten": nn.Flatten,
        "Dropout": lambda: nn.Dropout(0.5), "BatchNorm2D": lambda: nn.BatchNorm2D(2),
        "CrossEntropyLoss": nn.CrossEntropyLoss, "NLLLoss": nn.NLLLoss, "MSELoss": nn.MSELoss,
        "ConvTranspose2D": lambda: nn.ConvTranspose2D(2, 3, kernel_size=2, stride=2),
        "AdaptiveAvgPool2D": lambda: nn.AdaptiveAvgPool2D((2, 3)),
        "AdaptiveMaxPool2D": lambda: nn.AdaptiveMaxPool2D(2), "Identity": nn.Identity,
        "LeakyReLU": nn.LeakyReLU, "ELU": nn.ELU, "GELU": nn.GELU, "SiLU": nn.SiLU,
        "Softplus": nn.Softplus, "Unflatten": lambda: nn.Unflatten(1, (2, -1)),
        "ZeroPad2D": lambda: nn.ZeroPad2D((1, 0, 2, 1)),
        "Upsample": lambda: nn.Upsample(scale_factor=2, mode="bilinear"),
        "Dropout2D": lambda: nn.Dropout2D(0.5), "BatchNorm1D": lambda: nn.BatchNorm1D(3),
        "LayerNorm": lambda: nn.LayerNorm(3), "GroupNorm": lambda: nn.GroupNorm(2, 4),
        "Embedding": lambda: nn.Embedding(5, 3, padding_idx=0), "L1Loss": nn.L1Loss,
        "SmoothL1Loss": nn.SmoothL1Loss, "HuberLoss": nn.HuberLoss, "BCELoss": nn.BCELoss,
        "BCEWithLogitsLoss": nn.BCEWithLogitsLoss,
        "KLDivLoss": lambda: nn.KLDivLoss(reduction="batchmean"),
    }


def _public_functions(module, names=None):
    names = names if names is not None else getattr(module, "__all__", dir(module))
    for name in names:
        obj = getattr(module, name, None)
        if name.startswith("_") or inspect.ismodule(obj) or not callable(obj):
            continue
        if getattr(obj, "__module__", "").split(".")[0] not in ("minigrad", "nn"):
            continue
        yield name, obj


def _public_methods(cls) -> list:
    return sorted(n for n, v in vars(cls).items()
                  if not n.startswith("_") and callable(v) and n != "forward")


def _module_with_state() -> nn.Module:
    """A module with parameters, a buffer and a child, for Module's own methods."""
    return nn.Sequential(nn.Conv2D(1, 2, kernel_size=2), nn.BatchNorm2D(2))


OPTIMIZERS = [name for name in nn.optim.__all__
              if inspect.isclass(getattr(nn.optim, name)) and name != "Optimizer"]
ATTRIBUTE_NAMES = ["weight", "bias", "running_mean", "0", "1", "extra", "training"]


def _assign_then_use(module, name, value):
    """module.name = value, then the module's registries must still be consistent."""
    setattr(module, name, value)
    module.state_dict()
    return [n for n, _ in module.named_parameters()]


def _targets() -> list:
    """(id, kind, target) for everything public; kind says how the test gets a callable:
    "fn" (call it), "method" (a Tensor method, by name), "forward" (a layer instance),
    "module_method" / "optimizer_method" (a method, by name, of a ready Module / optimizer)."""
    targets = []
    for name, fn in _public_functions(mg, mg.__all__):
        if name not in SKIP_MG:
            targets.append((f"mg.{name}", "fn", fn))
    operators = ["__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
                 "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__",
                 "__rmatmul__", "__neg__", "__abs__", "__getitem__", "__setitem__", "__lt__",
                 "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__invert__", "__and__",
                 "__or__", "__len__", "__iter__", "__bool__", "__float__", "__int__",
                 "__index__"]
    methods = [n for n, v in vars(mg.Tensor).items() if not n.startswith("_") and callable(v)]
    for name in sorted(set(methods)) + operators:
        targets.append((f"Tensor.{name}", "method", name))
    for module_name in ("functional", "init", "optim", "data"):
        module = getattr(nn, module_name)
        for name, fn in _public_functions(module):
            targets.append((f"nn.{module_name}.{name}", "fn", fn))
    targets.append(("nn.summary", "fn", nn.summary))
    layers = _valid_layers()
    for name in _public_methods(nn.Module):
        targets.append((f"nn.Module.{name}", "module_method", name))
    for name in _public_methods(nn.optim.Optimizer):
        targets.append((f"nn.optim.Optimizer.{name}", "optimizer_method", name))
    # crafted inputs that the argument fuzzing above cannot produce
    targets.append(("mg.load(crafted file)", "crafted_file", mg.load))
    targets.append(("mg.set_rng_state(corrupted state)", "rng_state", mg.set_rng_state))
    targets.append(("nn.Module.__setattr__", "assign", _assign_then_use))
    for name, cls in _public_functions(nn, nn.__all__):
        if not (inspect.isclass(cls) and issubclass(cls, nn.Module)):
            continue
        targets.append((f"nn.{name}()", "fn", cls))
        if cls.__name__ not in CONTAINERS:
            targets.append((f"nn.{name}.forward", "forward", layers[cls.__name__]))
    return targets


TARGETS = _targets()

# --- values -------------------------------------------------------------------------------
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


@st.composite
def tensors(draw, dtype=None):
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=4)))
    dtype = dtype or draw(st.sampled_from(DTYPES))
    data = np.random.default_rng(draw(st.integers(0, 2**16))).normal(size=shape) * 3
    data = data.astype(dtype)
    grad = dtype in (np.float32, np.float64) and draw(st.booleans())
    return mg.Tensor(data, requires_grad=grad)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 6),
                    st.sampled_from([0.5, -1.0, 0.0, float("nan"), float("inf"), 1e30]),
                    st.text(max_size=3), st.sampled_from(["mean", "sum", "same", "valid", "x"]))
VALUES = st.one_of(
    tensors(), tensors(np.float32), SCALARS,
    st.tuples(st.integers(-2, 4)), st.tuples(st.integers(-2, 4), st.integers(-2, 4)),
    st.lists(st.integers(-1, 3), max_size=4),
    st.lists(tensors(np.float32), min_size=1, max_size=3),
    st.builds(lambda t: t.data, tensors()),            # a NumPy array
    st.just(object()), st.just([[1.0, 2.0], [3.0]]),   # ragged
)


# near-valid arguments: tensors of other shapes and dtypes, small ints (dims, sizes)
SHAPED = st.one_of(tensors(np.float32), tensors(np.float32), tensors(np.float64), tensors(),
                   st.integers(-1, 3), st.tuples(st.integers(0, 3), st.integers(0, 3)))


def _arity(fn) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
    return len(positional) + any(p.kind == p.VAR_POSITIONAL for p in parameters)


def _keywords(fn) -> list:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.default is not p.empty]


# --- checking one call ------------------------------------------------------------------------
STATS = {"calls": 0, "returned": 0, "raised": 0, "paths": collections.Counter(),
         "unformatted": set()}


def _template(message: str) -> str:
    """The message with its values taken out, so one error path counts once."""
    text = message.split("\n")[0]
    text = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", text)
    text = re.sub(r"\([^()]*\)", "(…)", text)
    text = re.sub(r"\[[^\[\]]*\]", "[…]", text)
    text = re.sub(r"\b(float|int|bool|uint|complex)\d*\b|<U\d+|<class [^>]*>", "T", text)
    text = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", text)
    return text[:160]


def _raised_in_numpy(error) -> bool:
    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(NUMPY_DIR)


def _minigrad_message(message: str) -> bool:
    return re.match(r"^[\w.\[\]~<>=!+*/@-]+(\(\))?: \S", message) is not None


class _Timeout(BaseException):
    """Raised by the alarm: a BaseException so no `except Exception` in the code swallows it."""


def _on_alarm(signum, frame):
    raise _Timeout()


def _check_call(target_id, fn, args, kwargs):
    STATS["calls"] += 1
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        with np.errstate(all="ignore"):                     # NaN from log(-1) is fine here
            out = fn(*args, **kwargs)
            if isinstance(out, mg.Tensor) and out.grad_fn is not None:
                out.backward(np.ones(out.shape, out.dtype))    # backward must not leak either
            if isinstance(out, (nn.data.DataLoader, nn.data.Dataset)):
                out = [out[i] for i in range(min(len(out), 3))] if isinstance(
                    out, nn.data.Dataset) else list(out)       # nor batching
        STATS["returned"] += 1
        return
    except _Timeout:
        pytest.fail(f"{target_id}{_show(args, kwargs)} ran for more than {TIME_LIMIT_S} s")
    except Exception as error:        # noqa: BLE001  (checked right below)
        failure = error
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        grad_mode_kept = mg.is_grad_enabled()
        mg.set_grad_enabled(True)
        assert grad_mode_kept, f"{target_id}{_show(args, kwargs)} left gradient recording off"
    STATS["raised"] += 1
    message = str(failure)
    where = f"{target_id}{_show(args, kwargs)} raised {type(failure).__name__}: {message}"
    assert isinstance(failure, ALLOWED), f"undocumented exception type: {where}"
    assert not isinstance(failure, FORBIDDEN), f"NumPy error leaked: {where}"
    assert message.strip(), f"no message: {where}"
    assert not _raised_in_numpy(failure) or _minigrad_message(message), \
        f"raised inside NumPy without a minigrad message: {where}"
    assert not type(failure).__module__.startswith("numpy") or _minigrad_message(message), \
        f"NumPy's own exception class leaked: {where}"
    STATS["paths"][(type(failure).__name__, target_id, _template(message))] += 1
    if not _minigrad_message(message) and not _python_call_error(message):
        STATS["unformatted"].add((type(failure).__name__, target_id, _template(message)))


def _python_call_error(message: str) -> bool:
    """Python's own message for a call with the wrong number or names of arguments."""
    return re.search(r"positional argument|unexpected keyword|multiple values for argument|"
                     r"takes no arguments", message) is not None


def _show(args, kwargs) -> str:
    def one(v):
        if isinstance(v, mg.Tensor):
            return f"Tensor({v.dtype}, {v.shape}{', grad' if v.requires_grad else ''})"
        if isinstance(v, np.ndarray):
            return f"array({v.dtype}, {v.shape})"
        if isinstance(v, (list, tuple)):
            inner = ", ".join(one(x) for x in v)
            return f"[{inner}]" if isinstance(v, list) else f"({inner})"
        return repr(v)
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return "(" + ", ".join(parts) + ")"


@pytest.fixture(scope="module", autouse=True)
def _in_scratch_folder_and_report():
    """Fuzzed paths (mg.save("x", ...)) land in a scratch folder; print the totals at the end."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as scratch:
        os.chdir(scratch)
        try:
            yield
        finally:
            os.chdir(here)
    paths = STATS["paths"]
    print(f"\nfuzz: {STATS['calls']} calls on {len(TARGETS)} targets; {STATS['returned']} "
          f"returned, {STATS['raised']} raised a documented error; {len(paths)} distinct error "
          f"paths (type, op, message template), "
          f"{len({(kind, template) for kind, _, template in paths})} distinct across ops; "
          f"{sum(not _python_call_error(t) for _, _, t in paths)} of them raised by "
          f"minigrad/nn checks rather than Python's argument binding; "
          f"by type: {dict(collections.Counter(kind for kind, _, _ in paths))}; "
          f"{len(STATS['unformatted'])} paths carry a message not in the `<op>: ...` form "
          "(Python's or NumPy's own wording, raised from minigrad/nn code)")


# a quick pass locally; the profile's full count in CI (CI=true)
FUZZ = settings(max_examples=settings().max_examples if os.environ.get("CI") else 6,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("target_id, kind, target", TARGETS, ids=[t[0] for t in TARGETS])
@FUZZ
@given(data=st.data())
def test_fuzzed_call_raises_only_documented_errors(target_id, kind, target, data):
    if kind == "method":
        receiver = data.draw(tensors(), label="self")
        fn = getattr(receiver, target)
    elif kind == "module_method":
        fn = getattr(_module_with_state(), target)
    elif kind == "optimizer_method":
        model = _module_with_state()
        optimizer = data.draw(st.sampled_from(OPTIMIZERS), label="optimizer")
        fn = getattr(getattr(nn.optim, optimizer)(model.parameters(), lr=0.1), target)
    elif kind == "crafted_file":
        _check_call(target_id, target, [_crafted_file(data)], {})
        return
    elif kind == "rng_state":
        _check_call(target_id, target, [_corrupted(mg.get_rng_state(), data)], {})
        mg.rand(2)                                  # the generator still works afterwards
        return
    elif kind == "assign":
        module = data.draw(st.sampled_from([_module_with_state, lambda: nn.Dense(3, 2),
                                            lambda: nn.BatchNorm2D(2)]), label="module")()
        name = data.draw(st.sampled_from(ATTRIBUTE_NAMES), label="attribute")
        value = data.draw(st.one_of(VALUES, st.builds(nn.Parameter, tensors(np.float32)),
                                    st.builds(lambda: nn.ReLU())), label="value")
        _check_call(target_id, target, [module, name, value], {})
        return
    elif kind == "forward":
        fn = target()
        if data.draw(st.booleans(), label="eval"):
            fn.eval()
    else:
        fn = target
    if target == "load_state_dict" and data.draw(st.booleans(), label="corrupt own state"):
        owner = fn.__self__
        if isinstance(owner, nn.optim.Optimizer):     # give it a state to corrupt
            for p in owner.params if hasattr(owner, "params") else []:
                p.grad = mg.ones_like(p)
            owner.step()
        _check_call(target_id, fn, [_corrupted(owner.state_dict(), data)], {})
        return
    arity = _arity(fn)
    count = data.draw(st.integers(0, arity + 1), label="number of args")
    values = data.draw(st.sampled_from([SHAPED, VALUES]), label="kind of arguments")
    args = [data.draw(values, label=f"arg{i}") for i in range(count)]
    names = _keywords(fn)
    kwargs = {}
    if names and data.draw(st.booleans(), label="use keywords"):
        for name in data.draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
            kwargs[name] = data.draw(VALUES, label=name)
    _check_call(target_id, fn, args, kwargs)


def _crafted_file(data) -> str:
    """A real mg.save file with one part of it crafted: an array's .npy header (shape,
    dtype, version), the JSON manifest (deeply nested or fuzzed), or bytes of the headers."""
    path = f"crafted-{data.draw(st.integers(0, 9), label='file')}.npz"
    mg.save({"w": mg.ones(3, 2), "step": 1, "opt": {"m": np.zeros(4)}}, path)
    with zipfile.ZipFile(path) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    name = data.draw(st.sampled_from(sorted(entries)), label="entry")
    part = data.draw(st.sampled_from(["npy header", "manifest", "bytes"]), label="part")
    if part == "npy header":
        header = {"descr": data.draw(st.sampled_from(["<f8", "<f4", "|b1", "<U5", "|O", "<i8",
                                                      "|V3", "[('a', '|O')]"]), label="descr"),
                  "fortran_order": data.draw(st.booleans(), label="fortran"),
                  "shape": tuple(data.draw(st.lists(st.sampled_from(
                      [0, 1, 3, 2 ** 20, 2 ** 40, 2 ** 62]), max_size=3), label="shape"))}
        buffer = io.BytesIO()
        np.lib.format.write_array_header_1_0(buffer, header)
        entries[name] = buffer.getvalue() + entries[name][128:]
    elif part == "manifest":
        depth = data.draw(st.sampled_from([1, 50, 301, 5000, 100_000]), label="depth")
        text = data.draw(st.sampled_from([
            '{"format": "minigrad-save", "version": 1, "root": ' + '{"__list__": [' * depth
            + "1" + "]}" * depth + "}",
            "[" * depth + "]" * depth, '{"format": "minigrad-save"', "null"]), label="json")
        buffer = io.BytesIO()
        np.save(buffer, np.array(text))
        entries["__minigrad__.npy"] = buffer.getvalue()
    else:
        content = bytearray(entries[name])
        for _ in range(data.draw(st.integers(1, 4), label="edits")):
            position = data.draw(st.integers(0, min(len(content), 128) - 1), label="at")
            content[position] = data.draw(st.integers(0, 255), label="byte")
        entries[name] = bytes(content)
    with zipfile.ZipFile(path, "w") as archive:
        for entry, content in entries.items():
            archive.writestr(entry, content)
    return path


def _corrupted(state, data):
    """A state_dict with one entry deleted, replaced by a fuzzed value, or one entry added."""
    paths, stack = [], [((), state)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                paths.append(path + (key,))
                stack.append((path + (key,), value))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                stack.append((path + (i,), value))
    path = data.draw(st.sampled_from(paths), label="entry")
    parent = state
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["delete", "replace", "add"]), label="action")
    if action == "delete":
        del parent[path[-1]]
    elif action == "replace":
        parent[path[-1]] = data.draw(st.one_of(SHAPED, VALUES), label="new value")
    else:
        parent[data.draw(st.one_of(st.integers(-1, 9), st.text(max_size=3)), label="key")] = \
            data.draw(VALUES, label="added value")
    return state


def test_every_public_name_is_fuzzed():
    """A new op in mg.__all__, a new Tensor method or a new layer is picked up automatically."""
    ids = {t[0] for t in TARGETS}
    for name in mg.__all__:
        if name not in SKIP_MG and callable(getattr(mg, name)):
            assert f"mg.{name}" in ids
    for name in nn.functional.__all__:
        assert f"nn.functional.{name}" in ids
    for name in nn.__all__:
        obj = getattr(nn, name)
        if inspect.isclass(obj) and issubclass(obj, nn.Module) and name not in CONTAINERS:
            assert f"nn.{name}.forward" in ids
    assert {"Tensor.sum", "Tensor.__getitem__", "nn.optim.SGD", "nn.data.DataLoader",
            "mg.load(crafted file)", "mg.set_rng_state(corrupted state)",
            "nn.Module.__setattr__", "nn.optim.Optimizer.load_state_dict"} <= ids
    assert {"SGD", "Adam", "RMSprop", "Adagrad", "Adadelta"} <= set(OPTIMIZERS)
