"""`python -m autograder export <out>`: rewrite `<out>/grades.csv` and report.png from the gradebook.

The late penalty is computed on the current total (automatic + manual grades), not taken from
nbgrader: upstream computes it once, at autograde time, on the score known then, so manual grades
entered later would escape it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.results import report
from autograder.results.grades_table import export


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder export", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the --out folder of `python -m autograder grade`")
    args = parser.parse_args(argv)
    rows = export(args.out)
    report.make_report(Path(args.out), rows)
    print(report.table(rows))
    print(f"wrote {Path(args.out) / 'grades.csv'}")
    return 0
