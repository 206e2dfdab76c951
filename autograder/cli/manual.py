"""`python -m autograder manual <out> <grades.csv>`: import manual grades, then re-export grades.csv.

The CSV has a header `student,question,points` (question = the cell's grade_id, as in the grades.csv
columns). Each row sets nbgrader's manual score for that cell in the class gradebook, exactly as
formgrader would; the late penalty is then recomputed on the new total.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.results import report
from autograder.results.grades_table import export
from autograder.results.manual_grades import ManualGradeError, import_manual


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder manual", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the --out folder of `python -m autograder grade`")
    parser.add_argument("csv", type=Path, help="CSV with columns student,question,points")
    args = parser.parse_args(argv)
    try:
        count = import_manual(args.out, args.csv)
    except ManualGradeError as exc:
        print(f"error: {exc}; nothing was changed")
        return 1
    rows = export(args.out)
    report.make_report(args.out, rows)
    print(report.table(rows))
    print(f"imported {count} manual grade(s); wrote {Path(args.out) / 'grades.csv'}")
    return 0
