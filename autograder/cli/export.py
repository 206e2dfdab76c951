"""`ps1 export <out>`: rewrite `<out>/grades.csv`, report.png and the feedback pages from the gradebook.

The late penalty is computed on the current total (automatic + manual grades), not taken from
nbgrader: upstream computes it once, at autograde time, on the score known then, so manual grades
entered later would escape it. The feedback pages are rebuilt too (autograder/results/feedback_pages.py).
"""

from __future__ import annotations

from pathlib import Path

from autograder.cli.parsing import command_parser
from autograder.results import report
from autograder.results.feedback_pages import refresh


def main(argv: list[str] | None = None) -> int:
    parser = command_parser("export", __doc__)
    parser.add_argument("out", type=Path, help="the --out folder of `python -m autograder grade`")
    args = parser.parse_args(argv)
    rows, pages = refresh(args.out)
    report.make_report(Path(args.out), rows)
    print(report.table(rows))
    print(f"wrote {Path(args.out) / 'grades.csv'}; rebuilt {len(pages)} feedback page(s)")
    return 0
