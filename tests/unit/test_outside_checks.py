"""Outside checks (autograder/nbgrader_ext/checks.py and the modules it reads), in this process:
references, draws, verdicts.

The probe runs here against the reference solution's functions (hypothesis over the grader's random
draws). tests/e2e/test_outside_checks_nbgrader.py grades the solution and every forger in a real
`nbgrader autograde`.
"""

from __future__ import annotations

import contextlib
import io
import time

import nbformat
import numpy as np
import pytest
from helpers.reference_solution import solution_namespace
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.utils import determine_grade, is_grade
from traitlets.config import Config

from autograder.nbgrader_ext import checks, digits, probe_result, reference_math
from autograder.nbgrader_ext.checks import ApplyOutsideChecks, apply_outcomes, configure_outside_checks
from autograder.nbgrader_ext.probe_result import check_mlp, check_value, evaluate, read_probe
from autograder.nbgrader_ext.probe_spec import Call, ProbeSpec, draw_spec, probe_source
from autograder.nbgrader_ext.reference_math import BIVARIATE, UNIVARIATE, bivariate, univariate
from autograder.nbgrader_ext.sandbox import configure_nbgrader
from autograder.ps1 import SOURCE_NOTEBOOK


@pytest.fixture(scope="module")
def solution_ns() -> dict:
    return solution_namespace()


def run_probe(spec: ProbeSpec, ns: dict, **limits: float) -> nbformat.NotebookNode:
    """Execute the probe source in `ns` and return a code cell holding its stdout, as nbclient would."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(probe_source(spec, **limits), ns)
    cell = new_code_cell(id=spec.cell_id)
    cell.outputs = [new_output("stream", name="stdout", text=out.getvalue())]
    return cell


def verdicts(spec: ProbeSpec, ns: dict, **limits: float) -> dict[str, probe_result.Outcome]:
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
    outcomes = verdicts(draw_spec(np.random.default_rng(seed)), solution_ns)
    assert all(o.passed for o in outcomes.values()), {q: o.detail for q, o in outcomes.items()}


def test_every_autograded_cell_of_the_assignment_has_an_outside_check() -> None:
    source = nbformat.read(SOURCE_NOTEBOOK, as_version=4)
    assert checks.unchecked_test_cells(source) == []
    graded_code = {
        c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.cell_type == "code" and is_grade(c)
    }
    assert graded_code == set(probe_result.QUESTIONS)


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
    X, _, y, _ = digits.digits_split()
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
    flags = apply_outcomes(nb, {"p2_tests": probe_result.Outcome(False, "softmax_jacobian(...) wrong")})
    assert determine_grade(cell)[0] == 0
    assert cell.outputs[0].ename == "OutsideCheckFailed"
    assert flags == [
        {"grade_id": "p2_tests", "in_kernel": True, "outside": False, "detail": "softmax_jacobian(...) wrong"}
    ]
    cell.outputs = [new_output("error", ename="AssertionError", evalue="", traceback=[])]
    flags = apply_outcomes(nb, {"p2_tests": probe_result.Outcome(True, "passed")})
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
