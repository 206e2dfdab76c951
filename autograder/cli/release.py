"""`ps1 release` (`make release`): regenerate what is made from a problem set's source notebook.

Writes the student's release notebook with the problem set's other files beside it (PS1's:
`notebooks/PS1.ipynb` and `digits.npz`) and the jupytext pair for review (`nbgrader_course/PS1.py`);
with `--solution` also re-executes the solution notebook (`solutions/PS1_solution.ipynb`). Where each
goes: autograder/repository.py.
"""

from __future__ import annotations

from autograder.authoring.release import write_pair, write_release, write_solution
from autograder.cli.parsing import add_assignment, chosen_problem_set, command_parser
from autograder.repository import course_dir, release_notebook, solution_notebook


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("release", __doc__)
    add_assignment(parser)
    parser.add_argument(
        "--solution", action="store_true", help="also re-execute the solution notebook into solutions/"
    )
    args = parser.parse_args(argv)
    ps = chosen_problem_set(args)
    root = course_dir().parent
    target = write_release(ps, release_notebook(ps))
    print(f"release: {target.relative_to(root)} and the files beside it")
    print(f"jupytext pair: {write_pair(ps).relative_to(root)}")
    if args.solution:
        seconds = write_solution(ps)
        print(f"solution: {solution_notebook(ps).relative_to(root)} (executed in {seconds:.1f} s)")
    return 0
