"""`python -m autograder <command> ...`: each command is a module of autograder/cli with a main(argv)."""

import importlib
import sys

COMMANDS = {
    "release": "regenerate notebooks/PS1.ipynb (and the jupytext pair) from the source notebook",
    "examples": "rebuild the sample zips of nbgrader_course/examples from the source notebook",
    "demo": "the `make demo` run: grade the bundled example zips",
    "grade": "instructor: folder of PS1_<FullName>.zip -> grades.csv, report.png, feedback",
    "export": "instructor: rewrite grades.csv (late penalty on the current total)",
    "manual": "instructor: import a student,question,points CSV of manual grades",
    "submit": "student: check PS1.ipynb and make PS1_<FullName>.zip",
    "handout": "instructor: write the student handout dist/PS1/ and dist/PS1.zip (no answers in it)",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        names = ", ".join(COMMANDS)
        print(f"usage: python -m autograder <command> [options]; commands: {names}", file=sys.stderr)
        return 2
    # Only the chosen command is imported: `submit` must not pay for nbgrader and Dask.
    module = importlib.import_module(f"autograder.cli.{argv[0]}")
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
