"""`python -m autograder <command> ...`: each command is a module of this package with a main(argv)."""

import importlib
import sys

COMMANDS = {
    "release": "autograder.release",  # regenerate notebooks/PS1.ipynb from the source notebook
    "demo": "autograder.demo",  # the `make demo` run on the bundled examples
    "grade": "autograder.grade",  # instructor: folder of PS1_<Name>.zip -> grades.csv, report.png, feedback
    "export": "autograder.export",  # instructor: rewrite grades.csv (late penalty on the current total)
    "manual": "autograder.manual",  # instructor: import a student,question,points CSV of manual grades
    "submit": "autograder.submit",  # student: check PS1.ipynb and make PS1_<FullName>.zip
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] not in COMMANDS:
        names = ", ".join(COMMANDS)
        print(f"usage: python -m autograder <command> [options]; commands: {names}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
