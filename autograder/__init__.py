"""The PS1 nbgrader course (this directory) and the grading code that drives it."""

from pathlib import Path

COURSE_DIR = Path(__file__).resolve().parent
REPO_DIR = COURSE_DIR.parent
ASSIGNMENT = "ps1"
NOTEBOOK = "PS1.ipynb"
