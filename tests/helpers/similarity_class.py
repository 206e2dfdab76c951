"""A class for `ps1 similarity`: independently written notebooks, blank ones, and planted copies.

Independent notebooks take every answer from a source no other notebook uses: the reference solution
(Ada), the differently written answers of the tests (Babbage: tests/helpers/cheating/forgers.py and
written answers below), a third set written here (Curie), the wrong answers of the hostile catalog
(Wrong), one short answer alone (Partial), and two untouched releases (Blank1, Blank2).

Planted copies, one per category:
- Renamed: Ada's code with every name it defines renamed (functions, parameters, locals: found on its
  syntax tree), the functions of each cell reordered, comments and blank lines added (written
  answers left blank);
- Reworded: Curie's written answers with every sentence reworded and the same equations (code blank);
- Problem3: Babbage's Problem 3 and nothing else.
"""

from __future__ import annotations

import ast
import builtins
import itertools
import json
import re
import zipfile
from pathlib import Path

from helpers.cheating.catalog import RELEASE, WRONG_P1A, WRONG_P2, reference_notebook
from helpers.cheating.forgers import VARIANT_P1A, VARIANT_P1B, VARIANT_P2, VARIANT_P3

CODE_IDS = ("p1a_code", "p1b_code", "p2_code", "p3_code")
WRITTEN_IDS = ("p1a_written", "p1b_written", "p2_written")

CURIE_CODE = {
    "p1a_code": """
def edf_gradient(x0):
    edf.clear_compgraph()
    xp = edf.Parameter(x0)
    sine = edf.Sin(xp)
    total = edf.Add(edf.Mul(sine, sine), edf.Mul(edf.Mul(xp, xp), sine))
    edf.Forward()
    edf.Backward(total)
    return float(xp.grad)


def chain_rule_gradient(x0):
    s, c = np.sin(x0), np.cos(x0)
    return float(2 * s * c + 2 * x0 * s + x0 * x0 * c)
""",
    "p1b_code": """
def gradient(x0, g, h, f):
    a, b = g.f(x0), h.f(x0)
    return f.fy(a, b) * g.d1(x0) + f.fz(a, b) * h.d1(x0)


def naive_second_derivative(x0, g, h, f):
    a, b = g.f(x0), h.f(x0)
    return sum([f.fyy(a, b) * g.d2(x0), f.fzz(a, b) * h.d2(x0)])


def true_second_derivative(x0, g, h, f):
    a, b = g.f(x0), h.f(x0)
    dg, dh = g.d1(x0), h.d1(x0)
    curvature = f.fyy(a, b) * dg**2 + 2 * f.fyz(a, b) * dg * dh + f.fzz(a, b) * dh**2
    return curvature + f.fy(a, b) * g.d2(x0) + f.fz(a, b) * h.d2(x0)
""",
    "p2_code": """
def softmax_jacobian(p):
    jac = -np.multiply.outer(p, p)
    jac[np.diag_indices(len(p))] += p
    return jac
""",
    "p3_code": """
N_HIDDEN = 48
LEARNING_RATE = 0.15
EPOCHS = 30
BATCH_SIZE = 16


def build_mlp(n_in, n_hidden, n_out, rng):
    edf.clear_compgraph()
    inputs = [edf.Input(), edf.Input()]
    layer1 = edf.AffineParams(n_in, n_hidden, rng=rng)
    layer2 = edf.AffineParams(n_hidden, n_out, rng=rng)
    probs = edf.Softmax(edf.Affine(layer2, edf.Relu(edf.Affine(layer1, inputs[0]))))
    return inputs[0], inputs[1], probs, edf.LogLoss(probs, inputs[1])


def train_epoch(x, labels, loss, X, y, batch_size, rng):
    shuffled = rng.permutation(X.shape[0])
    seen, summed = 0, 0.0
    while seen < X.shape[0]:
        rows = shuffled[seen : seen + batch_size]
        x.value = X[rows]
        labels.value = y[rows]
        edf.Forward()
        edf.Backward(loss)
        edf.SGD()
        summed += loss.value.sum()
        seen += len(rows)
    return summed / X.shape[0]


def error_rate(x, labels, p, X, y):
    x.value = X
    labels.value = y
    edf.Forward()
    guesses = np.argmax(p.value, axis=-1)
    return 1.0 - np.count_nonzero(guesses == y) / len(y)
""",
}

PARTIAL_P2 = """
def softmax_jacobian(p):
    k = p.shape[0]
    return np.array([[p[i] * ((i == j) - p[j]) for j in range(k)] for i in range(k)])
"""

BABBAGE_WRITTEN = {
    "p1a_written": r"""Backward goes through the nodes from the last one made to the first, so every node
is reached after all of its users. The loss node gives each of its inputs the partial derivative
times its own gradient (which is one). From the $y$ path, x receives $\partial f/\partial y \cdot g'(x)$ and
from the $z$ path $\partial f/\partial z \cdot h'(x)$. Because each backward call adds into `x.grad`
rather than assigning, both arrive, and $\frac{d\ell}{dx} = \frac{\partial f}{\partial y}g'(x) +
\frac{\partial f}{\partial z}h'(x)$ as the chain rule says.""",
    "p1b_written": r"""The naive pass propagates second derivatives the way the first pass propagated first
ones and ends with $\ddot\ell_{naive} = \partial^2_{yy}f \, \ddot g + \partial^2_{zz} f\, \ddot h$.
Taking the derivative of $\partial_y f\,\dot g + \partial_z f\,\dot h$ properly gives
$\ddot\ell = \partial^2_{yy}f\,\dot g^2 + 2\,\partial^2_{yz}f\,\dot g\dot h + \partial^2_{zz}f\,\dot h^2
+ \partial_y f\,\ddot g + \partial_z f\,\ddot h$. Missing: the terms with squared first derivatives,
the mixed term, and the ones that multiply a first partial of f by a second derivative of g or h.""",
    "p2_written": r"""Let $S = \sum_m \exp(s_m)$. Then $\partial p_a/\partial s_b = p_a\delta_{ab} - p_a p_b$
(quotient rule), so the Jacobian is $\mathrm{Diag}(\mathbf p) - \mathbf p \mathbf p^{T}$. Backprop needs
$\mathbf g^T J$ with $\mathbf g$ the gradient at the output: its entries are $p_b g_b - p_b \sum_a g_a p_a$,
that is $\mathbf p \odot (\mathbf g - \langle \mathbf g, \mathbf p\rangle)$, done row by row in a batch.""",
}

CURIE_WRITTEN = {
    "p1a_written": r"""Let me trace `Backward(u)`. It initialises u.grad to 1 and walks the node list in
reverse: u first. u's backward sends $f_y$ into y.grad and $f_z$ into z.grad. Next z sends
$z.grad \times h'(x)$ into x.grad, then y sends $y.grad \times g'(x)$ into the same x.grad. Since
`addgrad` accumulates, x.grad ends as
$$f_y(g(x),h(x))\,g'(x) + f_z(g(x),h(x))\,h'(x),$$
the total derivative of $\ell$. Had the second contribution replaced the first we would lose a path.""",
    "p1b_written": r"""Running the same sweep with second derivatives yields
$$x.grad'' = f_{yy}(y,z)\,g''(x) + f_{zz}(y,z)\,h''(x).$$
The correct value follows from differentiating $\ell' = f_y g' + f_z h'$ once more:
$$\ell'' = f_{yy}(g')^2 + 2 f_{yz} g' h' + f_{zz} (h')^2 + f_y g'' + f_z h''.$$
So the naive recursion drops $f_{yy}(g')^2$, $f_{zz}(h')^2$, $f_y g''$, $f_z h''$'s partner structure,
and above all the cross term $2 f_{yz} g' h'$ linking the two branches.""",
    "p2_written": r"""With $p_i = e^{s_i} / \sum_k e^{s_k}$ one gets
$$\frac{\partial p_i}{\partial s_j} = p_i(\delta_{ij} - p_j), \qquad J = \mathrm{diag}(p) - p p^{\top}.$$
For the backward pass, $s.grad_j = \sum_i p.grad_i\, J_{ij} = p_j\,(p.grad_j - \sum_i p.grad_i\, p_i)$,
which avoids forming $J$ and is applied independently to each example of the batch.""",
}

# Curie's written answers, every sentence said otherwise, every equation kept character for character.
REWORDED_WRITTEN = {
    "p1a_written": r"""I follow what `Backward(u)` does step by step. u.grad starts at one, then the nodes
are visited backwards, beginning with u, which pushes $f_y$ to y.grad and $f_z$ to z.grad. Then z
contributes $z.grad \times h'(x)$ to x.grad and after it y contributes $y.grad \times g'(x)$ to the
very same x.grad. Since gradients are summed and never overwritten, x.grad becomes
$$f_y(g(x),h(x))\,g'(x) + f_z(g(x),h(x))\,h'(x),$$
which is the full derivative. An assignment in place of the sum would drop one of the two paths.""",
    "p1b_written": r"""If we repeat the backward pass carrying second derivatives we obtain
$$x.grad'' = f_{yy}(y,z)\,g''(x) + f_{zz}(y,z)\,h''(x).$$
Differentiating $\ell' = f_y g' + f_z h'$ one more time instead gives the true answer
$$\ell'' = f_{yy}(g')^2 + 2 f_{yz} g' h' + f_{zz} (h')^2 + f_y g'' + f_z h''.$$
Hence the naive approach loses the squared first derivative terms, the first-partial terms and
most of all the mixed term $2 f_{yz} g' h'$ that ties the branches together.""",
    "p2_written": r"""Since $p_i = e^{s_i} / \sum_k e^{s_k}$ the derivative is
$$\frac{\partial p_i}{\partial s_j} = p_i(\delta_{ij} - p_j), \qquad J = \mathrm{diag}(p) - p p^{\top}.$$
In backprop we never build the matrix:
$s.grad_j = \sum_i p.grad_i\, J_{ij} = p_j\,(p.grad_j - \sum_i p.grad_i\, p_i)$,
computed separately for every row of the batch.""",
}

# The names a copier picks, in the order the copied code's own names first appear (then with a number).
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "kilo")
GIVEN = set(dir(builtins))  # never rebound by a copier: the language's own names
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def defined_names(tree: ast.AST) -> set[str]:
    """Every name the code binds itself: functions, classes, parameters, and the targets of
    assignments, loops, `with` and comprehensions (not imports, attributes or builtins)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names - GIVEN


def _name_spots(tree: ast.AST, lines: list[bytes], names: set[str]) -> list[tuple[int, int, str]]:
    """(line, byte column, name) of every occurrence of `names` as a name: uses, bindings,
    parameters, definitions, and keywords of calls to the code's own functions."""
    spots = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in names:
            spots.append((node.lineno, node.col_offset, node.id))
        elif isinstance(node, ast.arg) and node.arg in names:
            spots.append((node.lineno, node.col_offset, node.arg))
        elif isinstance(node, DEFINITIONS) and node.name in names:
            keyword = re.compile(rb"(def|class)\s+").search(lines[node.lineno - 1], node.col_offset)
            spots.append((node.lineno, keyword.end(), node.name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in names:
            spots += [(k.lineno, k.col_offset, k.arg) for k in node.keywords if k.arg in names]
    return spots


def rename_everything(code: str) -> str:
    """`code` with every name it defines renamed throughout (from WORDS, in order of appearance):
    found on the syntax tree, so no local, parameter or function of the code is missed, and the
    given API (np, edf, builtins, attributes) is left alone. Comments and layout are kept."""
    tree = ast.parse(code)
    lines = code.encode().splitlines(keepends=True)
    own = defined_names(tree)
    spots = sorted(_name_spots(tree, lines, own))
    # A new name is none of the code's names, old or given, so nothing is merged or shadowed.
    taken = own | {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    taken |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    candidates = itertools.chain(WORDS, (f"{w}{i}" for i in itertools.count(2) for w in WORDS))
    free = (name for name in candidates if name not in taken)
    new: dict[str, str] = {}
    for _, _, name in spots:
        if name not in new:
            new[name] = next(free)
    for line, col, name in reversed(spots):
        text = lines[line - 1]
        lines[line - 1] = text[:col] + new[name].encode() + text[col + len(name.encode()) :]
    return b"".join(lines).decode()


def _functions(code: str) -> list[str]:
    """The top-level blocks of a cell: each function or class with its body, and each run of other
    statements (comments between blocks dropped)."""
    lines = code.splitlines()
    blocks: list[tuple[bool, list[str]]] = []  # (a definition?, its lines)
    for node in ast.parse(code).body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        definition = isinstance(node, DEFINITIONS)
        if definition or not blocks or blocks[-1][0]:
            blocks.append((definition, []))
        blocks[-1][1].extend(lines[first - 1 : node.end_lineno])
    return ["\n".join(text) for _, text in blocks]


def disguise(code: str) -> str:
    """Every name the code defines renamed, the cell's blocks in reverse order, comments and blank
    lines added: what a copier does to hide a copy."""
    blocks = _functions(rename_everything(code))[::-1]
    commented = [
        f"# part {i + 1} of my answer\n\n" + b.replace("\n    ", "\n\n    # step\n    ", 1)
        for i, b in enumerate(blocks)
    ]
    return "\n\n\n".join(commented) + "\n"


def reference_answers() -> dict[str, str]:
    """Ada's answers: the reference solution's answer cells."""
    nb = reference_notebook()
    return {
        c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
        if isinstance(c["source"], list)
        else c["source"]
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    }


def students() -> dict[str, dict[str, str]]:
    """Student -> answer cell grade_id -> source (a cell not listed keeps the release's text)."""
    ada = reference_answers()
    babbage = {"p1a_code": VARIANT_P1A, "p1b_code": VARIANT_P1B, "p2_code": VARIANT_P2, "p3_code": VARIANT_P3}
    return {
        "Ada": ada,
        "Babbage": {**babbage, **BABBAGE_WRITTEN},
        "Curie": {**CURIE_CODE, **CURIE_WRITTEN},
        "Wrong": {"p1a_code": WRONG_P1A, "p2_code": WRONG_P2},
        "Partial": {"p2_code": PARTIAL_P2},
        "Blank1": {},
        "Blank2": {},
        "Renamed": {gid: disguise(ada[gid]) for gid in CODE_IDS},
        "Reworded": dict(REWORDED_WRITTEN),
        "Problem3": {"p3_code": VARIANT_P3},
    }


PLANTED = {"code": ("Ada", "Renamed"), "written": ("Curie", "Reworded"), "problem3": ("Babbage", "Problem3")}


# What a student may paste into an answer from the notebook itself: the given code and the visible
# tests of the problem into its code answer, the notebook's introduction into a written answer.
PASTES = {
    "p1a_code": ("p1a_given", "p1a_check", "p1a_tests"),
    "p2_code": ("p2_given", "p2_check", "p2_tests"),
    "p3_code": ("p3_data", "p3_train", "p3_tests"),
    "p1a_written": ("intro",),
}


def release_cells() -> dict[str, str]:
    """Every cell of the release notebook, by its nbgrader grade_id."""
    cells = json.loads(RELEASE.read_text(encoding="utf-8"))["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in cells}


def with_pastes(answers: dict[str, str]) -> dict[str, str]:
    """`answers` with the cells of PASTES pasted after each answer (a cell not answered keeps the
    release's stub)."""
    release = release_cells()
    return {
        gid: "\n\n".join([answers.get(gid, release[gid]), *(release[g] for g in pasted)])
        for gid, pasted in PASTES.items()
    } | {gid: text for gid, text in answers.items() if gid not in PASTES}


def notebook(answers: dict[str, str]) -> dict:
    """The release notebook with these answers in its answer cells."""
    nb = json.loads(RELEASE.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = answers[gid]
            cell["outputs"] = [] if cell["cell_type"] == "code" else cell.get("outputs")
            if cell["cell_type"] != "code":
                cell.pop("outputs", None)
    return nb


def write_zips(folder: Path, names: dict[str, dict[str, str]] | None = None) -> Path:
    """One PS1_<name>.zip per student in `folder`, with a times.csv (all on time)."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = ["file,timestamp"]
    for name, answers in (names or students()).items():
        with zipfile.ZipFile(folder / f"PS1_{name}.zip", "w") as zf:
            zf.writestr("PS1.ipynb", json.dumps(notebook(answers), indent=1))
        rows.append(f"PS1_{name}.zip,2017-01-12 10:00 America/Chicago")
    (folder / "times.csv").write_text("\n".join(rows) + "\n")
    return folder
