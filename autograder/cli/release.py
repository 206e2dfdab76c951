"""`ps1 release` (`make release`): regenerate what is made from the source notebook.

Writes `notebooks/PS1.ipynb` (the student's release, Problem 3's data file from the source folder beside
it) and `nbgrader_course/PS1.py` (the jupytext pair for review); with `--solution` also re-executes
`solutions/PS1_solution.ipynb`.
"""

from __future__ import annotations

from autograder.authoring.release import write_pair, write_release, write_solution
from autograder.cli.parsing import command_parser
from autograder.ps1 import PAIRED_SCRIPT, RELEASE_NOTEBOOK, REPO_DIR, SOLUTION_NOTEBOOK


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("release", __doc__)
    parser.add_argument(
        "--solution", action="store_true", help="also re-execute the solution notebook into solutions/"
    )
    args = parser.parse_args(argv)
    write_release(RELEASE_NOTEBOOK)
    print(f"release: {RELEASE_NOTEBOOK.relative_to(REPO_DIR)} and the files beside it")
    write_pair()
    print(f"jupytext pair: {PAIRED_SCRIPT.relative_to(REPO_DIR)}")
    if args.solution:
        seconds = write_solution()
        print(f"solution: {SOLUTION_NOTEBOOK.relative_to(REPO_DIR)} (executed in {seconds:.1f} s)")
    return 0
