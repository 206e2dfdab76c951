"""`python -m autograder release`: regenerate the student notebook (and, optionally, the solution).

* `notebooks/PS1.ipynb` is `nbgrader generate_assignment` applied to `autograder/source/ps1/PS1.ipynb`:
  solutions replaced by stubs, hidden tests removed. It is committed; a test checks it is current.
* `--solution` also rewrites `solutions/PS1_solution.ipynb`: the source notebook executed top to bottom,
  outputs and plots included.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from autograder import ASSIGNMENT, COURSE_DIR, NOTEBOOK, REPO_DIR
from autograder.course import generate, make_course

SOURCE_NOTEBOOK = COURSE_DIR / "source" / ASSIGNMENT / NOTEBOOK
RELEASE_NOTEBOOK = REPO_DIR / "notebooks" / NOTEBOOK
SOLUTION_NOTEBOOK = REPO_DIR / "solutions" / "PS1_solution.ipynb"


def generate_release(tmpdir: str | Path) -> Path:
    """Generate the release in a temporary copy of the course under tmpdir; return its notebook."""
    return generate(make_course(tmpdir))


def comparable(path: str | Path) -> list[tuple]:
    """What must agree between two releases: each cell's id, type, source and metadata."""
    nb = nbformat.read(path, as_version=4)
    return [(c.get("id"), c.cell_type, c.source, dict(c.metadata)) for c in nb.cells]


def execute_notebook(path: str | Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh python3 kernel (errors raise); return it and the seconds."""
    from nbclient import NotebookClient

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


def release_in_course_dir() -> Path:
    """generate_assignment in autograder/ itself (release/ is gitignored), gradebook in a temp dir."""
    with tempfile.TemporaryDirectory(prefix="ps1-gradebook-") as tmp:
        return generate(COURSE_DIR, db=f"sqlite:///{Path(tmp) / 'gradebook.db'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder release", description=__doc__)
    parser.add_argument(
        "--solution", action="store_true", help="also re-execute the solution notebook into solutions/"
    )
    args = parser.parse_args(argv)
    released = release_in_course_dir()
    RELEASE_NOTEBOOK.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(released, RELEASE_NOTEBOOK)
    print(f"release: {RELEASE_NOTEBOOK.relative_to(REPO_DIR)} (from {released.relative_to(REPO_DIR)})")
    if args.solution:
        seconds = write_solution()
        print(f"solution: {SOLUTION_NOTEBOOK.relative_to(REPO_DIR)} (executed in {seconds:.1f} s)")
    return 0
