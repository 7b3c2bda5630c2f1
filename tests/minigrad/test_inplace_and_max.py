"""The two PyTorch habits that used to give silently wrong results: augmented assignment
updates the tensor in place (same object, version bumped, PyTorch's leaf check), and
max/min along a dim return the named tuple (values, indices)."""
import numpy as np
import pytest

import minigrad as mg

AUGMENTED = {"+=": lambda x, y: x.__iadd__(y), "-=": lambda x, y: x.__isub__(y),
             "*=": lambda x, y: x.__imul__(y), "/=": lambda x, y: x.__itruediv__(y),
             "**=": lambda x, y: x.__ipow__(y)}
REFERENCE = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide,
             "**=": np.power}


@pytest.mark.parametrize("op", list(AUGMENTED))
def test_augmented_assignment_under_no_grad_keeps_the_leaf(op):
    w = mg.tensor([1.0, 2.0], requires_grad=True)
    ref, view = w, w.data
    with mg.no_grad():
        out = AUGMENTED[op](w, mg.tensor([0.5, 2.0]))
    assert out is ref and w.requires_grad and w.is_leaf and w._version == 1
    np.testing.assert_allclose(view, REFERENCE[op](np.array([1.0, 2.0]), [0.5, 2.0]))


def test_manual_sgd_loop_updates_the_parameters():
    w = mg.tensor([1.0, -2.0], requires_grad=True)
    params = [w]
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        with mg.no_grad():
            for p in params:
                p -= 0.25 * p.grad
        w.grad = None
    np.testing.assert_allclose(params[0].data, [0.25, -0.5])
    assert params[0] is w and w.requires_grad


def test_augmented_assignment_on_a_leaf_requiring_grad_is_refused_while_recording():
    w = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"-=: in-place update of a leaf tensor that requires "
                                           r"grad .*a leaf Variable.* mg.no_grad"):
        w -= 0.1
    np.testing.assert_array_equal(w.data, [1.0])
    assert w._version == 0


def test_augmented_assignment_on_a_non_leaf_is_recorded():
    x = mg.tensor([1.0, 2.0, 3.0], dtype=mg.float64, requires_grad=True)
    y = x * 2
    y += x          # 3x
    y *= y          # 9x^2 (the operand is the tensor itself)
    y /= 3.0        # 3x^2
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(y.data, 3 * x.data ** 2)
    np.testing.assert_allclose(x.grad.data, 6 * x.data)


def test_inplace_on_a_constant_with_a_tensor_requiring_grad_is_recorded():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    total = mg.zeros(2)
    total += x * x
    assert total.requires_grad and total.grad_fn is not None
    total.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 4.0])


def test_augmented_assignment_with_numbers_arrays_and_matmul():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]])
    x += 1
    x -= np.ones((2, 2), np.float32)
    x *= 2
    x @= mg.tensor([[0.0, 1.0], [1.0, 0.0]])
    np.testing.assert_allclose(x.data, [[4.0, 2.0], [8.0, 6.0]])
    assert x.dtype == np.float32


def test_augmented_assignment_bad_inputs_say_what_differs():
    i = mg.tensor([1, 2])
    with pytest.raises(RuntimeError, match=r"\+=: the result type of updating a int64 tensor "
                                           r"with float 1.5 can't be cast to int64"):
        i += 1.5
    with pytest.raises(RuntimeError, match=r"/=: .*can't be cast to int64"):
        i /= 2
    x = mg.ones(2, 2)
    with pytest.raises(RuntimeError, match=r"\+=: cannot update a tensor of shape \(2, 2\) "
                                           r"in place with a float32 tensor of shape \(3, 2, 2\)"):
        x += mg.ones(3, 2, 2)
    with pytest.raises(RuntimeError, match=r"@=: output with shape \(2, 2\) doesn't match the "
                                           r"broadcast shape \(2, 3\)"):
        x @= mg.ones(2, 3)
    np.testing.assert_array_equal(x.data, np.ones((2, 2)))


def test_inplace_methods_match_their_out_of_place_forms():
    mg.manual_seed(0)
    x = mg.tensor([-2.0, 0.5, 3.0])
    assert x.div_(2.0) is x
    np.testing.assert_allclose(x.data, [-1.0, 0.25, 1.5])
    x.clamp_(min=-0.5, max=1.0)
    np.testing.assert_allclose(x.data, [-0.5, 0.25, 1.0])
    x.add_(mg.tensor([1.0, 1.0, 1.0]), alpha=2).sub_(1.0, alpha=0.5)
    np.testing.assert_allclose(x.data, [1.0, 1.75, 2.5])
    x.pow_(2).mul_(2)
    np.testing.assert_allclose(x.data, [2.0, 6.125, 12.5])
    u = mg.zeros(1000).uniform_(-1.0, 3.0)
    assert -1.0 <= u.min().item() and u.max().item() < 3.0 and abs(u.mean().item() - 1) < 0.15
    n = mg.zeros(2000, dtype=mg.float64).normal_(2.0, 0.5)
    assert n.dtype == np.float64
    assert abs(n.mean().item() - 2.0) < 0.05 and abs(n.std().item() - 0.5) < 0.05
    assert x._version == 6


def test_clamp_on_a_non_leaf_is_differentiable():
    x = mg.tensor([-1.0, 0.5, 2.0], requires_grad=True)
    y = x * 1.0
    y.clamp_(0.0, 1.0)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 1.0, 0.0])


def test_fill_and_copy_on_a_non_leaf_cut_or_pass_the_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    src = mg.tensor([5.0, 6.0], requires_grad=True)
    y = x * 3
    y.copy_(src * 2)
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0])
    np.testing.assert_allclose(src.grad.data, [40.0, 48.0])
    z = x * 3
    z.fill_(1.0)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.0])


def test_max_and_min_along_a_dim_return_values_and_indices():
    x = mg.tensor([[1.0, 5.0], [7.0, 2.0]])
    _, pred = mg.max(x, 1)
    np.testing.assert_array_equal(pred.data, [1, 0])
    out = x.max(dim=1)
    assert type(out).__name__ == "max" and out._fields == ("values", "indices")
    np.testing.assert_array_equal(out.values.data, [5.0, 7.0])
    assert out.indices.dtype == np.int64
    values, indices = mg.min(x, dim=0, keepdim=True)
    np.testing.assert_array_equal(values.data, [[1.0, 2.0]])
    np.testing.assert_array_equal(indices.data, [[0, 1]])
    assert type(mg.min(x, 0)).__name__ == "min"
    np.testing.assert_array_equal(mg.max(x, -1)[1].data, [1, 0])


def test_max_without_dim_is_a_value_and_with_a_tensor_is_elementwise():
    x = mg.tensor([[1.0, 5.0], [7.0, 2.0]])
    assert isinstance(x.max(), mg.Tensor) and x.max().item() == 7.0
    assert mg.min(x).shape == ()
    np.testing.assert_array_equal(mg.max(x, mg.tensor([3.0, 3.0])).data, [[3, 5], [7, 3]])
    np.testing.assert_array_equal(x.min(mg.tensor(2.0)).data, [[1, 2], [2, 2]])


def test_max_ties_nan_zero_dim_and_empty():
    x = mg.tensor([[3.0, 1.0, 3.0], [np.nan, 2.0, np.nan]], requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(indices.data, [0, 0])
    assert np.isnan(values.data[1])
    values.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0, 0], [1, 0, 0]])
    assert mg.min(mg.tensor([2.0, 1.0, 1.0]), 0).indices.item() == 1
    scalar = mg.max(mg.tensor(4.0), dim=0)
    assert scalar.values.item() == 4.0 and scalar.indices.item() == 0
    empty = mg.zeros(0, 3).max(dim=1)
    assert empty.values.shape == (0,) and empty.indices.shape == (0,)
    with pytest.raises(ValueError, match=r"max: cannot reduce over an empty dim "
                                         r"\(shape \(0, 3\)\)"):
        mg.zeros(0, 3).max(dim=0)


def test_max_bad_dims_say_how_to_reduce_several():
    x = mg.ones(2, 3)
    with pytest.raises(TypeError, match=r"max: dim must be one int, got \(0, 1\).*mg.amax\(x, "
                                        r"dim=\(0, 1\)\)"):
        x.max(dim=(0, 1))
    with pytest.raises(IndexError, match=r"min: dim 2 is out of range"):
        mg.min(x, 2)
    with pytest.raises(TypeError, match="max: keepdim needs a dim"):
        x.max(keepdim=True)


def test_amax_reduces_several_dims_with_the_gradient_on_the_first_maximum():
    x = mg.tensor([[[1.0, 4.0], [4.0, 0.0]]], requires_grad=True)
    out = x.amax(dim=(1, 2))
    np.testing.assert_array_equal(out.data, [4.0])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[[0, 1], [0, 0]]])
    assert mg.amin(x).item() == 0.0 and mg.amax(x, dim=(), keepdim=True).shape == (1, 1, 1)


def test_max_dim_matches_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    for dim in (0, 1, -1):
        for name in ("max", "min"):
            ours = getattr(mg.tensor(data), name)(dim)
            theirs = getattr(torch.tensor(data), name)(dim)
            np.testing.assert_array_equal(ours.values.data, theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.data, theirs.indices.numpy())


def test_min_of_unsigned_and_bool_tensors_does_not_wrap():
    x = mg.tensor(np.array([[0, 3], [2, 1]], np.uint8))
    assert mg.min(x).item() == 0 and x.amin().item() == 0
    values, indices = x.min(dim=1)
    np.testing.assert_array_equal(values.data, [0, 1])
    np.testing.assert_array_equal(indices.data, [0, 1])
    assert values.dtype == np.uint8
    assert mg.tensor([True, False]).min().item() is False


def test_setitem_is_recorded_like_pytorch():
    torch = pytest.importorskip("torch")
    results = []
    for lib in (mg, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        v = lib.tensor(5.0, requires_grad=True)
        y = x * 2
        y[1] = v * 3
        y[y > 5] = 0.5
        buffer = lib.zeros(2, 3)
        buffer[0] = x                   # a constant receiving a tensor that requires grad
        (y.sum() + (buffer * buffer).sum()).backward()
        results.append([np.array(t.detach().numpy() if lib is torch else t.data)
                        for t in (y, x.grad, v.grad, buffer)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs)


def test_setitem_errors_while_recording():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__: in-place update of a leaf tensor"):
        x[0] = 1.0
    y = x * 1.0
    with pytest.raises(ValueError, match=r"__setitem__: cannot assign a tensor of shape \(3,\) "
                                         r"to index \[slice\(0, 2, None\)\] \(shape \(2,\)\)"):
        y[0:2] = mg.ones(3)
    with pytest.raises(IndexError, match=r"__setitem__: index \[5\] is invalid for a tensor of "
                                         r"shape \(3,\)"):
        y[5] = 1.0
    assert y._version == 0
