"""The arguments of the commands that work on a grading folder: `OUT` and `--assignment ID`.

A grading folder holds one problem set (the one `grade --assignment` graded into it), so the commands
find it there; `--assignment`, when given, must name it, which catches a folder mixed up with another.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.parsing import add_assignment
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.results.grades_table import graded_state


def add_folder_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="the --out folder of `grade`")
    add_assignment(parser)


def checked_folder(args: argparse.Namespace) -> Path:
    """`args.out`, once it is known to be a graded folder of `--assignment` (InputError if not)."""
    graded_state(args.out)  # a folder never graded: one line, before anything is read
    graded = folder(args.out).course.problem_set.id
    if args.assignment is not None and args.assignment != graded:
        raise InputError(f"{args.out} is the grading folder of {graded!r}, not {args.assignment!r}")
    return args.out
