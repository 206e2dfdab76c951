"""The source notebook: structure, points, and a clean top-to-bottom run of the solution (nbclient)."""

from __future__ import annotations

import re

import nbformat
import pytest
from helpers.ps1 import REPO_DIR, SOLUTION_NOTEBOOK, SOURCE_NOTEBOOK

from autograder.authoring.release import execute_notebook

README = REPO_DIR / "solutions" / "README.md"


def _cells():
    return nbformat.read(SOURCE_NOTEBOOK, as_version=4).cells


def test_every_cell_has_a_stable_unique_id_and_grade_id():
    cells = _cells()
    ids = [c.id for c in cells]
    assert len(set(ids)) == len(ids)
    for cell in cells:
        meta = cell.metadata["nbgrader"]
        assert meta["grade_id"] == cell.id
        assert meta["locked"] == (not meta["solution"]), cell.id  # everything but answers is read-only
        assert not cell.get("outputs"), "the source notebook is stored without outputs"


def test_points_add_up_to_100_and_match_the_readme_table():
    points = {c.id: c.metadata["nbgrader"]["points"] for c in _cells() if c.metadata["nbgrader"]["grade"]}
    assert sum(points.values()) == 100
    table = dict(re.findall(r"^\|\s*`(\w+)`\s*\|.*\|\s*(\d+)\s*\|\s*$", README.read_text(), re.MULTILINE))
    assert {k: int(v) for k, v in table.items()} == points


def test_answer_and_test_cells_have_their_markers():
    for cell in _cells():
        meta = cell.metadata["nbgrader"]
        if meta["solution"] and cell.cell_type == "code":
            assert cell.source.count("### BEGIN SOLUTION") == cell.source.count("### END SOLUTION") >= 1
        if meta["grade"] and cell.cell_type == "code":
            assert "### BEGIN HIDDEN TESTS" in cell.source and "### END HIDDEN TESTS" in cell.source


def test_committed_solution_notebook_matches_the_source():
    solution = nbformat.read(SOLUTION_NOTEBOOK, as_version=4).cells
    assert [(c.id, c.source) for c in solution] == [(c.id, c.source) for c in _cells()]
    assert any(o.output_type == "display_data" for c in solution if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_solution_notebook_runs_top_to_bottom_in_well_under_a_minute():
    nb, seconds = execute_notebook(SOURCE_NOTEBOOK)  # raises CellExecutionError on any error
    assert seconds < 45, f"the notebook took {seconds:.1f} s"
    out = {c.id: "".join(o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}
    error = float(re.search(r"final test error: ([\d.]+)%", out["p3_tests"]).group(1))
    assert error < 6.0, "the reference should clear the 8% threshold comfortably"
