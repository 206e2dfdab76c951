"""`ps1 examples`: rebuild a problem set's sample zips, times.csv and hand-grading sheets."""

from __future__ import annotations

from pathlib import Path

from autograder import problem_set
from autograder.authoring.examples import build
from autograder.cli.parsing import add_assignment, chosen_problem_set, command_parser
from autograder.errors import InputError
from autograder.repository import examples_dir


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("examples", __doc__)
    add_assignment(parser)
    parser.add_argument("--source", type=Path, help="a problem set folder elsewhere (tests)")
    parser.add_argument("--out", type=Path, help="output folder (default nbgrader_course/examples/<id>)")
    args = parser.parse_args(argv)
    ps = problem_set.load(args.source) if args.source else chosen_problem_set(args)  # InputError if not one
    out = args.out or examples_dir(ps)
    try:  # an unwritable --out would otherwise end in a traceback (status 1)
        paths = build(out, ps)
    except OSError as exc:
        raise InputError(f"cannot write the examples into {out}: {exc.strerror}") from None
    for path in paths:
        print(path)
    return 0
