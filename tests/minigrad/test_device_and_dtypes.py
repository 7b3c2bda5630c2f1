"""Devices (CPU only, named as PyTorch names them), Tensor.to in all of PyTorch's forms,
type promotion as torch.result_type, and checked `.grad` assignment."""
import numpy as np
import pytest

import minigrad as mg

FACTORIES = {
    "tensor": lambda **k: mg.tensor([1.0, 2.0], **k), "zeros": lambda **k: mg.zeros(2, 3, **k),
    "ones": lambda **k: mg.ones((2,), **k), "full": lambda **k: mg.full((2,), 1.5, **k),
    "empty": lambda **k: mg.empty(2, **k), "arange": lambda **k: mg.arange(3, **k),
    "linspace": lambda **k: mg.linspace(0, 1, 5, **k), "eye": lambda **k: mg.eye(3, **k),
    "randn": lambda **k: mg.randn(2, **k), "rand": lambda **k: mg.rand(2, **k),
    "randint": lambda **k: mg.randint(0, 5, (3,), **k), "randperm": lambda **k: mg.randperm(4, **k),
    "zeros_like": lambda **k: mg.zeros_like(mg.ones(2), **k),
    "ones_like": lambda **k: mg.ones_like(mg.ones(2), **k),
    "empty_like": lambda **k: mg.empty_like(mg.ones(2), **k),
    "full_like": lambda **k: mg.full_like(mg.ones(2), 7, **k),
    "rand_like": lambda **k: mg.rand_like(mg.ones(2), **k),
    "randn_like": lambda **k: mg.randn_like(mg.ones(2), **k),
}


def test_device_objects_behave_as_torch_device():
    cpu = mg.device("cpu")
    assert cpu.type == "cpu" and cpu.index is None
    assert str(cpu) == "cpu" and repr(cpu) == "device(type='cpu')"
    cuda = mg.device("cuda", 1)
    assert (str(cuda), repr(cuda)) == ("cuda:1", "device(type='cuda', index=1)")
    assert mg.device("cuda:1") == cuda and mg.device(cuda) == cuda
    assert mg.device("cpu") == mg.device("cpu") and mg.device("cpu") != mg.device("cuda")
    assert len({mg.device("cpu"), mg.device("cpu")}) == 1
    assert mg.device(0) == mg.device("cuda:0")
    with pytest.raises(RuntimeError, match="device: expected one of cpu, cuda.*got 'gpu'"):
        mg.device("gpu")
    with pytest.raises(TypeError, match="device: expected a string such as 'cpu'"):
        mg.device(1.5)


def test_no_accelerator_is_reported():
    assert mg.cuda.is_available() is False and mg.cuda.device_count() == 0
    assert mg.accelerator.is_available() is False
    assert mg.accelerator.current_accelerator() is None
    device = mg.device("cuda" if mg.cuda.is_available() else "cpu")
    assert mg.ones(2).to(device).device == mg.device("cpu")


@pytest.mark.parametrize("name", list(FACTORIES))
def test_every_factory_takes_a_device(name):
    out = FACTORIES[name](device="cpu")
    assert out.device == mg.device("cpu") and out.device.type == "cpu"
    assert FACTORIES[name](device=mg.device("cpu")).shape == out.shape
    with pytest.raises(RuntimeError, match=rf"{name}: device 'cuda:0' is not available: "
                                           r"minigrad runs on the CPU only"):
        FACTORIES[name](device="cuda:0")


def test_to_accepts_every_pytorch_form():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert x.to("cpu") is x and x.to(mg.device("cpu")) is x and x.cpu() is x
    assert x.to(device="cpu") is x and x.to("cpu", non_blocking=True) is x
    assert x.to(mg.float64).dtype == np.float64
    assert x.to("cpu", mg.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=mg.double).dtype == np.float64
    assert x.to(mg.zeros(1, dtype=mg.int64)).dtype == np.int64
    copied = x.to("cpu", copy=True)
    assert copied is not x and not np.shares_memory(copied.data, x.data)
    y = x.to(mg.float64)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])
    assert x.grad.dtype == np.float32
    assert x.device == mg.device("cpu") and x.is_cuda is False


def test_to_a_missing_device_says_only_the_cpu_is_available():
    x = mg.ones(2)
    for target in ("cuda", "cuda:0", mg.device("mps"), 0):
        with pytest.raises(RuntimeError, match=r"to: device '.*' is not available: minigrad "
                                               r"runs on the CPU only \(mg.cuda.is_available"):
            x.to(target)
    with pytest.raises(RuntimeError, match="cuda: device 'cuda' is not available"):
        x.cuda()
    with pytest.raises(TypeError, match="to: 'cpux' is neither a device"):
        x.to("cpux")
    with pytest.raises(TypeError, match="to: unexpected keyword"):
        x.to(device="cpu", layout="strided")


def test_default_device_is_the_cpu():
    assert mg.get_default_device() == mg.device("cpu")
    mg.set_default_device("cpu")
    mg.set_default_device(None)
    with pytest.raises(RuntimeError, match="set_default_device: device 'cuda' is not available"):
        mg.set_default_device("cuda")
    assert mg.zeros(1).device == mg.device("cpu")


def test_dtype_aliases_use_pytorch_names():
    assert mg.float is mg.float32 and mg.double is mg.float64 and mg.half is mg.float16
    assert mg.long is mg.int64 and mg.int is mg.int32 and mg.bool is mg.bool_
    x = mg.tensor([1.7, -2.2])
    assert x.int().dtype == np.int32 and x.long().dtype == np.int64
    assert x.half().dtype == np.float16 and x.bool().dtype == np.bool_
    assert mg.zeros(2, dtype=mg.long).dtype == np.int64


def test_autograd_function_is_function():
    assert mg.autograd.Function is mg.Function


PROMOTION = [  # (left dtype, left shape, right dtype, right shape)
    (np.float32, (2,), np.int64, (2,)), (np.int64, (2,), np.float32, (2,)),
    (np.float32, (2,), np.float64, ()), (np.int32, (2,), np.float64, ()),
    (np.int32, (2,), np.int64, (2,)), (np.int8, (2,), np.int32, ()),
    (np.bool_, (2,), np.int64, ()), (np.float16, (2,), np.int64, (2,)),
    (np.float32, (), np.float64, ()), (np.float32, (2,), np.float64, (2,)),
]


@pytest.mark.parametrize("left, left_shape, right, right_shape", PROMOTION)
@pytest.mark.parametrize("op", ["__add__", "__mul__", "__truediv__", "__rsub__", "__pow__"])
def test_tensor_tensor_promotion_matches_torch(left, left_shape, right, right_shape, op):
    torch = pytest.importorskip("torch")
    a, b = np.ones(left_shape, left), np.full(right_shape, 2, right)
    if op == "__rsub__" and np.bool_ in (left, right):
        return
    ours = getattr(mg.tensor(a), op)(mg.tensor(b))
    theirs = getattr(torch.from_numpy(a), op)(torch.from_numpy(b))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.data, theirs.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.int32, np.bool_])
@pytest.mark.parametrize("scalar", [2.5, 3, True])
def test_python_numbers_do_not_upcast(dtype, scalar):
    torch = pytest.importorskip("torch")
    a = np.ones(3, dtype)
    for op in ("__add__", "__mul__", "__truediv__", "__radd__", "__rtruediv__"):
        ours = getattr(mg.tensor(a), op)(scalar)
        theirs = getattr(torch.from_numpy(a), op)(scalar)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), op


def test_promotion_keeps_gradients_in_each_inputs_dtype():
    x = mg.tensor([1.0, 2.0], requires_grad=True)                       # float32
    scale = mg.tensor(3.0, dtype=mg.float64, requires_grad=True)         # 0-d float64
    out = x * scale + mg.tensor([1, 2])                                  # int64 tensor
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32 and scale.grad.dtype == np.float64
    np.testing.assert_allclose(scale.grad.data, 3.0)
    assert mg.maximum(mg.ones(2), mg.tensor([0, 3])).dtype == np.float32
    assert mg.where(mg.tensor([True, False]), mg.tensor([1, 2]), 0.5).dtype == np.float32
    assert (mg.tensor([1, 2]) / mg.tensor([2, 2])).dtype == np.float32


def test_grad_assignment_is_checked():
    t = mg.ones(2, requires_grad=True)
    with pytest.raises(TypeError, match="grad: assigned grad expected to be a Tensor or None "
                                        "but got float"):
        t.grad = 0.0
    with pytest.raises(TypeError, match="but got ndarray"):
        t.grad = np.ones(2, np.float32)
    with pytest.raises(RuntimeError, match=r"grad: attempting to assign a gradient of shape "
                                           r"\(3,\) to a tensor of shape \(2,\)"):
        t.grad = mg.ones(3)
    with pytest.raises(RuntimeError, match="gradient of dtype float64 to a tensor of dtype "
                                           "float32"):
        t.grad = mg.ones(2, dtype=mg.float64)
    assert t.grad is None
    t.grad = mg.full((2,), 0.5)
    (t * 2).sum().backward()
    np.testing.assert_allclose(t.grad.data, [2.5, 2.5])
    t.grad = None
    assert t.grad is None


def test_new_factories_match_torch():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(mg.linspace(-1, 2, 7).data, torch.linspace(-1, 2, 7).numpy())
    np.testing.assert_array_equal(mg.linspace(-1, 2, 4, dtype=mg.long).data,
                                  torch.linspace(-1, 2, 4, dtype=torch.long).numpy())
    np.testing.assert_array_equal(mg.eye(2, 3).data, torch.eye(2, 3).numpy())
    assert mg.eye(3).dtype == np.float32 and mg.linspace(0, 1, 0).shape == (0,)
    assert mg.full_like(mg.tensor([1, 2]), 7).dtype == np.int64
    array = np.zeros(3)
    shared = mg.from_numpy(array)
    array[0] = 5.0
    assert shared.data[0] == 5.0 and shared.dtype == np.float64
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        mg.from_numpy([1.0])
    with pytest.raises(ValueError, match="linspace: negative size"):
        mg.linspace(0, 1, -1)


def test_default_dtype_can_be_float64_as_in_torch():
    assert mg.get_default_dtype() == np.float32
    mg.set_default_dtype(mg.float64)
    try:
        assert mg.tensor([1.5]).dtype == np.float64 and mg.zeros(2).dtype == np.float64
        assert mg.randn(2).dtype == np.float64 and mg.linspace(0, 1, 3).dtype == np.float64
        assert (mg.tensor([1, 2]) / 2).dtype == np.float64
        assert (mg.tensor([1, 2]) * 0.5).dtype == np.float64
        assert mg.ones(2, dtype=mg.float32).dtype == np.float32
    finally:
        mg.set_default_dtype(mg.float32)
    assert mg.tensor(1.0).dtype == np.float32
    with pytest.raises(TypeError, match="set_default_dtype: only floating dtypes can be the "
                                        "default, got int64"):
        mg.set_default_dtype(mg.int64)


def test_result_type_promote_types_and_type_queries_match_torch():
    torch = pytest.importorskip("torch")
    pairs = [(mg.ones(2), mg.tensor([1])), (mg.tensor([1]), 2.5), (mg.tensor(1.0), mg.tensor([1]))]
    for a, b in pairs:
        ta = torch.from_numpy(np.asarray(a.data))
        tb = b if isinstance(b, float) else torch.from_numpy(np.asarray(b.data))
        assert str(mg.result_type(a, b)) == str(torch.result_type(ta, tb)).removeprefix("torch.")
    assert mg.promote_types(mg.int64, mg.float16) == np.float16
    assert mg.promote_types(mg.uint8, mg.int8) == np.int16
    assert mg.is_tensor(mg.ones(1)) and not mg.is_tensor(np.ones(1))
    assert mg.is_floating_point(mg.ones(1)) and not mg.tensor([1]).is_floating_point()
    with pytest.raises(TypeError, match="result_type: expected tensors or numbers, got str"):
        mg.result_type(mg.ones(1), "a")


def test_floor_division_and_remainder_follow_python_signs_as_torch():
    torch = pytest.importorskip("torch")
    data = np.array([5, -7, 3])
    ours, theirs = mg.tensor(data), torch.from_numpy(data)
    for fn in (lambda t: t // 2, lambda t: t % 3, lambda t: 7 % t, lambda t: t // 2.0,
               lambda t: -8 // t, lambda t: t.float() % -2.5):
        mine, ref = fn(ours), fn(theirs)
        np.testing.assert_allclose(mine.data, ref.numpy())
        assert str(mine.dtype) == str(ref.dtype).removeprefix("torch.")
    assert (mg.ones(2, requires_grad=True) // 2).requires_grad is False
