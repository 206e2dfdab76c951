"""`ps1 submit --name "Full Name"`: check the notebook, run it, and make <prefix><FullName>.zip.

The same command as the handout's `submit.py`: the facts it checks against come from the release
notebook's nbgrader metadata and the problem set's spec, as the handout's `assignment.json` does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.cli.parsing import add_assignment, chosen_problem_set
from autograder.problem_set import ProblemSet
from autograder.repository import release_notebook
from autograder.student import command
from autograder.student.assignment import Assignment

PROG = "ps1 submit"  # = python -m autograder submit


def assignment(ps: ProblemSet) -> Assignment:
    """The problem set as submit sees it: the release's nbgrader cells, the notebook's name and the
    zip prefix."""
    return Assignment.from_release(release_notebook(ps), ps.notebook, ps.zip_prefix)


def default_notebook(ps: ProblemSet) -> Path:
    """notebooks/<notebook> of the working folder when there is one, else the course's release."""
    here = Path("notebooks") / ps.notebook
    return here if here.exists() else release_notebook(ps)


def main(argv: list[str] | None = None) -> int:
    chooser = argparse.ArgumentParser(add_help=False)  # the problem set first; submit parses the rest
    add_assignment(chooser)
    known, rest = chooser.parse_known_args(argv)
    ps = chosen_problem_set(known)
    return command.main(rest, assignment(ps), default_notebook(ps), prog=PROG)
