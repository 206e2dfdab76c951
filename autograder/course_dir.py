"""The grading course `<out>/course`: a copy of the source notebook and config; nbgrader's API on it.

Nothing here writes to the repository's autograder/source or its gradebook: every path is under
`<out>/course`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from autograder import ASSIGNMENT, COURSE_DIR, NOTEBOOK

NOTEBOOK_ID = Path(NOTEBOOK).stem

# Appended to the copied nbgrader_config.py of the grading course.
EXTRA_CONFIG = """
# --- added by `python -m autograder grade` for this grading course ---
c.CourseDirectory.root = {root!r}
c.CourseDirectory.db_url = {db_url!r}
c.AssignLatePenalties.plugin_class = "autograder.late_policy.PercentPerDayLatePenalty"
c.PercentPerDayLatePenalty.percent_per_day = {percent!r}
c.PercentPerDayLatePenalty.max_days = {max_days!r}
c.PercentPerDayLatePenalty.grace_minutes = {grace!r}
# Deleted graded cells are restored by autograder.collect.restore_missing_cells before autograde:
# OverwriteCells.add_missing_cells raises KeyError in nbgrader 0.9.6 when a read-only cell precedes.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.feedback.HideHiddenTests",
]
"""


def source_digest(source_dir: Path) -> str:
    """Hash of every file of the source assignment folder (changes force a regrade)."""
    h = hashlib.sha256()
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file()):
        if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(source_dir).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _copy_source(course: Path, source: Path | None) -> None:
    """Copy the source assignment (+ config) into `course`."""
    if source is None:
        try:
            from autograder.course import make_course  # the notebook engineer's helper
        except ImportError:
            make_course = None
        if make_course is not None:
            made = Path(make_course(course.parent))  # it builds <dir>/course
            if made.resolve() != course.resolve():
                shutil.copytree(made, course, dirs_exist_ok=True)
            return
        source = COURSE_DIR / "source" / ASSIGNMENT
    shutil.copytree(source, course / "source" / ASSIGNMENT, dirs_exist_ok=True)
    cfg = source.parent.parent / "nbgrader_config.py"
    if cfg.exists() and cfg.resolve() != (course / "nbgrader_config.py").resolve():
        shutil.copy(cfg, course / "nbgrader_config.py")


def prepare(course: Path, source: Path | None = None) -> str:
    """(Re)build `course` from the source notebook if it changed; return the source digest."""
    from autograder import config

    course.mkdir(parents=True, exist_ok=True)
    stamp = course / "source_digest.json"
    src_dir = source if source is not None else COURSE_DIR / "source" / ASSIGNMENT
    digest = source_digest(src_dir)
    if stamp.exists() and json.loads(stamp.read_text()).get("digest") == digest:
        return digest
    shutil.rmtree(course / "source", ignore_errors=True)
    shutil.rmtree(course / "release", ignore_errors=True)
    (course / "nbgrader_config.py").unlink(missing_ok=True)
    _copy_source(course, source)
    cfg = course / "nbgrader_config.py"
    base = cfg.read_text() if cfg.exists() else "c = get_config()  # noqa: F821\n"
    if "get_config()" not in base:
        base = "c = get_config()  # noqa: F821\n" + base
    cfg.write_text(
        base
        + EXTRA_CONFIG.format(
            root=str(course),
            db_url=f"sqlite:///{course / 'gradebook.db'}",
            percent=config.PERCENT_PER_DAY,
            max_days=config.MAX_LATE_DAYS,
            grace=float(config.GRACE_MINUTES),
        )
    )
    result = api(course).generate_assignment(ASSIGNMENT, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(
            "nbgrader generate_assignment failed:\n" + result.get("log", "") + result.get("error", "")
        )
    stamp.write_text(json.dumps({"digest": digest}))
    return digest


def _tools_on_path() -> None:
    """nbgrader's Gradebook runs the `alembic` command: make this Python's bin folder findable."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def api(course: Path):  # -> NbGraderAPI (imported lazily: nbgrader is slow to import)
    """nbgrader's API on the grading course, configured by its nbgrader_config.py."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    _tools_on_path()
    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    cfg.CourseDirectory.root = str(course)
    cfg.Exchange.root = str(course / "exchange")  # unused; set so nbgrader does not look in /srv
    (course / "exchange").mkdir(exist_ok=True)
    coursedir = CourseDirectory(config=cfg)
    instance = NbGraderAPI(coursedir=coursedir, config=cfg)
    instance.log.setLevel(logging.WARNING)
    return instance


def gradebook(course: Path):
    """An open-able Gradebook on the grading course's database."""
    from nbgrader.api import Gradebook

    _tools_on_path()
    return Gradebook(f"sqlite:///{course / 'gradebook.db'}")


def graded_cells(course: Path) -> list[dict]:
    """The graded cells of the source notebook in notebook order: grade_id, points, kind (auto/manual)."""
    nb = json.loads((course / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    cells = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade") or meta.get("task"):
            manual = bool(meta.get("solution")) or bool(meta.get("task")) or cell.get("cell_type") != "code"
            cells.append(
                {"grade_id": meta["grade_id"], "points": float(meta.get("points", 0)), "manual": manual}
            )
    return cells


def all_cell_ids(course: Path) -> list[str]:
    """grade_ids of every nbgrader cell of the source notebook."""
    nb = json.loads((course / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    ids = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            ids.append(meta["grade_id"])
    return ids
