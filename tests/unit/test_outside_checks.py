"""Outside checks in this process: PS1's module (nbgrader_course/source/ps1/outside_checks/, loaded as
the grader loads it, tests/helpers/ps1_checks.py) for references, draws and verdicts, and the generic
preprocessors (autograder/nbgrader_ext/checks.py) with it, with none, and with broken modules.

The probe runs here against the reference solution's functions (hypothesis over the grader's random
draws). tests/e2e/test_outside_checks_nbgrader.py grades the solution and every forger in a real
`nbgrader autograde`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
import time
from datetime import datetime

import nbformat
import numpy as np
import pytest
from helpers.ps1 import PROBLEM_SET, SOURCE_NOTEBOOK
from helpers.ps1_checks import (
    FOLDER,
    PACKAGE,
    PATH,
    REFERENCES,
    digits,
    drawn,
    probe_result,
    probe_spec,
    reference_math,
)
from helpers.reference_solution import solution_namespace
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.utils import determine_grade, is_grade
from traitlets.config import Config, PyFileConfigLoader

from autograder.course import grading_course
from autograder.errors import InputError
from autograder.nbgrader_ext import checks, checks_module
from autograder.nbgrader_ext.checks import ApplyOutsideChecks, apply_outcomes, configure_outside_checks
from autograder.nbgrader_ext.kernel_guard import UNCAPPED_CELL_MARKER
from autograder.nbgrader_ext.probe_line import read_probe
from autograder.nbgrader_ext.sandbox import configure_nbgrader

Call, ProbeSpec, probe_source = probe_spec.Call, probe_spec.ProbeSpec, probe_spec.probe_source
check_mlp, check_value, evaluate = probe_result.check_mlp, probe_result.check_value, probe_result.evaluate
BIVARIATE, UNIVARIATE = reference_math.BIVARIATE, reference_math.UNIVARIATE
bivariate, univariate = reference_math.bivariate, reference_math.univariate


@pytest.fixture(scope="module")
def solution_ns() -> dict:
    return solution_namespace()


def run_cell(spec: ProbeSpec, ns: dict, **limits: float) -> nbformat.NotebookNode:
    """Execute the probe source in `ns` and return a code cell holding its stdout, as nbclient would."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(probe_source(spec, **limits), ns)
    cell = new_code_cell()
    cell.outputs = [new_output("stream", name="stdout", text=out.getvalue())]
    return cell


def verdicts(spec: ProbeSpec, ns: dict, **limits: float) -> dict[str, probe_result.Outcome]:
    """PS1's `judge` on the probe's line, read by the grader's reader."""
    return PACKAGE.judge(spec, *read_probe(run_cell(spec, ns, **limits), spec.nonce), REFERENCES)


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
    assert abs(sum(reference_math.ell_prime_terms(np.float64(x))) - _central(ell, x)) < 1e-6


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_softmax_reference_matches_finite_differences(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=int(rng.integers(2, 9))) * 3
    numeric = np.stack(
        [
            _central(lambda t, j=j: reference_math.stable_softmax(s + t * np.eye(len(s))[j]), 0.0)
            for j in range(len(s))
        ],
        axis=1,
    )
    p = reference_math.stable_softmax(s)
    assert np.allclose(reference_math.softmax_jacobian_reference(p), numeric, atol=1e-8)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**64 - 1))
def test_reference_solution_passes_every_drawn_check(solution_ns: dict, seed: int) -> None:
    """The references agree with the solution notebook's own functions on the grader's random draws."""
    outcomes = verdicts(drawn(seed), solution_ns)
    assert all(o.passed for o in outcomes.values()), {q: o.detail for q, o in outcomes.items()}


def test_every_autograded_cell_of_the_assignment_has_an_outside_check() -> None:
    source = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    assert checks.unchecked_test_cells(source, probe_result.QUESTIONS) == []
    graded_code = {
        c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.cell_type == "code" and is_grade(c)
    }
    assert graded_code == set(probe_result.QUESTIONS)


def test_draws_cover_other_sizes_functions_and_peaked_probabilities() -> None:
    spec = drawn(0)
    sizes = [len(c.args["p"]) for c in spec.calls if c.fn == "softmax_jacobian"]
    assert min(sizes) < 4 < max(sizes)
    assert any(max(c.args["p"]) > 1 - 1e-10 for c in spec.calls if c.fn == "softmax_jacobian")
    combos = {(c.args["g"], c.args["h"], c.args["f"]) for c in spec.calls if "g" in c.args}
    assert ("sin", "square", "problem1") in combos and len(combos) >= 2
    assert spec.calls[0].fn == "mlp"
    assert drawn(0, "other").nonce == "other"  # the nonce is the grader's, never from rng


# ---------------------------------------------------------------- failures, in process


def test_wrong_functions_fail_with_readable_details(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    exec("def chain_rule_gradient(x0):\n    return 1.2\n", ns)
    exec("def softmax_jacobian(p):\n    return np.eye(4) * p - np.outer(p, p)\n", ns)
    exec("def naive_second_derivative(x0, g, h, f):\n    return -2 * np.sin(x0)\n", ns)
    outcomes = verdicts(drawn(3), ns)
    assert outcomes["p1a_tests"].detail.startswith("chain_rule_gradient(")
    assert "= 1.2, expected" in outcomes["p1a_tests"].detail
    assert "softmax_jacobian(p of size" in outcomes["p2_tests"].detail
    assert "naive_second_derivative(" in outcomes["p1b_naive_tests"].detail
    assert outcomes["p1b_true_tests"].passed and outcomes["p3_tests"].passed


def test_untrained_network_fails_and_reports_the_claimed_error(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    ns["history"] = {"test error": [0.0]}
    exec("x_in, labels_in, p_out, loss_out = build_mlp(64, 16, 10, np.random.default_rng(1))", ns)
    detail = verdicts(drawn(4), ns)["p3_tests"].detail
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
    assert not verdicts(drawn(5), ns)["p1a_tests"].passed


def test_an_endless_function_costs_only_its_own_question(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    exec("def chain_rule_gradient(x0):\n    while True:\n        pass\n", ns)
    start = time.perf_counter()
    outcomes = verdicts(drawn(6), ns, call_seconds=0.2)
    assert time.perf_counter() - start < 2.0  # one alarm, later calls of the same function skipped
    assert "TimeoutError" in outcomes["p1a_tests"].detail
    assert all(o.passed for q, o in outcomes.items() if q != "p1a_tests")


def test_edf_precision_chosen_for_training_does_not_leak_into_problem_1(solution_ns: dict) -> None:
    ns = dict(solution_ns)
    ns["edf"].DT = np.float32
    try:
        assert verdicts(drawn(7), ns)["p1a_tests"].passed
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
    outcomes = evaluate(drawn(0), None, "the probe printed no result", REFERENCES)
    assert not any(o.passed for o in outcomes.values())


def _ridge_network() -> list[np.ndarray]:
    """A 64-64-10 'network' that passes: identity first layer (pixels are >= 0), ridge output layer."""
    X, _, y, _ = digits.digits_split(FOLDER)
    Xb = np.hstack([X, np.ones((len(X), 1))])
    W = np.linalg.solve(Xb.T @ Xb + 1e-2 * np.eye(65), Xb.T @ np.eye(10)[y])
    return [np.eye(64), np.zeros(64), W[:64], W[64]]


def _mlp_entry(weights: list[np.ndarray]) -> dict:
    pairs = [weights[i : i + 2] for i in range(0, len(weights), 2)]
    return {"value": {"layers": [{"w": w.tolist(), "b": b.tolist()} for w, b in pairs], "kinds": []}}


def test_mlp_check_recomputes_the_test_error() -> None:
    good = _ridge_network()
    assert check_mlp(_mlp_entry(good), REFERENCES) is None
    assert check_mlp(_mlp_entry(good[2:] + good[:2]), REFERENCES) is None  # layer order does not matter
    rng = np.random.default_rng(0)
    assert "recomputed" in check_mlp(_mlp_entry([rng.normal(size=a.shape) for a in good]), REFERENCES)
    assert "found 3" in check_mlp(_mlp_entry(good + good[2:]), REFERENCES)
    assert "64-H-10" in check_mlp(_mlp_entry([good[0][:, :5], good[1], good[2], good[3]]), REFERENCES)
    assert "could not read" in check_mlp({"error": "KeyError: 'p_out'"}, REFERENCES)
    assert "needs < 0%" in check_mlp(_mlp_entry(good), {**REFERENCES, "p3_max_error": 0.0})  # the spec's


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


# ---------------------------------------------------------------- the generic preprocessors and the loader


def _graded_cell(grade_id: str, code: str, *, passed: bool) -> nbformat.NotebookNode:
    """An autograded test cell as Execute leaves it: passed (no output) or failed (an error)."""
    cell = new_code_cell(code, id=grade_id)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": grade_id, "points": 5}
    if not passed:
        cell.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    return cell


def _run_appended_cell(nb: nbformat.NotebookNode, ns: dict) -> None:
    """Stand-in for Execute: run the appended probe cell in `ns` and keep its stdout as its output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(nb.cells[-1].source, ns)
    nb.cells[-1].outputs = [new_output("stream", name="stdout", text=out.getvalue())]


def test_the_preprocessors_run_ps1s_module_from_its_path(solution_ns: dict) -> None:
    """AppendProbe draws the nonce and asks the module for the cell; ApplyOutsideChecks judges it."""
    cells = [_graded_cell(q, "pass", passed=True) for q in probe_result.QUESTIONS]
    nb, resources = new_notebook(cells=cells), {}
    append = checks.AppendProbe(checks_module=str(PATH), references=PROBLEM_SET.references)
    nb, resources = append.preprocess(nb, resources)
    probe = nb.cells[-1]
    assert probe.id.startswith(checks.PROBE_ID_PREFIX) and probe.source.startswith(UNCAPPED_CELL_MARKER)
    assert resources["outside_checks"].nonce in probe.source
    _run_appended_cell(nb, dict(solution_ns))
    nb, _ = ApplyOutsideChecks().preprocess(nb, resources)
    report = nb.metadata["autograder"]
    assert [c.id for c in nb.cells] == list(probe_result.QUESTIONS)  # the probe cell is gone
    assert report["unchecked"] == [] and report["flags"] == []
    assert all(v["passed"] for v in report["outside_checks"].values()), report


def test_without_a_checks_module_the_in_kernel_tests_grade_every_autograded_cell(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A problem set with no `checks`: no probe cell, no verdict, every autograded cell listed as
    unchecked (with a warning), and its score is what its in-kernel tests gave."""
    cells = [_graded_cell("warm_up_tests", "pass", passed=True), _graded_cell("w2_tests", "x", passed=False)]
    nb, resources = new_notebook(cells=cells), {}
    nb, resources = checks.AppendProbe().preprocess(nb, resources)
    assert len(nb.cells) == 2
    nb, _ = ApplyOutsideChecks().preprocess(nb, resources)
    report = nb.metadata["autograder"]
    assert report["outside_checks"] == {} and report["flags"] == [] and report["probe_seconds"] is None
    assert report["unchecked"] == ["warm_up_tests", "w2_tests"]
    assert [determine_grade(c)[0] for c in nb.cells] == [5, 0]
    assert "autograded cells without an outside check" in caplog.text


ONE_FILE_CHECKS = """
import json


def draw(rng, nonce, references):
    x = float(rng.uniform(1, 2))
    return f"import json\\nprint({nonce!r}, json.dumps({{'y': double({x!r})}}))", x


def judge(drawn, result, missing, references):
    if result is None:
        return {"w1_tests": (False, missing)}
    ok = result.get("y") == references["factor"] * drawn
    return {"w1_tests": (ok, "passed" if ok else f"double({drawn}) = {result.get('y')}")}
"""


def _one_file_module(folder, text: str = ONE_FILE_CHECKS):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checks.py").write_text(text)
    return folder / "checks.py"


@pytest.mark.parametrize("answer, passed", [("2 * x", True), ("x + 1", False)])
def test_another_problem_set_brings_its_own_checks_in_one_file(tmp_path, answer: str, passed: bool) -> None:
    path = _one_file_module(tmp_path / "warmup")
    nb = new_notebook(
        cells=[_graded_cell("w1_tests", "pass", passed=True), _graded_cell("w2_tests", "", passed=True)]
    )
    append = checks.AppendProbe(checks_module=str(path), references={"factor": 2})
    nb, resources = append.preprocess(nb, {})
    _run_appended_cell(nb, {"double": eval(f"lambda x: {answer}")})
    nb, _ = ApplyOutsideChecks().preprocess(nb, resources)
    report = nb.metadata["autograder"]
    assert report["outside_checks"]["w1_tests"]["passed"] is passed
    assert report["unchecked"] == ["w2_tests"]  # the module checks only w1_tests
    assert determine_grade(nb.cells[0])[0] == (5 if passed else 0)


@pytest.mark.parametrize(
    "text, why",
    [
        (ONE_FILE_CHECKS.replace("def judge(", "def _judge("), "must define judge()"),
        (ONE_FILE_CHECKS.replace("def draw(", "def _draw("), "must define draw()"),
        ("x = 1\n", "must define draw() and judge()"),
        ("import no_such_module_here\n", "fail to load (ModuleNotFoundError"),
    ],
)
def test_a_module_without_draw_or_judge_is_refused_in_one_line(tmp_path, text: str, why: str) -> None:
    path = _one_file_module(tmp_path / "broken", text)
    with pytest.raises(InputError) as info:
        checks_module.load(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and why in message and "\n" not in message
    with pytest.raises(InputError, match="no outside-checks module there"):
        checks_module.load(tmp_path / "missing")


def test_references_may_not_take_the_names_the_grader_adds(tmp_path) -> None:
    path = _one_file_module(tmp_path / "w")
    with pytest.raises(InputError, match=r"\['folder'\]"):
        checks_module.check(path, {"folder": "/elsewhere"})
    with pytest.raises(InputError, match="plain|numbers, strings"):
        checks_module.check(path, {"when": datetime(2017, 1, 12)})  # TOML has dates; a config has JSON
    checks_module.check(path, {"factor": 2})


def test_a_judge_that_answers_something_else_is_a_bug_of_the_module(tmp_path) -> None:
    bad = ONE_FILE_CHECKS.replace('return {"w1_tests": (ok,', 'return {"w1_tests": (1,')
    nb, resources = checks.AppendProbe(
        checks_module=str(_one_file_module(tmp_path, bad)), references={"factor": 2}
    ).preprocess(new_notebook(cells=[_graded_cell("w1_tests", "pass", passed=True)]), {})
    _run_appended_cell(nb, {"double": lambda x: 2 * x})
    with pytest.raises(TypeError, match=r"judge\(\) must return"):
        ApplyOutsideChecks().preprocess(nb, resources)


def test_copies_of_one_module_are_one_module_and_get_their_own_folder(tmp_path) -> None:
    """Every job grades in its own copy of the course: the same bytes load once; each copy's references
    name its own folder (where its data is); changed bytes are a new module."""
    one, two = _one_file_module(tmp_path / "one"), _one_file_module(tmp_path / "two")
    assert checks_module.load(one) is checks_module.load(two)
    assert checks_module.references_for(two, {})["folder"] == str((tmp_path / "two").resolve())
    three = _one_file_module(tmp_path / "three", ONE_FILE_CHECKS + "\n# changed\n")
    assert checks_module.load(three) is not checks_module.load(one)
    assert checks_module.load(PATH) is PACKAGE  # PS1's package, as the tests' helper loaded it


def test_configure_names_the_module_and_its_references() -> None:
    c = Config()
    configure_outside_checks(c, "/course/source/ps1/outside_checks", {"p3_max_error": 0.08})
    assert c.AppendProbe.checks_module == "/course/source/ps1/outside_checks"
    assert c.AppendProbe.references == {"p3_max_error": 0.08}


def test_a_grading_course_finds_its_own_copy_of_the_checks(tmp_path) -> None:
    """The config names the module relative to itself (grading folders are copied and moved), carries
    the references, and keeps the module out of each student's folder; a problem set without checks
    gets none. A changed check changes the source digest: everything is graded again."""
    config = tmp_path / "moved" / "course" / "nbgrader_config.py"
    config.parent.mkdir(parents=True)
    config.write_text("c = get_config()  # noqa\n" + grading_course.checks_config(PROBLEM_SET))
    loaded = PyFileConfigLoader(config.name, path=str(config.parent)).load_config()
    assert loaded.AppendProbe.checks_module == str(config.parent / "source" / "ps1" / "outside_checks")
    assert loaded.AppendProbe.references == PROBLEM_SET.references
    assert CourseDirectory(config=loaded).ignore[-1] == "outside_checks"
    none = dataclasses.replace(PROBLEM_SET, checks_name=None)
    assert "checks_module = ''" in grading_course.checks_config(none)
    source = tmp_path / "source" / "ps1"
    shutil.copytree(PROBLEM_SET.folder, source, ignore=shutil.ignore_patterns("__pycache__"))
    before = grading_course.source_digest(source)
    with (source / "outside_checks" / "probe_result.py").open("a") as f:
        f.write("\n# a changed check\n")
    assert grading_course.source_digest(source) != before
