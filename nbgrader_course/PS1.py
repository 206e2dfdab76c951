# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false}
# # Problem Set 1: backpropagation in EDF
#
# This problem set is about EDF, the *Educational Framework*: a computation-graph library of a few
# hundred lines of numpy in the file `edf.py` next to this notebook. Keep it open while you work:
# every answer here is about what its `Forward`, `Backward` and ops actually do.
#
# **How this notebook works**
#
# * Cells that say `# YOUR CODE HERE` or `YOUR ANSWER HERE` are yours; every other cell is read-only.
#   Do not delete, copy or reorder cells: the grader finds your answers by the cells' ids.
# * Code answers are graded automatically. The test cell under each answer shows some of the checks;
#   the grader runs more of them, at other inputs and with other functions, so write general code, not
#   code that reproduces the values you can see.
# * Written answers (Markdown cells, LaTeX welcome: `$\frac{\partial \ell}{\partial x}$`) are graded by hand.
# * Before you submit, run *Kernel → Restart & Run All* and check that every test cell passes.
#
# | Part | Kind | Points |
# |---|---|---|
# | 1a: backprop computes $d\ell/dx$ | written | 10 |
# | 1a: gradient in EDF and by the chain rule | code | 10 |
# | 1b: naive second-order backprop | written | 10 |
# | 1b: naive sweep vs. true second derivative | code | 5 + 10 |
# | 2: the softmax backward pass | written | 15 |
# | 2: the softmax Jacobian | code | 15 |
# | 3: an MLP on handwritten digits | code | 25 |
# | **Total** | | **100** |

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import matplotlib.pyplot as plt
import numpy as np

import edf

np.set_printoptions(precision=5, suppress=True)

# %% [markdown] nbgrader={"grade": false, "grade_id": "edf_intro", "locked": true, "schema_version": 3, "solution": false}
# ## 0. EDF in five minutes
#
# A model in EDF is a graph whose nodes are Python objects with a `value` and a `grad`.
#
# * `edf.Input()` holds data: assign `x.value` before running the graph. Inputs get no gradient unless
#   made with `edf.Input(requires_grad=True)`.
# * `edf.Parameter(v)` holds something to learn; `edf.SGD()` moves every parameter against its gradient.
# * Ops such as `edf.Add(a, b)`, `edf.Mul(a, b)`, `edf.Square(x)`, `edf.Sin(x)`, `edf.Exp(x)`,
#   `edf.Relu(x)`, `edf.Affine(params, x)`, `edf.Softmax(s)` and `edf.LogLoss(p, labels)` are nodes too.
#   Creating a node appends it to the list `edf.CompNodes`, so that list is always in an order where
#   each node comes after its inputs.
# * `edf.Forward()` calls every node's `forward()` in list order, filling in the values.
# * `edf.Backward(loss)` clears all gradients, sets `loss.grad` to $1/B$ per example (the loss is averaged
#   over a batch of size $B$) and then calls `backward()` on the nodes in *reverse* list order. A node's
#   `backward()` never overwrites its inputs' gradients: it calls `inp.addgrad(delta)`, which **adds**
#   `delta` to `inp.grad`. Problem 1 is about why that addition is exactly right.
# * `edf.clear_compgraph()` starts an empty graph. `edf.rel_error(a, b)` measures how far apart two
#   arrays are, and `edf.gradient_check(loss)` compares `Backward` with finite differences.
#
# The next cell builds $\ell = (w a + b)^2$ for one data value $a$ and checks the gradient.

# %% nbgrader={"grade": false, "grade_id": "edf_demo", "locked": true, "schema_version": 3, "solution": false}
edf.clear_compgraph()
a = edf.Input()
w = edf.Parameter(1.5)
b = edf.Parameter(-0.5)
l_demo = edf.Square(edf.Add(edf.Mul(w, a), b))

a.value = np.array([2.0])  # a batch holding one example
edf.Forward()
edf.Backward(l_demo)
print("loss:", l_demo.value, "  dl/dw:", w.grad, "  dl/db:", b.grad)
print("by hand, dl/dw = 2 (w a + b) a =", 2 * (1.5 * 2.0 - 0.5) * 2.0)
print("largest relative error against finite differences:", edf.gradient_check(l_demo))

# %% [markdown] nbgrader={"grade": false, "grade_id": "p1_intro", "locked": true, "schema_version": 3, "solution": false}
# ## Problem 1: two paths from $x$ to the loss
#
# Take a scalar input $x$ and compute
#
# $$y = g(x), \qquad z = h(x), \qquad u = f(y, z), \qquad \ell = u,$$
#
# that is, $\ell = f(g(x), h(x))$. The input reaches the loss along two routes, one through $y$ and
# one through $z$. We write `x.grad` for what EDF stores at node $x$ after `Backward`, and
# $f_y, f_z, f_{yy}, f_{zz}, f_{yz}$ for the partial derivatives of $f$, evaluated at $(y, z) = (g(x), h(x))$.
# The picture shows the graph with the local derivative on each edge.

# %% nbgrader={"grade": false, "grade_id": "p1_graph", "locked": true, "schema_version": 3, "solution": false}
from matplotlib.patches import FancyBboxPatch


def draw_problem1_graph() -> None:
    """Draw the graph x -> y = g(x), z = h(x) -> u = f(y, z) -> l with boxes and arrows."""
    nodes = {
        "x": (0.0, 0.0, "$x$"),
        "y": (2.4, 1.0, "$y = g(x)$"),
        "z": (2.4, -1.0, "$z = h(x)$"),
        "u": (4.8, 0.0, "$u = f(y, z)$"),
        "l": (7.0, 0.0, "$\\ell = u$"),
    }
    edges = [
        ("x", "y", "$g'(x)$"),
        ("x", "z", "$h'(x)$"),
        ("y", "u", "$f_y$"),
        ("z", "u", "$f_z$"),
        ("u", "l", "$1$"),
    ]
    half_w, half_h = 0.75, 0.3
    fig, ax = plt.subplots(figsize=(9, 3.4))
    for cx, cy, label in nodes.values():
        box = FancyBboxPatch(
            (cx - half_w, cy - half_h),
            2 * half_w,
            2 * half_h,
            boxstyle="round,pad=0.05",
            facecolor="#e8f0fe",
            edgecolor="#1a4f9c",
        )
        ax.add_patch(box)
        ax.text(cx, cy, label, ha="center", va="center", fontsize=12)
    for start, end, label in edges:
        (x0, y0, _), (x1, y1, _) = nodes[start], nodes[end]
        ax.annotate(
            "",
            xy=(x1 - half_w - 0.05, y1),
            xytext=(x0 + half_w + 0.05, y0),
            arrowprops={"arrowstyle": "-|>", "lw": 1.5, "color": "#444444"},
        )
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.22, label, ha="center", fontsize=11, color="#b3261e")
    ax.set_xlim(-1.0, 8.0)
    ax.set_ylim(-1.6, 1.6)
    ax.axis("off")
    ax.set_title("Forward: values flow left to right. Backward: gradients flow back and add up at x")
    plt.show()


draw_problem1_graph()


# %% [markdown] nbgrader={"grade": false, "grade_id": "p1a_question", "locked": true, "schema_version": 3, "solution": false}
# ### Problem 1a (written, 10 points)
#
# Show that after `edf.Backward(u)` the gradient stored at the input is the true derivative,
# `x.grad` $= d\ell/dx$. Go through the order in which `Backward` visits the nodes and say what each
# `backward()` adds to which `grad`. Explain why it matters that `addgrad` adds instead of assigning.

# %% [markdown] nbgrader={"grade": true, "grade_id": "p1a_written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# **Solution.** The nodes are created in the order $x, y, z, u$ (and $\ell$ is $u$ itself), so
# `Backward(u)` clears every gradient, sets `u.grad` $= 1 = \partial\ell/\partial u$ and then visits
# $u$, $z$, $y$, $x$ in that order.
#
# 1. Visiting $u$: its backward adds `u.grad` $\cdot f_y = f_y$ to `y.grad` and `u.grad` $\cdot f_z = f_z$
#    to `z.grad`. Node $u$ is the only consumer of $y$ and of $z$, so nothing else will ever add to
#    those two gradients: they are now final, `y.grad` $= f_y = \partial\ell/\partial y$ and `z.grad`
#    $= f_z = \partial\ell/\partial z$.
# 2. Visiting $z$: its backward adds `z.grad` $\cdot h'(x) = f_z\, h'(x)$ to `x.grad`.
# 3. Visiting $y$: its backward adds `y.grad` $\cdot g'(x) = f_y\, g'(x)$ to `x.grad`.
# 4. $x$ is a leaf and passes nothing on.
#
# Hence `x.grad` $= f_y\, g'(x) + f_z\, h'(x)$, which is the multivariable chain rule for
# $\frac{d}{dx} f(g(x), h(x))$: one product of local derivatives per path from $x$ to $\ell$, summed.
#
# The reverse creation order guarantees that a node is visited only after every node that uses it,
# so its gradient is complete before it is passed on. The accumulation matters because $x$ has two
# consumers: each path delivers one term, and only adding them gives the sum. If `backward()`
# assigned instead, the path visited last would overwrite the other one and `x.grad` would be
# $f_y\, g'(x)$ alone.

# %% [markdown] nbgrader={"grade": false, "grade_id": "p1a_setup", "locked": true, "schema_version": 3, "solution": false}
# ### Problem 1a (code, 10 points)
#
# For the code we fix concrete functions in which both paths contribute:
#
# $$g(x) = \sin x, \qquad h(x) = x^2, \qquad f(y, z) = y z + y^2,
# \qquad\text{so}\qquad \ell(x) = x^2 \sin x + \sin^2 x .$$
#
# Write two functions, each returning a Python `float`:
#
# * `edf_gradient(x0)`: build this graph **with EDF ops** (start with `edf.clear_compgraph()`; make $x$ an
#   `edf.Parameter(x0)` or an `edf.Input(requires_grad=True)` with a value; $g$ and $h$ are `edf.Sin`
#   and `edf.Square`, and $f$ is built from `edf.Mul`, `edf.Square`, `edf.Add`), run `edf.Forward()` and
#   `edf.Backward(u)`, and return `x.grad`.
# * `chain_rule_gradient(x0)`: the two-path formula from 1a, $f_y\, g'(x) + f_z\, h'(x)$, written out
#   by hand with numpy (no EDF).
#
# The cell below gives $\ell$ as a plain function and a central-difference helper to check against.

# %% nbgrader={"grade": false, "grade_id": "p1a_given", "locked": true, "schema_version": 3, "solution": false}
def ell(x):
    """The loss of Problem 1 as a plain numpy function: f(g(x), h(x)) = sin(x) x^2 + sin(x)^2."""
    return np.sin(x) * x**2 + np.sin(x) ** 2


def central_difference(fun, x0, eps=1e-5):
    """(fun(x0 + eps) - fun(x0 - eps)) / (2 eps): a numerical derivative of fun at x0."""
    return (fun(x0 + eps) - fun(x0 - eps)) / (2 * eps)


# %% nbgrader={"grade": false, "grade_id": "p1a_code", "locked": false, "schema_version": 3, "solution": true}
def edf_gradient(x0: float) -> float:
    """Build l = f(g(x), h(x)) with EDF ops at x = x0, run Forward and Backward, return x.grad."""
    ### BEGIN SOLUTION
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    y = edf.Sin(x)
    z = edf.Square(x)
    u = edf.Add(edf.Mul(y, z), edf.Square(y))
    edf.Forward()
    edf.Backward(u)
    return float(x.grad)
    ### END SOLUTION


def chain_rule_gradient(x0: float) -> float:
    """dl/dx at x = x0 from the two-path chain rule, computed with numpy only."""
    ### BEGIN SOLUTION
    y, z = np.sin(x0), x0**2
    f_y, f_z = z + 2 * y, y
    g_prime, h_prime = np.cos(x0), 2 * x0
    return float(f_y * g_prime + f_z * h_prime)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "p1a_check", "locked": true, "schema_version": 3, "solution": false}
for x0 in [0.5, 1.3, -2.0]:
    backprop, by_hand, numeric = edf_gradient(x0), chain_rule_gradient(x0), central_difference(ell, x0)
    print(
        f"x = {x0:5.2f}:  EDF x.grad = {backprop: .8f}   chain rule = {by_hand: .8f}   "
        f"central differences = {numeric: .8f}   rel_error = {edf.rel_error(backprop, numeric):.1e}"
    )

# %% nbgrader={"grade": true, "grade_id": "p1a_tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
# Self-check for Problem 1a (the grader also runs hidden tests at other points).
for x0 in [0.5, 1.3]:
    numeric = central_difference(ell, x0)
    assert isinstance(edf_gradient(x0), float), "edf_gradient must return a float"
    assert edf.rel_error(edf_gradient(x0), numeric) < 1e-6, "EDF's x.grad disagrees with finite differences"
    assert edf.rel_error(chain_rule_gradient(x0), numeric) < 1e-6, "the chain rule disagrees with numbers"
print("Problem 1a: visible checks passed")
### BEGIN HIDDEN TESTS
_points = [-2.7, -0.3, 0.9, 2.2, 4.0]


def _ell_prime(t):
    return 2 * t * np.sin(t) + t**2 * np.cos(t) + 2 * np.sin(t) * np.cos(t)


for _x0 in _points:
    assert edf.rel_error(edf_gradient(_x0), _ell_prime(_x0)) < 1e-8
    assert edf.rel_error(chain_rule_gradient(_x0), _ell_prime(_x0)) < 1e-8
edf.clear_compgraph()
edf_gradient(1.1)
_kinds = {type(node).__name__ for node in edf.CompNodes}
assert {"Sin", "Square"} <= _kinds, "edf_gradient must build the graph from EDF ops"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "p1b_question", "locked": true, "schema_version": 3, "solution": false}
# ### Problem 1b (written, 10 points)
#
# Could the same backward sweep give second derivatives? Write `v.grad'` for the quantity a node $v$
# would receive in a *naive* second-order sweep: seed `u.grad'` $= 1$ and, wherever the first-order sweep
# multiplies by a first derivative, multiply by the corresponding second derivative instead
# ($f_{yy}$ from $u$ to $y$, $f_{zz}$ from $u$ to $z$, $g''$ from $y$ to $x$, $h''$ from $z$ to $x$),
# still adding up contributions at $x$.
#
# 1. Write down the value of `x.grad'` this produces.
# 2. Derive the true $d^2\ell/dx^2$ by differentiating your answer to 1a once more.
# 3. Say which terms the naive sweep misses and why, and give a simple example in which the two differ.

# %% [markdown] nbgrader={"grade": true, "grade_id": "p1b_written", "locked": false, "points": 10, "schema_version": 3, "solution": true}
# **Solution.**
#
# 1. The naive sweep gives `y.grad'` $= f_{yy}$, `z.grad'` $= f_{zz}$ and then
#    `x.grad'` $= f_{yy}\, g''(x) + f_{zz}\, h''(x)$.
# 2. From 1a, $\ell'(x) = f_y(g(x), h(x))\, g'(x) + f_z(g(x), h(x))\, h'(x)$. Differentiate each product.
#    The factor $f_y(g(x), h(x))$ depends on $x$ through both of its arguments, so by the chain rule
#    $\frac{d}{dx} f_y = f_{yy} g' + f_{yz} h'$, and likewise $\frac{d}{dx} f_z = f_{zy} g' + f_{zz} h'$.
#    With the product rule,
#    $$\ell'' = (f_{yy} g' + f_{yz} h') g' + f_y g'' + (f_{zy} g' + f_{zz} h') h' + f_z h''
#    = f_{yy} g'^2 + f_y g'' + f_{zz} h'^2 + f_z h'' + 2 f_{yz} g' h',$$
#    using $f_{yz} = f_{zy}$ for a twice continuously differentiable $f$.
# 3. The naive sweep misses three kinds of terms. (i) The second derivative of a composition is not
#    the product of second derivatives: along one path the correct factors are $f_{yy} g'^2 + f_y g''$,
#    a square of first derivatives plus a first derivative times a second one. (ii) The terms
#    $f_y g''$ and $f_z h''$ need the *first* derivatives of the outer function, which a sweep that only
#    carries second derivatives never sees. (iii) The cross term $2 f_{yz} g' h'$ couples the two paths:
#    second derivatives do not split into a sum over paths the way first derivatives do.
#    Example: $f(y, z) = y$, $g(x) = x^2$ (any $h$). Then $\ell = x^2$ and $\ell'' = 2$, but the naive sweep
#    gives $f_{yy} g'' = 0 \cdot 2 = 0$. For the functions of 1a the naive value is $-2\sin x$ while the
#    true one is $2\cos^2 x - (x^2 + 2\sin x)\sin x + 2\sin x + 4x\cos x$.

# %% [markdown] nbgrader={"grade": false, "grade_id": "p1b_setup", "locked": true, "schema_version": 3, "solution": false}
# ### Problem 1b (code, 5 + 10 points)
#
# To compute with general $g$, $h$ and $f$ we pass each function together with its derivatives. The next
# cell defines two small containers and the functions of 1a in that form. All callables work
# elementwise on numpy arrays.
#
# Write, for $\ell = f(g(x), h(x))$ and any such `g`, `h`, `f`:
#
# * `gradient(x0, g, h, f)`: $d\ell/dx$ (your 1a formula, now for any functions);
# * `naive_second_derivative(x0, g, h, f)`: the value `x.grad'` of the naive sweep (5 points);
# * `true_second_derivative(x0, g, h, f)`: the true $d^2\ell/dx^2$ (10 points, together with `gradient`).
#
# Each must accept a float or a numpy array `x0` and work elementwise (the plot passes a whole grid).

# %% nbgrader={"grade": false, "grade_id": "p1b_given", "locked": true, "schema_version": 3, "solution": false}
from collections.abc import Callable
from typing import NamedTuple


class Univariate(NamedTuple):
    """A function of one variable with its first and second derivatives."""

    f: Callable
    d1: Callable
    d2: Callable


class Bivariate(NamedTuple):
    """A function f(y, z) with its first and second partial derivatives (fyz = fzy)."""

    f: Callable
    fy: Callable
    fz: Callable
    fyy: Callable
    fzz: Callable
    fyz: Callable


G_SIN = Univariate(f=np.sin, d1=np.cos, d2=lambda x: -np.sin(x))
H_SQUARE = Univariate(f=lambda x: x**2, d1=lambda x: 2 * x, d2=lambda x: 2 + 0 * x)
F_PROBLEM1 = Bivariate(
    f=lambda y, z: y * z + y**2,
    fy=lambda y, z: z + 2 * y,
    fz=lambda y, z: y + 0 * z,
    fyy=lambda y, z: 2 + 0 * y,
    fzz=lambda y, z: 0 * y,
    fyz=lambda y, z: 1 + 0 * y,
)


def compose(x, g, h, f):
    """l(x) = f(g(x), h(x))."""
    return f.f(g.f(x), h.f(x))


# %% nbgrader={"grade": false, "grade_id": "p1b_code", "locked": false, "schema_version": 3, "solution": true}
def gradient(x0, g: Univariate, h: Univariate, f: Bivariate):
    """dl/dx of l = f(g(x), h(x)) at x0 (elementwise for arrays)."""
    ### BEGIN SOLUTION
    y, z = g.f(x0), h.f(x0)
    return f.fy(y, z) * g.d1(x0) + f.fz(y, z) * h.d1(x0)
    ### END SOLUTION


def naive_second_derivative(x0, g: Univariate, h: Univariate, f: Bivariate):
    """x.grad' of the naive second-order sweep described in Problem 1b, at x0."""
    ### BEGIN SOLUTION
    y, z = g.f(x0), h.f(x0)
    return f.fyy(y, z) * g.d2(x0) + f.fzz(y, z) * h.d2(x0)
    ### END SOLUTION


def true_second_derivative(x0, g: Univariate, h: Univariate, f: Bivariate):
    """The true d^2 l / dx^2 of l = f(g(x), h(x)) at x0."""
    ### BEGIN SOLUTION
    y, z = g.f(x0), h.f(x0)
    g1, g2, h1, h2 = g.d1(x0), g.d2(x0), h.d1(x0), h.d2(x0)
    return (
        f.fyy(y, z) * g1**2
        + f.fy(y, z) * g2
        + f.fzz(y, z) * h1**2
        + f.fz(y, z) * h2
        + 2 * f.fyz(y, z) * g1 * h1
    )
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "p1b_demo", "locked": true, "schema_version": 3, "solution": false}
problem1 = (G_SIN, H_SQUARE, F_PROBLEM1)
print("x      naive x.grad'   true d2l/dx2   central differences of EDF's x.grad")
for x0 in [0.5, 1.3, -2.0]:
    naive = naive_second_derivative(x0, *problem1)
    true = true_second_derivative(x0, *problem1)
    numeric = central_difference(edf_gradient, x0, eps=1e-5)
    print(f"{x0:5.2f}  {naive: 12.6f}  {true: 13.6f}  {numeric: 13.6f}")

grid = np.linspace(-3, 3, 301)
coarse = np.linspace(-3, 3, 25)
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(grid, naive_second_derivative(grid, *problem1), label="naive sweep  x.grad'")
ax.plot(grid, true_second_derivative(grid, *problem1), label="true  $d^2\\ell/dx^2$")
ax.plot(
    coarse,
    [central_difference(edf_gradient, t) for t in coarse],
    "o",
    label="central differences of EDF's x.grad",
)
ax.set_xlabel("x")
ax.set_title("$\\ell = x^2 \\sin x + \\sin^2 x$: the naive second-order sweep is wrong")
ax.legend()
plt.show()

# %% nbgrader={"grade": true, "grade_id": "p1b_naive_tests", "locked": true, "points": 5, "schema_version": 3, "solution": false}
# Self-check for the naive sweep (the grader also tests other points and other functions).
assert np.isclose(naive_second_derivative(0.5, G_SIN, H_SQUARE, F_PROBLEM1), -0.958851077208406)
_pair = np.array([0.5, 0.5])
assert np.allclose(naive_second_derivative(_pair, G_SIN, H_SQUARE, F_PROBLEM1), -0.958851077208406)
print("Problem 1b (naive sweep): visible checks passed")
### BEGIN HIDDEN TESTS
_G_EXP = Univariate(f=np.exp, d1=np.exp, d2=np.exp)
_H_COS = Univariate(f=np.cos, d1=lambda x: -np.sin(x), d2=lambda x: -np.cos(x))
_G_CUBE = Univariate(f=lambda x: x**3, d1=lambda x: 3 * x**2, d2=lambda x: 6 * x)
_H_SIN = Univariate(f=np.sin, d1=np.cos, d2=lambda x: -np.sin(x))
_F_A = Bivariate(
    f=lambda y, z: y**2 * z + np.sin(z),
    fy=lambda y, z: 2 * y * z,
    fz=lambda y, z: y**2 + np.cos(z),
    fyy=lambda y, z: 2 * z,
    fzz=lambda y, z: -np.sin(z),
    fyz=lambda y, z: 2 * y,
)
_F_B = Bivariate(
    f=lambda y, z: np.exp(y) * z + z**3,
    fy=lambda y, z: np.exp(y) * z,
    fz=lambda y, z: np.exp(y) + 3 * z**2,
    fyy=lambda y, z: np.exp(y) * z,
    fzz=lambda y, z: 6 * z,
    fyz=lambda y, z: np.exp(y),
)
_xs = np.array([-1.3, -0.4, 0.2, 0.7, 1.1])
for _g, _h, _f in [(_G_EXP, _H_COS, _F_A), (_G_CUBE, _H_SIN, _F_B), (G_SIN, H_SQUARE, F_PROBLEM1)]:
    _y, _z = _g.f(_xs), _h.f(_xs)
    _expected = _f.fyy(_y, _z) * _g.d2(_xs) + _f.fzz(_y, _z) * _h.d2(_xs)
    for _x0, _e in zip(_xs, _expected):
        assert np.isclose(naive_second_derivative(float(_x0), _g, _h, _f), _e, rtol=1e-9, atol=1e-12)
    assert np.allclose(naive_second_derivative(_xs, _g, _h, _f), _expected, rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "p1b_true_tests", "locked": true, "points": 10, "schema_version": 3, "solution": false}
# Self-check for the true second derivative (the grader also tests other points and other functions).
def _second_difference(fun, x0, eps=1e-4):
    return (fun(x0 + eps) - 2 * fun(x0) + fun(x0 - eps)) / eps**2


for x0 in [0.5, 1.3]:
    slope = central_difference(lambda t: gradient(t, G_SIN, H_SQUARE, F_PROBLEM1), x0)
    true = true_second_derivative(x0, G_SIN, H_SQUARE, F_PROBLEM1)
    assert edf.rel_error(gradient(x0, G_SIN, H_SQUARE, F_PROBLEM1), central_difference(ell, x0)) < 1e-6
    assert edf.rel_error(true, slope) < 1e-6, "the second derivative disagrees with the slope of the gradient"
    assert edf.rel_error(true, _second_difference(ell, x0)) < 1e-5
    assert edf.rel_error(true, naive_second_derivative(x0, G_SIN, H_SQUARE, F_PROBLEM1)) > 0.1
print("Problem 1b (true second derivative): visible checks passed")
### BEGIN HIDDEN TESTS
_G_EXP = Univariate(f=np.exp, d1=np.exp, d2=np.exp)
_H_COS = Univariate(f=np.cos, d1=lambda x: -np.sin(x), d2=lambda x: -np.cos(x))
_G_CUBE = Univariate(f=lambda x: x**3, d1=lambda x: 3 * x**2, d2=lambda x: 6 * x)
_H_SIN = Univariate(f=np.sin, d1=np.cos, d2=lambda x: -np.sin(x))
_F_A = Bivariate(
    f=lambda y, z: y**2 * z + np.sin(z),
    fy=lambda y, z: 2 * y * z,
    fz=lambda y, z: y**2 + np.cos(z),
    fyy=lambda y, z: 2 * z,
    fzz=lambda y, z: -np.sin(z),
    fyz=lambda y, z: 2 * y,
)
_F_B = Bivariate(
    f=lambda y, z: np.exp(y) * z + z**3,
    fy=lambda y, z: np.exp(y) * z,
    fz=lambda y, z: np.exp(y) + 3 * z**2,
    fyy=lambda y, z: np.exp(y) * z,
    fzz=lambda y, z: 6 * z,
    fyz=lambda y, z: np.exp(y),
)
_xs = np.array([-1.3, -0.4, 0.2, 0.7, 1.1])
for _g, _h, _f in [(_G_EXP, _H_COS, _F_A), (_G_CUBE, _H_SIN, _F_B), (G_SIN, H_SQUARE, F_PROBLEM1)]:
    _y, _z = _g.f(_xs), _h.f(_xs)
    _g1, _g2, _h1, _h2 = _g.d1(_xs), _g.d2(_xs), _h.d1(_xs), _h.d2(_xs)
    _first = _f.fy(_y, _z) * _g1 + _f.fz(_y, _z) * _h1
    _second = (
        _f.fyy(_y, _z) * _g1**2
        + _f.fy(_y, _z) * _g2
        + _f.fzz(_y, _z) * _h1**2
        + _f.fz(_y, _z) * _h2
        + 2 * _f.fyz(_y, _z) * _g1 * _h1
    )
    assert np.allclose(gradient(_xs, _g, _h, _f), _first, rtol=1e-9, atol=1e-12)
    assert np.allclose(true_second_derivative(_xs, _g, _h, _f), _second, rtol=1e-9, atol=1e-12)
    for _x0, _s in zip(_xs, _second):
        _t = float(_x0)
        assert np.isclose(true_second_derivative(_t, _g, _h, _f), _s, rtol=1e-9, atol=1e-12)
        _numeric = _second_difference(lambda t, g=_g, h=_h, f=_f: compose(t, g, h, f), _t)
        assert abs(_numeric - _s) < 1e-4 * max(1.0, abs(_s))
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "p1c_intro", "locked": true, "schema_version": 3, "solution": false}
# ### Optional, not graded: second derivatives done right, by differentiating the backward pass
#
# The naive sweep fails because it treats what flows backwards as a constant. In the real backward pass
# the quantity that reaches $x$ along the $y$ path is `y.grad` $\cdot\, g'(x)$, and **both** factors
# depend on $x$: `y.grad` $= f_y(g(x), h(x))$ changes with $x$ through $y$ *and* through $z$. Differentiating
# that product needs the product rule (which brings in $f_y g''$) and the chain rule through both
# arguments of $f_y$ (which brings in $f_{yy} g'^2$ and the cross term $f_{yz} g' h'$). A sweep that only
# passes second derivatives along edges cannot produce any of these terms.
#
# Frameworks get it right by recording the backward pass itself as a graph and running backpropagation
# on *that* graph ("double backprop"). EDF can do it too: every op has a method `vjp(g)` that writes its
# backward in EDF ops, and `edf.gradients(out, [x])` returns a node holding $d\,\text{out}/dx$ that is
# part of a graph, so it can be differentiated again. (`edf.hessian_vector_product` uses the same idea
# for models with many parameters.) The cell below computes $d^2\ell/dx^2$ that way and compares it with
# finite differences and, once you have written them, with your two functions from 1b.

# %% nbgrader={"grade": false, "grade_id": "p1c_code", "locked": true, "schema_version": 3, "solution": false}
def edf_first_and_second_derivative(x0):
    """dl/dx and d2l/dx2 at x0, both from EDF: the second by differentiating the recorded backward pass."""
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    y, z = edf.Sin(x), edf.Square(x)
    u = edf.Add(edf.Mul(y, z), edf.Square(y))
    edf.Forward()
    (dl_dx,) = edf.gradients(u, [x])  # the backward pass, built from EDF nodes
    (d2l_dx2,) = edf.gradients(dl_dx, [x])  # ... and differentiated once more
    return float(dl_dx.value), float(d2l_dx2.value)


def try_yours(function, x0):
    """Your 1b function at x0, or None while it is not written yet."""
    try:
        return float(function(x0, G_SIN, H_SQUARE, F_PROBLEM1))
    except NotImplementedError:
        return None


def show(value):
    return f"{value: 14.8f}" if value is not None else f"{'(not yet)':>14}"


print("    x   EDF double backprop   differences of dl/dx   your true_second_derivative   your naive sweep")
for x0 in [0.5, 1.3, -2.0]:
    _, exact = edf_first_and_second_derivative(x0)
    numeric = central_difference(lambda t: edf_first_and_second_derivative(t)[0], x0)
    yours_true = try_yours(true_second_derivative, x0)
    yours_naive = try_yours(naive_second_derivative, x0)
    print(f"{x0:5.2f}  {exact: 18.8f}  {numeric: 21.8f}  {show(yours_true):>28}  {show(yours_naive):>17}")

grid = np.linspace(-3, 3, 121)
fig, ax = plt.subplots(figsize=(8, 4))
ax.plot(grid, [edf_first_and_second_derivative(t)[1] for t in grid], lw=3, label="EDF, double backprop")
naive_curve = [try_yours(naive_second_derivative, t) for t in grid]
if None not in naive_curve:
    ax.plot(grid, naive_curve, "--", label="your naive sweep")
ax.set_xlabel("x")
ax.set_ylabel("$d^2\\ell/dx^2$")
ax.set_title("Differentiating the backward pass gives the true second derivative")
ax.legend()
plt.show()


# %% [markdown] nbgrader={"grade": false, "grade_id": "p2_question", "locked": true, "schema_version": 3, "solution": false}
# ## Problem 2 (written, 15 points): the softmax backward pass
#
# For one example, `edf.Softmax` maps logits $s \in \mathbb{R}^K$ to probabilities
# $p_i = e^{s_i} / \sum_j e^{s_j}$, and its `backward()` does
#
# ```python
# self.s.addgrad(p * (g - (g * p).sum(axis=-1, keepdims=True)))   # g = p.grad, one row per example
# ```
#
# Derive this line. Compute the Jacobian $J_{ij} = \partial p_i / \partial s_j$, explain why the
# gradient that must be added to `s.grad` is the row vector `p.grad` times $J$, simplify that product
# to the expression above, and explain why applying it row by row is right for a batch.

# %% [markdown] nbgrader={"grade": true, "grade_id": "p2_written", "locked": false, "points": 15, "schema_version": 3, "solution": true}
# **Solution.** Write $Z = \sum_k e^{s_k}$, so $p_i = e^{s_i}/Z$ and $\partial Z/\partial s_j = e^{s_j}$.
# By the quotient rule,
# $$J_{ij} = \frac{\partial p_i}{\partial s_j} = \frac{[i = j]\, e^{s_i}}{Z} - \frac{e^{s_i} e^{s_j}}{Z^2}
# = p_i\,[i = j] - p_i p_j, \qquad J = \operatorname{diag}(p) - p\,p^\top .$$
# $J$ is symmetric. The loss depends on $s_j$ only through $p$, so by the chain rule
# $\partial\ell/\partial s_j = \sum_i (\partial\ell/\partial p_i)\, J_{ij}$, i.e. `s.grad` receives the row
# vector $g = $ `p.grad` times $J$. Multiplying out,
# $$(g J)_j = g_j p_j - \Big(\sum_i g_i p_i\Big) p_j = p_j\,\big(g_j - g \cdot p\big),$$
# which is `p * (g - (g * p).sum())`: an elementwise product and one dot product, never the $K \times K$ matrix.
#
# For a batch, the probabilities of example $b$ depend only on the logits of example $b$, so the Jacobian
# of the whole batch is block diagonal with one block $\operatorname{diag}(p_b) - p_b p_b^\top$ per row;
# the product with `p.grad` therefore acts on each row separately, which is what the sum over `axis=-1`
# with `keepdims=True` does. The $1/B$ averaging of the loss is already inside `p.grad`. Finally, the
# forward pass subtracts $\max_i s_i$ before exponentiating; softmax is unchanged by adding a constant to
# all logits, so neither $p$ nor $J$ changes and the formula holds for arbitrarily large logits.

# %% [markdown] nbgrader={"grade": false, "grade_id": "p2_setup", "locked": true, "schema_version": 3, "solution": false}
# ### Problem 2 (code, 15 points)
#
# Write `softmax_jacobian(p)`: given the probability vector `p` of **one** example (shape `(K,)`), return
# the $K \times K$ Jacobian $J_{ij} = \partial p_i / \partial s_j$. The next cells compare it with
# EDF's `Softmax.backward` on a batch and with finite differences.

# %% nbgrader={"grade": false, "grade_id": "p2_given", "locked": true, "schema_version": 3, "solution": false}
def stable_softmax(s):
    """Softmax over the last axis, shifted by the max so that exp never overflows."""
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def numerical_softmax_jacobian(s, eps=1e-6):
    """Central differences of softmax at the logits s (K,): column j is dp/ds_j."""
    K = len(s)
    J = np.zeros((K, K))
    for j in range(K):
        step = np.zeros(K)
        step[j] = eps
        J[:, j] = (stable_softmax(s + step) - stable_softmax(s - step)) / (2 * eps)
    return J


def edf_softmax_vjp(logits, upstream):
    """Run EDF's Softmax forward on a batch of logits, set p.grad = upstream, call Softmax.backward."""
    edf.clear_compgraph()
    s = edf.Input(requires_grad=True)
    p = edf.Softmax(s)
    s.value = logits
    edf.Forward()
    s.grad, p.grad = None, upstream
    p.backward()
    return p.value, s.grad


# %% nbgrader={"grade": false, "grade_id": "p2_code", "locked": false, "schema_version": 3, "solution": true}
def softmax_jacobian(p: np.ndarray) -> np.ndarray:
    """The Jacobian d p_i / d s_j of softmax at one example, from its probabilities p of shape (K,)."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=float)
    return np.diag(p) - np.outer(p, p)
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "p2_check", "locked": true, "schema_version": 3, "solution": false}
rng_p2 = np.random.default_rng(2)
logits = 3 * rng_p2.normal(size=(5, 4))
upstream = rng_p2.normal(size=(5, 4))
probs, edf_grad = edf_softmax_vjp(logits, upstream)
ours = np.stack([upstream[b] @ softmax_jacobian(probs[b]) for b in range(len(probs))])
print("EDF Softmax.backward over the batch:\n", edf_grad)
print("row by row, p.grad @ softmax_jacobian(p):\n", ours)
print("rel_error:", edf.rel_error(ours, edf_grad))
J0, numeric_J0 = softmax_jacobian(probs[0]), numerical_softmax_jacobian(logits[0])
print("rel_error against finite differences (example 0):", edf.rel_error(J0, numeric_J0))

# %% nbgrader={"grade": true, "grade_id": "p2_tests", "locked": true, "points": 15, "schema_version": 3, "solution": false}
# Self-check for Problem 2 (the grader also tests other sizes and very large logits).
_J = softmax_jacobian(probs[0])
assert _J.shape == (4, 4), "softmax_jacobian must return a K x K matrix"
assert np.allclose(_J, _J.T), "the softmax Jacobian is symmetric"
assert edf.rel_error(_J, numerical_softmax_jacobian(logits[0])) < 1e-6
_ours = np.stack([upstream[b] @ softmax_jacobian(probs[b]) for b in range(len(probs))])
assert edf.rel_error(_ours, edf_grad) < 1e-10, "p.grad @ J must equal what Softmax.backward adds to s.grad"
print("Problem 2: visible checks passed")
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12345)
for _K, _scale in [(2, 1.0), (7, 5.0), (10, 1000.0), (3, 1000.0)]:
    _s = _scale * _rng.normal(size=(6, _K))
    _s[0, 0] = 1000.0  # one logit far above the rest: p is (almost) one-hot
    _g = _rng.normal(size=(6, _K))
    _p, _edf = edf_softmax_vjp(_s, _g)
    _rows = []
    for _b in range(len(_p)):
        _Jb = np.asarray(softmax_jacobian(_p[_b]))
        assert _Jb.shape == (_K, _K)
        assert np.all(np.isfinite(_Jb))
        assert np.allclose(_Jb, np.diag(_p[_b]) - np.outer(_p[_b], _p[_b]), atol=1e-12)
        assert np.allclose(_Jb.sum(axis=0), 0, atol=1e-12)
        _rows.append(_g[_b] @ _Jb)
    assert np.allclose(np.stack(_rows), _edf, rtol=1e-9, atol=1e-12)
    if _scale < 100:
        assert np.allclose(softmax_jacobian(_p[1]), numerical_softmax_jacobian(_s[1]), atol=1e-8)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "p3_intro", "locked": true, "schema_version": 3, "solution": false}
# ## Problem 3 (code, 25 points): an MLP on handwritten digits
#
# Now train a network with EDF. The data are 8×8 images of handwritten digits (1797 images, 10
# classes: the UCI set that scikit-learn bundles), in the file `digits.npz` next to this notebook. They
# were split once, with a fixed seed, into a training set (70%) and a test set (30%); the next cell
# loads both and scales the pixel values from 0..16 to 0..1. The test set is only ever used to
# *measure* the error: never train on it.
#
# Write, in the cell after it:
#
# * `build_mlp(n_in, n_hidden, n_out, rng)`: start a fresh graph (`edf.clear_compgraph()`) and build
#   `Input` → `Affine` → `Relu` → `Affine` → `Softmax` → `LogLoss` (use `edf.AffineParams(..., rng=rng)`),
#   returning the nodes `(x, labels, p, loss)`.
# * `train_epoch(x, labels, loss, X, y, batch_size, rng)`: one pass over `(X, y)` in a random order
#   (`rng.permutation`) in minibatches; for each batch set the inputs, then `Forward`, `Backward`, `SGD`.
#   Return the mean loss over the epoch.
# * `error_rate(x, labels, p, X, y)`: the fraction of examples whose most probable class is not the label.
#
# You may change the four settings at the top of the cell. Training must reach a test error below 8%;
# it takes a few seconds.

# %% nbgrader={"grade": false, "grade_id": "p3_data", "locked": true, "schema_version": 3, "solution": false}
with np.load("digits.npz") as digits:  # the file next to this notebook
    X_train, X_test = digits["train_images"] / 16.0, digits["test_images"] / 16.0
    y_train, y_test = digits["train_labels"], digits["test_labels"]
print(f"training set: {X_train.shape}, test set: {X_test.shape}, classes: {np.unique(y_train)}")

fig, axes = plt.subplots(1, 8, figsize=(8, 1.4))
for ax, image, label in zip(axes, X_train, y_train):
    ax.imshow(image.reshape(8, 8), cmap="gray_r")
    ax.set_title(str(label))
    ax.axis("off")
plt.show()

# %% nbgrader={"grade": false, "grade_id": "p3_code", "locked": false, "schema_version": 3, "solution": true}
N_HIDDEN = 64
LEARNING_RATE = 0.1
EPOCHS = 30
BATCH_SIZE = 32


def build_mlp(n_in: int, n_hidden: int, n_out: int, rng: np.random.Generator):
    """A fresh graph: one hidden ReLU layer, softmax outputs, log loss. Returns (x, labels, p, loss)."""
    ### BEGIN SOLUTION
    edf.clear_compgraph()
    x = edf.Input()
    labels = edf.Input()
    hidden = edf.Relu(edf.Affine(edf.AffineParams(n_in, n_hidden, rng=rng), x))
    p = edf.Softmax(edf.Affine(edf.AffineParams(n_hidden, n_out, rng=rng), hidden))
    loss = edf.LogLoss(p, labels)
    return x, labels, p, loss
    ### END SOLUTION


def train_epoch(x, labels, loss, X: np.ndarray, y: np.ndarray, batch_size: int, rng) -> float:
    """One epoch of minibatch SGD over (X, y) in a random order; returns the mean training loss."""
    ### BEGIN SOLUTION
    order = rng.permutation(len(X))
    total = 0.0
    for start in range(0, len(X), batch_size):
        batch = order[start : start + batch_size]
        x.value, labels.value = X[batch], y[batch]
        edf.Forward()
        edf.Backward(loss)
        edf.SGD()
        total += float(loss.value.sum())
    return total / len(X)
    ### END SOLUTION


def error_rate(x, labels, p, X: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the examples in (X, y) that the network misclassifies."""
    ### BEGIN SOLUTION
    x.value, labels.value = X, y
    edf.Forward()
    return float(np.mean(p.value.argmax(axis=1) != y))
    ### END SOLUTION


# %% nbgrader={"grade": false, "grade_id": "p3_train", "locked": true, "schema_version": 3, "solution": false}
rng = np.random.default_rng(0)
edf.learning_rate = LEARNING_RATE
history = {"loss": [], "train error": [], "test error": []}
x_in, labels_in, p_out, loss_out = build_mlp(X_train.shape[1], N_HIDDEN, 10, rng)
for epoch in range(EPOCHS):
    history["loss"].append(train_epoch(x_in, labels_in, loss_out, X_train, y_train, BATCH_SIZE, rng))
    history["train error"].append(error_rate(x_in, labels_in, p_out, X_train, y_train))
    history["test error"].append(error_rate(x_in, labels_in, p_out, X_test, y_test))
    if epoch % 5 == 4 or epoch == EPOCHS - 1:
        print(
            f"epoch {epoch + 1:3d}  loss {history['loss'][-1]:.4f}  "
            f"train error {history['train error'][-1]:.2%}  test error {history['test error'][-1]:.2%}"
        )

# %% nbgrader={"grade": false, "grade_id": "p3_plot", "locked": true, "schema_version": 3, "solution": false}
if history["loss"]:
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (ax_loss, ax_err) = plt.subplots(1, 2, figsize=(11, 3.8))
    ax_loss.plot(epochs, history["loss"])
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("mean training log loss")
    ax_err.plot(epochs, 100 * np.array(history["train error"]), label="training set")
    ax_err.plot(epochs, 100 * np.array(history["test error"]), label="test set (held out)")
    ax_err.set_xlabel("epoch")
    ax_err.set_ylabel("error (%)")
    ax_err.set_ylim(0, 20)
    ax_err.legend()
    plt.show()
else:
    print("Nothing to plot yet: write build_mlp, train_epoch and error_rate, then run the training cell.")

# %% nbgrader={"grade": true, "grade_id": "p3_tests", "locked": true, "points": 25, "schema_version": 3, "solution": false}
# Self-check for Problem 3 (the grader recomputes the test error itself).
if not history["test error"]:
    raise NotImplementedError("build_mlp, train_epoch and error_rate are not written yet")
print(f"final test error: {history['test error'][-1]:.2%}")
assert history["test error"][-1] < 0.08, "the test error should fall below 8%"
### BEGIN HIDDEN TESTS
with np.load("digits.npz") as _digits:
    _Xtr, _Xte = _digits["train_images"] / 16.0, _digits["test_images"] / 16.0
    _ytr, _yte = _digits["train_labels"], _digits["test_labels"]
assert np.array_equal(_Xte, X_test) and np.array_equal(_yte, y_test), "the test set must not change"
assert np.array_equal(_Xtr, X_train) and np.array_equal(_ytr, y_train), "the training set must not change"
x_in.value, labels_in.value = _Xte, _yte
edf.Forward()
_independent = float(np.mean(np.argmax(p_out.value, axis=1) != _yte))
assert _independent < 0.08
assert abs(error_rate(x_in, labels_in, p_out, _Xte, _yte) - _independent) < 1e-12
assert abs(history["test error"][-1] - _independent) < 1e-12
assert {"Affine", "Softmax", "LogLoss"} <= {type(node).__name__ for node in edf.CompNodes}
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "submit", "locked": true, "schema_version": 3, "solution": false}
# ## How to submit
#
# 1. Run *Kernel → Restart & Run All* and check that every cell ran and every test cell passed.
# 2. Save the notebook.
# 3. In a terminal, in the folder of this notebook, run
#    `python submit.py --name "Your Full Name"` (with your own name; from the course repository instead:
#    `python -m autograder submit --name "Your Full Name"`).
#    It makes a zip named `PS1_<FullName>.zip` holding this notebook and a PDF of it; hand in that zip.
