"""`ps1 submit --name "Full Name"`: check PS1.ipynb, run it, and make PS1_<FullName>.zip."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.cli.parsing import command_parser
from autograder.ps1 import REPO_DIR
from autograder.student.submit import DEFAULT_NOTEBOOK, SubmitError, submit


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("submit", __doc__)
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
    except SubmitError as exc:  # one line on stderr, exit status 2, no zip written
        print(f"cannot submit: {exc}", file=sys.stderr)
        return 2
    return 0
