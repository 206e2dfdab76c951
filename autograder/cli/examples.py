"""`ps1 examples`: rebuild the sample zips of nbgrader_course/examples (and times.csv)."""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.examples import build
from autograder.cli.parsing import command_parser
from autograder.ps1 import EXAMPLES_DIR


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("examples", __doc__)
    parser.add_argument("--source", type=Path, help="another source assignment folder (default: PS1's)")
    parser.add_argument(
        "--out", type=Path, default=EXAMPLES_DIR, help=f"output folder (default {EXAMPLES_DIR})"
    )
    args = parser.parse_args(argv)
    for path in build(args.out, args.source):
        print(path)
    return 0
