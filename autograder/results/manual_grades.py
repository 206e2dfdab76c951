"""Manual grades from a CSV (`ps1 manual`): set nbgrader's manual scores and comments, all or none.

The CSV has a header `student,question` with `points` or `items` or both, and optionally `comment`
(question = the cell's grade_id, as in the grades.csv columns). A row gives either points, or the ids
of the rubric items that apply (separated by spaces or `;`; results/rubric_grades.py). Each row sets
nbgrader's manual score for that cell in the class gradebook (and the grader's comment on it), exactly
as formgrader would; the late penalty is then recomputed on the new total by grades_table.py.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.course import grading_course as cd
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.problem_set import ProblemSet
from autograder.results import rubric_grades
from autograder.rubric import Rubric

HEADER = ("student", "question")
GIVEN = ("points", "items")  # a sheet has one of these columns, or both


ITEMS = re.compile(r"[\s;]+")  # rubric item ids in one cell: separated by spaces or semicolons


class ManualGradeError(InputError):
    """A row of the manual grades CSV that cannot be applied (nothing was changed)."""


def read_sheet(csv_path: Path) -> list[dict]:
    """The rows of the sheet; ManualGradeError if it cannot be read or lacks the header."""
    try:
        with Path(csv_path).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManualGradeError(f"cannot read the manual grades sheet {csv_path}: {exc}") from None
    if not rows or not set(HEADER) <= set(rows[0]) or not set(GIVEN) & set(rows[0]):
        raise ManualGradeError(
            f"{csv_path}: needs a header student,question,points[,comment] (or items for points) and rows"
        )
    return rows


def _grade(gb: Gradebook, ps: ProblemSet, row: dict, *, where: str):  # -> nbgrader Grade
    """The gradebook's grade of this row's cell, or a ManualGradeError that says which name is wrong."""
    student, question = (row.get("student") or "").strip(), (row.get("question") or "").strip()
    questions = [q.grade_id for q in ps.questions if q.manual]
    if question not in {q.grade_id for q in ps.questions}:
        raise ManualGradeError(
            f"{where}: unknown question {question!r}; written answers: {', '.join(questions)}"
        )
    try:
        return gb.find_grade(question, ps.notebook_id, ps.id, student)
    except MissingEntry:
        raise ManualGradeError(
            f"{where}: unknown student {student!r}: no graded submission of that name (see grades.csv)"
        ) from None


def _comment(gb: Gradebook, ps: ProblemSet, row: dict, *, where: str) -> tuple[object | None, str]:
    """The gradebook's comment of this row's cell and the new text (None, "" when the row has none)."""
    text = (row.get("comment") or "").strip()
    if not text:
        return None, ""
    try:
        question, student = row["question"].strip(), row["student"].strip()
        return gb.find_comment(question, ps.notebook_id, ps.id, student), text
    except MissingEntry:
        raise ManualGradeError(
            f"{where}: {row['question'].strip()} takes no comment (an autograded cell)"
        ) from None


def import_manual(out: Path, csv_path: Path) -> int:
    """Apply every row of `csv_path` to the gradebook of `out`; return how many were applied.

    Rows are all checked before any is written: one bad row changes nothing.
    """
    rows = read_sheet(csv_path)
    rubrics = rubric_grades.rubrics_of(out)
    course = folder(out).course
    ps = course.problem_set
    with cd.gradebook(course.root) as gb:
        rubric_grades.ensure_table(gb, ps)

        def write() -> int:
            try:
                for n, row in enumerate(rows, start=2):
                    _apply(gb, ps, row, where=f"{csv_path} line {n}", rubrics=rubrics)
            except ManualGradeError:
                gb.db.rollback()  # one bad row changes nothing
                raise
            gb.db.commit()
            return len(rows)

        return rubric_grades.retrying(gb, write)


def _apply(gb: Gradebook, ps: ProblemSet, row: dict, *, where: str, rubrics: dict[str, Rubric]) -> None:
    """One row into the open transaction; ManualGradeError (and the caller rolls back) if it is wrong."""
    grade = _grade(gb, ps, row, where=where)
    points, items = (row.get("points") or "").strip(), ITEMS.split((row.get("items") or "").strip())
    items = [i for i in items if i]
    if bool(points) == bool(items):
        raise ManualGradeError(f"{where}: give points or rubric items for {grade.name}, one of the two")
    student = grade.student.id
    if items:
        if grade.name not in rubrics:
            raise ManualGradeError(f"{where}: {grade.name} has no rubric: give points")
        try:
            rubric_grades.apply(gb, ps, student, rubric=rubrics[grade.name], items=items)
        except InputError as exc:
            raise ManualGradeError(f"{where}: {exc}") from None
    else:
        grade.manual_score = _points(where, points, grade)
        grade.needs_manual_grade = False
        rubric_grades.forget(gb, ps, student, grade_id=grade.name)  # points given by hand replace the items
    comment, text = _comment(gb, ps, row, where=where)
    if comment is not None:
        comment.manual_comment = text


def _points(where: str, text: str, grade) -> float:  # grade: nbgrader Grade
    try:
        points = float(text)
    except ValueError:
        raise ManualGradeError(f"{where}: points {text!r} is not a number") from None
    if not 0 <= points <= grade.max_score:
        raise ManualGradeError(
            f"{where}: {points:g} points is outside 0..{grade.max_score:g} for {grade.name}"
        )
    return points
