"""`python -m autograder manual <out> <grades.csv>`: import manual grades, then re-export grades.csv.

The CSV has a header `student,question,points` (question = the cell's grade_id, as in the grades.csv
columns). Each row sets nbgrader's manual score for that cell in `<out>/course/gradebook.db`, exactly
as formgrader would; the late penalty is then recomputed on the new total by export.py.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from autograder import ASSIGNMENT
from autograder import course_dir as cd


class ManualGradeError(ValueError):
    """A row of the manual grades CSV that cannot be applied."""


def import_manual(out: Path, csv_path: Path) -> int:
    """Apply every row of `csv_path` to the gradebook of `out`; return how many were applied.

    Rows are all checked before any is written: one bad row changes nothing.
    """
    from nbgrader.api import MissingEntry

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
                grade = gb.find_grade(question, cd.NOTEBOOK_ID, ASSIGNMENT, student)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder manual", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the --out folder of `python -m autograder grade`")
    parser.add_argument("csv", type=Path, help="CSV with columns student,question,points")
    args = parser.parse_args(argv)
    from autograder import export, report

    try:
        count = import_manual(args.out, args.csv)
    except ManualGradeError as exc:
        print(f"error: {exc}; nothing was changed")
        return 1
    rows = export.export(args.out)
    report.make_report(args.out, rows)
    print(report.table(rows))
    print(f"imported {count} manual grade(s); wrote {Path(args.out) / 'grades.csv'}")
    return 0
