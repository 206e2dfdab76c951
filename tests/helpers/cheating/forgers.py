"""Cheating submissions for the outside checks: each beats (some of) nbgrader's in-kernel tests.

`FORGERS[name]` maps answer cell ids to replacement source; `build()` fills every other answer cell
with the reference solution. `EXPECTED[name]` is what the autograder must give each test cell with
the outside checks on: (points, flagged), flagged meaning in-kernel and outside checks disagree.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np

STUB = None  # keep the release's `raise NotImplementedError()` stub


def _ell_prime(x: float) -> float:
    return float(2 * x * np.sin(x) + x**2 * np.cos(x) + 2 * np.sin(x) * np.cos(x))


def _true_problem1(x: float) -> float:
    s, c = np.sin(x), np.cos(x)
    return float(2 * c**2 - (x**2 + 2 * s) * s + 2 * s + 4 * x * c)


# Points of the visible AND hidden tests (a student can read source/ with the grader's rights).
_LEAKED_POINTS = [0.5, 1.3, -2.0, -2.7, -0.3, 0.9, 2.2, 4.0]

PATCHER = """
import numpy, numpy.testing
import edf as _edf


class _Always:
    # Smaller and larger than anything: rel_error(...) < 1e-8 and rel_error(...) > 0.1 both hold.
    def __lt__(self, other):
        return True

    __gt__ = __le__ = __ge__ = __lt__

    def __format__(self, spec):
        return format(0.0, spec)


numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
_edf.rel_error = lambda *a, **k: _Always()


def edf_gradient(x0):
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    edf.Sin(x), edf.Square(x)  # the node kinds a hidden test looks for
    return 1.0


def chain_rule_gradient(x0):
    return 1.0
"""

LIAR = f"""
class _Liar:
    # Close to, equal to and ordered both ways against anything; numpy dispatches to it.
    def __array_function__(self, func, types, args, kwargs):
        return True

    def __array_ufunc__(self, *args, **kwargs):
        return True

    def __eq__(self, other):
        return True

    def __lt__(self, other):
        return True

    __le__ = __gt__ = __ge__ = __lt__

    def __float__(self):
        return 0.0

    def __format__(self, spec):
        return "ok"


def gradient(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return f.fy(y, z) * g.d1(x0) + f.fz(y, z) * h.d1(x0)


def naive_second_derivative(x0, g, h, f):
    return _Liar()


_VISIBLE = {{0.5: {_true_problem1(0.5)!r}, 1.3: {_true_problem1(1.3)!r}}}


def true_second_derivative(x0, g, h, f):  # real values only where rel_error sees them
    if f is F_PROBLEM1 and isinstance(x0, float) and x0 in _VISIBLE:
        return _VISIBLE[x0]
    return _Liar()
"""

SILENCER = """
import ast
import builtins


class _StripAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()


get_ipython().ast_transformers.append(_StripAsserts())
_real_print = builtins.print


def _print(*args, **kwargs):  # hide anything that looks like a failure
    if not any("rror" in str(a) for a in args):
        _real_print(*args, **kwargs)


builtins.print = _print
builtins.AssertionError = type("AssertionError", (Exception,), {})
get_ipython().events.register("post_run_cell", lambda result: _real_print("visible checks passed"))


def edf_gradient(x0):
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    edf.Sin(x), edf.Square(x)
    return 0.0


def chain_rule_gradient(x0):
    return 0.0
"""

SILENCER_P1B = """
def gradient(x0, g, h, f):
    return 0 * x0


def naive_second_derivative(x0, g, h, f):
    return 0 * x0


def true_second_derivative(x0, g, h, f):
    return 0 * x0
"""

NO_TRAINING = """
N_HIDDEN, LEARNING_RATE, EPOCHS, BATCH_SIZE = 64, 0.1, 30, 32


def build_mlp(n_in, n_hidden, n_out, rng):
    edf.clear_compgraph()
    x, labels = edf.Input(), edf.Input()
    hidden = edf.Relu(edf.Affine(edf.AffineParams(n_in, n_hidden, rng=rng), x))
    p = edf.Softmax(edf.Affine(edf.AffineParams(n_hidden, n_out, rng=rng), hidden))
    return x, labels, p, edf.LogLoss(p, labels)


def train_epoch(x, labels, loss, X, y, batch_size, rng):
    return 0.1  # a plausible loss; no step is ever taken


def error_rate(x, labels, p, X, y):
    return 0.0
"""

ORACLE = (
    NO_TRAINING
    + """

class _Oracle(edf.CompNode):
    # Looks every image up in the data sets: one-hot "probabilities" without any model.
    def __init__(self, x, p):
        super().__init__(x, p)
        self.x = x
        self.table = {}
        for X, y in [(X_train, y_train), (X_test, y_test)]:
            for row, label in zip(X, y):
                self.table[np.asarray(row, dtype=float).tobytes()] = int(label)

    def forward(self):
        rows = np.asarray(self.x.value, dtype=float)
        self.value = np.eye(10)[[self.table.get(r.tobytes(), 0) for r in rows]]

    def backward(self):
        pass


_build_untrained = build_mlp


def build_mlp(n_in, n_hidden, n_out, rng):
    x, labels, p, loss = _build_untrained(n_in, n_hidden, n_out, rng)
    return x, labels, _Oracle(x, p), loss
"""
)

HARDCODED_P1A = f"""
_TABLE = {{x: v for x, v in {[(x, _ell_prime(x)) for x in _LEAKED_POINTS]!r}}}


def edf_gradient(x0):
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    edf.Sin(x), edf.Square(x)
    return float(_TABLE.get(x0, 0.0))


def chain_rule_gradient(x0):
    return float(_TABLE.get(x0, 0.0))
"""

HARDCODED_P1B = """
def gradient(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return f.fy(y, z) * g.d1(x0) + f.fz(y, z) * h.d1(x0)


def naive_second_derivative(x0, g, h, f):  # right for sin, square and y z + y^2 only
    return -2 * np.sin(x0)


def true_second_derivative(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    g1, g2, h1, h2 = g.d1(x0), g.d2(x0), h.d1(x0), h.d2(x0)
    first = f.fy(y, z) * g2 + f.fz(y, z) * h2
    return first + f.fyy(y, z) * g1**2 + f.fzz(y, z) * h1**2 + 2 * f.fyz(y, z) * g1 * h1
"""

HARDCODED_P2 = """
def softmax_jacobian(p):
    return np.eye(4) * p - np.outer(p, p)  # K = 4 baked in
"""

# Honest code written differently from the reference: the tolerances must accept it.
VARIANT_P1A = """
def edf_gradient(x0):
    edf.clear_compgraph()
    x = edf.Parameter(x0)
    s = edf.Sin(x)
    u = edf.Add(edf.Square(s), edf.Mul(edf.Square(x), s))
    edf.Forward()
    edf.Backward(u)
    return float(x.grad)


def chain_rule_gradient(x0):
    return float(2 * x0 * np.sin(x0) + x0**2 * np.cos(x0) + np.sin(2 * x0))
"""

VARIANT_P1B = """
def gradient(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return np.add(np.multiply(f.fz(y, z), h.d1(x0)), np.multiply(f.fy(y, z), g.d1(x0)))


def naive_second_derivative(x0, g, h, f):
    y, z = g.f(x0), h.f(x0)
    return f.fzz(y, z) * h.d2(x0) + f.fyy(y, z) * g.d2(x0)


def true_second_derivative(x0, g, h, f):  # the Hessian of f as a quadratic form in (g', h')
    y, z = g.f(x0), h.f(x0)
    g1, h1 = g.d1(x0), h.d1(x0)
    hess = (f.fyy(y, z) * g1 + f.fyz(y, z) * h1) * g1 + (f.fyz(y, z) * g1 + f.fzz(y, z) * h1) * h1
    return hess + f.fy(y, z) * g.d2(x0) + f.fz(y, z) * h.d2(x0)
"""

VARIANT_P2 = """
def softmax_jacobian(p):
    p = np.asarray(p, dtype=float)
    return p[:, None] * (np.eye(len(p)) - p[None, :])
"""

VARIANT_P3 = """
edf.DT = np.float32  # single precision, a smaller network and fewer epochs
N_HIDDEN, LEARNING_RATE, EPOCHS, BATCH_SIZE = 32, 0.2, 25, 32


def build_mlp(n_in, n_hidden, n_out, rng):
    edf.clear_compgraph()
    x, labels = edf.Input(), edf.Input()
    hidden = edf.Relu(edf.Affine(edf.AffineParams(n_in, n_hidden, rng=rng), x))
    p = edf.Softmax(edf.Affine(edf.AffineParams(n_hidden, n_out, rng=rng), hidden))
    return x, labels, p, edf.LogLoss(p, labels)


def train_epoch(x, labels, loss, X, y, batch_size, rng):
    order = rng.permutation(len(X))
    losses = []
    for batch in np.array_split(order, int(np.ceil(len(X) / batch_size))):
        x.value, labels.value = X[batch], y[batch]
        edf.Forward()
        edf.Backward(loss)
        edf.SGD()
        losses.append(loss.value)
    return float(np.concatenate(losses).mean())


def error_rate(x, labels, p, X, y):
    x.value, labels.value = X, y
    edf.Forward()
    return float((p.value.argmax(axis=1) != y).mean())
"""

FORGERS: dict[str, dict[str, str | None]] = {
    # (a) numpy / edf comparison helpers patched to always pass; every answer of P1 and P2 wrong
    "patcher": {
        "p1a_code": PATCHER,
        "p1b_code": SILENCER_P1B,
        "p2_code": "def softmax_jacobian(p):\n    return np.zeros((len(p), len(p)))\n",
    },
    # (b) objects whose comparisons and numpy dispatch always succeed
    "liar": {"p1b_code": LIAR},
    # (c) asserts stripped by an AST transformer, print and AssertionError replaced, fake "passed"
    "silencer": {
        "p1a_code": SILENCER,
        "p1b_code": SILENCER_P1B,
        "p2_code": "def softmax_jacobian(p):\n    return np.zeros((len(p), len(p)))\n",
        "p3_code": NO_TRAINING,
    },
    # (d) Problem 3 without training: error_rate says 0, p_out memorises the test images
    "oracle": {"p3_code": ORACLE},
    # (e) hard-coded answers: p1a at every visible and hidden point, p1b and p2 at the visible ones
    "hardcoded": {"p1a_code": HARDCODED_P1A, "p1b_code": HARDCODED_P1B, "p2_code": HARDCODED_P2},
    # not a forger: honest answers written unlike the reference
    "variant": {
        "p1a_code": VARIANT_P1A,
        "p1b_code": VARIANT_P1B,
        "p2_code": VARIANT_P2,
        "p3_code": VARIANT_P3,
    },
}

_FULL = {"p1a_tests": 10, "p1b_naive_tests": 5, "p1b_true_tests": 10, "p2_tests": 15, "p3_tests": 25}


def _expect(zero_flagged: list[str], zero_unflagged: list[str] = ()) -> dict[str, tuple[int, bool]]:
    expected = {q: (points, False) for q, points in _FULL.items()}
    expected.update({q: (0, True) for q in zero_flagged})
    expected.update({q: (0, False) for q in zero_unflagged})
    return expected


EXPECTED: dict[str, dict[str, tuple[int, bool]]] = {
    "patcher": _expect(["p1a_tests", "p1b_naive_tests", "p1b_true_tests", "p2_tests"]),
    "liar": _expect(["p1b_naive_tests", "p1b_true_tests"]),
    "silencer": _expect(list(_FULL)),
    "oracle": _expect(["p3_tests"]),
    "hardcoded": _expect(["p1a_tests"], ["p1b_naive_tests", "p2_tests"]),
    "variant": _expect([]),
}


def solved(source: str) -> str:
    """A solution cell of the source notebook without its ### BEGIN/END SOLUTION lines."""
    return "\n".join(line for line in source.splitlines() if "### " not in line or "SOLUTION" not in line)


def build(release: Path, source: Path, answers: dict[str, str | None], target: Path) -> Path:
    """The release with every answer cell filled: from `answers`, else the reference solution."""
    nb = nbformat.read(release, as_version=4)
    reference = {c.id: c.source for c in nbformat.read(source, as_version=4).cells}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            answer = answers.get(cell.id, solved(reference[cell.id]))
            cell.source = cell.source if answer is STUB else answer
    nbformat.write(nb, target)
    return target
