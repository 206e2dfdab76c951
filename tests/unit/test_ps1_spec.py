"""autograder/ps1.py is the one description of PS1: the notebooks and the course config agree with it."""

from __future__ import annotations

import json
import re

import pytest

from autograder import ps1
from autograder.ps1 import QUESTIONS, RELEASE_NOTEBOOK, SOURCE_NOTEBOOK


def _graded_cells(path) -> list[tuple[str, float, bool]]:
    """(grade_id, points, graded by hand) of every graded cell, in notebook order."""
    cells = []
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            manual = bool(meta.get("solution")) or cell["cell_type"] != "code"
            cells.append((meta["grade_id"], float(meta["points"]), manual))
    return cells


@pytest.mark.parametrize("notebook", [SOURCE_NOTEBOOK, RELEASE_NOTEBOOK], ids=["source", "release"])
def test_the_notebooks_grade_exactly_the_questions_of_the_spec(notebook) -> None:
    assert _graded_cells(notebook) == [(q.grade_id, float(q.points), q.manual) for q in QUESTIONS]


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
