"""`ps1 export <out>`: rewrite `<out>/grades.csv`, report.png and every feedback page from the gradebook.

The late penalty is computed on the current total (automatic + manual grades), not taken from
nbgrader: upstream computes it once, at autograde time, on the score known then, so manual grades
entered later would escape it. The feedback pages are rebuilt too (autograder/results/feedback_pages.py).

With `--canvas roster.csv` (Canvas's gradebook export) it also writes `<out>/canvas_import.csv` and
`<out>/canvas_unmatched.csv`; exit status 1 when a graded student is not in the roster.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.cli.folder_arguments import add_folder_arguments, checked_folder
from autograder.cli.parsing import command_parser
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.results import canvas, report
from autograder.results.feedback_pages import refresh
from autograder.results.grades_table import GradesRow, graded_state


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("export", __doc__)
    add_folder_arguments(parser)
    _add_canvas_options(parser)
    args = parser.parse_args(argv)
    roster = None
    ps = folder(checked_folder(args)).course.problem_set
    if args.canvas:
        try:  # before anything is written: a bad roster leaves every file as it was
            roster = canvas.read_roster(args.canvas, ps, match_by=args.match_by, column=args.canvas_column)
        except canvas.RosterError as exc:
            raise InputError(str(exc)) from None
    elif args.canvas_column or args.match_by != canvas.DEFAULT_MATCH:
        parser.error("--match-by and --canvas-column need --canvas ROSTER.csv")
    rows, pages = refresh(args.out)
    report.make_report(Path(args.out), rows)
    print(report.table(rows))
    print(f"wrote {Path(args.out) / 'grades.csv'}; rebuilt {len(pages)} feedback page(s)")
    return _canvas(args.out, roster, rows, match_by=args.match_by) if roster else 0


def _add_canvas_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--canvas", type=Path, metavar="ROSTER.csv", help="Canvas gradebook export to fill in"
    )
    parser.add_argument(
        "--match-by",
        choices=list(canvas.MATCH_COLUMNS),
        default=canvas.DEFAULT_MATCH,
        help="roster column matched to the student id of the zips: name = Student ('Last, First'), "
        "login = SIS Login ID, sis = SIS User ID, id = Canvas ID (default: name)",
    )
    parser.add_argument(
        "--canvas-column", help="assignment column to fill (default: the problem set's column)"
    )


def _canvas(out: Path, roster: canvas.Roster, rows: list[GradesRow], *, match_by: str) -> int:
    # Zips from Canvas's download carry their Canvas user id: then the ID column decides, not names.
    ids = {s: e.canvas_id for s, e in graded_state(out).students.items() if e.canvas_id}
    result = canvas.write_canvas(out, roster, rows, match_by=match_by, canvas_ids=ids)
    print("\n".join(canvas.summary(roster, result, folder(out).course.problem_set)))
    if not result.graded_unmatched:
        return 0
    names = ", ".join(str(u["student"]) for u in result.graded_unmatched)
    print(
        f"ps1 export: graded but not in the roster (by {result.matched_by}), so NOT in "
        f"{result.import_file.name}: {names}; see {result.unmatched_file}",
        file=sys.stderr,
    )
    return 1
