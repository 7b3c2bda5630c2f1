"""A leaf's first gradient becomes its .grad without a copy only when nothing else refers to it
(autograd._accumulate_leaf, as PyTorch's AccumulateGrad); every shared gradient is copied."""
import weakref

import numpy as np
import pytest

import minigrad as mg
import nn
from minigrad import buffers


@pytest.fixture(autouse=True)
def _empty_cache():
    buffers.clear()
    yield
    buffers.clear()


def _leaf(shape=(3, 4)):
    return mg.tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape) / 7,
                     requires_grad=True)


class _FreshGradient(mg.Function):
    """y = 2x; backward makes a fresh array, remembers it weakly (and strongly in `keep`
    when that is a list) and returns it."""

    made: list = []

    @staticmethod
    def forward(ctx, x, keep):
        ctx.keep = keep
        return x * 2

    @staticmethod
    def backward(ctx, grad):
        g = grad * 2
        if ctx.keep is not None:
            ctx.keep.append(g)
        _FreshGradient.made.append(weakref.ref(g))
        return g, None


def test_a_gradient_only_the_sweep_holds_becomes_grad_itself():
    # checks autograd._SWEEP_REFERENCES on the real path: were it wrong, .grad would be a copy
    _FreshGradient.made.clear()
    x = _leaf()
    _FreshGradient.apply(x, None).sum().backward()
    assert _FreshGradient.made[0]() is x.grad.data
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 2, np.float32))
    _FreshGradient.apply(x, None).sum().backward()           # accumulates in place
    assert _FreshGradient.made[0]() is x.grad.data
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 4, np.float32))


def test_a_gradient_a_function_keeps_is_copied():
    kept = []
    x = _leaf()
    _FreshGradient.apply(x, kept).sum().backward()
    assert not np.shares_memory(x.grad.data, kept[0])
    _FreshGradient.apply(x, None).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 4, np.float32))
    np.testing.assert_array_equal(kept[0], np.full((3, 4), 2, np.float32))


def test_a_read_only_gradient_is_copied():
    class ReadOnly(mg.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            g = grad * 1
            g.flags.writeable = False
            return g

    x = _leaf()
    ReadOnly.apply(x).sum().backward()
    assert x.grad.data.flags.writeable
    ReadOnly.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 2, np.float32))


def test_add_of_two_leaves_gives_each_its_own_grad():
    a, b = _leaf(), _leaf()
    ((a + b) * 2).sum().backward()      # Add's backward sends one fresh array to both
    assert not np.shares_memory(a.grad.data, b.grad.data)
    (a + b * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((3, 4), 3, np.float32))
    np.testing.assert_array_equal(b.grad.data, np.full((3, 4), 5, np.float32))


def test_a_broadcast_gradient_is_copied_into_a_writable_grad():
    a = _leaf()
    a.sum().backward()                  # Sum's backward: a broadcast view of the root's ones
    assert a.grad.data.flags.writeable and a.grad.data.flags.owndata
    a.sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.full((3, 4), 2, np.float32))


@pytest.mark.parametrize("through", ["leaf", "reshape", "plus_zero"])
def test_the_users_gradient_is_never_taken(through):
    x = _leaf()
    user = np.ones((3, 4), np.float32)
    out = {"leaf": lambda: x, "reshape": lambda: x.reshape(4, 3).reshape(3, 4),
           "plus_zero": lambda: x + 0.0}[through]
    out().backward(user)
    assert not np.shares_memory(x.grad.data, user)
    out().backward(user)
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 2, np.float32))
    np.testing.assert_array_equal(user, np.ones((3, 4), np.float32))


@pytest.mark.parametrize("on", ["leaf", "intermediate"])
def test_a_gradient_a_hook_keeps_is_copied(on):
    x = _leaf()
    kept = []
    y = x + 1.0                          # Add hands its incoming gradient on unchanged
    (x if on == "leaf" else y).register_hook(lambda grad: kept.append(grad) or None)
    (y * 3).sum().backward()
    assert not np.shares_memory(x.grad.data, kept[0].data)
    ((x + 1.0) * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 6, np.float32))
    np.testing.assert_array_equal(kept[0].data, np.full((3, 4), 3, np.float32))


def test_a_non_leaf_in_inputs_gets_a_copy_of_the_gradient_that_flows_on():
    x = _leaf()
    y = x * 2
    (y * 3).sum().backward(inputs=[y, x])
    assert not np.shares_memory(y.grad.data, x.grad.data)
    np.testing.assert_array_equal(y.grad.data, np.full((3, 4), 3, np.float32))
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 6, np.float32))


@pytest.mark.parametrize("expression, total", [(lambda x: x * 2 + x * 3, 5),
                                               (lambda x: x + x, 2),
                                               (lambda x: (x * 2) * x[0:1, :], None)])
def test_a_leaf_used_twice_sums_its_gradients(expression, total):
    x = _leaf()
    expression(x).sum().backward()
    first = x.grad.data.copy()
    expression(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * first, rtol=1e-6)
    if total is not None:
        np.testing.assert_array_equal(first, np.full((3, 4), total, np.float32))


def test_mg_grad_writes_no_grad_and_returns_its_own_arrays():
    x = _leaf()
    (gx,) = mg.autograd.grad((x * 2).sum(), x)
    assert x.grad is None
    (x * 5).sum().backward()
    (gx2,) = mg.autograd.grad((x * 2).sum(), x)
    assert not np.shares_memory(gx2.data, x.grad.data)
    np.testing.assert_array_equal(gx.data, np.full((3, 4), 2, np.float32))
    np.testing.assert_array_equal(x.grad.data, np.full((3, 4), 5, np.float32))


def test_a_taken_cached_buffer_is_not_handed_out_again_while_grad_holds_it():
    layer = nn.Linear(1024, 1024)        # weight gradient: 4 MiB, from buffers' cache
    batches = [mg.tensor(np.random.default_rng(s).standard_normal((8, 1024), np.float32))
               for s in (1, 2)]
    layer(batches[0]).sum().backward()
    first = layer.weight.grad
    taken = buffers.is_sole_user(first.data)      # outside `assert`: pytest keeps its values
    assert taken
    expected = first.data.copy()
    layer.zero_grad()                    # set_to_none, as a training loop does
    layer(batches[1]).sum().backward()
    np.testing.assert_array_equal(first.data, expected)
    assert not np.shares_memory(first.data, layer.weight.grad.data)


def test_is_sole_user_sees_other_views_and_partial_views():
    shape = (buffers.MIN_BYTES // 4 // 1024, 1024)
    a = buffers.empty(shape, np.float32)
    alone = buffers.is_sole_user(a)
    view = a[:10]
    shared = buffers.is_sole_user(a), buffers.is_sole_user(view)
    del a
    partial = buffers.is_sole_user(view)
    assert alone and shared == (False, False) and not partial
    assert not buffers.is_sole_user(np.empty(shape, np.float32))  # not a cached array
