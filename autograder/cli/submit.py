"""`python -m autograder submit --name "Full Name"`: check PS1.ipynb, run it, and make PS1_<FullName>.zip."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.ps1 import REPO_DIR
from autograder.student.submit import DEFAULT_NOTEBOOK, SubmitError, submit


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder submit", description=__doc__.splitlines()[0])
    parser.add_argument("--name", help='your full name, e.g. --name "Ada Lovelace"')
    parser.add_argument("--notebook", type=Path, help=f"the notebook (default {DEFAULT_NOTEBOOK})")
    parser.add_argument("--out", type=Path, default=Path("."), help="folder for the zip (default: here)")
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)  # another source notebook to match
    args = parser.parse_args(argv)
    notebook = args.notebook
    if notebook is None:
        notebook = DEFAULT_NOTEBOOK if DEFAULT_NOTEBOOK.exists() else REPO_DIR / DEFAULT_NOTEBOOK
    try:
        submit(args.name or "", notebook, args.out, args.source)
    except SubmitError as exc:
        print(f"cannot submit: {exc}")
        return 1
    return 0
