"""Feedback HTML without the hidden tests.

Upstream `generate_feedback` renders the autograded notebook as is, so every hidden test (restored
from the gradebook at autograde time) is shown in full, and a failing one shows its source line in the
traceback. `HideHiddenTests`, added to `GenerateFeedback.preprocessors` by grade.py, cuts the
`### BEGIN/END HIDDEN TESTS` regions out of each cell and, for cells that had one, replaces any error
output by its exception name only. `GradeSummary` puts the student's final result (status, late days,
penalty, final score and the message of grades.csv) at the top of the page when the feedback is rebuilt
from the gradebook (results/feedback_pages.py sets `GradeSummary.summaries`), and `RubricItems` lists
under each written answer the rubric items it was graded with (`RubricItems.applied`).
"""

from __future__ import annotations

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode, from_dict
from nbformat.v4 import new_markdown_cell
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Dict, Unicode

NOTE = "# (hidden tests are not shown)"


def strip_hidden(
    source: str, begin: str = "BEGIN HIDDEN TESTS", end: str = "END HIDDEN TESTS"
) -> tuple[str, bool]:
    """Return `source` without its hidden test regions, and whether there was one."""
    kept: list[str] = []
    inside = removed = False
    for line in source.split("\n"):
        if begin in line:
            inside = removed = True
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    if removed:
        kept.append(NOTE)
    return "\n".join(kept), removed


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden test source and the tracebacks that would quote it."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)

    def preprocess_cell(
        self, cell: NotebookNode, resources: ResourcesDict, cell_index: int
    ) -> tuple[NotebookNode, ResourcesDict]:
        if cell.cell_type != "code":
            return cell, resources
        source, removed = strip_hidden(cell.source, self.begin_test_delimeter, self.end_test_delimeter)
        if not removed:
            return cell, resources
        cell.source = source
        outputs = []
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                text = f"{out.get('ename', 'Error')}: a test failed (details of hidden tests are not shown)\n"
                outputs.append(from_dict({"output_type": "stream", "name": "stderr", "text": text}))
            else:
                outputs.append(out)
        cell.outputs = outputs
        return cell, resources


class GradeSummary(NbGraderPreprocessor):
    """Insert the student's final result as the first cell of the feedback page (no summary: no cell)."""

    summaries = Dict(help="student id -> markdown summary of the final result").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        text = self.summaries.get(resources.get("nbgrader", {}).get("student"))
        if text:
            cell = new_markdown_cell(text)
            cell.metadata["autograder"] = {"summary": True}
            nb.cells.insert(0, cell)
        return nb, resources


class RubricItems(NbGraderPreprocessor):
    """Insert, after each written answer graded with the rubric, the items applied to it: their
    points and sentences (results/feedback_pages.py sets `applied` when it rebuilds the pages)."""

    applied = Dict(help="student id -> grade_id -> markdown list of the rubric items").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        mine = self.applied.get(resources.get("nbgrader", {}).get("student"), {})
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        for grade_id, text in mine.items():
            if grade_id in ids:
                at = ids.index(grade_id) + 1
                cell = new_markdown_cell(text)
                cell.metadata["autograder"] = {"rubric": grade_id}
                nb.cells.insert(at, cell)
                ids.insert(at, None)
        return nb, resources
