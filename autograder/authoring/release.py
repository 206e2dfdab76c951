"""The release notebook, the solution notebook and the jupytext pair, all made from the source notebook.

* `notebooks/PS1.ipynb` is nbgrader's `generate_assignment` applied to
  `nbgrader_course/source/ps1/PS1.ipynb`: solutions replaced by stubs, hidden tests removed. It is
  committed; a test checks it is current.
* `nbgrader_course/PS1.py` is the source notebook in jupytext's percent format (nbgrader metadata and
  cell ids kept), for reading and reviewing diffs. It lives outside `source/` because nbgrader copies
  every file of `source/ps1/` into the release. A test checks it matches the notebook.
* `solutions/PS1_solution.ipynb` is the source notebook executed top to bottom (`--solution`).
* `digits.npz`, Problem 3's data, is read by the notebook from its own folder. The one made from
  scikit-learn is `source/ps1/digits.npz`, which the outside checks read too (nbgrader copies it into
  every release and every autograded folder); the release copies it beside `notebooks/PS1.ipynb`. A
  test holds the copy equal to it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from autograder.course import grading_course
from autograder.course.layout import Course
from autograder.ps1 import (
    ASSIGNMENT,
    COURSE_DIR,
    PAIRED_SCRIPT,
    SOLUTION_NOTEBOOK,
    SOURCE_NOTEBOOK,
)

# Every cell's metadata, nbgrader's included; no notebook-level metadata, so the pair stays stable.
PAIR_FORMAT = {"extension": ".py", "format_name": "percent"}


def generate_release(tmpdir: str | Path) -> Path:
    """`generate_assignment` on a copy of the course under `tmpdir`; return the release notebook."""
    original, course = Course(COURSE_DIR), Course(Path(tmpdir) / "course")
    shutil.copytree(original.sources, course.sources)
    shutil.copy2(original.config_file, course.config_file)
    result = grading_course.api(course.root).generate_assignment(ASSIGNMENT, force=True, create=True)
    if not result["success"]:
        raise RuntimeError("nbgrader generate_assignment failed:\n" + result.get("log", ""))
    return course.release_notebook


def comparable(path: str | Path) -> list[tuple]:
    """What must agree between two releases: each cell's id, type, source and metadata."""
    nb = nbformat.read(path, as_version=4)
    return [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def paired_text(notebook: str | Path = SOURCE_NOTEBOOK) -> str:
    """The notebook as a jupytext percent script, with every cell's metadata (ids included)."""
    nb = jupytext.read(notebook)
    nb.metadata.setdefault("jupytext", {}).update(
        {"notebook_metadata_filter": "-all", "cell_metadata_filter": "all"}
    )
    return jupytext.writes(nb, fmt=PAIR_FORMAT)


def read_pair(path: Path = PAIRED_SCRIPT) -> nbformat.NotebookNode:
    """The pair read back as a notebook. Percent scripts carry no cell ids; every PS1 cell's id is
    its nbgrader grade_id (a test holds the source to that), so the ids come back from the metadata."""
    nb = jupytext.read(path)
    for cell in nb.cells:
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id"))
    return nb


def write_pair(target: Path = PAIRED_SCRIPT) -> Path:
    """Rewrite the jupytext pair of the source notebook."""
    target.write_text(paired_text(), encoding="utf-8")
    return target


def execute_notebook(path: str | Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh python3 kernel (errors raise); return it and the seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    resources = {"metadata": {"path": str(Path(path).parent)}}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources).execute()
    return nb, time.perf_counter() - start


def write_solution(target: Path = SOLUTION_NOTEBOOK) -> float:
    """Execute the source notebook and save it as the instructor's solution; return the run time."""
    nb, seconds = execute_notebook(SOURCE_NOTEBOOK)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return seconds


def write_release(target: Path) -> Path:
    """Generate the release in a temporary course and copy its files (the notebook as `target`, the
    data beside it)."""
    with tempfile.TemporaryDirectory(prefix="ps1-release-") as tmp:
        notebook = generate_release(tmp)
        target.parent.mkdir(parents=True, exist_ok=True)
        for path in sorted(notebook.parent.iterdir()):
            shutil.copyfile(path, target if path == notebook else target.parent / path.name)
    return target
