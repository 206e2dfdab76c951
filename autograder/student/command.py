"""The submit command's arguments and messages, shared by `python -m autograder submit` and the handout.

Both front ends pass the `Assignment` and the default notebook; a refusal is one line on stderr
("cannot submit: ...") and exit status 2, and nothing is written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from .assignment import Assignment
from .submit import SubmitError, submit


class OneLineParser(argparse.ArgumentParser):
    """A bad option is one line on stderr, exit status 2, like every other command."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None, assignment: Assignment, default_notebook: Path, *, prog: str) -> int:
    """Parse `argv`, submit, and return the exit status (0 done, 2 refused)."""
    parser = OneLineParser(
        prog=prog, description=f"check {assignment.notebook}, run it, and make the zip to hand in"
    )
    parser.add_argument("--name", help='your full name, e.g. --name "Ada Lovelace"')
    parser.add_argument("--notebook", type=Path, help=f"the notebook (default {default_notebook})")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the zip (default: here)")
    parser.add_argument(
        "--browser",
        metavar="PATH",
        help="Chrome, Chromium or Edge to print the PDF with (default: $CHROMIUM, else the one found)",
    )
    args = parser.parse_args(argv)
    try:
        submit(
            args.name or "",
            args.notebook or default_notebook,
            args.out,
            assignment=assignment,
            prog=prog,
            browser=args.browser,
        )
    except SubmitError as exc:
        print(f"cannot submit: {exc}", file=sys.stderr)
        return 2
    return 0
