"""PS1's folder is the one description of PS1: the notebooks, docs and the course config agree with it."""

from __future__ import annotations

import json
import re

import pytest
from helpers import ps1
from helpers.ps1 import QUESTIONS, RELEASE_NOTEBOOK, SOURCE_NOTEBOOK

from autograder.problem_set import graded_cells


def test_the_release_grades_exactly_the_questions_of_the_source() -> None:
    """The questions are read from the source notebook; the notebook students open must agree."""
    assert graded_cells(RELEASE_NOTEBOOK) == [(q.grade_id, q.points, q.manual) for q in QUESTIONS]
    assert [q.grade_id for q in QUESTIONS] == [gid for gid, _, _ in graded_cells(SOURCE_NOTEBOOK)]


def test_every_cell_id_is_its_grade_id() -> None:
    """The jupytext pair restores cell ids from grade_ids, and students' cells are found by both."""
    for cell in json.loads(SOURCE_NOTEBOOK.read_text(encoding="utf-8"))["cells"]:
        assert cell["id"] == cell["metadata"]["nbgrader"]["grade_id"]


def test_the_notebook_states_the_spec_points_and_late_policy() -> None:
    """The points table of the notebook's first cell and its late-policy text say what the spec says."""
    intro = "".join(json.loads(SOURCE_NOTEBOOK.read_text(encoding="utf-8"))["cells"][0]["source"])
    total = re.search(r"\*\*Total\*\* \| \| \*\*(\d+)\*\*", intro)
    assert total and float(total.group(1)) == ps1.TOTAL_POINTS
    assert ps1.TOTAL_POINTS == 100


def test_names_derive_from_one_another() -> None:
    assert ps1.NOTEBOOK_ID == "PS1" and ps1.ZIP_PREFIX == ps1.NOTEBOOK_ID + "_"
    assert SOURCE_NOTEBOOK.is_file() and RELEASE_NOTEBOOK.is_file()
    assert ps1.AUTOGRADED == ("p1a_tests", "p1b_naive_tests", "p1b_true_tests", "p2_tests", "p3_tests")


@pytest.mark.parametrize("doc", ["README.md", "solutions/README.md"])
def test_the_points_tables_in_the_docs_say_what_the_spec_says(doc: str) -> None:
    """Rows `| `grade_id` | problem | graded | points |`: same questions, order, graders and points."""
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]+) \| (\d+) \|$", (ps1.REPO_DIR / doc).read_text(), re.M)
    assert [(gid, how.strip() == "by hand", float(pts)) for gid, how, pts in rows] == [
        (q.grade_id, q.manual, float(q.points)) for q in QUESTIONS
    ]
