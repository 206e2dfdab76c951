"""Second derivatives by double backprop: edf.gradients and edf.hessian_vector_product (float64).

Problem 1 of the problem set (eq. 28) is checked against its closed form; every op alone and small MLPs
are checked in the manner of HIPS autograd's check_grads(order=2): along random directions v, the exact
H v must match central differences of Backward's gradients, and u . H v must equal v . H u.
"""

import numpy as np
import pytest
from helpers.edf_graphs import (
    affine,
    binary,
    data_input,
    fresh_graph,  # noqa: F401 (an autouse fixture)
    labels,
    logloss,
    matmul,
    softmax,
    softmax_logloss,
    unary,
)
from hypothesis import given, settings
from hypothesis import strategies as st

import edf

TOL = 1e-6


def vec_rel_error(a, b):
    """||a - b|| / (||a|| + ||b||) over lists of arrays: the relative error of two whole vectors."""
    diff = np.sqrt(sum(np.sum((x - y) ** 2) for x, y in zip(a, b)))
    size = np.sqrt(sum(np.sum(x**2) for x in a)) + np.sqrt(sum(np.sum(y**2) for y in b))
    return diff / max(size, 1e-30)


def dot(a, b):
    return sum(float(np.sum(x * y)) for x, y in zip(a, b))


def backward_grads(loss, nodes):
    edf.Forward()
    edf.Backward(loss)
    return [np.zeros_like(n.value) if n.grad is None else np.array(n.grad) for n in nodes]


def fd_hvp(loss, nodes, v, eps=1e-5):
    """Central differences of Backward's gradients along v: (g(w + eps v) - g(w - eps v)) / (2 eps)."""
    saved = [n.value.copy() for n in nodes]
    out = []
    for t in (eps, -eps):
        for n, s, d in zip(nodes, saved, v):
            n.value[...] = s + t * d
        out.append(backward_grads(loss, nodes))
    for n, s in zip(nodes, saved):
        n.value[...] = s
    edf.Forward()
    return [(a - b) / (2 * eps) for a, b in zip(*out)]


def check_order_2(loss, nodes, rng, directions=3):
    """check_grads(order=2): first order vs Backward, then H v vs differences, and symmetry of H."""
    n_graph = len(edf.CompNodes)
    g = [n.value for n in edf.gradients(loss, nodes)]
    assert len(edf.CompNodes) == n_graph  # the gradient graph stays out of CompNodes
    assert vec_rel_error(g, backward_grads(loss, nodes)) < 1e-12
    vs = [[rng.normal(size=n.value.shape) for n in nodes] for _ in range(directions)]
    hvs = [edf.hessian_vector_product(loss, nodes, v) for v in vs]
    assert len(edf.CompNodes) == n_graph
    for v, hv in zip(vs, hvs):
        fd = fd_hvp(loss, nodes, v)
        assert vec_rel_error(hv, fd) < TOL
        assert edf.rel_error(dot(vs[0], hv), dot(vs[0], fd)) < TOL
    for i in range(directions):
        for j in range(i):
            assert edf.rel_error(dot(vs[i], hvs[j]), dot(vs[j], hvs[i])) < 1e-10
    return hvs


# ---------------------------------------------------------------- Problem 1: l = f(g(x), h(x))

# name: (edf op, g, g', g'')
UNARY = {
    "Sin": (edf.Sin, np.sin, np.cos, lambda x: -np.sin(x)),
    "Square": (edf.Square, lambda x: x**2, lambda x: 2 * x, lambda x: 2.0 + 0 * x),
    "Exp": (edf.Exp, np.exp, np.exp, np.exp),
    "Tanh": (
        edf.Tanh,
        np.tanh,
        lambda x: 1 - np.tanh(x) ** 2,
        lambda x: -2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
    ),
}


def eq28(x, g, h):
    """d2l/dx2 = f_yy g'^2 + f_y g'' + f_zz h'^2 + f_z h'' + 2 f_yz g' h' for f(y, z) = y z + y^2."""
    _, g0, g1, g2 = UNARY[g]
    _, h0, h1, h2 = UNARY[h]
    y, z = g0(x), h0(x)
    f_y, f_z, f_yy, f_zz, f_yz = z + 2 * y, y, 2.0, 0.0, 1.0
    return f_yy * g1(x) ** 2 + f_y * g2(x) + f_zz * h1(x) ** 2 + f_z * h2(x) + 2 * f_yz * g1(x) * h1(x)


def problem1_graph(x0, g, h):
    x = edf.Parameter(x0)
    y, z = UNARY[g][0](x), UNARY[h][0](x)
    u = edf.Add(edf.Mul(y, z), edf.Square(y))  # f(y, z) = y z + y^2
    edf.Forward()
    return x, u


def test_problem1_second_derivative_is_eq28():
    x, u = problem1_graph(0.7, "Sin", "Square")
    edf.Backward(u)
    (dx,) = edf.gradients(u, [x])
    assert dx.value == pytest.approx(x.grad, rel=1e-15)  # the same number Backward puts in x.grad
    (dxx,) = edf.gradients(dx, [x])  # differentiate x.grad itself
    assert abs(dxx.value - eq28(0.7, "Sin", "Square")) < 1e-10
    # The naive second-order propagation (eq. 21) keeps only f_yy g'' + f_zz h'': a different number.
    naive = 2.0 * -np.sin(0.7) + 0.0 * 2.0
    assert abs(dxx.value - naive) > 1.0


@settings(max_examples=40, deadline=None)
@given(
    x0=st.floats(-2.0, 2.0),
    g=st.sampled_from(sorted(UNARY)),
    h=st.sampled_from(sorted(UNARY)),
)
def test_problem1_eq28_for_other_g_and_h(x0, g, h):
    edf.clear_compgraph()
    x, u = problem1_graph(x0, g, h)
    (dx,) = edf.gradients(u, [x])
    (dxx,) = edf.gradients(dx, [x])
    exact = eq28(x0, g, h)
    assert abs(dxx.value - exact) <= 1e-10 * max(1.0, abs(exact))
    (hv,) = edf.hessian_vector_product(u, [x], [np.array(1.0)])
    assert abs(hv - dxx.value) <= 1e-12 * max(1.0, abs(exact))


def test_third_derivative_by_differentiating_again():
    x = edf.Parameter(0.3)
    u = edf.Sin(x)
    edf.Forward()
    d = u
    for _ in range(3):
        (d,) = edf.gradients(d, [x])
    assert abs(d.value + np.cos(0.3)) < 1e-15  # sin''' = -cos


# ---------------------------------------------------------------- every op alone, order 2


def _with_constant(rng, B, n):
    x = data_input(rng.normal(size=(B, n)))
    return edf.Mul(edf.Constant(rng.normal(size=(B, n))), edf.Sigmoid(x)), [x]


def _unary(op, **kw):
    """Inputs away from zero (Relu's kink) and at most 1.5 (Exp's curvature stays moderate)."""
    return unary(op, low=0.2, high=1.5, **kw)


OPS = {
    "Affine": affine(1),
    "Sigmoid": _unary(edf.Sigmoid),
    "Tanh": _unary(edf.Tanh),
    "Relu": _unary(edf.Relu),
    "Softmax": softmax,
    "LogLoss": logloss(0.2),
    "Softmax+LogLoss": softmax_logloss,
    "Add": binary(edf.Add),
    "Mul": binary(edf.Mul),
    "Square": _unary(edf.Square),
    "Sin": _unary(edf.Sin),
    "Exp": _unary(edf.Exp),
    "Constant": _with_constant,
    "scaled": _unary(edf.scaled, a=-1.5, c=0.5),
    "MatMul": matmul,
    "Transpose": _unary(edf.Transpose),
    "Sum": _unary(edf.Sum, axis=-1),
    "Expand": _unary(edf.Expand, axis=-1, n=3),
}


def per_example_loss(out, rng):
    """loss_b = sum_j c_j sin(out_bj): curved, so that even a linear op has a nonzero Hessian."""
    if out.value.ndim == 1 and isinstance(out, edf.LogLoss):
        return out
    loss = edf.Mul(edf.Sin(out), edf.Constant(rng.normal(size=out.value.shape)))
    for _ in range(out.value.ndim - 1):
        loss = edf.Sum(loss, -1)
    return loss


def check_op(name, B, n, seed):
    edf.clear_compgraph()
    rng = np.random.default_rng(seed)
    out, nodes = OPS[name](rng, B, n)
    edf.Forward()
    loss = per_example_loss(out, rng)
    edf.Forward()
    return check_order_2(loss, nodes, rng)


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_order_2(name):
    hvs = check_op(name, B=3, n=4, seed=0)
    assert max(np.abs(h).max() for h in hvs[0]) > 1e-3  # a real curvature was checked, not 0 == 0


@settings(max_examples=30, deadline=None)
@given(
    name=st.sampled_from(sorted(OPS)),
    B=st.integers(1, 5),
    n=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_op_order_2_over_shapes(name, B, n, seed):
    check_op(name, B, n, seed)


# ---------------------------------------------------------------- MLPs with Softmax + LogLoss


def mlp(rng, B, sizes, hidden):
    x = data_input(rng.normal(size=(B, sizes[0])), requires_grad=False)
    h = x
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        Phi = edf.AffineParams(n_in, n_out, rng=rng)
        Phi.b.value[:] = 0.1 * rng.normal(size=n_out)
        h = edf.Affine(Phi, h)
        if i < len(sizes) - 2:
            h = hidden[i % len(hidden)](h)
    loss = edf.LogLoss(edf.Softmax(h), labels(rng, B, sizes[-1]))
    edf.Forward()
    return loss


@pytest.mark.parametrize("hidden", [(edf.Tanh,), (edf.Sigmoid,), (edf.Tanh, edf.Sigmoid)])
def test_mlp_hessian_vector_products(hidden):
    rng = np.random.default_rng(3)
    loss = mlp(rng, 6, [4, 5, 4, 3], hidden)
    check_order_2(loss, list(edf.Parameters), rng, directions=4)


@settings(max_examples=10, deadline=None)
@given(B=st.integers(1, 6), n_in=st.integers(1, 4), n_h=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_mlp_hessian_vector_products_over_shapes(B, n_in, n_h, seed):
    edf.clear_compgraph()
    rng = np.random.default_rng(seed)
    loss = mlp(rng, B, [n_in, n_h, 3], (edf.Tanh,))
    check_order_2(loss, list(edf.Parameters), rng, directions=2)


def test_full_hessian_matches_finite_differences_and_is_symmetric():
    """Columns H e_k for a tiny model: the whole Hessian, symmetric, against differences of gradients."""
    rng = np.random.default_rng(5)
    loss = mlp(rng, 4, [2, 3, 2], (edf.Tanh,))
    params = list(edf.Parameters)
    sizes = [p.value.size for p in params]
    H, H_fd = [], []
    for k in range(sum(sizes)):
        e = np.zeros(sum(sizes))
        e[k] = 1.0
        v = [c.reshape(p.value.shape) for c, p in zip(np.split(e, np.cumsum(sizes)[:-1]), params)]
        H.append(np.concatenate([h.ravel() for h in edf.hessian_vector_product(loss, params, v)]))
        H_fd.append(np.concatenate([h.ravel() for h in fd_hvp(loss, params, v)]))
    H, H_fd = np.array(H), np.array(H_fd)
    np.testing.assert_allclose(H, H.T, atol=1e-12)
    assert np.abs(H - H_fd).max() < 1e-6 * np.abs(H).max()


def test_gradients_leave_first_order_training_unchanged():
    rng = np.random.default_rng(7)
    loss = mlp(rng, 5, [3, 4, 3], (edf.Tanh,))
    nodes = list(edf.CompNodes)
    before = backward_grads(loss, edf.Parameters)
    edf.hessian_vector_product(loss, edf.Parameters, [np.ones_like(p.value) for p in edf.Parameters])
    assert edf.CompNodes == nodes
    after = backward_grads(loss, edf.Parameters)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_parameter_the_loss_does_not_use_has_zero_hessian():
    rng = np.random.default_rng(8)
    loss = mlp(rng, 3, [2, 3, 2], (edf.Tanh,))
    unused = edf.Parameter(np.ones(4))
    params = [*edf.Parameters]
    hv = edf.hessian_vector_product(loss, params, [np.ones_like(p.value) for p in params])
    np.testing.assert_array_equal(hv[params.index(unused)], np.zeros(4))
