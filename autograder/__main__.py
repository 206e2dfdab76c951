"""`grader <command>` (= `ps1 <command>` = `python -m autograder <command>`): each command is a module of
autograder/cli. Commands that work on a problem set take `--assignment ID` (default: the only one)."""

import gc
import importlib
import sys
from importlib.metadata import PackageNotFoundError, version

from autograder.cli.parsing import program
from autograder.errors import InputError

COMMANDS = {
    "release": "regenerate a problem set's release notebook (and jupytext pair) from its source notebook",
    "examples": "rebuild a problem set's sample zips (nbgrader_course/examples/<id>) from its source",
    "demo": "the `make demo` run: grade the bundled example zips",
    "grade": "instructor: folder of <prefix><FullName>.zip -> grades.csv, report.png, feedback",
    "manual": "instructor: import a student,question,points (or items) CSV of manual grades",
    "written": "instructor/TA: grade written answers one question at a time, with the rubric, in a browser",
    "feedback": "instructor: rebuild every feedback page from the current gradebook",
    "export": "instructor: rewrite grades.csv (late penalty on the current total) and the feedback pages",
    "similarity": "instructor: pairs of students whose answers are alike (after grade; changes no grade)",
    "submit": "student: check the notebook and make <prefix><FullName>.zip",
    "handout": "instructor: write a problem set's student handout into dist/ (no answers in it)",
}
DISTRIBUTION = "ps1-bundle"  # pyproject's [project] name: the version comes from its metadata


def usage() -> str:
    """The top-level help: one line per command."""
    name = program()
    lines = [
        f"usage: {name} <command> [options]   ({name} <command> --help for its options)",
        "",
        "commands:",
    ]
    lines += [f"  {name:<9} {text}" for name, text in COMMANDS.items()]
    lines += ["", "options:", "  --version  print the version and exit", "  --help     print this and exit"]
    return "\n".join(lines)


def package_version() -> str:
    """The installed version of the package (pip install -e . records it from pyproject.toml)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown (not installed: run make setup)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    if argv and argv[0] == "--version":
        print(f"{program()} {package_version()}")
        return 0
    if not argv or argv[0] not in COMMANDS:
        said = f"unknown command {argv[0]!r}" if argv else "no command given"
        name = program()
        print(f"{name}: error: {said}; commands: {', '.join(COMMANDS)} (see {name} --help)", file=sys.stderr)
        return 2
    # Only the chosen command is imported: `submit` must not pay for nbgrader and Dask.
    module = importlib.import_module(f"autograder.cli.{argv[0]}")
    try:
        return module.main(argv[1:]) or 0
    except InputError as exc:  # bad input anywhere below: one line, nothing half-written
        print(f"{program()} {argv[0]}: error: {exc}", file=sys.stderr)
        return 2


def entry() -> None:
    """The `grader` console script (and its alias `ps1`)."""
    code = main()
    # The process ends here: without this, its final garbage collection walks every object nbgrader,
    # Dask and SQLAlchemy made (benchmarks/README.md: "The exit"); exit handlers still run.
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
