"""Submissions collected through nbgrader's exchange: `submitted/<student>/ps1/PS1.ipynb` + `timestamp.txt`.

On JupyterHub, `nbgrader collect` leaves each student's notebook in the course's `submitted/` folder with
the time nbgrader's `submit` recorded. `grade` accepts that folder (or the course folder holding it)
instead of a folder of zips; each notebook is read with the same size limit as a zip's and graded the
same way, its submission time read from `timestamp.txt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder.course.layout import TIMESTAMP_FILE, read_timestamp
from autograder.grading.collect import MAX_NOTEBOOK_BYTES, Submission, SubmissionError
from autograder.problem_set import ProblemSet

SUBMITTED = "submitted"
# nbgrader takes the student id from the login name; anything else (".", "..", hidden folders) is refused.
STUDENT_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$")


@dataclass
class Collected:
    """One student's collected notebook and when nbgrader's `submit` says it was handed in."""

    student: str
    notebook: Path
    submitted: datetime  # aware, UTC


def submitted_folder(folder: Path) -> Path | None:
    """`folder` itself if it is nbgrader's `submitted/` folder, its `submitted/` if it is a course folder."""
    folder = Path(folder)
    if folder.name == SUBMITTED and not any(folder.glob("*.zip")):
        return folder
    inner = folder / SUBMITTED
    if inner.is_dir() and not any(folder.glob("*.zip")):
        return inner
    return None


def find_collected(submitted: Path, ps: ProblemSet) -> tuple[list[Collected], list[str]]:
    """Every student's `<student>/<id>/<notebook>` under `submitted`, and notes on what was skipped."""
    found, notes = [], []
    mine = f"{ps.id}/{ps.notebook}"
    for folder in sorted(p for p in submitted.iterdir() if p.is_dir()):
        notebook = folder / ps.id / ps.notebook
        if not STUDENT_ID.match(folder.name):
            notes.append(f"{folder.name!r}: skipped, not a student id")
            continue
        if notebook.is_symlink():  # hashing it would read whatever it points at
            notes.append(f"{folder.name}: NOT GRADED, {mine} is a symbolic link")
            continue
        if not notebook.is_file():
            notes.append(f"{folder.name}: skipped, no {mine}")
            continue
        stamp = folder / ps.id / TIMESTAMP_FILE
        if stamp.is_file():
            try:
                when = read_timestamp(stamp)
            except ValueError as exc:  # one student's broken file never stops the class
                notes.append(f"{folder.name}: NOT GRADED, {exc}; fix or delete it and grade again")
                continue
        else:
            when = datetime.fromtimestamp(notebook.stat().st_mtime, UTC)
            notes.append(f"{folder.name}: no {TIMESTAMP_FILE}, using the notebook's modification time")
        found.append(Collected(folder.name, notebook, when))
    return found, notes


def read_collected(path: Path, assignment: str) -> Submission:
    """The collected notebook's bytes, refused like a zip's notebook when it is not a plain small file."""
    if path.is_symlink() or not path.is_file():
        raise SubmissionError(f"{path.name} is not a regular file (a symbolic link?)")
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is {size} bytes (limit {MAX_NOTEBOOK_BYTES})")
    with path.open("rb") as fh:
        data = fh.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} grew past {MAX_NOTEBOOK_BYTES} bytes while read: refused")
    return Submission(notebook=data, member=f"{assignment}/{path.name}")
