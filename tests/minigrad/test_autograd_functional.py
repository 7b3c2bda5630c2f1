"""mg.functional.vjp / jvp / vhp / hvp / jacobian / hessian: values against closed forms and
PyTorch's torch.autograd.functional, PyTorch's return conventions (a Tensor for a Tensor, a
tuple for a tuple), create_graph and strict semantics, and errors for bad arguments."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import minigrad as mg
from minigrad.functional import hessian, hvp, jacobian, jvp, vhp, vjp

X = np.array([0.5, -1.0, 2.0])
Y = np.array([1.5, 0.25, -0.5])


def cube_sum(x):
    return (x ** 3).sum()


def product_sum(x, y):
    return (x * x * y).sum()


def close(tensor, expected, tol=1e-12):
    assert isinstance(tensor, mg.Tensor)
    np.testing.assert_allclose(tensor.data, expected, rtol=tol, atol=tol)


# --- values -------------------------------------------------------------------------------------
def test_vjp_is_v_transpose_j():
    x = mg.tensor(X)
    out, grad = vjp(lambda t: t * t, x, mg.tensor(Y))
    close(out, X * X)
    close(grad, 2 * X * Y)
    out, grad = vjp(cube_sum, x)                          # one-element output: v defaults to 1
    close(out, np.sum(X ** 3))
    close(grad, 3 * X ** 2)


def test_jvp_is_j_times_v():
    x = mg.tensor(X)
    out, product = jvp(lambda t: t.tanh() * 2, x, mg.tensor(Y))
    close(out, np.tanh(X) * 2)
    close(product, 2 * (1 - np.tanh(X) ** 2) * Y)
    out, product = jvp(lambda t: (t * t, t.exp()), mg.tensor(np.array([0.3])))   # v defaults to 1
    close(product[0], [0.6])
    close(product[1], np.exp([0.3]))


def test_jvp_of_a_matrix_map_is_the_matrix_product():
    w = np.arange(6.0).reshape(2, 3) - 2
    _, product = jvp(lambda t: mg.tensor(w) @ t, mg.tensor(X), mg.tensor(Y))
    close(product, w @ Y)


@pytest.mark.parametrize("function", [hvp, vhp])
def test_hessian_vector_products(function):
    out, product = function(cube_sum, mg.tensor(X), mg.tensor(Y))
    close(out, np.sum(X ** 3))
    close(product, 6 * X * Y)                              # H = diag(6x)
    _, (px, py) = function(product_sum, (mg.tensor(X), mg.tensor(Y)),
                           (mg.tensor(Y), mg.tensor(X)))
    # H = [[diag(2y), diag(2x)], [diag(2x), 0]] applied to (v_x, v_y) = (Y, X)
    close(px, 2 * Y * Y + 2 * X * X)
    close(py, 2 * X * Y)


def test_jacobian_values_and_shapes():
    w = np.arange(12.0).reshape(4, 3) / 7
    jac = jacobian(lambda t: (mg.tensor(w) @ t).reshape(2, 2), mg.tensor(X))
    assert jac.shape == (2, 2, 3)
    close(jac, w.reshape(2, 2, 3))
    jac = jacobian(lambda t: t.tanh(), mg.tensor(X))
    close(jac, np.diag(1 - np.tanh(X) ** 2))
    jac = jacobian(lambda t: t.sum(), mg.tensor([[1.0, 2.0]]))      # 0-d output
    assert jac.shape == (1, 2)


def test_hessian_values_and_shapes():
    close(hessian(cube_sum, mg.tensor(X)), np.diag(6 * X))
    square = mg.tensor(X.reshape(3, 1))
    assert hessian(cube_sum, square).shape == (3, 1, 3, 1)
    (hxx, hxy), (hyx, hyy) = hessian(product_sum, (mg.tensor(X), mg.tensor(Y)))
    close(hxx, np.diag(2 * Y))
    close(hxy, np.diag(2 * X))
    close(hyx, np.diag(2 * X))
    close(hyy, np.zeros((3, 3)))


# --- return conventions -------------------------------------------------------------------------
def test_tuples_in_give_tuples_out():
    x, y = mg.tensor(X), mg.tensor(Y)
    out, grads = vjp(product_sum, (x, y))
    assert isinstance(out, mg.Tensor) and isinstance(grads, tuple) and len(grads) == 2
    out, product = jvp(lambda a: (a * 2, a.sum()), x, mg.tensor(Y))
    assert isinstance(out, tuple) and isinstance(product, tuple)
    close(product[1], Y.sum())
    jac = jacobian(lambda a, b: (a * b, a.sum()), (x, y))
    assert isinstance(jac, tuple) and all(isinstance(row, tuple) and len(row) == 2 for row in jac)
    assert jac[0][1].shape == (3, 3) and jac[1][0].shape == (3,)
    close(jac[0][1], np.diag(X))
    jac = jacobian(lambda a: (a * 2, a.sum()), x)                    # tuple of outputs only
    assert isinstance(jac, tuple) and jac[0].shape == (3, 3) and jac[1].shape == (3,)
    jac = jacobian(lambda a, b: (a * b).sum(), (x, y))               # tuple of inputs only
    assert isinstance(jac, tuple) and jac[0].shape == (3,)
    out, (hx, hy) = hvp(product_sum, [x, y], [mg.tensor(Y), mg.tensor(X)])   # lists too
    assert hx.shape == hy.shape == (3,)


def test_without_create_graph_results_are_detached_and_inputs_untouched():
    x = mg.tensor(X, requires_grad=True)
    for out, result in (vjp(cube_sum, x), jvp(lambda t: t * t, x, mg.ones(3)),
                        hvp(cube_sum, x, mg.ones(3)), vhp(cube_sum, x, mg.ones(3))):
        assert not out.requires_grad and out.grad_fn is None
        assert not result.requires_grad and result.grad_fn is None
    assert not jacobian(lambda t: t * t, x).requires_grad
    assert not hessian(cube_sum, x).requires_grad
    assert x.grad is None


def test_create_graph_gives_differentiable_results():
    """The HVP of x^4 is 12 x^2 v; differentiating its sum gives 24 x v: a third derivative."""
    x = mg.tensor(X, requires_grad=True)
    v = mg.tensor(Y)
    out, product = hvp(lambda t: (t ** 4).sum(), x, v, create_graph=True)
    assert out.requires_grad and product.requires_grad
    close(product, 12 * X ** 2 * Y)
    (third,) = mg.grad([product.sum()], [x])
    close(third, 24 * X * Y)
    jac = jacobian(lambda t: t ** 3, x, create_graph=True)
    jac.sum().backward()
    close(x.grad, 6 * X)                                    # d/dx sum(diag(3x^2))
    x.grad = None
    hessian(cube_sum, x, create_graph=True).sum().backward()
    close(x.grad, 6 * np.ones(3))


def test_captured_tensors_are_not_differentiated():
    """As in PyTorch, only the path through func's arguments counts: a tensor the function
    captures is a constant even when it is the same tensor as the input."""
    x = mg.tensor(X, requires_grad=True)
    close(jacobian(lambda t: t * x, x), np.diag(X))
    close(jacobian(lambda t: t * x, x, create_graph=True), np.diag(X))


def test_unused_inputs_get_zeros_unless_strict():
    x, y = mg.tensor(X), mg.tensor(Y)
    _, (gx, gy) = vjp(lambda a, b: a.exp().sum(), (x, y))
    close(gy, np.zeros(3))
    with pytest.raises(RuntimeError, match=r"vjp\(strict=True\): the output of func does not "
                                           r"depend on input 1; pass strict=False"):
        vjp(lambda a, b: a.exp().sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"jacobian\(strict=True\): output 0 of func does "
                                           r"not depend on input 1"):
        jacobian(lambda a, b: a.exp(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match=r"jvp\(strict=True\): the output of func does not "
                                           r"depend on input 1"):
        jvp(lambda a, b: a.exp(), (x, y), (x, y), strict=True)
    close(hessian(lambda a: a.sum() * 2, x), np.zeros((3, 3)))      # linear: zero Hessian
    with pytest.raises(RuntimeError, match=r"hessian\(strict=True\): the gradient of func with "
                                           r"respect to input 0 does not depend on the inputs"):
        hessian(lambda a: a.sum() * 2, x, strict=True)
    with pytest.raises(RuntimeError, match=r"hvp\(strict=True\): output 0 of func does not "
                                           "require grad"):
        hvp(lambda a: mg.tensor(1.0), x, x, strict=True)


# --- bad input ----------------------------------------------------------------------------------
def test_bad_arguments_are_named():
    x = mg.tensor(X)
    with pytest.raises(TypeError, match=r"vjp: inputs must be a Tensor or a tuple of Tensors, "
                                        r"but inputs\[1\] is a list"):
        vjp(product_sum, (x, [1.0, 2.0, 3.0]), mg.tensor(1.0))
    with pytest.raises(TypeError, match="jacobian: the output of func must be a Tensor or a "
                                        "tuple of Tensors, but the output of func is a float"):
        jacobian(lambda t: 1.0, x)
    with pytest.raises(ValueError, match=r"vjp: v has shape \(2,\) but output 0 has shape "
                                         r"\(3,\)"):
        vjp(lambda t: t * 2, x, mg.ones(2))
    with pytest.raises(ValueError, match=r"vjp: v can be omitted only when there is a single "
                                         r"one-element output.*\(3,\); pass v"):
        vjp(lambda t: t * 2, x)
    with pytest.raises(ValueError, match=r"jvp: v has 1 Tensors but there are 2 inputs"):
        jvp(product_sum, (x, x), mg.ones(3))
    with pytest.raises(ValueError, match=r"hvp: func must return a single Tensor with one "
                                         r"element, got shape \(3,\)"):
        hvp(lambda t: t * t, x, mg.ones(3))
    with pytest.raises(ValueError, match=r"hessian: func must return a single Tensor with one "
                                         r"element"):
        hessian(lambda t: t * t, x)
    with pytest.raises(NotImplementedError, match="forward-mode autodiff"):
        jacobian(cube_sum, x, strategy="forward-mode")
    with pytest.raises(ValueError, match="outer_jacobian_strategy must be 'reverse-mode' or "
                                         "'forward-mode', got 'sideways'"):
        hessian(cube_sum, x, outer_jacobian_strategy="sideways")


def test_vectorize_flag_gives_the_same_result():
    x = mg.tensor(X)
    close(jacobian(lambda t: t.exp(), x, vectorize=True), np.diag(np.exp(X)))
    close(hessian(cube_sum, x, vectorize=True), np.diag(6 * X))


# --- against PyTorch ----------------------------------------------------------------------------
def smooth(x, y):
    """A scalar function of two matrices, written with methods minigrad and torch share."""
    return ((x.tanh() @ y).exp() * 0.5).sum() + (x * x).sum() * y.sum()


def vector(x, y):
    """Two vector outputs of the same inputs."""
    return (x @ y).tanh(), (x * x).sum(0) + y.exp().reshape(-1)[:x.shape[1]]


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(0, 2 ** 16))
def test_matches_torch_autograd_functional(rows, cols, seed):
    torch = pytest.importorskip("torch")
    functional = torch.autograd.functional
    rng = np.random.default_rng(seed)
    arrays = (rng.standard_normal((rows, cols)) * 0.5, rng.standard_normal((cols, cols)) * 0.5)
    vs = tuple(rng.standard_normal(a.shape) for a in arrays)
    ours_in, theirs_in = tuple(map(mg.tensor, arrays)), tuple(map(torch.tensor, arrays))
    ours_v, theirs_v = tuple(map(mg.tensor, vs)), tuple(map(torch.tensor, vs))
    t_smooth, t_vector = smooth, vector

    def same(ours, theirs):
        if isinstance(theirs, tuple):
            assert isinstance(ours, tuple) and len(ours) == len(theirs)
            for a, b in zip(ours, theirs):
                same(a, b)
        else:
            assert ours.shape == tuple(theirs.shape)
            np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-9, atol=1e-12)

    same(vjp(smooth, ours_in), functional.vjp(t_smooth, theirs_in))
    same(hvp(smooth, ours_in, ours_v), functional.hvp(t_smooth, theirs_in, theirs_v))
    same(vhp(smooth, ours_in, ours_v), functional.vhp(t_smooth, theirs_in, theirs_v))
    same(hessian(smooth, ours_in), functional.hessian(t_smooth, theirs_in))
    same(jacobian(vector, ours_in), functional.jacobian(t_vector, theirs_in))
    same(jvp(vector, ours_in, ours_v), functional.jvp(t_vector, theirs_in, theirs_v))
    out_vs = tuple(rng.standard_normal(o.shape) for o in vector(*ours_in))
    same(vjp(vector, ours_in, tuple(map(mg.tensor, out_vs))),
         functional.vjp(t_vector, theirs_in, tuple(map(torch.tensor, out_vs))))


def test_reachable_under_torch_autograd_names():
    """torch.autograd.functional.hessian -> mg.autograd.functional.hessian, and the checks."""
    assert mg.autograd.functional.hessian is hessian and mg.functional.vjp is vjp
    assert mg.autograd.gradcheck is mg.gradcheck
    assert mg.autograd.gradgradcheck is mg.gradgradcheck
    assert mg.autograd.grad is mg.grad
