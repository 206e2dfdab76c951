"""Upstream nbgrader as a user runs it: its CLI, in a throw-away copy of the course.

The tests grade with plain `nbgrader autograde` next to our own pipeline, to show what upstream does
and that the course directory works with it. Every nbgrader call is a real `nbgrader` subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.course.grading_course import default_db_url
from helpers.ps1 import ASSIGNMENT, COURSE_DIR, NOTEBOOK, REPO_DIR


def nbgrader_command() -> list[str]:
    """The nbgrader executable of the project's virtualenv, else the one of the running Python."""
    venv = REPO_DIR / ".venv" / "bin" / "nbgrader"
    return [str(venv)] if venv.exists() else [sys.executable, "-m", "nbgrader"]


def venv_on_path() -> dict[str, str]:
    """Put the virtualenv's bin/ first on PATH (in os.environ, and return it).

    nbgrader's Gradebook runs the `alembic` executable found on PATH, so a process started as
    `.venv/bin/python` without an activated virtualenv cannot open a gradebook otherwise.
    """
    bins = [str(Path(sys.executable).parent), str(REPO_DIR / ".venv" / "bin")]
    path = os.environ.get("PATH", "").split(os.pathsep)
    os.environ["PATH"] = os.pathsep.join([b for b in bins if b not in path] + path)
    return dict(os.environ)


def make_course(tmpdir: str | Path) -> Path:
    """Copy `source/` and `nbgrader_config.py` into `<tmpdir>/course` and return that directory."""
    course = Path(tmpdir) / "course"
    course.mkdir(parents=True, exist_ok=True)
    shutil.copytree(COURSE_DIR / "source", course / "source", dirs_exist_ok=True)
    shutil.copy2(COURSE_DIR / "nbgrader_config.py", course / "nbgrader_config.py")
    return course


def run_nbgrader(course: Path, *args: str, db: str | None = None) -> subprocess.CompletedProcess:
    """Run `nbgrader <args> --db <db>` with the course as working directory; raise on failure."""
    cmd = [*nbgrader_command(), *args, f"--db={db or default_db_url(course)}"]
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, env=venv_on_path())
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def generate(course: Path, db: str | None = None) -> Path:
    """`nbgrader generate_assignment ps1 --force`; returns the release notebook."""
    run_nbgrader(course, "generate_assignment", ASSIGNMENT, "--force", db=db)
    return Path(course) / "release" / ASSIGNMENT / NOTEBOOK


def submit(course: Path, student: str, notebook: str | Path) -> Path:
    """Place a notebook where nbgrader looks for it: submitted/<student>/ps1/PS1.ipynb."""
    target = Path(course) / "submitted" / student / ASSIGNMENT / NOTEBOOK
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(notebook, target)
    return target


def autograde(course: Path) -> subprocess.CompletedProcess:
    """`nbgrader autograde ps1 --force` for every submission in the course."""
    return run_nbgrader(course, "autograde", ASSIGNMENT, "--force")


def scores(course: Path) -> dict[str, dict[str, float]]:
    """Per student: the autograded score of every graded cell, plus "code" and "max_code" totals."""
    result: dict[str, dict[str, float]] = {}
    venv_on_path()
    with Gradebook(default_db_url(course)) as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            per_cell: dict[str, float] = {}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    per_cell[grade.name] = float(grade.score)
            per_cell["code"] = float(submission.code_score)
            per_cell["max_code"] = float(submission.max_code_score)
            result[submission.student.id] = per_cell
    return result
