"""Outside checks (autograder/checks.py): references, the probe, and a real nbgrader run with forgers.

Fast tests run the probe in this process against the reference solution's functions (hypothesis over
the grader's random draws). The slow part grades the solution and every forger of tests/forgers in
ONE `nbgrader autograde` (sandboxed kernels when bwrap works, plain Execute otherwise).
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import numpy as np
import pytest
from forgers import EXPECTED, FORGERS, build
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade, is_grade
from traitlets.config import Config

from autograder import checks
from autograder.checks import (
    BIVARIATE,
    UNIVARIATE,
    AppendProbe,
    ApplyOutsideChecks,
    Call,
    ProbeSpec,
    apply_outcomes,
    bivariate,
    check_mlp,
    check_value,
    configure_outside_checks,
    draw_spec,
    evaluate,
    probe_source,
    read_probe,
    univariate,
)
from autograder.course import autograde, generate, make_course, scores, submit
from autograder.release import SOLUTION_NOTEBOOK, SOURCE_NOTEBOOK

SOURCE_CELLS = {c.id: c.source for c in nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells}
IMPORTS = "import numpy as np\nimport edf\n"
SPLIT = """
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
digits = load_digits()
X_train, X_test, y_train, y_test = train_test_split(
    digits.data / 16.0, digits.target, test_size=0.3, random_state=0, stratify=digits.target
)
"""
ANSWERS = ["p1a_given", "p1a_code", "p1b_given", "p1b_code", "p2_given", "p2_code"]


@pytest.fixture(scope="module")
def solution_ns() -> dict:
    """The notebook's namespace after the reference solution ran (network trained), without plots."""
    ns: dict = {}
    exec(IMPORTS + SPLIT, ns)
    for cell_id in [*ANSWERS, "p3_code"]:
        exec(SOURCE_CELLS[cell_id], ns)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(SOURCE_CELLS["p3_train"], ns)
    return ns


def run_probe(spec: ProbeSpec, ns: dict, **limits: float) -> nbformat.NotebookNode:
    """Execute the probe source in `ns` and return a code cell holding its stdout, as nbclient would."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(probe_source(spec, **limits), ns)
    cell = new_code_cell(id=spec.cell_id)
    cell.outputs = [new_output("stream", name="stdout", text=out.getvalue())]
    return cell


def verdicts(spec: ProbeSpec, ns: dict, **limits: float) -> dict[str, checks.Outcome]:
    return evaluate(spec, *read_probe(run_probe(spec, ns, **limits), spec.nonce))


# ---------------------------------------------------------------- references


def _central(fun, x: float, eps: float = 1e-5) -> float:
    return (fun(x + eps) - fun(x - eps)) / (2 * eps)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(UNIVARIATE)), x=st.floats(-2, 2))
def test_univariate_library_derivatives(name: str, x: float) -> None:
    f, d1, d2 = univariate(name)
    assert abs(_central(f, x) - d1(x)) < 1e-6 * max(1.0, abs(d1(x)))
    assert abs(_central(d1, x) - d2(x)) < 1e-6 * max(1.0, abs(d2(x)))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(BIVARIATE)), y=st.floats(-2, 2), z=st.floats(-2, 2))
def test_bivariate_library_partials(name: str, y: float, z: float) -> None:
    f, fy, fz, fyy, fzz, fyz = bivariate(name)
    pairs = [
        (_central(lambda t: f(t, z), y), fy(y, z)),
        (_central(lambda t: f(y, t), z), fz(y, z)),
        (_central(lambda t: fy(t, z), y), fyy(y, z)),
        (_central(lambda t: fz(y, t), z), fzz(y, z)),
        (_central(lambda t: fy(y, t), z), fyz(y, z)),
        (_central(lambda t: fz(t, z), y), fyz(y, z)),
    ]
    for numeric, exact in pairs:
        assert abs(numeric - exact) < 1e-5 * max(1.0, abs(exact))


@settings(max_examples=40, deadline=None)
@given(x=st.floats(-5, 5))
def test_ell_prime_reference_matches_finite_differences(x: float) -> None:
    ell = lambda t: np.sin(t) * t**2 + np.sin(t) ** 2  # noqa: E731
    assert abs(sum(checks.ell_prime_terms(np.float64(x))) - _central(ell, x)) < 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_softmax_reference_matches_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=int(rng.integers(2, 9))) * 3
    numeric = np.stack(
        [
            _central(lambda t, j=j: checks.stable_softmax(s + t * np.eye(len(s))[j]), 0.0)
            for j in range(len(s))
        ],
        axis=1,
    )
    assert np.allclose(checks.softmax_jacobian_reference(checks.stable_softmax(s)), numeric, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**64 - 1))
def test_reference_solution_passes_every_drawn_check(solution_ns: dict, seed: int) -> None:
    """The references agree with the solution notebook's own functions on the grader's random draws."""
    outcomes = verdicts(draw_spec(np.random.default_rng(seed)), solution_ns)
    assert all(o.passed for o in outcomes.values()), {q: o.detail for q, o in outcomes.items()}


def test_every_autograded_cell_of_the_assignment_has_an_outside_check() -> None:
    source = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    assert checks.unchecked_test_cells(source) == []
    graded_code = {
        c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.cell_type == "code" and is_grade(c)
    }
    assert graded_code == set(checks.QUESTIONS)


def test_draws_cover_other_sizes_functions_and_peaked_probabilities() -> None:
    spec = draw_spec(np.random.default_rng(0))
    sizes = [len(c.args["p"]) for c in spec.calls if c.fn == "softmax_jacobian"]
    assert min(sizes) < 4 < max(sizes)
    assert any(max(c.args["p"]) > 1 - 1e-10 for c in spec.calls if c.fn == "softmax_jacobian")
    combos = {(c.args["g"], c.args["h"], c.args["f"]) for c in spec.calls if "g" in c.args}
    assert ("sin", "square", "problem1") in combos and len(combos) >= 2
    assert spec.calls[0].fn == "mlp"
    assert draw_spec(np.random.default_rng(0)).nonce != spec.nonce  # the nonce never comes from rng


# ---------------------------------------------------------------- failures, in process


def test_wrong_functions_fail_with_readable_details(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    exec("def chain_rule_gradient(x0):\n    return 1.2\n", ns)
    exec("def softmax_jacobian(p):\n    return np.eye(4) * p - np.outer(p, p)\n", ns)
    exec("def naive_second_derivative(x0, g, h, f):\n    return -2 * np.sin(x0)\n", ns)
    outcomes = verdicts(draw_spec(np.random.default_rng(3)), ns)
    assert outcomes["p1a_tests"].detail.startswith("chain_rule_gradient(")
    assert "= 1.2, expected" in outcomes["p1a_tests"].detail
    assert "softmax_jacobian(p of size" in outcomes["p2_tests"].detail
    assert "naive_second_derivative(" in outcomes["p1b_naive_tests"].detail
    assert outcomes["p1b_true_tests"].passed and outcomes["p3_tests"].passed


def test_untrained_network_fails_and_reports_the_claimed_error(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    ns["history"] = {"test error": [0.0]}
    exec("x_in, labels_in, p_out, loss_out = build_mlp(64, 16, 10, np.random.default_rng(1))", ns)
    detail = verdicts(draw_spec(np.random.default_rng(4)), ns)["p3_tests"].detail
    assert "recomputed by the grader" in detail and "reported 0.00%" in detail


def test_float_tricks_are_reduced_to_plain_numbers(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    exec(
        "class _F(float):\n"
        "    def __eq__(self, o):\n        return True\n"
        "    def __lt__(self, o):\n        return True\n"
        "def chain_rule_gradient(x0):\n    return _F(0.0)\n",
        ns,
    )
    assert not verdicts(draw_spec(np.random.default_rng(5)), ns)["p1a_tests"].passed


def test_an_endless_function_costs_only_its_own_question(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    exec("def chain_rule_gradient(x0):\n    while True:\n        pass\n", ns)
    start = time.perf_counter()
    outcomes = verdicts(draw_spec(np.random.default_rng(6)), ns, call_seconds=0.2)
    assert time.perf_counter() - start < 2.0  # one alarm, later calls of the same function skipped
    assert "TimeoutError" in outcomes["p1a_tests"].detail
    assert all(o.passed for q, o in outcomes.items() if q != "p1a_tests")


def test_edf_precision_chosen_for_training_does_not_leak_into_problem_1(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    ns["edf"].DT = np.float32
    try:
        assert verdicts(draw_spec(np.random.default_rng(7)), ns)["p1a_tests"].passed
        assert ns["edf"].DT is np.float32  # restored afterwards
    finally:
        ns["edf"].DT = np.float64


def _call() -> Call:
    return Call(0, "p1a_tests", "edf_gradient", {"x": 0.5}, expected=np.array(1.0), scale=np.array(1.0))


@pytest.mark.parametrize(
    "entry, reason",
    [
        ({"value": "1.0"}, "not numbers"),
        ({"value": True}, "not numbers"),
        ({"value": [[1.0, 2.0], [3.0]]}, "not numbers"),
        ({"value": 10**400}, "not numbers"),
        ({"value": [{"a": 1}]}, "not numbers"),
        ({"value": float("nan")}, "expected"),
        ({"value": [1.0]}, "shape"),
        ({"error": "ZeroDivisionError: x"}, "raised ZeroDivisionError"),
        (None, "no result"),
    ],
)
def test_check_value_rejects(entry, reason: str) -> None:
    assert reason in check_value(_call(), entry)
    assert check_value(_call(), {"value": 1.0 + 1e-12}) is None


def test_read_probe_needs_exactly_one_nonce_line() -> None:
    def cell(text: str):
        c = new_code_cell()
        c.outputs = [new_output("stream", name="stdout", text=text)]
        return c

    assert read_probe(cell("abc {}\n"), "abc") == ({}, "")
    assert "no result" in read_probe(cell("hello\n"), "abc")[1]
    assert "2 results" in read_probe(cell("abc {}\nabc {}\n"), "abc")[1]
    assert "malformed" in read_probe(cell("abc {nope\n"), "abc")[1]
    assert "malformed" in read_probe(cell("abc " + "[" * 100_000 + "\n"), "abc")[1]
    assert "missing" in read_probe(None, "abc")[1]
    outcomes = evaluate(draw_spec(np.random.default_rng(0)), None, "the probe printed no result")
    assert not any(o.passed for o in outcomes.values())


def _ridge_network() -> list[np.ndarray]:
    """A 64-64-10 'network' that passes: identity first layer (pixels are >= 0), ridge output layer."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    X, _, y, _ = train_test_split(d.data / 16.0, d.target, test_size=0.3, random_state=0, stratify=d.target)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    W = np.linalg.solve(Xb.T @ Xb + 1e-2 * np.eye(65), Xb.T @ np.eye(10)[y])
    return [np.eye(64), np.zeros(64), W[:64], W[64]]


def _mlp_entry(weights: list[np.ndarray]) -> dict:
    pairs = [weights[i : i + 2] for i in range(0, len(weights), 2)]
    return {"value": {"layers": [{"w": w.tolist(), "b": b.tolist()} for w, b in pairs], "kinds": []}}


def test_mlp_check_recomputes_the_test_error() -> None:
    good = _ridge_network()
    assert check_mlp(_mlp_entry(good)) is None
    assert check_mlp(_mlp_entry(good[2:] + good[:2])) is None  # layer order does not matter
    rng = np.random.default_rng(0)
    assert "recomputed" in check_mlp(_mlp_entry([rng.normal(size=a.shape) for a in good]))
    assert "found 3" in check_mlp(_mlp_entry(good + good[2:]))
    assert "64-H-10" in check_mlp(_mlp_entry([good[0][:, :5], good[1], good[2], good[3]]))
    assert "could not read" in check_mlp({"error": "KeyError: 'p_out'"})


def test_failed_cell_gets_zero_even_with_a_forged_partial_credit_output() -> None:
    cell = new_code_cell(id="t")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "p2_tests", "points": 15}
    cell.outputs = [new_output("execute_result", data={"text/plain": "15"}, execution_count=1)]
    nb = new_notebook(cells=[cell])
    assert determine_grade(cell)[0] == 15
    flags = apply_outcomes(nb, {"p2_tests": checks.Outcome(False, "softmax_jacobian(...) wrong")})
    assert determine_grade(cell)[0] == 0
    assert cell.outputs[0].ename == "OutsideCheckFailed"
    assert flags == [
        {"grade_id": "p2_tests", "in_kernel": True, "outside": False, "detail": "softmax_jacobian(...) wrong"}
    ]
    cell.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    flags = apply_outcomes(nb, {"p2_tests": checks.Outcome(True, "passed")})
    assert determine_grade(cell)[0] == 0  # both must pass: the outside check never adds points
    assert flags == [{"grade_id": "p2_tests", "in_kernel": False, "outside": True, "detail": "passed"}]


# ---------------------------------------------------------------- configuration


def _names(c: Config) -> list[str]:
    return [checks._step_class(s).__name__ for s in c.Autograde.autograde_preprocessors]


def test_configure_on_the_default_list_and_after_the_sandbox() -> None:
    from autograder.sandbox import configure_nbgrader

    c = Config()
    configure_outside_checks(c)
    configure_outside_checks(c)  # idempotent
    assert _names(c)[:3] == ["AppendProbe", "Execute", "ApplyOutsideChecks"]
    assert "autograder" in c.ClearMetadataPreprocessor.preserve_nb_metadata_mask
    c = Config()
    configure_nbgrader(c, mode="auto")
    configure_outside_checks(c)
    assert _names(c)[:3] == ["AppendProbe", "SandboxedExecute", "ApplyOutsideChecks"]
    assert _names(c)[3:] == [
        "IgnorePattern",
        "ClearMetadataPreprocessor",
        "LimitOutput",
        "SaveAutoGrades",
        "AssignLatePenalties",
        "CheckCellMetadata",
    ]


def test_missing_probe_spec_is_a_configuration_error() -> None:
    with pytest.raises(RuntimeError, match="AppendProbe"):
        ApplyOutsideChecks().preprocess(new_notebook(), {})


@pytest.mark.slow
def test_plain_execute_route(tmp_path: Path) -> None:
    """AppendProbe -> nbgrader's own Execute -> ApplyOutsideChecks, one small notebook in a real kernel."""
    from nbgrader.preprocessors import Execute

    test_cell = new_code_cell("assert chain_rule_gradient(0.5) > 0", id="t")
    test_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "p1a_tests", "points": 10}
    cells = [new_code_cell(IMPORTS, id="imports")]
    cells += [new_code_cell(SOURCE_CELLS[c], id=c) for c in ANSWERS] + [test_cell]
    nb, resources = new_notebook(cells=cells), {"metadata": {"path": str(tmp_path)}}
    for step in (AppendProbe(), Execute(), ApplyOutsideChecks()):
        nb, resources = step.preprocess(nb, resources)
    report = nb.metadata["autograder"]
    assert [c.id for c in nb.cells] == [c.id for c in cells]  # the probe cell is gone
    assert report["outside_checks"]["p1a_tests"]["passed"], report
    assert report["outside_checks"]["p2_tests"]["passed"], report
    assert "p_out" in report["outside_checks"]["p3_tests"]["detail"]  # no network in this notebook
    assert determine_grade(nb.cells[-1])[0] == 10


# ---------------------------------------------------------------- one real nbgrader run

CONFIG = """
# --- outside checks (tests/test_checks.py) ---
from autograder.checks import configure_outside_checks
from autograder.sandbox import configure_nbgrader, sandbox_warning

if sandbox_warning() is None:
    configure_nbgrader(c, mode="bwrap")
configure_outside_checks(c)
"""


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("outside")
    course = make_course(tmp)
    release = generate(course)
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(CONFIG)
    submit(course, "solution", SOLUTION_NOTEBOOK)
    for name, answers in FORGERS.items():
        submit(course, name, build(release, SOURCE_NOTEBOOK, answers, tmp / f"{name}.ipynb"))
    start = time.perf_counter()
    proc = autograde(course)
    seconds = time.perf_counter() - start

    def autograded(student: str) -> nbformat.NotebookNode:
        return nbformat.read(course / "autograded" / student / "ps1" / "PS1.ipynb", as_version=4)

    return SimpleNamespace(
        course=course, scores=scores(course), autograded=autograded, log=proc.stderr, seconds=seconds
    )


def _report(graded: SimpleNamespace, student: str) -> dict:
    return graded.autograded(student).metadata["autograder"]


@pytest.mark.slow
def test_solution_keeps_every_point_with_checks_on(graded: SimpleNamespace) -> None:
    s = graded.scores["solution"]
    assert (s["code"], s["max_code"]) == (65, 65)
    report = _report(graded, "solution")
    assert report["flags"] == [] and report["unchecked"] == []
    assert all(v["passed"] for v in report["outside_checks"].values()), report
    assert report["probe_seconds"] is not None and report["probe_seconds"] < 2.0


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(FORGERS))
def test_forgers_get_zero_where_they_cheated_and_are_flagged(graded: SimpleNamespace, student: str) -> None:
    s, report = graded.scores[student], _report(graded, student)
    flagged = {f["grade_id"] for f in report["flags"]}
    got = {q: (int(s[q]), q in flagged) for q in EXPECTED[student]}
    assert got == EXPECTED[student], {q: report["outside_checks"][q]["detail"] for q in got}
    assert all(not f["outside"] and f["in_kernel"] for f in report["flags"])  # in-kernel was fooled


@pytest.mark.slow
def test_failed_cells_show_why_and_no_probe_remains(graded: SimpleNamespace) -> None:
    nb = graded.autograded("oracle")
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    first = cells["p3_tests"].outputs[0]
    assert first.ename == "OutsideCheckFailed" and "recomputed by the grader" in first.evalue
    assert "reported 0.00%" in first.evalue
    assert set(checks.collect_flags(graded.course / "autograded")) == {s for s in FORGERS if s != "variant"}
    for student in ["solution", *FORGERS]:
        text = json.dumps(graded.autograded(student))
        assert checks.PROBE_ID_PREFIX not in text and "_grader_probe_" not in text
