"""`ps1 examples`: rebuild the sample zips of nbgrader_course/examples (and times.csv)."""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.examples import build
from autograder.cli.parsing import command_parser
from autograder.errors import InputError
from autograder.ps1 import EXAMPLES_DIR, NOTEBOOK


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("examples", __doc__)
    parser.add_argument("--source", type=Path, help="another source assignment folder (default: PS1's)")
    parser.add_argument(
        "--out", type=Path, default=EXAMPLES_DIR, help=f"output folder (default {EXAMPLES_DIR})"
    )
    args = parser.parse_args(argv)
    # Checked here: a missing source or an unwritable --out would otherwise end in a traceback (status 1).
    if args.source is not None and not (args.source / NOTEBOOK).is_file():
        raise InputError(f"--source {args.source} holds no {NOTEBOOK}: give a source assignment folder")
    try:
        paths = build(args.out, args.source)
    except OSError as exc:
        raise InputError(f"cannot write the examples into {args.out}: {exc.strerror}") from None
    for path in paths:
        print(path)
    return 0
