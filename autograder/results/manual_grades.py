"""Manual grades from a CSV (`ps1 manual`): set nbgrader's manual scores and comments, all or none.

The CSV has a header `student,question,points` and optionally `comment` (question = the cell's
grade_id, as in the grades.csv columns). Each row sets nbgrader's manual score for that cell in the
class gradebook (and the grader's comment on it), exactly as formgrader would; the late penalty is
then recomputed on the new total by grades_table.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder import ps1
from autograder.course import grading_course as cd
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.ps1 import ASSIGNMENT, NOTEBOOK_ID

HEADER = ("student", "question", "points")


class ManualGradeError(InputError):
    """A row of the manual grades CSV that cannot be applied (nothing was changed)."""


def read_sheet(csv_path: Path) -> list[dict]:
    """The rows of the sheet; ManualGradeError if it cannot be read or lacks the header."""
    try:
        with Path(csv_path).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManualGradeError(f"cannot read the manual grades sheet {csv_path}: {exc}") from None
    if not rows or not set(HEADER) <= set(rows[0]):
        raise ManualGradeError(f"{csv_path}: needs a header student,question,points[,comment] and rows")
    return rows


def _grade(gb: Gradebook, where: str, row: dict):  # -> nbgrader Grade
    """The gradebook's grade of this row's cell, or a ManualGradeError that says which name is wrong."""
    student, question = (row.get("student") or "").strip(), (row.get("question") or "").strip()
    questions = [q.grade_id for q in ps1.QUESTIONS if q.manual]
    if question not in {q.grade_id for q in ps1.QUESTIONS}:
        raise ManualGradeError(
            f"{where}: unknown question {question!r}; written answers: {', '.join(questions)}"
        )
    try:
        return gb.find_grade(question, NOTEBOOK_ID, ASSIGNMENT, student)
    except MissingEntry:
        raise ManualGradeError(
            f"{where}: unknown student {student!r}: no graded submission of that name (see grades.csv)"
        ) from None


def _comment(gb: Gradebook, where: str, row: dict) -> tuple[object | None, str]:
    """The gradebook's comment of this row's cell and the new text (None, "" when the row has none)."""
    text = (row.get("comment") or "").strip()
    if not text:
        return None, ""
    try:
        return gb.find_comment(row["question"].strip(), NOTEBOOK_ID, ASSIGNMENT, row["student"].strip()), text
    except MissingEntry:
        raise ManualGradeError(
            f"{where}: {row['question'].strip()} takes no comment (an autograded cell)"
        ) from None


def import_manual(out: Path, csv_path: Path) -> int:
    """Apply every row of `csv_path` to the gradebook of `out`; return how many were applied.

    Rows are all checked before any is written: one bad row changes nothing.
    """
    course = folder(out).course.root
    rows = read_sheet(csv_path)
    updates = []
    with cd.gradebook(course) as gb:
        for n, row in enumerate(rows, start=2):
            where = f"{csv_path} line {n}"
            grade = _grade(gb, where, row)
            try:
                points = float(row["points"])
            except (TypeError, ValueError):
                raise ManualGradeError(f"{where}: points {row['points']!r} is not a number") from None
            if not 0 <= points <= grade.max_score:
                raise ManualGradeError(
                    f"{where}: {points:g} points is outside 0..{grade.max_score:g} for {grade.name}"
                )
            updates.append((grade, points, (row.get("comment") or "").strip()))
        for grade, points, comment in updates:
            grade.manual_score = points
            grade.needs_manual_grade = False
            if comment:
                gb.find_comment(
                    grade.name, NOTEBOOK_ID, ASSIGNMENT, grade.student.id
                ).manual_comment = comment
        gb.db.commit()
    return len(updates)
