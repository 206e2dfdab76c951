"""nbgrader configuration of the PS1 course; nbgrader reads it when run with this directory as cwd."""

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "ps1-bundle"
# The spec, rubric and outside checks beside the source notebook stay with the instructor: in no release, no
# autograded copy (the grading courses copy the checks themselves, autograder/course/grading_course.py).
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "rubric.toml",
    "problem_set.toml",
    "outside_checks",
]
# The course root is the directory nbgrader runs in (this one, or a temporary copy made by
# autograder.course.grading_course); the gradebook defaults to <root>/gradebook.db (gitignored).

# Training in Problem 3 takes a few seconds; leave room on a loaded machine.
c.Execute.timeout = 120
# The release keeps visible tests and read-only cells; hidden tests and solutions are removed.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
