"""The release notebook, the solution notebook and the jupytext pair, all made from a source notebook.

Where each goes is autograder/repository.py's; for PS1:

* `notebooks/PS1.ipynb` is nbgrader's `generate_assignment` applied to
  `nbgrader_course/source/ps1/PS1.ipynb`: solutions replaced by stubs, hidden tests removed, and the
  problem set's other files (PS1's `digits.npz`) copied beside it. It is committed; a test checks it
  is current.
* `nbgrader_course/PS1.py` is the source notebook in jupytext's percent format (nbgrader metadata and
  cell ids kept), for reading and reviewing diffs. It lives outside `source/` because nbgrader copies
  every file of `source/ps1/` into the release. A test checks it matches the notebook.
* `solutions/PS1_solution.ipynb` is the source notebook executed top to bottom (`--solution`).
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
from autograder.course.layout import CONFIG_FILE, Course
from autograder.problem_set import ProblemSet
from autograder.repository import course_dir, paired_script, solution_notebook

# Every cell's metadata, nbgrader's included; no notebook-level metadata, so the pair stays stable.
PAIR_FORMAT = {"extension": ".py", "format_name": "percent"}


def generate_release(tmpdir: str | Path, ps: ProblemSet) -> Path:
    """`generate_assignment` of `ps` on a copy of it under `tmpdir`; return the release notebook."""
    course = Course(Path(tmpdir) / "course")
    shutil.copytree(ps.folder, course.sources / ps.id)
    shutil.copy2(course_dir() / CONFIG_FILE, course.config_file)
    result = grading_course.api(course.root).generate_assignment(ps.id, force=True, create=True)
    if not result["success"]:
        raise RuntimeError("nbgrader generate_assignment failed:\n" + result.get("log", ""))
    return course.release_notebook


def comparable(path: str | Path) -> list[tuple]:
    """What must agree between two releases: each cell's id, type, source and metadata."""
    nb = nbformat.read(path, as_version=4)
    return [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def paired_text(notebook: str | Path) -> str:
    """The notebook as a jupytext percent script, with every cell's metadata (ids included)."""
    nb = jupytext.read(notebook)
    nb.metadata.setdefault("jupytext", {}).update(
        {"notebook_metadata_filter": "-all", "cell_metadata_filter": "all"}
    )
    return jupytext.writes(nb, fmt=PAIR_FORMAT)


def read_pair(path: Path) -> nbformat.NotebookNode:
    """The pair read back as a notebook. Percent scripts carry no cell ids; a graded cell's id is its
    nbgrader grade_id (a test holds PS1's source to that), so the ids come back from the metadata."""
    nb = jupytext.read(path)
    for cell in nb.cells:
        cell.id = cell.metadata.get("nbgrader", {}).get("grade_id", cell.get("id"))
    return nb


def write_pair(ps: ProblemSet) -> Path:
    """Rewrite the jupytext pair of the problem set's source notebook."""
    target = paired_script(ps)
    target.write_text(paired_text(ps.source_notebook), encoding="utf-8")
    return target


def execute_notebook(path: str | Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh python3 kernel (errors raise); return it and the seconds."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    resources = {"metadata": {"path": str(Path(path).parent)}}
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources=resources).execute()
    return nb, time.perf_counter() - start


def write_solution(ps: ProblemSet) -> float:
    """Execute the source notebook and save it as the instructor's solution; return the run time."""
    nb, seconds = execute_notebook(ps.source_notebook)
    target = solution_notebook(ps)
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)
    return seconds


def write_release(ps: ProblemSet, target: Path) -> Path:
    """Generate the release in a temporary course and copy its files (the notebook as `target`, the
    problem set's other files beside it)."""
    with tempfile.TemporaryDirectory(prefix="release-") as tmp:
        notebook = generate_release(tmp, ps)
        target.parent.mkdir(parents=True, exist_ok=True)
        for path in sorted(notebook.parent.iterdir()):
            shutil.copyfile(path, target if path == notebook else target.parent / path.name)
    return target
