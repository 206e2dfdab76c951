"""`ps1 similarity <out>` (after `ps1 grade`): pairs of students whose answers are alike, to weigh.

Writes `<out>/similarity/`: index.html (pairs ranked by code + written similarity, each with its
rank in code and in written answers, flagged ones marked), pairs.csv, distribution.png and a
side-by-side page per listed pair. It only reads the grading folder (one made by an older version is
first brought up to date, as every command does): no grade, status or message changes. A notebook
that cannot be read is named; the other students are still compared, and the command then exits
with status 2.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autograder.cli.folder_arguments import add_folder_arguments, checked_folder
from autograder.cli.parsing import command_parser
from autograder.course import grading_course as cd
from autograder.course.grading_folder import is_older
from autograder.course.run_lock import run_lock
from autograder.similarity.report import read_class, write_report


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("similarity", __doc__)
    add_folder_arguments(parser)
    args = parser.parse_args(argv)
    out = checked_folder(args).resolve()
    _bring_up_to_date(out)
    found = read_class(out)
    index = write_report(out, found)
    print(f"compared {len(found.students)} students; report: {index}")
    if found.missing:
        print(
            f"ps1 similarity: error: {len(found.missing)} notebook(s) not compared: "
            f"{'; '.join(found.missing)} (every other student was)",
            file=sys.stderr,
        )
        return 2
    return 0


def _bring_up_to_date(out: Path) -> None:
    """A folder an older version made is upgraded as every command does (its configuration and
    templates; no grade changes). Only the upgrade takes the run lock: comparing writes nothing but
    similarity/, so it never waited for another run and still does not."""
    if not is_older(out):
        return
    with run_lock(out):
        if cd.upgrade(out):
            print(cd.upgrade_note(out))
