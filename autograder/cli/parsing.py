"""The argument parser every command uses: `ps1 <command>` in its help, one-line errors, exit status 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from autograder import problem_set
from autograder.problem_set import ProblemSet
from autograder.repository import course_dir

SCRIPTS = ("grader", "ps1")  # pyproject's [project.scripts]: the course tool, and its alias for PS1


def program() -> str:
    """The name the command was called by (`python -m autograder` is the course tool's)."""
    name = Path(sys.argv[0]).name
    return name if name in SCRIPTS else SCRIPTS[0]


class CommandParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (what, and where to look), exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def command_parser(command: str, doc: str | None) -> CommandParser:
    """The parser of `grader <command>`, described by the first line of the command module's docstring."""
    first = (doc or "").strip().splitlines()[0] if doc else None
    return CommandParser(prog=f"{program()} {command}", description=first)


def positive_int(text: str) -> int:
    """argparse type for counts such as --workers: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: use 1 or more")
    return value


def add_assignment(parser: argparse.ArgumentParser) -> None:
    """`--assignment ID`: which problem set of the course (a folder of nbgrader_course/source/)."""
    parser.add_argument(
        "--assignment",
        metavar="ID",
        help=f"the problem set, a folder of {course_dir().name}/source/ (default: the only one)",
    )


def chosen_problem_set(args: argparse.Namespace) -> ProblemSet:
    """The problem set `--assignment` names, or the course's only one (InputError, one line, if not)."""
    return problem_set.select(course_dir(), args.assignment)
