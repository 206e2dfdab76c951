"""`ps1 handout` (`make handout`): write a problem set's student handout (PS1: dist/PS1/ and dist/PS1.zip)."""

from __future__ import annotations

from pathlib import Path

from autograder.authoring.handout import HandoutError, build
from autograder.cli.parsing import add_assignment, chosen_problem_set, command_parser
from autograder.cli.submit import assignment
from autograder.errors import InputError
from autograder.repository import dist_dir


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("handout", __doc__)
    add_assignment(parser)
    parser.add_argument("--out", type=Path, help=f"output folder (default {dist_dir()})")
    args = parser.parse_args(argv)
    ps = chosen_problem_set(args)
    out = args.out or dist_dir()
    try:
        folder, archive = build(assignment(ps).to_json(), out, ps)
    except HandoutError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot write the handout into {out}: {exc.strerror}") from None
    print(f"handout: {folder}/ and {archive}")
    return 0
