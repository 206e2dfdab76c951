"""Manual grades from a CSV (`python -m autograder manual`): set nbgrader's manual scores, all or none.

The CSV has a header `student,question,points` (question = the cell's grade_id, as in the grades.csv
columns). Each row sets nbgrader's manual score for that cell in `<out>/course/gradebook.db`, exactly
as formgrader would; the late penalty is then recomputed on the new total by export.py.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import MissingEntry

from autograder.course import grading_course as cd
from autograder.ps1 import ASSIGNMENT, NOTEBOOK_ID


class ManualGradeError(ValueError):
    """A row of the manual grades CSV that cannot be applied."""


def import_manual(out: Path, csv_path: Path) -> int:
    """Apply every row of `csv_path` to the gradebook of `out`; return how many were applied.

    Rows are all checked before any is written: one bad row changes nothing.
    """
    course = Path(out).resolve() / "course"
    with Path(csv_path).open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"student", "question", "points"} <= set(rows[0]):
        raise ManualGradeError(f"{csv_path}: the header must be student,question,points")
    updates = []
    with cd.gradebook(course) as gb:
        for n, row in enumerate(rows, start=2):
            student, question = row["student"].strip(), row["question"].strip()
            try:
                points = float(row["points"])
            except (TypeError, ValueError):
                raise ManualGradeError(f"line {n}: points {row['points']!r} is not a number") from None
            try:
                grade = gb.find_grade(question, NOTEBOOK_ID, ASSIGNMENT, student)
            except MissingEntry:
                raise ManualGradeError(
                    f"line {n}: no graded submission for student {student!r} with question {question!r}"
                ) from None
            if not 0 <= points <= grade.max_score:
                raise ManualGradeError(f"line {n}: {points} is outside 0..{grade.max_score} for {question}")
            updates.append((grade, points))
        for grade, points in updates:
            grade.manual_score = points
            grade.needs_manual_grade = False
        gb.db.commit()
    return len(updates)
