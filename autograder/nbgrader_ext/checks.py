"""Scores that code under test cannot forge: the decisive check of every question runs in the grader.

Student code runs in the same kernel as nbgrader's test cells, so it can make them pass without
solving anything: patch `np.allclose` or `edf.rel_error`, return objects whose `__eq__`/`__lt__`
always hold, strip `assert` statements with an IPython AST transformer, memorise the test images.
The in-kernel tests stay (they give students readable feedback), but a question only scores if an
outside check agrees:

1. `AppendProbe` (before Execute) appends one code cell, the probe, to the sanitized notebook. It calls
   the student's functions on inputs drawn now from a `secrets`-seeded generator (random points,
   random softmax sizes, other g/h/f for Problem 1b) and prints ONE line: a random nonce and JSON
   holding only floats. For Problem 3 it prints the trained weights, not an error rate.
2. Execute (or SandboxedExecute) runs the notebook, probe included, in one kernel: no second run.
3. `ApplyOutsideChecks` (after Execute) removes the probe cell, parses the nonce line (plain JSON:
   no student object survives), computes the reference answers and the Problem 3 test error in the
   grader's process, and zeroes every test cell whose outside check fails by putting an
   "OutsideCheckFailed" error first among its outputs. Disagreements with the in-kernel result are
   recorded in `nb.metadata["autograder"]["flags"]` for the instructor.

The probe itself is real code in probe.py, sent as that file's text. Enable the checks in
nbgrader_config.py, after `configure_nbgrader(c)` if the sandbox is used:

    from autograder.nbgrader_ext.checks import configure_outside_checks
    configure_outside_checks(c)
"""

from __future__ import annotations

import functools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from nbconvert.preprocessors import ClearMetadataPreprocessor, ExecutePreprocessor
from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.converters import Autograde
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import determine_grade, is_grade
from traitlets import Float, Integer
from traitlets.utils.importstring import import_item

from autograder import ps1
from autograder.nbgrader_ext import probe

RESOURCE_KEY = "outside_checks"
METADATA_KEY = "autograder"
PROBE_ID_PREFIX = "grader-probe-"
MAX_PROBE_CHARS = 10_000_000  # the probe's line: ~110 kB for the reference network
MAX_MLP_VALUES = 200_000  # the probe refuses to report larger networks (the reference has 4,810 values)
P3_MAX_ERROR = ps1.P3_MAX_ERROR
QUESTIONS = ps1.AUTOGRADED  # every autograded cell has an outside check
PROBE_FILE = Path(probe.__file__)

# Functions for Problem 1b as numpy expressions: the probe builds them in the kernel, the grader
# builds the same ones here. Every entry is entire (no domain errors) and tested by finite differences.
UNIVARIATE: dict[str, tuple[str, str, str]] = {  # f, f', f''
    "sin": ("np.sin(x)", "np.cos(x)", "-np.sin(x)"),
    "cos": ("np.cos(x)", "-np.sin(x)", "-np.cos(x)"),
    "exp": ("np.exp(x)", "np.exp(x)", "np.exp(x)"),
    "square": ("x**2", "2 * x", "2 + 0 * x"),
    "cube": ("x**3", "3 * x**2", "6 * x"),
    "tanh": ("np.tanh(x)", "1 - np.tanh(x)**2", "-2 * np.tanh(x) * (1 - np.tanh(x)**2)"),
}
BIVARIATE: dict[str, tuple[str, str, str, str, str, str]] = {  # f, fy, fz, fyy, fzz, fyz
    "problem1": ("y * z + y**2", "z + 2 * y", "y + 0 * z", "2 + 0 * y", "0 * y", "1 + 0 * y"),
    "A": ("y**2 * z + np.sin(z)", "2 * y * z", "y**2 + np.cos(z)", "2 * z", "-np.sin(z)", "2 * y"),
    "B": (
        "np.exp(y) * z + z**3",
        "np.exp(y) * z",
        "np.exp(y) + 3 * z**2",
        "np.exp(y) * z",
        "6 * z",
        "np.exp(y)",
    ),
    "C": (
        "np.sin(y * z)",
        "z * np.cos(y * z)",
        "y * np.cos(y * z)",
        "-z**2 * np.sin(y * z)",
        "-y**2 * np.sin(y * z)",
        "np.cos(y * z) - y * z * np.sin(y * z)",
    ),
    "D": ("y**3 - y * z**2", "3 * y**2 - z**2", "-2 * y * z", "6 * y", "-2 * y", "-2 * z"),
}
PROBLEM1 = ("sin", "square", "problem1")


# ---------------------------------------------------------------- references (grader process only)


@functools.cache
def univariate(name: str) -> tuple[Any, Any, Any]:
    """(g, g', g'') of a library function, as numpy callables."""
    return tuple(eval(f"lambda x: {e}", {"np": np}) for e in UNIVARIATE[name])  # noqa: S307 (constants)


@functools.cache
def bivariate(name: str) -> tuple[Any, ...]:
    """(f, fy, fz, fyy, fzz, fyz) of a library function, as numpy callables."""
    return tuple(eval(f"lambda y, z: {e}", {"np": np}) for e in BIVARIATE[name])  # noqa: S307


def ell_prime_terms(x: np.ndarray) -> list[np.ndarray]:
    """The terms of d/dx [sin(x) x^2 + sin(x)^2] (Problem 1a), whose sum is the derivative."""
    return [2 * x * np.sin(x), x**2 * np.cos(x), 2 * np.sin(x) * np.cos(x)]


def chain_terms(fn: str, x: np.ndarray, names: tuple[str, str, str]) -> list[np.ndarray]:
    """The terms of gradient / naive / true second derivative of l = f(g(x), h(x)) at x."""
    (g, g1, g2), (h, h1, h2) = univariate(names[0]), univariate(names[1])
    _, fy, fz, fyy, fzz, fyz = bivariate(names[2])
    y, z = g(x), h(x)
    if fn == "gradient":
        return [fy(y, z) * g1(x), fz(y, z) * h1(x)]
    if fn == "naive_second_derivative":
        return [fyy(y, z) * g2(x), fzz(y, z) * h2(x)]
    return [
        fyy(y, z) * g1(x) ** 2,
        fy(y, z) * g2(x),
        fzz(y, z) * h1(x) ** 2,
        fz(y, z) * h2(x),
        2 * fyz(y, z) * g1(x) * h1(x),
    ]


def softmax_jacobian_reference(p: np.ndarray) -> np.ndarray:
    """diag(p) - p p^T."""
    return np.diag(p) - np.outer(p, p)


def stable_softmax(s: np.ndarray) -> np.ndarray:
    """Softmax of a logit vector, shifted by its max."""
    e = np.exp(s - s.max())
    return e / e.sum()


# Problem 3's data, shipped with the package: the same file the notebook reads beside itself (`ps1
# release` copies it there). Made from scikit-learn by autograder/authoring/digits_file.py, which
# tests/unit/test_digits_file.py holds it to; loading it takes milliseconds.
DIGITS_FILE = Path(__file__).resolve().parent / ps1.DIGITS_FILE


@functools.cache
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """X_train (1257, 64), X_test (540, 64) in [0, 1] and y_train, y_test (int64), read from the file
    as the notebook's p3_data cell reads them. Read-only: every caller shares them."""
    with np.load(DIGITS_FILE) as digits:
        split = (
            digits["train_images"] / 16.0,
            digits["test_images"] / 16.0,
            digits["train_labels"],
            digits["test_labels"],
        )
    for array in split:
        array.setflags(write=False)
    return split


def digits_test_set() -> tuple[np.ndarray, np.ndarray]:
    """X_test, y_test of Problem 3 (see `digits_split`)."""
    _, X_test, _, y_test = digits_split()
    return X_test, y_test


def mlp_test_error(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray) -> float:
    """Test error of Affine-ReLU-Affine-argmax with these weights (softmax does not change argmax)."""
    X, y = digits_test_set()
    scores = np.maximum(X @ w1 + b1, 0.0) @ w2 + b2
    return float(np.mean(scores.argmax(axis=1) != y))


# ---------------------------------------------------------------- the probe's inputs


@dataclass
class Call:
    """One call the probe makes; `expected`/`terms` stay in the grader (never in the probe)."""

    id: int
    grade_id: str
    fn: str
    args: dict[str, Any]
    out: str = "float"  # how the probe converts the result: "float" or "list"
    expected: np.ndarray | None = None
    scale: np.ndarray | None = None  # size of the terms: rounding error scales with it, not the sum
    rtol: float = 1e-8
    atol: float = 1e-12

    def probe_json(self) -> dict[str, Any]:
        return {"id": self.id, "fn": self.fn, "out": self.out, **self.args}


@dataclass
class ProbeSpec:
    """What AppendProbe drew; kept in nbconvert resources (never in the notebook)."""

    nonce: str
    cell_id: str
    calls: list[Call] = field(default_factory=list)

    def add(self, grade_id: str, fn: str, args: dict[str, Any], **kw: Any) -> Call:
        call = Call(len(self.calls), grade_id, fn, args, **kw)
        self.calls.append(call)
        return call


def _terms_call(spec: ProbeSpec, grade_id: str, fn: str, x: Any, terms: list[np.ndarray], **kw: Any) -> None:
    """A call whose reference is the sum of `terms`, compared relative to the sum of their sizes."""
    stacked = np.asarray(terms, dtype=float)
    expected, scale = stacked.sum(axis=0), np.abs(stacked).sum(axis=0)
    spec.add(grade_id, fn, {"x": x, **kw.pop("args", {})}, expected=expected, scale=scale, **kw)


def _add_p1a(spec: ProbeSpec, rng: np.random.Generator, n_points: int) -> None:
    for x in rng.uniform(-4.0, 4.0, n_points).tolist():
        for fn in ("edf_gradient", "chain_rule_gradient"):
            _terms_call(spec, "p1a_tests", fn, x, ell_prime_terms(np.float64(x)))


def _p1b_combos(rng: np.random.Generator, n_combos: int) -> list[tuple[str, str, str]]:
    """Problem 1's own functions plus random (g, h, f) from the library."""
    uni, bi = sorted(UNIVARIATE), sorted(BIVARIATE)
    draws = [(str(rng.choice(uni)), str(rng.choice(uni)), str(rng.choice(bi))) for _ in range(n_combos)]
    return [PROBLEM1, *draws]


def _add_p1b(spec: ProbeSpec, rng: np.random.Generator, n_points: int, n_combos: int) -> None:
    xs = rng.uniform(-1.5, 1.5, n_points)
    tests = {
        "naive_second_derivative": "p1b_naive_tests",
        "gradient": "p1b_true_tests",
        "true_second_derivative": "p1b_true_tests",
    }
    for g, h, f in _p1b_combos(rng, n_combos):
        names = {"g": g, "h": h, "f": f}
        for fn, grade_id in tests.items():
            for x in xs.tolist():  # scalars, then the whole array at once (elementwise)
                terms = chain_terms(fn, np.float64(x), (g, h, f))
                _terms_call(spec, grade_id, fn, x, terms, args=names)
            terms = chain_terms(fn, xs, (g, h, f))
            _terms_call(spec, grade_id, fn, xs.tolist(), terms, args=names, out="list")


def _random_probabilities(rng: np.random.Generator, n: int) -> list[np.ndarray]:
    """Sizes both below and above the notebook's K = 4; mild, wide and very peaked logits."""
    sizes = [int(rng.integers(2, 4)), int(rng.integers(5, 13))]
    sizes += [int(rng.integers(2, 13)) for _ in range(max(0, n - 2))]
    peaks = [0.0, 0.0, 30.0, 1000.0]
    ps = []
    for i, k in enumerate(sizes):
        s = rng.normal(size=k) * float(rng.choice([1.0, 5.0]))
        s[rng.integers(k)] += peaks[i % len(peaks)]
        ps.append(stable_softmax(s))
    return ps


def _add_p2(spec: ProbeSpec, rng: np.random.Generator, n: int) -> None:
    for p in _random_probabilities(rng, n):
        J = softmax_jacobian_reference(p)
        scale = np.diag(p) + np.outer(p, p)
        args = {"p": p.tolist()}
        spec.add("p2_tests", "softmax_jacobian", args, out="list", expected=J, scale=scale, rtol=1e-9)


def draw_spec(
    rng: np.random.Generator, n_points: int = 4, n_combos: int = 3, n_softmax: int = 4
) -> ProbeSpec:
    """Draw every input of one grading run. Problem 3 goes first: later calls rebuild EDF graphs."""
    spec = ProbeSpec(nonce=secrets.token_hex(16), cell_id=PROBE_ID_PREFIX + secrets.token_hex(6))
    spec.add("p3_tests", "mlp", {}, out="mlp")
    _add_p1a(spec, rng, n_points)
    _add_p1b(spec, rng, n_points, n_combos)
    _add_p2(spec, rng, n_softmax)
    return spec


# ---------------------------------------------------------------- the probe cell (runs in the kernel)


def probe_source(spec: ProbeSpec, call_seconds: float = 10.0, total_seconds: float = 60.0) -> str:
    """The probe cell's code: probe.py's text, then one call with the calls, the function library
    and the limits embedded as one JSON string."""
    payload = {
        "nonce": spec.nonce,
        "calls": [c.probe_json() for c in spec.calls],
        "library": {"u": UNIVARIATE, "b": BIVARIATE},
        "limits": {
            "max_values": MAX_MLP_VALUES,
            "call_seconds": float(call_seconds),
            "total_seconds": float(total_seconds),
        },
    }
    call = f"\n\n_grader_probe({json.dumps(payload)!r}, globals())\ndel _grader_probe\n"
    return PROBE_FILE.read_text(encoding="utf-8") + call


# ---------------------------------------------------------------- reading the probe and comparing


@dataclass
class Outcome:
    """The outside verdict on one graded test cell."""

    passed: bool
    detail: str


def read_probe(cell: NotebookNode | None, nonce: str) -> tuple[dict[str, Any] | None, str]:
    """The probe's parsed JSON, or None and why it is missing (exactly one nonce line is accepted)."""
    if cell is None:
        return None, "the grader's probe cell is missing from the executed notebook"
    text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("name") == "stdout")
    lines = [line for line in text.splitlines() if line.startswith(nonce + " ")]
    if len(lines) != 1:
        errors = [f"{o.get('ename')}: {o.get('evalue')}" for o in cell.get("outputs", []) if o.get("ename")]
        why = f"it failed with {errors[0]}" if errors else "stdout redirected, or the kernel stopped?"
        found = "no result" if not lines else f"{len(lines)} results (forged output?)"
        return None, f"the grader's probe cell printed {found}: {why}"
    payload = lines[0][len(nonce) + 1 :]
    if len(payload) > MAX_PROBE_CHARS:
        return None, "the grader's probe printed more data than it can accept"
    try:
        result = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # a forged line may be anything
        return None, f"the grader's probe printed malformed JSON ({exc})"
    if not isinstance(result, dict):
        return None, "the grader's probe printed something other than a JSON object"
    return result, ""


def _floats(value: Any) -> np.ndarray:
    """JSON numbers (or nested lists of them) as a float array; anything else raises ValueError."""
    if isinstance(value, bool) or value is None or isinstance(value, str | dict):
        raise ValueError(f"not a number: {value!r:.60}")
    return np.asarray(value, dtype=float)  # ragged or string-holding lists raise here


def _label(call: Call) -> str:
    if "p" in call.args:
        return f"{call.fn}(p of size {len(call.args['p'])})"
    x = call.args["x"]
    xs = f"x = {len(x)} points at once" if isinstance(x, list) else f"{x:.6g}"
    if "g" not in call.args:
        return f"{call.fn}({xs})"
    g, h, f = call.args["g"], call.args["h"], call.args["f"]
    return f"{call.fn}({xs}, g = {g}, h = {h}, f(y, z) = {BIVARIATE[f][0]})"


def _fmt(a: np.ndarray) -> str:
    return np.array2string(np.asarray(a), precision=8, threshold=6) if np.ndim(a) else f"{float(a):.10g}"


def check_value(call: Call, entry: Any) -> str | None:
    """Why the probe's `entry` for `call` is wrong, or None when it matches the reference."""
    label = _label(call)
    if not isinstance(entry, dict) or not ("value" in entry or "error" in entry):
        return f"{label}: no result from the probe"
    if "error" in entry:
        return f"{label} raised {str(entry['error'])[:300]}"
    try:
        actual = _floats(entry["value"])
    except (TypeError, ValueError, ArithmeticError) as exc:  # ArithmeticError: ints beyond float
        return f"{label} returned something that is not numbers ({exc})"
    expected = np.asarray(call.expected, dtype=float)
    if actual.shape != expected.shape:
        return f"{label} returned shape {actual.shape}, expected {expected.shape}"
    ok = np.abs(actual - expected) <= call.rtol * np.asarray(call.scale) + call.atol  # NaN: not ok
    if bool(np.all(ok)):
        return None
    if actual.ndim == 0:
        return f"{label} = {_fmt(actual)}, expected {_fmt(expected)}"
    i = tuple(int(k) for k in np.argwhere(~ok)[0])
    return f"{label}: entry {i} = {_fmt(actual[i])}, expected {_fmt(expected[i])} ({int((~ok).sum())} wrong)"


def _mlp_layers(value: Any) -> tuple[list[np.ndarray], str]:
    """(w1, b1, w2, b2) from the probe's report, ordered by shape; raises ValueError if unusable."""
    if not isinstance(value, dict) or not isinstance(value.get("layers"), list):
        raise ValueError("no layers reported")
    layers = [(_floats(d.get("w")), _floats(d.get("b"))) for d in value["layers"] if isinstance(d, dict)]
    kinds = ", ".join(str(k) for k in value.get("kinds", []) if isinstance(k, str))[:200]
    if len(layers) != 2:
        raise ValueError(f"expected 2 Affine layers reachable from p_out, found {len(layers)} ({kinds})")
    for (w1, b1), (w2, b2) in (layers, layers[::-1]):  # whichever order chains 64 -> H -> 10
        h = w1.shape[1] if w1.ndim == 2 else -1
        if w1.shape == (64, h) and b1.shape == (h,) and w2.shape == (h, 10) and b2.shape == (10,):
            break
    else:
        shapes = [a.shape for pair in layers for a in pair]
        raise ValueError(f"weights of shapes {shapes} do not make a 64-H-10 network")
    if not all(np.all(np.isfinite(a)) for a in (w1, b1, w2, b2)):
        raise ValueError("weights are not all finite")
    return [w1, b1, w2, b2], kinds


def check_mlp(entry: Any) -> str | None:
    """Why the network reported by the probe fails, or None if its recomputed test error is < 8%."""
    if not isinstance(entry, dict) or "value" not in entry:
        err = entry.get("error") if isinstance(entry, dict) else None
        return f"could not read the network p_out: {str(err)[:300]}"
    try:
        weights, kinds = _mlp_layers(entry["value"])
    except (TypeError, ValueError, ArithmeticError) as exc:
        return f"could not read the network p_out: {exc}"
    error = mlp_test_error(*weights)
    if error < P3_MAX_ERROR:
        return None
    reported = entry["value"].get("reported")
    said = f"; the notebook reported {reported:.2%}" if isinstance(reported, float) else ""
    return (
        f"test error recomputed by the grader from p_out's weights (Affine-ReLU-Affine) is {error:.2%}, "
        f"needs < {P3_MAX_ERROR:.0%}{said}; graph nodes: {kinds}"
    )


def evaluate(spec: ProbeSpec, result: dict[str, Any] | None, missing: str) -> dict[str, Outcome]:
    """The outside verdict for every question (all fail with `missing` when there is no result)."""
    if result is None:
        return {q: Outcome(False, missing) for q in QUESTIONS}
    failures: dict[str, list[str]] = {q: [] for q in QUESTIONS}
    for call in spec.calls:
        entry = result.get(str(call.id))
        why = check_mlp(entry) if call.fn == "mlp" else check_value(call, entry)
        if why:
            failures[call.grade_id].append(why)
    outcomes = {}
    for q, whys in failures.items():
        more = f" (and {len(whys) - 1} more)" if len(whys) > 1 else ""
        outcomes[q] = Outcome(not whys, whys[0] + more if whys else "passed")
    return outcomes


# ---------------------------------------------------------------- applying verdicts to the notebook


def failure_output(detail: str) -> NotebookNode:
    """The error output that makes nbgrader's determine_grade give the cell 0 points."""
    return new_output(
        "error",
        ename="OutsideCheckFailed",
        evalue=detail,
        traceback=[f"\x1b[0;31mOutsideCheckFailed\x1b[0m: {detail}"],
    )


def apply_outcomes(nb: NotebookNode, outcomes: dict[str, Outcome]) -> list[dict[str, Any]]:
    """Zero failed test cells; return a flag for every cell where in-kernel and outside disagree."""
    flags = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type != "code" or not is_grade(cell) or grade_id not in outcomes:
            continue
        score, max_score = determine_grade(cell)
        in_kernel = score is not None and float(score) >= float(max_score)
        outcome = outcomes[grade_id]
        if not outcome.passed:
            # First, not last: determine_grade returns at the first execute_result (partial credit),
            # and kernel code can emit one, so an error appended after it would be ignored.
            cell.outputs.insert(0, failure_output(outcome.detail))
        if in_kernel != outcome.passed:
            flags.append(
                {
                    "grade_id": grade_id,
                    "in_kernel": in_kernel,
                    "outside": outcome.passed,
                    "detail": outcome.detail,
                }
            )
    return flags


def unchecked_test_cells(nb: NotebookNode) -> list[str]:
    """grade_ids of autograded code cells that no outside check covers."""
    ids = [
        c.metadata.get("nbgrader", {}).get("grade_id")
        for c in nb.cells
        if c.cell_type == "code" and is_grade(c)
    ]
    return [str(i) for i in ids if i not in QUESTIONS]


def _probe_seconds(cell: NotebookNode | None) -> float | None:
    """Wall time of the probe cell from nbclient's execution timestamps."""
    timing = (cell or {}).get("metadata", {}).get("execution", {})
    try:
        start = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError):
        return None
    return round((end - start).total_seconds(), 4)


def _pop_cell(nb: NotebookNode, cell_id: str) -> NotebookNode | None:
    for i, cell in enumerate(nb.cells):
        if cell.get("id") == cell_id:
            return nb.cells.pop(i)
    return None


class AppendProbe(NbGraderPreprocessor):
    """Append the grader's probe cell (inputs and nonce drawn now; kept in resources only)."""

    n_points = Integer(4, help="random points per function in Problems 1a and 1b").tag(config=True)
    n_combos = Integer(3, help="random (g, h, f) combinations for Problem 1b").tag(config=True)
    n_softmax = Integer(4, help="random probability vectors for Problem 2").tag(config=True)
    call_seconds = Float(10.0, help="time limit of each probe call (SIGALRM in the kernel)").tag(config=True)
    total_seconds = Float(60.0, help="no new probe call after this; keep below Execute.timeout").tag(
        config=True
    )

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        rng = np.random.default_rng(secrets.randbits(128))
        spec = draw_spec(rng, self.n_points, self.n_combos, self.n_softmax)
        nb.cells.append(
            new_code_cell(source=probe_source(spec, self.call_seconds, self.total_seconds), id=spec.cell_id)
        )
        resources[RESOURCE_KEY] = spec
        return nb, resources


class ApplyOutsideChecks(NbGraderPreprocessor):
    """Remove the probe cell, check its results in this process, zero and flag what fails."""

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict]:
        spec = resources.get(RESOURCE_KEY)
        if not isinstance(spec, ProbeSpec):
            raise RuntimeError(
                "ApplyOutsideChecks needs AppendProbe before Execute (configure_outside_checks)"
            )
        start = time.perf_counter()
        probe = _pop_cell(nb, spec.cell_id)
        result, missing = read_probe(probe, spec.nonce)
        outcomes = evaluate(spec, result, missing)
        flags = apply_outcomes(nb, outcomes)
        for flag in flags:
            self.log.warning("flagged for the instructor: %s", flag)
        unchecked = unchecked_test_cells(nb)
        if unchecked:  # a test cell added to the assignment later: only its in-kernel tests count
            self.log.warning("autograded cells without an outside check: %s", unchecked)
        nb.metadata[METADATA_KEY] = {  # replaces anything the submission put under this key
            "outside_checks": {q: {"passed": o.passed, "detail": o.detail} for q, o in outcomes.items()},
            "flags": flags,
            "unchecked": unchecked,
            "probe_seconds": _probe_seconds(probe),
            "check_seconds": round(time.perf_counter() - start, 4),
        }
        resources[RESOURCE_KEY + "_flags"] = flags
        return nb, resources


# ---------------------------------------------------------------- configuration


def _step_class(step: Any) -> Any:
    """A preprocessor list entry (class, instance or dotted name) as a class."""
    if isinstance(step, str):
        return import_item(step)
    return step if isinstance(step, type) else type(step)


def configure_outside_checks(c: Any) -> None:
    """Put AppendProbe before and ApplyOutsideChecks after the Execute step of nbgrader autograde.

    Works on the default list or on one set earlier (e.g. by sandbox.configure_nbgrader); idempotent.
    """
    if "autograde_preprocessors" in c.Autograde:
        steps = list(c.Autograde.autograde_preprocessors)
    else:
        steps = list(Autograde.autograde_preprocessors.default())
    steps = [s for s in steps if _step_class(s) not in (AppendProbe, ApplyOutsideChecks)]
    executes = [i for i, s in enumerate(steps) if issubclass(_step_class(s), ExecutePreprocessor)]
    if len(executes) != 1:
        raise ValueError(f"expected one Execute step in Autograde.autograde_preprocessors, got {steps}")
    i = executes[0]
    steps[i : i + 1] = [AppendProbe, steps[i], ApplyOutsideChecks]
    c.Autograde.autograde_preprocessors = steps
    # ClearMetadataPreprocessor is off by default; should someone enable it, keep the flags.
    mask = set(ClearMetadataPreprocessor.preserve_nb_metadata_mask.default())
    if "preserve_nb_metadata_mask" in c.ClearMetadataPreprocessor:
        mask = set(c.ClearMetadataPreprocessor.preserve_nb_metadata_mask)
    c.ClearMetadataPreprocessor.preserve_nb_metadata_mask = mask | {METADATA_KEY}


def collect_flags(autograded_dir: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Flags for the instructor per student, read from `autograded/<student>/<assignment>/*.ipynb`."""
    flags: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(autograded_dir).glob("*/*/*.ipynb")):
        report = nbformat.read(path, as_version=4).metadata.get(METADATA_KEY, {})
        if report.get("flags"):
            flags.setdefault(path.parts[-3], []).extend(report["flags"])
    return flags
