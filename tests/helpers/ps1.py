"""PS1 for the tests and benchmarks: the values of its folder, nbgrader_course/source/ps1/, by name.

The grading code names no problem set; tests of PS1 do. The facts live in the folder (problem_set.toml
and the notebook's nbgrader metadata, read by autograder/problem_set.py) and where the files made from
it go is autograder/repository.py's: this module only loads them once. Change a fact in the folder.
"""

from __future__ import annotations

from autograder import problem_set, repository

# ---------------------------------------------------------------- files and names

REPO_DIR = repository.REPO_DIR
COURSE_DIR = REPO_DIR / "nbgrader_course"  # the nbgrader course directory (nbgrader_config.py, source/)
ASSIGNMENT = "ps1"  # the nbgrader assignment id: the folder nbgrader_course/source/ps1/
SOURCE_DIR = COURSE_DIR / "source" / ASSIGNMENT  # nbgrader's source assignment folder
PROBLEM_SET = problem_set.load(SOURCE_DIR)  # problem_set.toml + the notebook's nbgrader metadata
NOTEBOOK = PROBLEM_SET.notebook  # the notebook students hand in
NOTEBOOK_ID = PROBLEM_SET.notebook_id  # nbgrader's name for that notebook in the gradebook
DIGITS_FILE = "digits.npz"  # Problem 3's data: beside the notebook wherever it runs, and in the grader
SOURCE_NOTEBOOK = PROBLEM_SET.source_notebook  # solutions + hidden tests: never handed out
RUBRIC_NAME = PROBLEM_SET.rubric_name  # the written answers' rubrics, beside the source notebook
RUBRIC_FILE = SOURCE_DIR / RUBRIC_NAME
PAIRED_SCRIPT = repository.paired_script(PROBLEM_SET)  # jupytext pair of the source (outside source/)
RELEASE_NOTEBOOK = repository.release_notebook(PROBLEM_SET)  # what students open
SOLUTION_NOTEBOOK = repository.solution_notebook(PROBLEM_SET)
EXAMPLES_DIR = repository.examples_dir(PROBLEM_SET)  # sample zips graded by `make demo`
GRADEBOOK_FILE = repository.GRADEBOOK_FILE
ZIP_PREFIX = PROBLEM_SET.zip_prefix  # students send PS1_<FullName>.zip

# ---------------------------------------------------------------- questions and points (the notebook's)

Question = problem_set.Question
QUESTIONS = PROBLEM_SET.questions
AUTOGRADED = PROBLEM_SET.autograded
TOTAL_POINTS = PROBLEM_SET.total_points

# ---------------------------------------------------------------- deadline and late policy

COURSE_TIMEZONE = PROBLEM_SET.timezone  # naive times (times.csv, --due) are read in this zone
DUE_DATE = PROBLEM_SET.due
PERCENT_PER_DAY = PROBLEM_SET.late.percent_per_day
MAX_LATE_DAYS = PROBLEM_SET.late.max_days
GRACE_MINUTES = PROBLEM_SET.late.grace_minutes

# ---------------------------------------------------------------- references of the outside checks

P3_MAX_ERROR = PROBLEM_SET.references["p3_max_error"]
DIGITS_TEST_SIZE = PROBLEM_SET.references["digits_test_size"]
DIGITS_SPLIT_SEED = PROBLEM_SET.references["digits_split_seed"]
MLP_SHAPE = tuple(PROBLEM_SET.references["mlp_shape"])
