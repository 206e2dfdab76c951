"""`ps1 submit --name "Full Name"`: check PS1.ipynb, run it, and make PS1_<FullName>.zip.

The same command as the handout's `submit.py`: the facts it checks against come from the release
notebook's nbgrader metadata and PS1's spec, as the handout's `assignment.json` does.
"""

from __future__ import annotations

from pathlib import Path

from autograder.ps1 import NOTEBOOK, RELEASE_NOTEBOOK, ZIP_PREFIX
from autograder.student import command
from autograder.student.assignment import Assignment

PROG = "ps1 submit"  # = python -m autograder submit


def assignment() -> Assignment:
    """PS1 as submit sees it: the release's nbgrader cells, the notebook's name and the zip prefix."""
    return Assignment.from_release(RELEASE_NOTEBOOK, NOTEBOOK, ZIP_PREFIX)


def default_notebook() -> Path:
    """notebooks/PS1.ipynb of the working folder when there is one, else the repository's."""
    here = Path("notebooks") / NOTEBOOK
    return here if here.exists() else RELEASE_NOTEBOOK


def main(argv: list[str] | None = None) -> int:
    return command.main(argv, assignment(), default_notebook(), prog=PROG)
