"""`ps1 handout` (`make handout`): write the student handout dist/PS1/ and dist/PS1.zip."""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.handout import DIST_DIR, HandoutError, build
from autograder.cli.parsing import command_parser
from autograder.cli.submit import assignment
from autograder.errors import InputError


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("handout", __doc__)
    parser.add_argument("--out", type=Path, default=DIST_DIR, help=f"output folder (default {DIST_DIR})")
    args = parser.parse_args(argv)
    try:
        folder, archive = build(assignment().to_json(), args.out)
    except HandoutError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot write the handout into {args.out}: {exc.strerror}") from None
    print(f"handout: {folder}/ and {archive}")
    return 0
