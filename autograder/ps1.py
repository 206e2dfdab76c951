"""What Problem Set 1 is: the one place that names its files, questions, points, deadline and references.

Everything else reads these values: the nbgrader metadata of the source notebook is checked against
`QUESTIONS` by a test (tests/unit/test_ps1_spec.py), the late policy reads its numbers here, the
outside checks their thresholds, submit and collect the zip name. Change a fact here, never a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# ---------------------------------------------------------------- files and names

REPO_DIR = Path(__file__).resolve().parent.parent
COURSE_DIR = REPO_DIR / "nbgrader_course"  # the nbgrader course directory (nbgrader_config.py, source/)
ASSIGNMENT = "ps1"  # the nbgrader assignment id
NOTEBOOK = "PS1.ipynb"  # the notebook students hand in
NOTEBOOK_ID = Path(NOTEBOOK).stem  # nbgrader's name for that notebook in the gradebook
DIGITS_FILE = "digits.npz"  # Problem 3's data: beside the notebook wherever it runs, and in the grader
SOURCE_DIR = COURSE_DIR / "source" / ASSIGNMENT  # nbgrader's source assignment folder
SOURCE_NOTEBOOK = SOURCE_DIR / NOTEBOOK  # solutions + hidden tests: never handed out
RUBRIC_NAME = "rubric.toml"  # the written answers' rubrics, beside the source notebook (autograder/rubric.py)
RUBRIC_FILE = SOURCE_DIR / RUBRIC_NAME
PAIRED_SCRIPT = COURSE_DIR / "PS1.py"  # jupytext percent pair of the source, for review (outside source/)
RELEASE_NOTEBOOK = REPO_DIR / "notebooks" / NOTEBOOK  # what students open
SOLUTION_NOTEBOOK = REPO_DIR / "solutions" / "PS1_solution.ipynb"
EXAMPLES_DIR = COURSE_DIR / "examples"  # sample zips graded by `make demo`
GRADEBOOK_FILE = "gradebook.db"  # nbgrader's SQLite gradebook in a course folder
ZIP_PREFIX = "PS1_"  # students send PS1_<FullName>.zip

# ---------------------------------------------------------------- questions and points


@dataclass(frozen=True)
class Question:
    """One graded cell: its nbgrader grade_id, its points, and who grades it."""

    grade_id: str
    points: float
    manual: bool  # a written answer graded by hand (True) or autograded tests (False)
    title: str


QUESTIONS = (
    Question("p1a_written", 10, True, "Problem 1a: backprop is correct (written)"),
    Question("p1a_tests", 10, False, "Problem 1a: gradient by EDF and by the chain rule"),
    Question("p1b_written", 10, True, "Problem 1b: naive second derivative (written)"),
    Question("p1b_naive_tests", 5, False, "Problem 1b: naive second derivative"),
    Question("p1b_true_tests", 10, False, "Problem 1b: true second derivative"),
    Question("p2_written", 15, True, "Problem 2: softmax Jacobian (written)"),
    Question("p2_tests", 15, False, "Problem 2: softmax Jacobian"),
    Question("p3_tests", 25, False, "Problem 3: MLP test error"),
)
AUTOGRADED = tuple(q.grade_id for q in QUESTIONS if not q.manual)
TOTAL_POINTS = sum(q.points for q in QUESTIONS)

# ---------------------------------------------------------------- deadline and late policy

COURSE_TIMEZONE = "America/Chicago"  # naive times (times.csv, --due) are read in this zone
DUE_DATE = "2017-01-12 12:00 America/Chicago"
PERCENT_PER_DAY = 10.0  # percent of the total (automatic + manual) lost per started day late
MAX_LATE_DAYS = 3  # later than this many days: not accepted
GRACE_MINUTES = 0  # a submission this many minutes after the deadline still counts as on time

# ---------------------------------------------------------------- references of the outside checks

P3_MAX_ERROR = 0.08  # Problem 3 passes when the grader's recomputed test error is below this
DIGITS_TEST_SIZE = 0.3  # DIGITS_FILE holds scikit-learn's digits split with this test share ...
DIGITS_SPLIT_SEED = 0  # ... and this random_state, stratified by label
MLP_SHAPE = (64, 10)  # Problem 3's network maps 8x8 images to 10 classes through one hidden layer
