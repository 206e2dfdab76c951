"""`python -m autograder demo` (what `make demo` runs): the instructor's grading command on the examples.

It grades the sample zips of `nbgrader_course/examples/` (made by autograder/authoring/examples.py
from the source notebook: the full solution, a partial one, the untouched release, late and too-late
hand-ins and broken submissions) into `build/grading/`, exactly as `python -m autograder grade
nbgrader_course/examples --times nbgrader_course/examples/times.csv --out build/grading` would, and
prints the table of results. It exits non-zero when the solution does not get every autograded point
or the blank release gets any.
"""

from __future__ import annotations

from pathlib import Path

from autograder.grading import coordinator
from autograder.ps1 import EXAMPLES_DIR, REPO_DIR


def grade_examples(out: Path | None = None, force: bool = False) -> list[dict]:
    """Grade nbgrader_course/examples with its times.csv into build/grading; return the grades.csv rows."""
    out = out or REPO_DIR / "build" / "grading"
    return coordinator.run(EXAMPLES_DIR, out, times_csv=EXAMPLES_DIR / "times.csv", force=force)


def main(argv: list[str] | None = None) -> int:
    rows = {row["student"]: row for row in grade_examples()}
    solution, blank = rows["AdaLovelace"], rows["UntouchedRelease"]
    print(
        f"\nsolution (AdaLovelace): {solution['raw_score']} autograded points; "
        f"untouched release: {blank['raw_score']} points"
    )
    return 0 if float(blank["raw_score"]) == 0 and solution["status"] == "ok" else 1
