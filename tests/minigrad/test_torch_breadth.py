"""Edge cases and bad input for the PyTorch-breadth names (pointwise.py, selection.py,
products.py); their gradients and torch agreement on random inputs are rows of
tests/op_table.py."""
import numpy as np
import pytest

import minigrad as mg

torch = pytest.importorskip("torch")


def _both(data, dtype=np.float64):
    return mg.tensor(np.array(data, dtype)), torch.tensor(np.array(data, dtype))


def test_sort_is_stable_and_puts_nan_last_as_torch():
    ours, theirs = _both([[2.0, 1.0, 2.0, np.nan, 1.0], [0.0, 0.0, -1.0, 0.0, 5.0]])
    for descending in (False, True):
        mine = ours.sort(dim=1, descending=descending)
        ref = theirs.sort(dim=1, descending=descending, stable=True)
        np.testing.assert_array_equal(mine.indices.data, ref.indices.numpy())
        np.testing.assert_array_equal(mine.values.data, ref.values.numpy())
        assert type(mine).__name__ == "sort"
        np.testing.assert_array_equal(ours.argsort(1, descending).data, ref.indices.numpy())
    scalar = mg.tensor(3.0).sort()
    assert scalar.values.item() == 3.0 and scalar.indices.item() == 0
    empty = mg.zeros(2, 0).sort(dim=1)
    assert empty.values.shape == (2, 0) and empty.indices.dtype == np.int64


def test_topk_ties_k_zero_and_bad_k():
    ours, theirs = _both([1.0, 3.0, 3.0, 2.0])
    values, indices = ours.topk(2)
    np.testing.assert_array_equal(values.data, theirs.topk(2).values.numpy())
    np.testing.assert_array_equal(indices.data, [1, 2])
    smallest = mg.topk(ours, 2, largest=False)
    np.testing.assert_array_equal(smallest.indices.data, [0, 3])
    assert ours.topk(0).values.shape == (0,)
    with pytest.raises(IndexError, match=r"topk: k=5 is out of range for dim 0 of size 4"):
        ours.topk(5)


def test_gather_accumulates_repeated_indices_and_checks_its_index():
    x = mg.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = x.gather(1, mg.tensor([[0, 0, 0], [1, 0, 1]]))
    np.testing.assert_array_equal(out.data, [[1, 1, 1], [4, 3, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[3, 0], [1, 2]])
    with pytest.raises(TypeError, match="gather: index must be an integer tensor"):
        x.gather(1, mg.tensor([[0.0]]))
    with pytest.raises(IndexError, match="gather: index 2 is out of bounds for dim 1 with size 2"):
        x.gather(1, mg.tensor([[2]]))
    with pytest.raises(ValueError, match=r"gather: index has 1 dims but the tensor has 2"):
        x.gather(0, mg.tensor([0]))
    with pytest.raises(ValueError, match=r"gather: index of shape \(3, 1\) is larger"):
        x.gather(1, mg.tensor([[0], [0], [0]]))


def test_scatter_src_larger_than_index_gets_zero_gradient_there():
    x = mg.zeros(2, 3, dtype=mg.float64, requires_grad=True)
    src = mg.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mg.float64, requires_grad=True)
    out = mg.scatter(x, 1, mg.tensor([[2], [0]]), src)
    np.testing.assert_array_equal(out.data, [[0, 0, 1], [3, 0, 0]])
    (out * mg.arange(1.0, 7.0, dtype=mg.float64).reshape(2, 3)).sum().backward()
    np.testing.assert_array_equal(src.grad.data, [[3, 0], [4, 0]])
    np.testing.assert_array_equal(x.grad.data, [[1, 2, 0], [0, 5, 6]])
    with pytest.raises(TypeError, match="scatter: src has dtype float32 but the tensor has "
                                        "float64"):
        mg.scatter(x, 1, mg.tensor([[0]]), mg.ones(1, 1))
    with pytest.raises(TypeError, match="scatter: missing the values"):
        x.scatter(1, mg.tensor([[0]]))


def test_scatter_in_place_makes_one_hot_rows_and_respects_the_leaf_rule():
    labels = mg.tensor([2, 0, 1])
    one_hot = mg.zeros(3, 3).scatter_(1, labels.unsqueeze(1), 1.0)
    np.testing.assert_array_equal(one_hot.data, np.eye(3)[[2, 0, 1]])
    counts = mg.zeros(3).scatter_add_(0, mg.tensor([0, 0, 2]), mg.ones(3))
    np.testing.assert_array_equal(counts.data, [2, 0, 1])
    w = mg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="scatter_: in-place update of a leaf tensor"):
        w.scatter_(0, mg.tensor([0]), 1.0)
    with mg.no_grad():
        w.masked_fill_(mg.tensor([True, False, True]), 2.0)
    np.testing.assert_array_equal(w.data, [2, 0, 2])
    assert w.is_leaf and w._version == 1


def test_masked_fill_values_gradients_and_errors():
    x = mg.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    value = mg.tensor(0.5, requires_grad=True)
    out = x.masked_fill(x < 0, value)
    np.testing.assert_array_equal(out.data, [[1, 0.5], [3, 0.5]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[1, 0], [1, 0]])
    assert value.grad.item() == 2.0
    assert mg.tensor([1, 2]).masked_fill(mg.tensor([True, False]), 7).dtype == np.int64
    with pytest.raises(TypeError, match="masked_fill: mask must be a bool tensor"):
        x.masked_fill(mg.tensor([1, 0]), 0.0)
    with pytest.raises(ValueError, match=r"masked_fill: mask of shape \(3,\) does not broadcast"):
        x.masked_fill(mg.tensor([True, False, True]), 0.0)


@pytest.mark.parametrize("n, pieces", [(5, 2), (6, 4), (1, 3), (0, 2), (7, 7)])
def test_chunk_and_split_sizes_match_torch(n, pieces):
    ours, theirs = mg.arange(n), torch.arange(n)
    assert [c.shape[0] for c in ours.chunk(pieces)] == [c.shape[0] for c in
                                                        theirs.chunk(pieces)]
    assert [c.shape[0] for c in mg.split(ours, pieces)] == [c.shape[0] for c in
                                                            theirs.split(pieces)]
    with pytest.raises(ValueError, match=rf"split: sizes \({n + 1},\) must be >= 0 and add up "
                                         rf"to {n}"):
        ours.split([n + 1])


def test_prod_gradient_with_zeros_is_exact():
    for data in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [1.5, -2.0, 4.0]):
        ours, theirs = _both(data)
        ours.requires_grad_(), theirs.requires_grad_()
        ours.prod().backward()
        theirs.prod().backward()
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy())
    assert mg.tensor([[1, 2], [3, 4]]).prod(1).dtype == np.int64
    with pytest.raises(TypeError, match="prod: dim must be one int"):
        mg.ones(2, 2).prod(dim=(0, 1))


def test_norm_at_zero_and_for_tiny_values():
    zero = mg.zeros(3, dtype=mg.float64, requires_grad=True)
    zero.norm().backward()
    np.testing.assert_array_equal(zero.grad.data, [0, 0, 0])
    tiny = mg.tensor([3e-200, 4e-200], dtype=mg.float64)
    assert tiny.norm().item() == pytest.approx(5e-200)
    ours, theirs = _both([[3.0, -4.0], [1.0, 0.0]])
    for p in ("fro", 1, 3, np.inf, -np.inf, 0):
        np.testing.assert_allclose(mg.norm(ours, p, dim=1).data,
                                   torch.linalg.vector_norm(theirs, 2 if p == "fro" else p,
                                                            dim=1).numpy())
    with pytest.raises(ValueError, match="norm: p must be a number or 'fro', got 'nuc'"):
        ours.norm("nuc")
    with pytest.raises(TypeError, match="norm: expected a floating tensor"):
        mg.tensor([1, 2]).norm()


def test_einsum_forms_and_errors():
    a, b = mg.randn(2, 3), mg.randn(3, 4)
    np.testing.assert_allclose(mg.einsum("ij,jk", a, b).data, (a @ b).data, rtol=1e-5)
    np.testing.assert_allclose(mg.einsum("ij,jk->ik", [a, b]).data, (a @ b).data, rtol=1e-5)
    assert mg.einsum("ii", mg.eye(3)).item() == 3.0
    assert mg.einsum("ij->", mg.ones(2, 2, dtype=mg.float64)).dtype == np.float64
    assert mg.einsum("ij,jk->ik", a, b.double()).dtype == np.float64
    with pytest.raises(ValueError, match=r"einsum: the equation 'ij,jk->ik' has 2 operand terms "
                                         r"but 1 operands"):
        mg.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match=r"einsum: letter 'j' stands for sizes 3 and 2"):
        mg.einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError, match=r"einsum: term 'ijk' has 3 letters but the operand"):
        mg.einsum("ijk->i", a)
    with pytest.raises(TypeError, match="einsum: the equation must be a string"):
        mg.einsum(a, b)


def test_pointwise_edge_cases():
    x = mg.tensor([np.nan, np.inf, -np.inf, 1.5, -0.5], requires_grad=True)
    np.testing.assert_array_equal(mg.isnan(x).data, [1, 0, 0, 0, 0])
    np.testing.assert_array_equal(x.isinf().data, [0, 1, 1, 0, 0])
    np.testing.assert_array_equal(mg.isfinite(x).data, [0, 0, 0, 1, 1])
    fixed = x.nan_to_num(nan=0.0, posinf=9.0)
    np.testing.assert_array_equal(fixed.data[:4], [0, 9, np.finfo(np.float32).min, 1.5])
    fixed.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0, 0, 0, 1, 1])
    np.testing.assert_array_equal(mg.round(mg.tensor([0.5, 1.5, 2.5, -0.5])).data,
                                  torch.round(torch.tensor([0.5, 1.5, 2.5, -0.5])).numpy())
    assert mg.round(mg.tensor(1.2345), decimals=2).item() == pytest.approx(1.23)
    y = mg.tensor([1.7, -1.2], requires_grad=True)
    (y.floor() + y.ceil() + y.sign()).sum().backward()
    np.testing.assert_array_equal(y.grad.data, [0, 0])
    assert mg.allclose(mg.tensor([1.0, 2.0]), mg.tensor([1.0, 2.0 + 1e-7]))
    assert not mg.tensor([1.0]).allclose(mg.tensor([1.1]))
    assert mg.equal(mg.ones(2), mg.ones(2)) and not mg.equal(mg.ones(2), mg.ones(3))
    np.testing.assert_array_equal(mg.eq(mg.tensor([1, 2]), 2).data, [False, True])
    with pytest.raises(ValueError, match=r"allclose: cannot broadcast shapes \(2,\) and \(3,\)"):
        mg.allclose(mg.ones(2), mg.ones(3))


def test_shape_helpers_edge_cases():
    x = mg.arange(6.0).reshape(2, 3)
    assert x.t().shape == (3, 2) and mg.arange(3.0).t().shape == (3,)
    with pytest.raises(ValueError, match=r"t: expects a tensor with <= 2 dims, got shape "
                                         r"\(1, 2, 3\)"):
        mg.zeros(1, 2, 3).t()
    assert x.contiguous() is x and x.view_as(mg.zeros(3, 2)).shape == (3, 2)
    assert mg.tensor([1.0]).expand_as(x).shape == (2, 3)
    np.testing.assert_array_equal(mg.diag(x, 1).data, [1, 5])
    np.testing.assert_array_equal(mg.diag(mg.tensor([1.0, 2.0]), -1).data,
                                  np.diag([1.0, 2.0], -1))
    with pytest.raises(ValueError, match=r"diag: expected a 1-D or 2-D tensor, got shape"):
        mg.diag(mg.zeros(1, 1, 1))
    with pytest.raises(ValueError, match="tril: expected a tensor with at least 2 dims"):
        mg.arange(3.0).tril()
    with pytest.raises(ValueError, match=r"repeat: got 1 sizes \(2,\) for a tensor with 2 dims"):
        x.repeat(2)
    np.testing.assert_array_equal(x.flip(0, 1).data, np.flip(x.data))
    np.testing.assert_array_equal(mg.roll(x, 1).data, np.roll(x.data, 1))
    assert mg.cumsum(mg.tensor([True, True]), 0).dtype == np.int64
    assert x.cumsum(-1).shape == (2, 3)
    with pytest.raises(ValueError, match="mm: both operands must be 2-D"):
        mg.mm(mg.ones(3), mg.ones(3))
    with pytest.raises(ValueError, match="bmm: expected two 3-D tensors with the same batch"):
        mg.bmm(mg.ones(2, 1, 1), mg.ones(3, 1, 1))


def test_a_script_importing_minigrad_as_torch_finds_the_names():
    import minigrad as torch_like
    for name in ("flatten", "no_grad", "tensor", "zeros", "cat", "stack", "argmax", "softmax",
                 "einsum", "topk", "sort", "gather", "float", "long", "device", "manual_seed",
                 "from_numpy", "allclose", "cuda", "autograd", "linspace", "eye"):
        assert hasattr(torch_like, name), name


def test_torch_nn_style_attribute_says_where_nn_lives():
    import minigrad as torch_like
    with pytest.raises(AttributeError, match="no attribute 'nn': nn is a separate package.*"
                                             "'import nn'"):
        torch_like.nn


def test_nan_to_num_with_nan_none_replaces_nan_by_zero_as_pytorch():
    x = mg.tensor([float("nan"), 1.0])
    assert x.nan_to_num(None).tolist() == [0.0, 1.0]
    assert mg.nan_to_num(x, nan=None).tolist() == [0.0, 1.0]
