"""`python -m autograder demo`: regenerate the release, then autograde two submissions with nbgrader.

The grading happens in a temporary copy of the course, so the repository only sees the regenerated
release. Student "solution" hands in the instructor's solution notebook (full autograded points);
student "blank" hands in the untouched release (zero).
"""

from __future__ import annotations

import tempfile

from autograder import release
from autograder.course import autograde, generate, make_course, scores, submit


def main(argv: list[str] | None = None) -> int:
    release.main([])
    with tempfile.TemporaryDirectory(prefix="ps1-demo-") as tmp:
        course = make_course(tmp)
        released = generate(course)
        submit(course, "solution", release.SOLUTION_NOTEBOOK)
        submit(course, "blank", released)
        autograde(course)
        graded = scores(course)
    for student in ("solution", "blank"):
        s = graded[student]
        print(f"{student:>8}: autograded score {s['code']:g} / {s['max_code']:g}")
    ok = graded["solution"]["code"] == graded["solution"]["max_code"] and graded["blank"]["code"] == 0
    return 0 if ok else 1
