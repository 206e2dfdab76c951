"""The argument parser every command uses: `ps1 <command>` in its help, one-line errors, exit status 2."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

PROGRAM = "ps1"  # the console script of pyproject's [project.scripts]; `python -m autograder` is the same


class CommandParser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr (what, and where to look), exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


def command_parser(command: str, doc: str | None) -> CommandParser:
    """The parser of `ps1 <command>`, described by the first line of the command module's docstring."""
    first = (doc or "").strip().splitlines()[0] if doc else None
    return CommandParser(prog=f"{PROGRAM} {command}", description=first)


def positive_int(text: str) -> int:
    """argparse type for counts such as --workers: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: use 1 or more")
    return value
