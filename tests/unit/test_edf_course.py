"""Course code against edf: ops written the way the course's slides and later problem sets write them.

Every op here is a `CompNode` subclass whose `__init__` appends itself to `edf.CompNodes` (no
`super().__init__()`), whose `forward` sets `self.value` and whose `backward` sends gradients with
`x.addgrad(delta)` or writes `x.grad` in place. Each is checked with `edf.gradient_check` in float64.
Then one regression test per hazard of issue #10 (numbered as there).
"""

import numpy as np
from helpers.edf_graphs import data_input, fresh_graph  # noqa: F401 (fresh_graph: an autouse fixture)
from hypothesis import given, settings
from hypothesis import strategies as st

import edf

TOL = 1e-6


def labels(values):
    y = edf.Input()
    y.value = np.array(values)
    return y


# ---------------------------------------------------------------- ops in the course's style


class Tanh(edf.CompNode):
    """y = tanh(x), as the MLP problem set has students write it."""

    def __init__(self, x):
        edf.CompNodes.append(self)
        self.x = x

    def forward(self):
        self.value = np.tanh(self.x.value)

    def backward(self):
        self.x.addgrad(self.grad * (1 - self.value**2))


class ReLU(edf.CompNode):
    """y = max(x, 0), backward edits its own grad in place (the pattern behind hazard 4)."""

    def __init__(self, x):
        edf.CompNodes.append(self)
        self.x = x

    def forward(self):
        self.value = np.maximum(self.x.value, 0)

    def backward(self):
        self.grad[self.x.value <= 0] = 0
        self.x.grad += self.grad


class Sum(edf.CompNode):
    """z = x1 + x2 of two nodes: its backward passes its own grad to both inputs."""

    def __init__(self, x1, x2):
        edf.CompNodes.append(self)
        self.x1, self.x2 = x1, x2

    def forward(self):
        self.value = self.x1.value + self.x2.value

    def backward(self):
        self.x1.addgrad(self.grad)
        self.x2.addgrad(self.grad)


class Scale(edf.CompNode):
    """y = x * a with its own Parameter a of shape (d,): the op owns its parameter."""

    def __init__(self, x, d):
        edf.CompNodes.append(self)
        self.x = x
        self.a = edf.Parameter(np.random.uniform(0.5, 1.5, size=d))

    def forward(self):
        self.value = self.x.value * self.a.value

    def backward(self):
        self.x.addgrad(self.grad * self.a.value)
        self.a.addgrad(self.grad * self.x.value)  # (B, d): Parameter.addgrad sums over the batch


class LoopDot(edf.CompNode):
    """y[b, j] = sum_i x[b, i] w[i, j], backward written as the slides' loops of x.grad[b, i] += ..."""

    def __init__(self, x, w):
        edf.CompNodes.append(self)
        self.x, self.w = x, w

    def forward(self):
        self.value = self.x.value @ self.w.value

    def backward(self):
        B, n = self.x.value.shape
        for b in range(B):
            for i in range(n):
                self.x.grad[b, i] += self.grad[b] @ self.w.value[i]
                self.w.grad[i] += self.x.value[b, i] * self.grad[b]


class Reshape(edf.CompNode):
    """y = x reshaped to (B, *shape); the gradient is a view of self.grad."""

    def __init__(self, x, shape):
        edf.CompNodes.append(self)
        self.x, self.shape = x, shape

    def forward(self):
        self.value = self.x.value.reshape((len(self.x.value), *self.shape))

    def backward(self):
        self.x.addgrad(self.grad.reshape(self.x.value.shape))


class ConvParams(edf.ParameterPackage):
    def __init__(self, k, c_in, c_out):
        X = edf.Xavier(k * k * c_in)
        self.w = edf.Parameter(np.random.uniform(-X, X, (k, k, c_in, c_out)))
        self.b = edf.Parameter(np.zeros(c_out))


class Conv(edf.CompNode):
    """A valid 2-D convolution of x (B, H, W, C_in) with w (k, k, C_in, C_out), plus b, as in the CNN set."""

    def __init__(self, Phi, x):
        edf.CompNodes.append(self)
        self.x, self.Phi = x, Phi

    def forward(self):
        x, w = self.x.value, self.Phi.w.value
        k = w.shape[0]
        B, H, W, _ = x.shape
        self.value = np.zeros((B, H - k + 1, W - k + 1, w.shape[3]))
        for i in range(k):
            for j in range(k):
                self.value += np.einsum("bhwc,cd->bhwd", x[:, i : i + H - k + 1, j : j + W - k + 1], w[i, j])
        self.value += self.Phi.b.value

    def backward(self):
        x, w, g = self.x.value, self.Phi.w.value, self.grad
        k, (_, Ho, Wo, _) = w.shape[0], g.shape
        for i in range(k):
            for j in range(k):
                patch = x[:, i : i + Ho, j : j + Wo]
                self.Phi.w.grad[i, j] += np.einsum("bhwc,bhwd->cd", patch, g)
                self.x.grad[:, i : i + Ho, j : j + Wo] += np.einsum("bhwd,cd->bhwc", g, w[i, j])
        self.Phi.b.addgrad(g.sum(axis=(1, 2)))  # per example: (B, C_out), summed over the batch


class LayerNorm(edf.CompNode):
    """y = gamma * (x - mean) / sqrt(var + eps) + beta over the last axis, as in the Transformer set."""

    def __init__(self, x, d, eps=1e-5):
        edf.CompNodes.append(self)
        self.x, self.eps = x, eps
        self.gamma = edf.Parameter(np.random.uniform(0.5, 1.5, size=d))
        self.beta = edf.Parameter(np.random.uniform(-0.5, 0.5, size=d))

    def forward(self):
        x = self.x.value
        self.xhat = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        self.value = self.gamma.value * self.xhat + self.beta.value

    def backward(self):
        x, xhat, g = self.x.value, self.xhat, self.grad
        self.gamma.addgrad(g * xhat)
        self.beta.addgrad(g)
        dxhat = g * self.gamma.value
        std = np.sqrt(x.var(axis=-1, keepdims=True) + self.eps)
        dx = dxhat - dxhat.mean(axis=-1, keepdims=True) - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True)
        self.x.addgrad(dx / std)


class BatchMatMul(edf.CompNode):
    """Z[b] = A[b] B[b] for batches of matrices (attention scores in the Transformer set)."""

    def __init__(self, a, b):
        edf.CompNodes.append(self)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value @ self.b.value

    def backward(self):
        self.a.addgrad(self.grad @ np.swapaxes(self.b.value, -1, -2))
        self.b.addgrad(np.swapaxes(self.a.value, -1, -2) @ self.grad)


class SquaredNorm(edf.CompNode):
    """loss_b = sum of c * x_b^2 over all axes but the first: one number per example."""

    def __init__(self, x, c):
        edf.CompNodes.append(self)
        self.x, self.c = x, np.asarray(c, dtype=np.float64)

    def forward(self):
        self.value = (self.c * self.x.value**2).reshape(len(self.x.value), -1).sum(axis=1)

    def backward(self):
        g = self.grad.reshape((-1,) + (1,) * (self.x.value.ndim - 1))
        self.x.addgrad(g * 2 * self.c * self.x.value)


def weights(rng, shape):
    return rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)


# ---------------------------------------------------------------- each op checked


def test_one_input_op():
    rng = np.random.default_rng(0)
    x = data_input(rng.normal(size=(4, 3)))
    loss = SquaredNorm(Tanh(x), weights(rng, 3))
    assert edf.gradient_check(loss, [x]) < TOL


def test_two_input_op_sum_of_two_nodes():
    rng = np.random.default_rng(1)
    a, b = data_input(rng.normal(size=(4, 3))), data_input(rng.normal(size=(4, 3)))
    loss = SquaredNorm(Sum(Tanh(a), b), weights(rng, 3))
    assert edf.gradient_check(loss, [a, b]) < TOL


def test_op_owning_its_parameter_with_per_example_gradient():
    np.random.seed(2)
    x = data_input(np.random.normal(size=(5, 3)))
    op = Scale(x, 3)
    loss = SquaredNorm(op, weights(np.random.default_rng(2), 3))
    assert any(op.a is p for p in edf.Parameters)
    assert edf.gradient_check(loss) < TOL  # the Parameters: op.a
    edf.Backward(loss)
    assert op.a.grad.shape == (3,)


def test_loop_backward_writing_x_grad_in_place():
    rng = np.random.default_rng(3)
    x, w = data_input(rng.normal(size=(3, 4))), edf.Parameter(rng.normal(size=(4, 2)))
    loss = SquaredNorm(LoopDot(x, w), weights(rng, 2))
    assert edf.gradient_check(loss, [x, w]) < TOL


def test_reshape_passing_a_view_of_its_grad():
    rng = np.random.default_rng(4)
    x = data_input(rng.normal(size=(3, 6)))
    loss = SquaredNorm(Tanh(Reshape(x, (2, 3))), weights(rng, (2, 3)))
    assert edf.gradient_check(loss, [x]) < TOL


def test_convolution_in_notebook_style():
    np.random.seed(5)
    x = data_input(np.random.normal(size=(2, 5, 5, 2)))
    loss = SquaredNorm(Tanh(Conv(ConvParams(3, 2, 3), x)), weights(np.random.default_rng(5), (3, 3, 3)))
    assert edf.gradient_check(loss, [x, *edf.Parameters], eps=1e-5) < TOL


def test_layernorm_in_notebook_style():
    np.random.seed(6)
    x = data_input(np.random.normal(size=(3, 2, 5)))
    loss = SquaredNorm(LayerNorm(x, 5), weights(np.random.default_rng(6), (2, 5)))
    assert edf.gradient_check(loss, [x, *edf.Parameters], eps=1e-5) < TOL


def test_batched_matmul_feeding_softmax_and_logloss():
    rng = np.random.default_rng(7)
    a, b = data_input(rng.normal(size=(4, 2, 3))), data_input(rng.normal(size=(4, 3, 5)))
    p = edf.Softmax(Reshape(BatchMatMul(a, b), (10,)))
    loss = edf.LogLoss(p, labels(rng.integers(0, 10, size=4)))
    assert edf.gradient_check(loss, [a, b]) < TOL


# ---------------------------------------------------------------- hazards of issue #10


def test_1_xavier_is_the_course_scale():
    assert edf.Xavier(12) == np.sqrt(3.0 / 12)
    np.random.seed(0)
    Phi = edf.AffineParams(300, 200)
    X = edf.Xavier(300)
    assert np.abs(Phi.w.value).max() <= X
    assert abs(Phi.w.value.var() - 1.0 / 300) < 0.05 / 300  # uniform in [-X, X]: variance X^2 / 3
    np.testing.assert_array_equal(Phi.b.value, np.zeros(200))


def test_2_np_random_seed_makes_affine_params_repeatable():
    np.random.seed(1234)
    first = edf.AffineParams(5, 4).w.value.copy()
    np.random.seed(1234)
    again = edf.AffineParams(5, 4).w.value
    np.testing.assert_array_equal(first, again)
    np.random.seed(1234)  # the course's original drew exactly this
    np.testing.assert_array_equal(first, np.random.uniform(-edf.Xavier(5), edf.Xavier(5), (5, 4)))
    rng_draw = edf.AffineParams(5, 4, rng=np.random.default_rng(3)).w.value  # rng= still works
    np.testing.assert_array_equal(rng_draw, edf.AffineParams(5, 4, rng=np.random.default_rng(3)).w.value)


def two_layer_run(seed, steps=20):
    """A course-style training run: seed the global generator, build, train; returns the loss curve."""
    np.random.seed(seed)
    edf.clear_compgraph()
    X, Y = np.random.normal(size=(40, 6)), np.random.randint(0, 3, size=40)
    x, y = edf.Input(), edf.Input()
    h = Tanh(edf.Affine(edf.AffineParams(6, 8), x))
    loss = edf.LogLoss(edf.Softmax(edf.Affine(edf.AffineParams(8, 3), h)), y)
    curve = []
    for _ in range(steps):
        batch = np.random.choice(40, size=10, replace=False)
        x.value, y.value = X[batch], Y[batch]
        edf.Forward()
        edf.Backward(loss)
        edf.SGD()
        curve.append(float(loss.value.mean()))
    return curve, [p.value.copy() for p in edf.Parameters]


def test_2_training_is_identical_for_two_runs_after_np_random_seed():
    edf.learning_rate = 0.5
    curve1, params1 = two_layer_run(1234)
    curve2, params2 = two_layer_run(1234)
    assert curve1 == curve2
    for a, b in zip(params1, params2):
        np.testing.assert_array_equal(a, b)
    curve3, _ = two_layer_run(4321)
    assert curve3 != curve1
    assert curve1[-1] < curve1[0]  # it does train


def test_3_every_grad_is_an_array_after_backward():
    rng = np.random.default_rng(8)
    x, y = data_input(rng.normal(size=(4, 3)), requires_grad=False), labels(rng.integers(0, 2, size=4))
    p = edf.Softmax(edf.Affine(edf.AffineParams(3, 2), x))
    loss = edf.LogLoss(p, y)
    unused = edf.Parameter(np.ones((2, 2)))  # built but not used by the loss
    dangling = Tanh(x)  # computed but not on the path to the loss
    edf.Forward()
    edf.Backward(loss)
    for node in [*edf.CompNodes, *edf.Parameters]:
        assert isinstance(node.grad, np.ndarray), type(node).__name__
        assert node.grad.shape == np.shape(node.value), type(node).__name__
    for node in (unused, dangling, x):
        np.testing.assert_array_equal(node.grad, 0)
    onehot = np.eye(2)[y.value]
    np.testing.assert_allclose(p.grad, -onehot / (4 * p.value))  # probnode.grad: the true gradient
    for q in edf.Parameters:  # a student's own momentum loop over every Parameter
        q.velocity = 0.9 * getattr(q, "velocity", 0) - 0.1 * q.grad
        q.value += q.velocity


def test_3_x_grad_plus_equals_and_the_courses_logloss():
    class CourseLogLoss(edf.CompNode):
        """The course's original LogLoss: backward writes into p.grad in place."""

        def __init__(self, p, y):
            edf.CompNodes.append(self)
            self.p, self.y = p, y

        def forward(self):
            rows = np.arange(len(self.y.value))
            self.value = -np.log(self.p.value[rows, self.y.value])

        def backward(self):
            rows = np.arange(len(self.y.value))
            self.p.grad[rows, self.y.value] -= self.grad / self.p.value[rows, self.y.value]

    rng = np.random.default_rng(9)
    s, y = data_input(rng.normal(size=(5, 4))), labels(rng.integers(0, 4, size=5))
    loss = CourseLogLoss(edf.Softmax(ReLU(Tanh(s))), y)
    assert edf.gradient_check(loss, [s]) < TOL


def test_4_in_place_edit_of_a_grad_does_not_leak_into_another_node():
    """Sum passes its own grad to both inputs; ReLU then zeroes entries of its own grad in place."""
    rng = np.random.default_rng(10)
    a = data_input(rng.choice([-1.0, 1.0], size=(4, 5)) * rng.uniform(0.2, 1.0, size=(4, 5)))
    b = data_input(rng.normal(size=(4, 5)))
    r = ReLU(a)
    z = Sum(r, Tanh(b))
    loss = SquaredNorm(z, weights(rng, 5))
    assert edf.gradient_check(loss, [a, b]) < TOL
    edf.Backward(loss)
    grads = [n.grad for n in [*edf.CompNodes, *edf.Parameters]]
    for i, g in enumerate(grads):
        for h in grads[i + 1 :]:
            assert not np.shares_memory(g, h)


def test_5_super_init_and_append_lists_once_and_trains():
    class Both(edf.CompNode):
        def __init__(self, x):
            super().__init__()
            edf.CompNodes.append(self)
            self.x = x
            self.w = edf.Parameter(np.ones(3))

        def forward(self):
            self.value = self.x.value * self.w.value

        def backward(self):
            self.x.addgrad(self.grad * self.w.value)
            self.w.addgrad(self.grad * self.x.value)

    rng = np.random.default_rng(11)
    x = data_input(rng.normal(size=(4, 3)), requires_grad=False)
    op = Both(x)
    loss = SquaredNorm(op, weights(rng, 3))
    assert sum(n is op for n in edf.CompNodes) == 1
    assert edf.gradient_check(loss) < TOL
    before = op.w.value.copy()
    edf.SGD()
    assert not np.allclose(op.w.value, before)


def test_5_super_init_called_after_building_an_inner_node_keeps_topological_order():
    class Outer(edf.CompNode):
        def __init__(self, x):
            edf.CompNodes.append(self)
            self.x = x
            self.inner = Tanh(x)
            super().__init__(self.inner)

        def forward(self):
            self.value = 2 * self.inner.value

        def backward(self):
            self.inner.addgrad(2 * self.grad)

    rng = np.random.default_rng(12)
    x = data_input(rng.normal(size=(3, 2)))
    op = Outer(x)
    loss = SquaredNorm(op, weights(rng, 2))
    assert sum(n is op for n in edf.CompNodes) == 1
    assert edf.CompNodes.index(op) > edf.CompNodes.index(op.inner)
    assert edf.gradient_check(loss, [x]) < TOL


class PerEntry(edf.CompNode):
    """y = c * x^2 elementwise, kept at any shape: a loss whose value is not one number per example."""

    def __init__(self, x, c):
        edf.CompNodes.append(self)
        self.x, self.c = x, c

    def forward(self):
        self.value = self.c * self.x.value**2

    def backward(self):
        self.x.addgrad(self.grad * 2 * self.c * self.x.value)


@settings(max_examples=25, deadline=None)
@given(
    shape=st.sampled_from(["(B,)", "(1,N)", "(B,K)", "(B,K,M)", "()"]),
    B=st.integers(1, 4),
    N=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_6_checker_differentiates_what_backward_differentiates(shape, B, N, seed):
    edf.clear_compgraph()
    rng = np.random.default_rng(seed)
    size = {"(B,)": (B,), "(1,N)": (1, N), "(B,K)": (B, N), "(B,K,M)": (B, N, 2), "()": ()}[shape]
    x = data_input(rng.choice([-1.0, 1.0], size=size) * rng.uniform(0.5, 1.5, size=size))
    loss = PerEntry(x, weights(rng, size))
    assert edf.gradient_check(loss, [x]) < TOL
    batch = size[0] if size else 1
    np.testing.assert_allclose(x.grad, 2 * loss.c * x.value / batch, rtol=1e-12)  # d(sum(loss) / B)/dx


def test_6_checker_still_reports_a_wrong_backward():
    class Wrong(PerEntry):
        def backward(self):
            self.x.addgrad(self.grad * self.c * self.x.value)  # half the true gradient

    rng = np.random.default_rng(13)
    x = data_input(rng.uniform(0.5, 1.5, size=(1, 4)))
    assert edf.gradient_check(Wrong(x, 1.0), [x]) > 0.1


class Dot(edf.CompNode):
    """loss_b = x_b . w for a Parameter w the op is given."""

    def __init__(self, x, w):
        edf.CompNodes.append(self)
        self.x, self.w = x, w

    def forward(self):
        self.value = self.x.value @ self.w.value

    def backward(self):
        self.w.addgrad(self.grad[:, None] * self.x.value)


def test_7_learning_rate_default_and_in_place_sgd():
    assert edf.learning_rate == 0.001  # the course's value; the README says why
    w = edf.Parameter(np.array([1.0, 2.0]))
    loss = Dot(data_input([[3.0, 4.0]], requires_grad=False), w)
    edf.Forward()
    edf.Backward(loss)
    value = w.value
    edf.SGD()
    assert w.value is value  # updated in place: references to p.value stay valid
    np.testing.assert_allclose(w.value, [1.0 - 0.001 * 3.0, 2.0 - 0.001 * 4.0])


# ---------------------------------------------------------------- the rest of what course code uses


def test_parameter_package_holding_a_list_of_packages():
    class Layers(edf.ParameterPackage):
        def __init__(self, sizes):
            self.layers = [edf.AffineParams(m, n) for m, n in zip(sizes[:-1], sizes[1:])]

    np.random.seed(14)
    net = Layers([3, 4, 2])
    x = data_input(np.random.normal(size=(5, 3)), requires_grad=False)
    h = x
    for Phi in net.layers:
        h = Tanh(edf.Affine(Phi, h))
    loss = edf.LogLoss(edf.Softmax(h), labels(np.random.randint(0, 2, size=5)))
    assert len(edf.Parameters) == 4
    assert edf.gradient_check(loss) < TOL
    assert {id(p) for p in net.parameters()} == {id(p) for p in edf.Parameters}


def test_input_of_any_shape_for_ops_that_are_not_affine():
    rng = np.random.default_rng(15)
    x = data_input(rng.normal(size=(2, 3, 4, 5)))
    loss = SquaredNorm(Tanh(x), weights(rng, (3, 4, 5)))
    assert edf.gradient_check(loss, [x]) < TOL
    assert x.grad.shape == (2, 3, 4, 5)
