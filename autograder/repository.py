"""Where things are: this repository, the course folder, and what the authoring commands write.

The course folder is nbgrader's course: `nbgrader_config.py` and `source/<id>/`, one folder per problem
set (autograder/problem_set.py). It is `nbgrader_course/` of this repository unless the environment
variable AUTOGRADER_COURSE names another one (a course kept in its own repository, or a test's copy).
What students and instructors get from a problem set is written beside the course folder, as this
repository keeps PS1's:

    <course>/../notebooks/<notebook>                 the release notebook students open (+ its files)
    <course>/../solutions/<notebook id>_solution.ipynb   the executed solution
    <course>/<notebook id>.py                        the jupytext pair of the source, for review
    <course>/examples/<id>/                          sample submissions (`examples`), graded by `demo`
    <course>/../dist/                                the student handouts
"""

from __future__ import annotations

import os
from pathlib import Path

from autograder.problem_set import ProblemSet

REPO_DIR = Path(__file__).resolve().parent.parent  # edf.py, requirements.txt, environment.yml
COURSE_ENV = "AUTOGRADER_COURSE"
GRADEBOOK_FILE = "gradebook.db"  # nbgrader's SQLite gradebook in a course folder


def course_dir() -> Path:
    """The course folder: $AUTOGRADER_COURSE, else this repository's nbgrader_course/."""
    return Path(os.environ.get(COURSE_ENV) or REPO_DIR / "nbgrader_course").resolve()


def release_notebook(ps: ProblemSet) -> Path:
    return course_dir().parent / "notebooks" / ps.notebook


def solution_notebook(ps: ProblemSet) -> Path:
    return course_dir().parent / "solutions" / f"{ps.notebook_id}_solution.ipynb"


def paired_script(ps: ProblemSet) -> Path:
    return course_dir() / f"{ps.notebook_id}.py"


def examples_dir(ps: ProblemSet) -> Path:
    return course_dir() / "examples" / ps.id


def dist_dir() -> Path:
    return course_dir().parent / "dist"
