"""`python -m autograder demo` (what `make demo` runs): the instructor's grading command on the examples.

It grades the sample zips of `autograder/examples/` (made by `make_examples.py` from the source
notebook: the full solution, a partial one, the untouched release, late and too-late hand-ins and
broken submissions) into `build/grading/`, exactly as `python -m autograder grade autograder/examples
--times autograder/examples/times.csv --out build/grading` would, and prints the table of results.
It exits non-zero when the solution does not get every autograded point or the blank release gets any.
"""

from __future__ import annotations

from autograder.grade import grade_examples


def main(argv: list[str] | None = None) -> int:
    rows = {row["student"]: row for row in grade_examples()}
    solution, blank = rows["AdaLovelace"], rows["UntouchedRelease"]
    print(
        f"\nsolution (AdaLovelace): {solution['raw_score']} autograded points; "
        f"untouched release: {blank['raw_score']} points"
    )
    return 0 if float(blank["raw_score"]) == 0 and solution["status"] == "ok" else 1
