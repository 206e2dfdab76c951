"""`ps1 grade <folder-of-zips>`: from the students' zips to grades.csv, report.png and feedback pages."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import problem_set
from autograder.cli.parsing import add_assignment, chosen_problem_set, command_parser, positive_int
from autograder.course.layout import EXTENSIONS_FILE
from autograder.grading import coordinator
from autograder.grading.inputs import parse_due, read_times
from autograder.grading.jobs import FatalGradingError
from autograder.grading.request import DEFAULT_OUT, GradeRequest


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("grade", __doc__)
    parser.add_argument(
        "folder",
        type=Path,
        help="folder holding the students' <prefix><FullName>.zip files, or nbgrader's submitted/ folder "
        "(or the course folder holding it) after `nbgrader collect`, or Canvas's submissions download",
    )
    add_assignment(parser)
    parser.add_argument("--due", help="deadline (default: the problem set's, from its problem_set.toml)")
    parser.add_argument("--times", type=Path, help="CSV of file,timestamp (default: each zip's mtime)")
    parser.add_argument(
        "--extensions",
        type=Path,
        help=f"CSV of student,due or student,days rows; kept as OUT/{EXTENSIONS_FILE}, used whenever present",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default ./grading)")
    parser.add_argument("--force", action="store_true", help="regrade every zip, changed or not")
    parser.add_argument(
        "--workers",
        type=positive_int,
        help="submissions graded at once (default: one per core; 1 = in this process)",
    )
    parser.add_argument("--scheduler", help="address of an existing Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--db", help="SQLAlchemy URL of the class gradebook (default: SQLite in OUT/course)")
    parser.add_argument(
        "--source", type=Path, help=argparse.SUPPRESS
    )  # a problem set folder elsewhere (tests)
    # Benchmarks only: measures what the sandbox and the outside checks cost. Never grade students so.
    parser.add_argument("--no-sandbox-and-checks", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    ps = problem_set.load(args.source) if args.source else chosen_problem_set(args)
    request = GradeRequest(
        folder=args.folder,
        out=args.out,
        problem_set=ps,
        due=parse_due(args.due, ps.timezone) if args.due else None,
        times=read_times(args.times, ps.timezone) if args.times else {},
        extensions_csv=args.extensions,
        workers=args.workers,
        scheduler=args.scheduler,
        db=args.db,
        force=args.force,
        secure=not args.no_sandbox_and_checks,
    )
    try:
        coordinator.run(request)
    except FatalGradingError as exc:  # the setup is wrong: nothing was graded unconfined
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
