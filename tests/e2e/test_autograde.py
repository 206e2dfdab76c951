"""Real `nbgrader autograde` on four submissions (see conftest.py): full marks, zero, and hidden tests
that catch answers tailored to the visible tests."""

from __future__ import annotations

import pytest

TEST_CELLS = {"p1a_tests": 10, "p1b_naive_tests": 5, "p1b_true_tests": 10, "p2_tests": 15, "p3_tests": 25}
VISIBLE_PASSED = {
    "p1a_tests": "Problem 1a: visible checks passed",
    "p1b_naive_tests": "Problem 1b (naive sweep): visible checks passed",
    "p1b_true_tests": "Problem 1b (true second derivative): visible checks passed",
    "p2_tests": "Problem 2: visible checks passed",
    "p3_tests": "final test error:",
}

pytestmark = pytest.mark.slow


def _stdout(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


def _errors(cell) -> list:
    return [o for o in cell.outputs if o.output_type == "error"]


def test_solution_gets_every_autograded_point(graded):
    s = graded.scores["solution"]
    assert s["max_code"] == sum(TEST_CELLS.values()) == 65
    assert s["code"] == 65
    for cell, points in TEST_CELLS.items():
        assert s[cell] == points, cell


def test_untouched_release_gets_zero(graded):
    s = graded.scores["blank"]
    assert s["code"] == 0
    assert all(s[cell] == 0 for cell in TEST_CELLS)


def test_untouched_release_fails_only_where_student_code_is_needed(graded):
    nb = graded.autograded("blank")
    first_answer = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution"))
    failing = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for error in _errors(cell):
            assert error.ename == "NotImplementedError", (cell.id, error.ename, error.evalue)
            failing.append(i)
    assert failing and min(failing) > first_answer, "nothing may fail before the student's first answer"


@pytest.mark.parametrize("student", ["conceptual", "hardcoded"])
def test_hidden_tests_catch_answers_fitted_to_the_visible_tests(graded, student):
    s, expected = graded.scores[student], graded.expected_wrong[student]
    for cell, points in expected.items():
        assert s[cell] == points, (student, cell, s[cell])
    # Every zero above comes from a hidden test: the visible part of the cell ran and passed.
    cells = {c.id: c for c in graded.autograded(student).cells}
    for cell_id, points in expected.items():
        if points == 0:
            assert VISIBLE_PASSED[cell_id] in _stdout(cells[cell_id]), (student, cell_id)
