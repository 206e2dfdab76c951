"""Outside checks in real runs: nbgrader's own Execute, and one `nbgrader autograde` of every forger.

The solution and every forger of tests/helpers/cheating/forgers.py are graded in ONE autograde
(sandboxed kernels when bwrap works, plain Execute otherwise).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from helpers.cheating.forgers import EXPECTED, FORGERS, build
from helpers.nbgrader_cli import autograde, generate, make_course, scores, submit
from helpers.ps1 import PROBLEM_SET, SOLUTION_NOTEBOOK, SOURCE_NOTEBOOK
from helpers.ps1_checks import PATH
from helpers.reference_solution import ANSWERS, IMPORTS, SOURCE_CELLS
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade

from autograder.nbgrader_ext import checks
from autograder.nbgrader_ext.checks import AppendProbe, ApplyOutsideChecks


@pytest.mark.slow
def test_plain_execute_route(tmp_path: Path) -> None:
    """AppendProbe -> nbgrader's own Execute -> ApplyOutsideChecks, one small notebook in a real kernel."""
    test_cell = new_code_cell("assert chain_rule_gradient(0.5) > 0", id="t")
    test_cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "p1a_tests", "points": 10}
    cells = [new_code_cell(IMPORTS, id="imports")]
    cells += [new_code_cell(SOURCE_CELLS[c], id=c) for c in ANSWERS] + [test_cell]
    nb, resources = new_notebook(cells=cells), {"metadata": {"path": str(tmp_path)}}
    append = AppendProbe(checks_module=str(PATH), references=PROBLEM_SET.references)
    for step in (append, Execute(), ApplyOutsideChecks()):
        nb, resources = step.preprocess(nb, resources)
    report = nb.metadata["autograder"]
    assert [c.id for c in nb.cells] == [c.id for c in cells]  # the probe cell is gone
    assert report["outside_checks"]["p1a_tests"]["passed"], report
    assert report["outside_checks"]["p2_tests"]["passed"], report
    assert "p_out" in report["outside_checks"]["p3_tests"]["detail"]  # no network in this notebook
    assert determine_grade(nb.cells[-1])[0] == 10


# ---------------------------------------------------------------- one real nbgrader run

CONFIG = """
# --- outside checks (tests/e2e/test_outside_checks_nbgrader.py) ---
import os
from autograder.nbgrader_ext.checks import configure_outside_checks
from autograder.nbgrader_ext.sandbox import configure_nbgrader, sandbox_warning

if sandbox_warning() is None:
    configure_nbgrader(c, mode="bwrap")
# PS1's checks in this course's copy of its folder, found from this file's place
here = os.path.dirname(os.path.abspath(__file__))
configure_outside_checks(c, os.path.join(here, "source", "ps1", "outside_checks"), {references!r})
"""


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("outside")
    course = make_course(tmp)
    release = generate(course)
    with (course / "nbgrader_config.py").open("a") as f:
        f.write(CONFIG.format(references=PROBLEM_SET.references))
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
        assert checks.PROBE_ID_PREFIX not in text and "_grader_probe" not in text
    assert not list((graded.course / "autograded").rglob("outside_checks"))  # nbgrader copied no checks
