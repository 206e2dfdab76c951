"""EDF, the Educational Framework: a computation graph with forward and backward passes, in numpy.

Build a graph by creating nodes; each node appends itself to `CompNodes` (so the list is already in
topological order). `Forward()` computes every `value`; `Backward(loss)` fills every `grad` with the
gradient of the batch-averaged loss; `SGD()` takes one step on every `Parameter`.

Conventions
- The first axis of every Input and op value is the batch axis (size B). Parameters have no batch axis:
  when a gradient arrives with one, `Parameter.addgrad` sums over it.
- After Backward, `x.grad` of every node is its own array of the shape of `x.value`, holding
  d(mean loss)/d(x.value): zeros where no gradient flows, so `self.x.grad += delta` in a backward works.
- dtype policy: every float value in the graph has dtype `DT` (float64 by default, so gradient checks
  are exact enough). Set `edf.DT = np.float32` *before* building a model to train in single precision;
  float inputs are cast to `DT` in Forward, integer inputs (class labels) are left alone.

The file reads top to bottom: the graph, the ops, running and checking it; then, in one section at the
end, what second derivatives need (each op's backward written in EDF ops).
"""

import numpy as np

DT = np.float64
learning_rate = 0.001  # the course's default; PS1 sets its own (edf.learning_rate = LEARNING_RATE)
Parameters = []  # every Parameter that SGD() updates


class _NodeList(list):
    """CompNodes: a list in which a node appended twice keeps only its later place (after its inputs)."""

    def append(self, node):
        if getattr(node, "_listed", False):  # course code appends itself; super().__init__() does too
            for i in range(len(self) - 1, -1, -1):  # a mark only says "maybe": search from the end
                if self[i] is node:
                    del self[i]
                    break
        node._listed = True  # a node never marked is not listed, so a new node is appended in O(1)
        super().append(node)


CompNodes = _NodeList()  # every op and Input of the current graph, in creation (= topological) order


def clear_compgraph():
    """Forget the current graph. The lists are emptied in place so that references stay valid."""
    CompNodes.clear()
    Parameters.clear()


def _register_parameter(p):
    # A Parameter made before clear_compgraph() rejoins the list when a new op uses it, so it is trained.
    if isinstance(p, Parameter) and not any(p is q for q in Parameters):
        Parameters.append(p)


class CompNode:
    """A node of the graph: forward() sets self.value, backward() calls x.addgrad(delta) per input."""

    requires_grad = True  # course code that skips __init__ still gets gradients
    inputs = ()
    _grad = None
    held = None  # a share of grad that a later op has already sent on (see LogLoss of a Softmax)

    def __init__(self, *inputs):
        self.inputs = inputs
        for x in inputs:
            _register_parameter(x)
        if inputs:  # a subclass calling super().__init__() without inputs may still need gradients
            self.requires_grad = any(getattr(x, "requires_grad", True) for x in inputs)
        CompNodes.append(self)

    @property
    def grad(self):
        """d(mean loss)/d(value): made as zeros on first use, this node's own array."""
        if self._grad is None:
            value = np.asarray(self.value)
            self._grad = np.zeros(value.shape, value.dtype if value.dtype.kind == "f" else DT)
        return self._grad

    @grad.setter
    def grad(self, g):
        self._grad = g

    def addgrad(self, delta, copy=True):
        """self.grad += delta. With copy=False the node may keep delta itself as its first gradient:
        only for a new array that nothing else holds (never self.grad, a view of it, or a value)."""
        if not self.requires_grad:
            return
        if self._grad is None and not copy:
            self._grad = delta
        else:  # delta may be another node's array: add it into one of our own
            self.grad += delta

    def forward(self):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def backward(self):
        raise NotImplementedError(f"{type(self).__name__} must define backward()")


class Input(CompNode):
    """Data fed to the graph: set `x.value` before Forward(). Its grad is computed only on request."""

    def __init__(self, requires_grad=False):
        super().__init__()
        self.requires_grad = requires_grad
        self.value = None

    def forward(self):
        if self.value is None:
            raise ValueError("Input has no value: assign x.value = <array> before calling Forward()")
        value = np.asarray(self.value)
        self.value = value if value.dtype.kind in "iu" else value.astype(DT, copy=False)  # labels stay int

    def backward(self):
        pass


class Parameter(CompNode):
    """A trainable array without batch axis; SGD() moves it against its gradient."""

    def __init__(self, value):
        self.value = np.array(value, dtype=DT)
        Parameters.append(self)

    def addgrad(self, delta, copy=True):
        extra = delta.ndim - self.value.ndim
        if extra > 0:  # the gradient of a batch: sum over the example axes (a new array)
            delta, copy = delta.sum(axis=tuple(range(extra))), False
        if self._grad is None and not copy:
            self._grad = delta
        else:
            self.grad += delta

    def forward(self):
        pass

    def backward(self):
        pass

    def SGD(self):
        if self._grad is not None:  # a parameter the loss does not use stays where it is
            self.value -= learning_rate * self._grad


class ParameterPackage:
    """A named group of Parameters used together by one op (e.g. the weights and bias of Affine)."""

    def parameters(self):
        """Its Parameters, also those of the packages (or lists of packages) that it holds."""
        found = []
        for v in vars(self).values():
            for item in v if isinstance(v, list | tuple) else [v]:
                found += [item] if isinstance(item, Parameter) else []
                found += item.parameters() if isinstance(item, ParameterPackage) else []
        return found


def Xavier(nInputs):
    """The course's initial scale X: weights uniform in [-X, X] have variance 1 / nInputs."""
    return np.sqrt(3.0 / nInputs)


class AffineParams(ParameterPackage):
    """W of shape (nInputs, nOutputs), uniform in [-Xavier(nInputs), Xavier(nInputs)], and b = 0.

    W is drawn from numpy's global generator, so np.random.seed(...) makes a run repeatable, or from
    rng (a np.random.Generator) when one is given."""

    def __init__(self, nInputs, nOutputs, rng=None):
        X = Xavier(nInputs)
        draw = np.random.uniform if rng is None else rng.uniform
        self.w = Parameter(draw(-X, X, size=(nInputs, nOutputs)))
        self.b = Parameter(np.zeros(nOutputs))


# ---------------------------------------------------------------- ops on whole arrays
# Each backward sends a new array (copy=False: no copy needed) unless it passes on self.grad itself.


class Affine(CompNode):
    """y = x W + b, with x of shape (B, nIn), W (nIn, nOut), b (nOut,)."""

    def __init__(self, Phi, x):
        super().__init__(x, Phi.w, Phi.b)
        self.x, self.Phi = x, Phi

    def forward(self):
        x, w = self.x.value, self.Phi.w.value
        if x.ndim != 2 or x.shape[1] != w.shape[0]:
            raise ValueError(
                f"Affine: input of shape {x.shape} does not fit weights of shape {w.shape}; "
                f"expected (batch, {w.shape[0]})"
            )
        self.value = x @ w
        self.value += self.Phi.b.value

    def backward(self):
        # Matrix products only: never a (B, nIn, nOut) array of per-example outer products.
        g = self.grad
        self.Phi.w.addgrad(self.x.value.T @ g, copy=False)
        self.Phi.b.addgrad(g.sum(axis=0), copy=False)
        if self.x.requires_grad:
            self.x.addgrad(g @ self.Phi.w.value.T, copy=False)


class Sigmoid(CompNode):
    """y = 1 / (1 + exp(-x)); dy/dx = y (1 - y)."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        # 1 / (1 + e^-x) = exp(-log(1 + e^-x)): no overflow, no clamping (so backward agrees with
        # forward), and accurate to the last digit even where y is tiny (x = -40 gives 4.2e-18).
        self.value = np.exp(-np.logaddexp(0.0, -self.x.value))

    def backward(self):
        self.x.addgrad(self.grad * self.value * (1.0 - self.value), copy=False)


class Tanh(CompNode):
    """y = tanh(x); dy/dx = 1 - y^2."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = np.tanh(self.x.value)

    def backward(self):
        self.x.addgrad(self.grad * (1.0 - self.value**2), copy=False)


class Relu(CompNode):
    """y = max(x, 0); dy/dx = [x > 0]."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = np.maximum(self.x.value, 0)

    def backward(self):
        self.x.addgrad(self.grad * (self.x.value > 0), copy=False)


class Softmax(CompNode):
    """p_i = exp(s_i) / sum_j exp(s_j) over the last axis; s.grad += p * (g - (g . p)) for g = p.grad."""

    def __init__(self, s):
        super().__init__(s)
        self.s = s

    def forward(self):
        # Shifting by the max changes nothing mathematically and keeps exp from overflowing.
        self.shifted = self.s.value - self.s.value.max(axis=-1, keepdims=True)
        self.value = np.exp(self.shifted)
        z = self.value.sum(axis=-1, keepdims=True)  # z >= 1: the largest term is exp(0)
        self.logz = np.log(z[..., 0])  # log p = shifted - logz, exact even where p underflows to 0
        self.value /= z

    def backward(self):
        p, g = self.value, self.grad
        self.s.addgrad(p * (g - (g * p).sum(axis=-1, keepdims=True)))


class LogLoss(CompNode):
    """loss_b = -log p[b, y_b]: one value per example, shape (B,), for probabilities p (B, K).

    p.grad gets -g_b / p[b, y_b] at each label (g = loss.grad). When p is a Softmax, its logits s get
    (p - onehot(y)) g straight from here, exact even where p_y underflows to 0; p.grad still gets the
    true gradient, but only after Softmax.backward, which passes on just what other nodes send to p."""

    def __init__(self, p, y):
        super().__init__(p, y)
        self.p, self.y = p, y

    def forward(self):
        p, y = self.p.value, np.asarray(self.y.value)
        try:  # ravel_multi_index rejects float labels and labels outside 0..K-1, negative ones included
            if y.shape != p.shape[:1]:
                raise ValueError
            # Where each p[b, y_b] sits in p.ravel(): indexing with it is much cheaper than p[arange(B), y].
            self.at_label = np.ravel_multi_index((np.arange(len(y)), y), p.shape)
        except (ValueError, TypeError):
            values = f"values {y.min()}..{y.max()}" if y.size else "no values"
            raise ValueError(
                f"LogLoss: labels must be integers in 0..{p.shape[1] - 1}, one per example, shape "
                f"{p.shape[:1]}; got {y.dtype} of shape {y.shape}, {values}"
            ) from None
        if isinstance(self.p, Softmax):  # its log-probabilities: exact even where p_y underflows to 0
            self.value = self.p.logz - self.p.shifted.take(self.at_label)
        else:
            self.value = -np.log(p.take(self.at_label))

    def backward(self):
        p, g = self.p.value, self._grad
        delta = np.zeros(p.shape, dtype=p.dtype)  # C order: ravel() is a view
        # p_y is 0 only where it underflowed: then -g / tiny, a finite stand-in for -inf.
        delta.ravel()[self.at_label] = -g / np.maximum(p.take(self.at_label), np.finfo(p.dtype).tiny)
        if not isinstance(self.p, Softmax):
            self.p.addgrad(delta, copy=False)
            return
        # d(-log p_y)/ds = p - onehot(y) (Problem 2's Jacobian applied to -onehot/p_y): no division by
        # p_y, and two passes over (B, K) cheaper than going through p.
        to_s = np.multiply(p, g[:, None], order="C")
        to_s.ravel()[self.at_label] -= g
        self.p.s.addgrad(to_s, copy=False)
        self.p.held = delta if self.p.held is None else self.p.held + delta


# ---------------------------------------------------------------- elementwise ops (Problem 1)


class Add(CompNode):
    """z = a + b."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value + self.b.value

    def backward(self):
        self.a.addgrad(self.grad)
        self.b.addgrad(self.grad)


class Mul(CompNode):
    """z = a * b (elementwise)."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value * self.b.value

    def backward(self):
        self.a.addgrad(self.grad * self.b.value, copy=False)
        self.b.addgrad(self.grad * self.a.value, copy=False)


class Square(CompNode):
    """y = x^2; dy/dx = 2x."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = self.x.value**2

    def backward(self):
        self.x.addgrad(self.grad * 2.0 * self.x.value, copy=False)


class Sin(CompNode):
    """y = sin(x); dy/dx = cos(x)."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = np.sin(self.x.value)

    def backward(self):
        self.x.addgrad(self.grad * np.cos(self.x.value), copy=False)


class Exp(CompNode):
    """y = exp(x); dy/dx = y."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = np.exp(self.x.value)

    def backward(self):
        self.x.addgrad(self.grad * self.value, copy=False)


# ---------------------------------------------------------------- running the graph


def Forward():
    """Compute the value of every node, in creation order."""
    for node in CompNodes:
        node.forward()


def _batch(value):
    """B: the loss is averaged over the first axis only (the batch); a scalar loss counts as one."""
    value = np.asarray(value)
    return value.shape[0] if value.ndim else 1


def Backward(loss):
    """Fill x.grad = d(mean of loss over the batch)/dx for every node; zeros where loss does not depend."""
    if loss not in CompNodes:  # (nodes compare by identity)
        raise ValueError(
            "Backward(loss): loss is not a node of the current graph (was it built before "
            "clear_compgraph(), or never created as an op?)"
        )
    for node in CompNodes + Parameters:  # every grad is made anew: one kept from the last step stays valid
        node._grad = node.held = None
    seed = np.empty(loss.value.shape, dtype=DT)
    seed.fill(1.0 / _batch(loss.value))
    loss._grad = seed
    for node in reversed(CompNodes):
        if node._grad is not None:  # a node that received nothing would only pass on zeros
            node.backward()
        if node.held is not None:  # sent past this node already (LogLoss of a Softmax): part of its grad
            node.addgrad(node.held, copy=False)


def SGD():
    """One step of stochastic gradient descent on every Parameter: p -= learning_rate * p.grad."""
    for p in Parameters:
        p.SGD()


# ---------------------------------------------------------------- checking gradients


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), elementwise: the relative error of two arrays."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def numerical_gradient(loss, node, eps=1e-6):
    """Central differences of what Backward differentiates, sum(loss) / B, in every entry of node.value."""
    grad = np.zeros(node.value.shape, dtype=np.float64)
    for i in np.ndindex(node.value.shape):
        saved = node.value[i]
        node.value[i] = saved + eps
        Forward()
        up = float(np.sum(loss.value)) / _batch(loss.value)
        node.value[i] = saved - eps
        Forward()
        down = float(np.sum(loss.value)) / _batch(loss.value)
        node.value[i] = saved
        grad[i] = (up - down) / (2 * eps)
    Forward()
    return grad


def gradient_check(loss, nodes=None, eps=1e-6):
    """Largest relative error between Backward's gradients and central differences, over `nodes`
    (default: every Parameter). Use float64 (the default DT): below 1e-6 means the backward is right."""
    nodes = list(Parameters) if nodes is None else list(nodes)
    Forward()
    Backward(loss)
    analytic = [np.array(n.grad) for n in nodes]
    return max(rel_error(a, numerical_gradient(loss, n, eps)) for a, n in zip(analytic, nodes))


# ================================================================ second derivatives (double backprop)
# Optional: nothing above needs this section. Each op's vjp(g) writes its backward in EDF ops: given a
# node g holding the op's gradient, it returns one node per input (or None) holding that input's share.
# Built this way, a gradient is itself a graph, and differentiating it again gives exact second
# derivatives (Problem 1's eq. 28, cross terms and all).

# ---------------------------------------------------------------- ops that gradients are built from


class Constant(Input):
    """y = c, a fixed array: no inputs, no gradient."""

    def __init__(self, value):
        super().__init__()
        self.value = np.asarray(value, dtype=DT)


def scaled(x, a, c=0.0):
    """a x + c for numbers a, c, as EDF ops (so that it can be differentiated again)."""
    return Add(Mul(x, Constant(a)), Constant(c))


class MatMul(CompNode):
    """Z = A B for matrices; A.grad += Z.grad B^T, B.grad += A^T Z.grad."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self.a, self.b = a, b

    def forward(self):
        self.value = self.a.value @ self.b.value

    def backward(self):
        self.a.addgrad(self.grad @ self.b.value.T, copy=False)
        self.b.addgrad(self.a.value.T @ self.grad, copy=False)


class Transpose(CompNode):
    """Y = X^T for a matrix X."""

    def __init__(self, x):
        super().__init__(x)
        self.x = x

    def forward(self):
        self.value = self.x.value.T

    def backward(self):
        self.x.addgrad(self.grad.T)


class Sum(CompNode):
    """y = sum of x over one axis (which disappears); x.grad += y.grad copied along that axis."""

    def __init__(self, x, axis):
        super().__init__(x)
        self.x, self.axis = x, axis

    def forward(self):
        self.value = self.x.value.sum(axis=self.axis)

    def backward(self):
        self.x.addgrad(np.expand_dims(self.grad, self.axis))  # broadcast along the summed axis


class Expand(CompNode):
    """y = x copied n times along a new axis (the adjoint of Sum); x.grad += y.grad summed over it."""

    def __init__(self, x, axis, n):
        super().__init__(x)
        self.x, self.axis, self.n = x, axis, n

    def forward(self):
        self.value = np.repeat(np.expand_dims(self.x.value, self.axis), self.n, axis=self.axis)

    def backward(self):
        self.x.addgrad(self.grad.sum(axis=self.axis), copy=False)


# ---------------------------------------------------------------- each op's backward, in EDF ops

Affine.vjp = lambda self, g: (MatMul(g, Transpose(self.Phi.w)), MatMul(Transpose(self.x), g), g)
Sigmoid.vjp = lambda self, g: (Mul(g, Mul(self, scaled(self, -1.0, 1.0))),)
Tanh.vjp = lambda self, g: (Mul(g, scaled(Square(self), -1.0, 1.0)),)
Relu.vjp = lambda self, g: (Mul(g, Constant(self.x.value > 0)),)  # the step [x > 0] has derivative 0
Add.vjp = lambda self, g: (g, g)
Mul.vjp = lambda self, g: (Mul(g, self.b), Mul(g, self.a))
Square.vjp = lambda self, g: (Mul(g, scaled(self.x, 2.0)),)
Sin.vjp = lambda self, g: (Mul(g, Sin(scaled(self.x, 1.0, np.pi / 2))),)  # cos x = sin(x + pi/2)
Exp.vjp = lambda self, g: (Mul(g, self),)
MatMul.vjp = lambda self, g: (MatMul(g, Transpose(self.b)), MatMul(Transpose(self.a), g))
Transpose.vjp = lambda self, g: (Transpose(g),)
Sum.vjp = lambda self, g: (Expand(g, self.axis, self.x.value.shape[self.axis]),)
Expand.vjp = lambda self, g: (Sum(g, self.axis),)


def _softmax_vjp(self, g):
    gp = Expand(Sum(Mul(g, self), -1), -1, self.value.shape[-1])
    return (Mul(self, Add(g, scaled(gp, -1.0))),)


def _logloss_vjp(self, g):
    # p.grad = -g onehot(y) / p_y, with 1 / p_y = exp(loss): the loss node itself, not a division.
    K = self.p.value.shape[-1]
    return Mul(Expand(Mul(g, Exp(self)), -1, K), Constant(-np.eye(K)[self.y.value])), None


Softmax.vjp, LogLoss.vjp = _softmax_vjp, _logloss_vjp

# ---------------------------------------------------------------- gradients as graphs


def _eagerly(make, *args):
    """make(*args), with every node it creates evaluated at once, in creation order."""
    start = len(CompNodes)
    result = make(*args)
    for node in CompNodes[start:]:
        node.forward()
    return result


def gradients(out, wrt, seed=None):
    """Nodes holding d(mean of out over the batch)/dw for each w in wrt, as Backward, but made of ops."""
    # Being a graph, each result can be differentiated again. With out a list of nodes and seed a list of
    # arrays of their shapes, the results hold d(sum_i seed_i . out_i)/dw. They are evaluated at once,
    # from the current values, and kept out of CompNodes: Forward and Backward never see them.
    outs = list(out) if isinstance(out, list | tuple) else [out]
    if seed is None:
        seed = [np.full(np.shape(o.value), 1.0 / _batch(o.value)) for o in outs]
    order, seen, needed = [], set(), {id(w) for w in wrt}  # needed: the nodes that some w flows into

    def visit(node):  # depth first: a node is listed after everything it depends on
        if id(node) not in seen:
            seen.add(id(node))
            for x in node.inputs:
                visit(x)
                if id(x) in needed:
                    needed.add(id(node))
            order.append(node)

    for o in outs:
        visit(o)
    start = len(CompNodes)
    try:
        grads = {}
        for o, s in zip(outs, seed):  # the same node may come twice (Add's vjp gives g to both inputs)
            grads[id(o)] = Constant(s + grads[id(o)].value if id(o) in grads else s)
        for node in reversed(order):
            if id(node) not in needed or id(node) not in grads or not node.inputs:
                continue
            for x, c in zip(node.inputs, _eagerly(node.vjp, grads[id(node)])):
                if c is None or id(x) not in needed:
                    continue
                while c.value.ndim > np.ndim(x.value):  # a batch of contributions to a parameter
                    c = _eagerly(Sum, c, 0)
                grads[id(x)] = _eagerly(Add, grads[id(x)], c) if id(x) in grads else c
        return [grads[id(w)] if id(w) in grads else Constant(np.zeros_like(w.value)) for w in wrt]
    finally:
        del CompNodes[start:]


def hessian_vector_product(loss, params, vectors):
    """[H v]_i, i over params: H the Hessian of mean_b loss_b in all params, v = vectors (one per param).
    Exact, not finite differences: H v = d/dw (v . grad(w)), by differentiating the backward pass."""
    Forward()
    grads = gradients(loss, params)
    return [h.value for h in gradients(grads, params, seed=[np.asarray(v, dtype=DT) for v in vectors])]
