"""`ps1 manual <out> <grades.csv>`: import manual grades, then rewrite grades.csv and the feedback pages.

The CSV has a header `student,question` with `points` or `items`, and optionally `comment` (question =
the cell's grade_id, as in the grades.csv columns). A row gives points, or the ids of the rubric items
that apply (the rubric file beside the source notebook, PS1's nbgrader_course/source/ps1/rubric.toml;
several separated by spaces or `;`). Each row sets nbgrader's manual score (and the grader's comment)
of that cell in the class gradebook, exactly as formgrader would; the late penalty is then recomputed
on the new total and every feedback page rebuilt. One bad row changes nothing.
"""

from __future__ import annotations

from pathlib import Path

from autograder.cli.folder_arguments import add_folder_arguments, checked_folder
from autograder.cli.parsing import command_parser
from autograder.results import report
from autograder.results.feedback_pages import refresh
from autograder.results.manual_grades import import_manual


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("manual", __doc__)
    add_folder_arguments(parser)
    parser.add_argument("csv", type=Path, help="CSV with columns student,question,points or items[,comment]")
    args = parser.parse_args(argv)
    checked_folder(args)
    imported: list[int] = []
    rows, pages = refresh(args.out, lambda: imported.append(import_manual(args.out, args.csv)))
    report.make_report(args.out, rows)
    print(report.table(rows))
    print(
        f"imported {imported[0]} manual grade(s); wrote {Path(args.out) / 'grades.csv'} "
        f"and {len(pages)} feedback page(s)"
    )
    return 0
