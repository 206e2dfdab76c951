"""First-order tests of edf: every op against central differences, properties, and regressions.

All gradient checks run in float64 (edf's default DT) and ask for a relative error below 1e-6.
"""

import tracemalloc

import numpy as np
import pytest
from helpers.edf_graphs import (
    affine,
    away_from_zero,
    binary,
    data_input,
    fresh_graph,  # noqa: F401 (an autouse fixture)
    logloss,
    matmul,
    softmax,
    softmax_logloss,
    unary,
)
from hypothesis import example, given, settings
from hypothesis import strategies as st

import edf

TOL = 1e-6


class WeightedSum(edf.CompNode):
    """loss_b = sum_j c_j x_bj: turns any (B, ...) value into one number per example.

    Random weights c make every entry of x matter differently, so a gradient check of the op below
    sees the full Jacobian (a plain sum would hide errors that cancel, e.g. in Softmax)."""

    def __init__(self, x, c):
        super().__init__(x)
        self.x, self.c = x, np.asarray(c, dtype=np.float64)

    def forward(self):
        self.value = (self.x.value * self.c).reshape(len(self.x.value), -1).sum(axis=1)

    def backward(self):
        g = self.grad.reshape((-1,) + (1,) * (self.x.value.ndim - 1))
        self.x.addgrad(g * self.c)


def _with_constant(rng, B, n):
    x = data_input(rng.normal(size=(B, n)))
    return edf.Mul(edf.Constant(away_from_zero(rng, (B, n), 0.5)), x), [x]


BUILDERS = {
    "Affine": affine(2),
    "Sigmoid": unary(edf.Sigmoid),
    "Tanh": unary(edf.Tanh),
    "Relu": unary(edf.Relu, low=0.1),
    "Softmax": softmax,
    "LogLoss": logloss(0.1),
    "Softmax+LogLoss": softmax_logloss,
    "Add": binary(edf.Add),
    "Mul": binary(edf.Mul),
    "Square": unary(edf.Square),
    "Sin": unary(edf.Sin),
    "Exp": unary(edf.Exp),
    # the ops that second-order gradients are built from
    "Constant": _with_constant,
    "scaled": unary(edf.scaled, a=-1.5, c=0.5),
    "MatMul": matmul,
    "Transpose": unary(edf.Transpose),
    "Sum": unary(edf.Sum, axis=-1),
    "Expand": unary(edf.Expand, axis=-1, n=3),
}


def check_op(name, B, n, seed):
    edf.clear_compgraph()
    rng = np.random.default_rng(seed)
    out, nodes = BUILDERS[name](rng, B, n)
    edf.Forward()  # to learn the output's shape
    loss = out if out.value.ndim == 1 else WeightedSum(out, away_from_zero(rng, out.value.shape[1:], 0.5))
    # eps = 1e-5: truncation error ~eps^2 stays negligible and rounding (1e-16 |loss| / eps) stays
    # small even for gradient entries near zero, which the entrywise relative error is strict about.
    return edf.gradient_check(loss, nodes, eps=1e-5)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_op_matches_central_differences(name):
    assert check_op(name, B=3, n=4, seed=0) < TOL


@settings(max_examples=60, deadline=None)
@given(
    name=st.sampled_from(sorted(BUILDERS)),
    B=st.integers(1, 8),
    n=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
@example(name="Softmax", B=5, n=5, seed=172463)  # an entry of s.grad near 0: rel. error 1.4e-6
def test_every_op_gradient_over_shapes(name, B, n, seed):
    # Over random draws some gradient entry lands near zero, where the entrywise relative error
    # measures rounding (1e-16 |loss| / eps) rather than the backward: a wrong backward still gives ~1.
    assert check_op(name, B, n, seed) < 10 * TOL


def test_composite_mlp_gradient():
    rng = np.random.default_rng(1)
    x = data_input(rng.normal(size=(5, 4)), requires_grad=False)
    y = edf.Input()
    y.value = rng.integers(0, 3, size=5)
    h = edf.Tanh(edf.Affine(edf.AffineParams(4, 6, rng=rng), x))
    h = edf.Sigmoid(edf.Affine(edf.AffineParams(6, 5, rng=rng), h))
    loss = edf.LogLoss(edf.Softmax(edf.Affine(edf.AffineParams(5, 3, rng=rng), h)), y)
    assert edf.gradient_check(loss) < TOL


def test_softmax_feeding_logloss_and_another_op():
    """LogLoss sends p - onehot straight to the logits; Softmax.backward still handles the rest."""
    rng = np.random.default_rng(2)
    s, y = data_input(rng.normal(size=(4, 3))), edf.Input()
    y.value = rng.integers(0, 3, size=4)
    p = edf.Softmax(s)
    loss = edf.Add(edf.LogLoss(p, y), WeightedSum(p, rng.normal(size=3)))
    assert edf.gradient_check(loss, [s]) < TOL
    edf.clear_compgraph()
    s = data_input(s.value)
    p = edf.Softmax(s)
    loss = edf.LogLoss(p, y)
    edf.Forward()
    edf.Backward(loss)
    onehot = np.eye(3)[y.value]
    np.testing.assert_allclose(p.grad, -onehot / (4 * p.value), rtol=1e-12)  # the true d(loss)/dp
    np.testing.assert_allclose(s.grad, (p.value - onehot) / 4, rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize("through_softmax", [True, False])
def test_logloss_gradient_with_fortran_ordered_and_strided_inputs(through_softmax):
    """LogLoss indexes p.ravel() by each label's flat position: that must hold for any memory layout."""
    rng = np.random.default_rng(5)
    for value in (
        np.asfortranarray(rng.uniform(0.1, 1.0, size=(5, 4))),
        rng.uniform(0.1, 1.0, size=(4, 5)).T,
        rng.uniform(0.1, 1.0, size=(5, 8))[:, ::2],
    ):
        edf.clear_compgraph()
        x, y = edf.Input(requires_grad=True), edf.Input()
        x.value, y.value = value, rng.integers(0, 4, size=5)
        loss = edf.LogLoss(edf.Softmax(x) if through_softmax else x, y)
        assert edf.gradient_check(loss, [x]) < TOL


# ---------------------------------------------------------------- properties


@settings(max_examples=30, deadline=None)
@given(B=st.integers(1, 8), K=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_softmax_rows_sum_to_one_and_ignore_a_shift(B, K, seed):
    edf.clear_compgraph()
    rng = np.random.default_rng(seed)
    s = data_input(10 * rng.normal(size=(B, K)))
    p = edf.Softmax(s)
    edf.Forward()
    p0 = p.value.copy()
    np.testing.assert_allclose(p0.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(p0 >= 0)
    s.value = s.value + rng.normal(scale=100.0, size=(B, 1))
    edf.Forward()
    np.testing.assert_allclose(p.value, p0, rtol=1e-9, atol=1e-15)


@settings(max_examples=15, deadline=None)
@given(B=st.integers(1, 8), seed=st.integers(0, 2**32 - 1))
def test_backward_averages_over_the_batch(B, seed):
    """Duplicating every example of a batch leaves the parameter gradients unchanged."""
    edf.clear_compgraph()  # hypothesis runs many examples inside one fixture
    rng = np.random.default_rng(seed)
    X, Y = rng.normal(size=(B, 4)), rng.integers(0, 3, size=B)
    x, y = data_input(X, requires_grad=False), edf.Input()
    h = edf.Relu(edf.Affine(edf.AffineParams(4, 5, rng=rng), x))
    loss = edf.LogLoss(edf.Softmax(edf.Affine(edf.AffineParams(5, 3, rng=rng), h)), y)
    grads = []
    for reps in (1, 2):
        x.value, y.value = np.concatenate([X] * reps), np.concatenate([Y] * reps)
        edf.Forward()
        edf.Backward(loss)
        grads.append([p.grad.copy() for p in edf.Parameters])
    for g1, g2 in zip(*grads):
        np.testing.assert_allclose(g1, g2, rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- regressions (field notes, defects 1-7)


def test_logloss_of_softmax_is_exact_for_spread_logits():
    """Defect 1: the course's Softmax clamped s - max(s) at -10 and reported 10 here."""
    s = data_input([[0.0, 12.0, 25.0]])
    y = edf.Input()
    y.value = np.array([0])
    p = edf.Softmax(s)
    loss = edf.LogLoss(p, y)
    edf.Forward()
    exact = np.log(np.exp(0.0) + np.exp(12.0) + np.exp(25.0))  # 25.00000226034...
    assert abs(loss.value[0] - exact) < 1e-9
    assert abs(loss.value[0] - 25.00000226034074) < 1e-9
    edf.Backward(loss)
    np.testing.assert_allclose(s.grad, p.value - np.array([[1.0, 0.0, 0.0]]), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("logits", [[0.0, 1000.0], [-1000.0, 1000.0], [1e5, 0.0]])
def test_extreme_logits_give_finite_exact_loss_and_gradient(logits):
    s = data_input([logits])
    y = edf.Input()
    y.value = np.array([0])
    loss = edf.LogLoss(edf.Softmax(s), y)
    edf.Forward()
    exact = np.logaddexp.reduce(np.array(logits)) - logits[0]
    assert np.isfinite(loss.value[0])
    assert abs(loss.value[0] - exact) <= 1e-12 * abs(exact)
    edf.Backward(loss)
    p = np.exp(np.array(logits) - np.logaddexp.reduce(np.array(logits)))
    np.testing.assert_allclose(s.grad[0], p - [1.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("xv", [-40.0, -15.0, -10.5, 0.0, 10.5, 15.0, 40.0])
def test_sigmoid_backward_in_the_saturated_region(xv):
    """Defect 2: the course clamped x to [-10, 10] in forward, so its y(1-y) backward was wrong there.

    eps = 1e-3: near y = 1 the values carry only 1e-16 absolute precision, so a smaller step would
    measure rounding, not the derivative (truncation error here is about eps^2 / 6)."""
    x = data_input([[xv]])
    out = edf.Sigmoid(x)
    loss = WeightedSum(out, [1.0])
    edf.Forward()
    assert abs(out.value[0, 0] - 1.0 / (1.0 + np.exp(-xv))) <= 1e-15 * out.value[0, 0]
    assert edf.gradient_check(loss, [x], eps=1e-3) < TOL
    exact = np.exp(-abs(xv)) / (1.0 + np.exp(-abs(xv))) ** 2
    assert abs(x.grad[0, 0] - exact) <= 1e-6 * exact + 1e-17


def test_affine_backward_builds_no_per_example_outer_products():
    """Defect 3: a (64, 784, 64) float64 array is 25.7 MB; matrix products need a few hundred kB."""
    B, nIn, nOut = 64, 784, 64
    rng = np.random.default_rng(0)
    x = data_input(rng.normal(size=(B, nIn)), requires_grad=False)
    y = edf.Input()
    y.value = rng.integers(0, nOut, size=B)
    loss = edf.LogLoss(edf.Softmax(edf.Affine(edf.AffineParams(nIn, nOut, rng=rng), x)), y)
    edf.Forward()
    edf.Backward(loss)  # warm up
    tracemalloc.start()
    try:
        edf.Backward(loss)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    outer = B * nIn * nOut * 8
    bound = 4 * (nIn * nOut + B * nOut) * 8  # a few weight-sized and activation-sized arrays
    assert peak < bound < outer / 10


def test_parameter_made_before_clear_compgraph():
    """Defect 4: making a Parameter before any clear_compgraph() raised NameError in the course EDF."""
    w = edf.Parameter(np.ones(3))
    Phi = edf.AffineParams(3, 2, rng=np.random.default_rng(0))
    assert any(w is p for p in edf.Parameters)
    assert Phi.parameters() == [Phi.w, Phi.b]


def test_parameter_package_made_before_clear_is_still_trained():
    """Defect 4: a ParameterPackage made before clear_compgraph() silently stopped being trained."""
    rng = np.random.default_rng(0)
    Phi = edf.AffineParams(4, 3, rng=rng)
    edf.clear_compgraph()  # e.g. the notebook rebuilds its graph for a new batch size
    x, y = data_input(rng.normal(size=(6, 4)), requires_grad=False), edf.Input()
    y.value = rng.integers(0, 3, size=6)
    loss = edf.LogLoss(edf.Softmax(edf.Affine(Phi, x)), y)
    before = [p.value.copy() for p in Phi.parameters()]
    edf.Forward()
    edf.Backward(loss)
    edf.SGD()
    assert all(any(p is q for q in edf.Parameters) for p in Phi.parameters())
    for p, old in zip(Phi.parameters(), before):
        np.testing.assert_allclose(p.value, old - edf.learning_rate * p.grad)
        assert not np.allclose(p.value, old)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_dtype_policy(monkeypatch, dt):
    """Defect 5: everything float stays DT; float64 data is cast; integer labels are kept."""
    monkeypatch.setattr(edf, "DT", dt)
    rng = np.random.default_rng(0)
    x, y = data_input(rng.normal(size=(5, 4)), requires_grad=False), edf.Input()
    y.value = rng.integers(0, 3, size=5)
    h = edf.Sigmoid(edf.Tanh(edf.Affine(edf.AffineParams(4, 6, rng=rng), x)))
    h = edf.Mul(edf.Relu(h), edf.Exp(edf.Sin(edf.Square(h))))
    h = edf.Add(h, h)
    loss = edf.LogLoss(edf.Softmax(edf.Affine(edf.AffineParams(6, 3, rng=rng), h)), y)
    for _ in range(2):
        edf.Forward()
        edf.Backward(loss)
        edf.SGD()
    assert y.value.dtype == np.int64
    for node in edf.CompNodes + edf.Parameters:
        if node is y:
            continue
        assert node.value.dtype == dt, type(node).__name__
        assert node.grad is None or node.grad.dtype == dt, type(node).__name__


def test_gradient_check_reports_a_wrong_backward():
    """Defect 7: the framework has a gradient check, and it does catch a broken op."""

    class BadSquare(edf.Square):
        def backward(self):
            self.x.addgrad(self.grad * 3.0 * self.x.value)

    x = data_input(np.random.default_rng(0).normal(size=(3, 2)))
    loss = WeightedSum(BadSquare(x), [1.0, 2.0])
    assert edf.gradient_check(loss, [x]) > 0.1


# ---------------------------------------------------------------- clear error messages


def test_affine_shape_mismatch_names_both_shapes():
    x = data_input(np.zeros((2, 5)))
    edf.Affine(edf.AffineParams(4, 3), x)
    with pytest.raises(ValueError, match=r"\(2, 5\).*\(4, 3\)"):
        edf.Forward()


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0]])
def test_logloss_labels_out_of_range(labels):
    p, y = data_input(np.full((2, 3), 1 / 3)), edf.Input()
    y.value = np.array(labels)
    edf.LogLoss(p, y)
    with pytest.raises(ValueError, match=r"0\.\.2"):
        edf.Forward()


@pytest.mark.parametrize("labels", [[[0], [1]], [0], [0, 1, 2], []])
def test_logloss_needs_one_label_per_example(labels):
    p, y = data_input(np.full((2, 3), 1 / 3)), edf.Input()
    y.value = np.array(labels)
    edf.LogLoss(edf.Softmax(p), y)
    with pytest.raises(ValueError, match=r"one per example, shape \(2,\)"):
        edf.Forward()


def test_logloss_labels_must_be_integers():
    p, y = data_input(np.full((2, 3), 1 / 3)), edf.Input()
    y.value = np.array([0.0, 1.0])
    edf.LogLoss(p, y)
    with pytest.raises(ValueError, match="integers"):
        edf.Forward()


def test_backward_on_a_node_not_in_the_graph():
    x = data_input(np.ones((2, 2)))
    old = edf.Square(x)
    edf.Forward()
    edf.clear_compgraph()
    with pytest.raises(ValueError, match="not a node of the current graph"):
        edf.Backward(old)


def test_forward_with_an_unset_input():
    edf.Square(edf.Input())
    with pytest.raises(ValueError, match="x.value"):
        edf.Forward()


APPEND, CUT, CLEAR = "append", "cut", "clear"
list_steps = st.lists(
    st.one_of(
        st.tuples(st.just(APPEND), st.integers(0, 30)),  # append node k (new the first time)
        st.tuples(st.just(CUT), st.integers(0, 30)),  # del CompNodes[k:], as gradients() does
        st.tuples(st.just(CLEAR), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(list_steps)
def test_compnodes_keeps_each_node_once_at_its_latest_append(steps):
    """Whatever the order of appends, repeats, cuts and clears, CompNodes equals the plain model: a list
    where appending a node first removes it from wherever it is."""
    nodes = [edf.Constant(np.zeros(1)) for _ in range(31)]  # each made node appends itself once
    edf.clear_compgraph()
    model = []
    for kind, k in steps:
        if kind == APPEND:
            model = [n for n in model if n is not nodes[k]] + [nodes[k]]
            edf.CompNodes.append(nodes[k])
        elif kind == CUT:
            del model[k:], edf.CompNodes[k:]
        else:
            model = []
            edf.clear_compgraph()
        assert [id(n) for n in edf.CompNodes] == [id(n) for n in model]
