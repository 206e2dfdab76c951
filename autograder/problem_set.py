"""A problem set is a folder: `nbgrader_course/source/<id>/` with its notebook and `problem_set.toml`.

The spec file says what nbgrader does not: the files handed out, the zip prefix, the deadline and its
time zone, the late policy, the rubric file, each graded cell's title, and the module and references of the
outside checks. The questions and their points come from the source notebook's nbgrader metadata
(grade_id, points, and whether a person grades the cell), so they are never typed twice: the loader
refuses a spec whose titles do not name exactly the notebook's graded cells. This is the one reader
of the spec; everything else gets a `ProblemSet`.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from autograder.errors import InputError

SPEC_FILE = "problem_set.toml"
KEYS = {"title", "notebook", "files", "zip_prefix", "deadline", "timezone", "rubrics", "late", "titles"}
OPTIONAL_KEYS = {"rubrics", "references", "checks"}
LATE_KEYS = {"percent_per_day", "max_days", "grace_minutes"}


@dataclass(frozen=True)
class Question:
    """One graded cell: its nbgrader grade_id, its points, and who grades it."""

    grade_id: str
    points: float
    manual: bool  # a written answer graded by hand (True) or autograded tests (False)
    title: str


@dataclass(frozen=True)
class LatePolicy:
    """Percent of the total lost per started day late, up to `max_days`; after that not accepted."""

    percent_per_day: float
    max_days: int
    grace_minutes: int


@dataclass(frozen=True)
class ProblemSet:
    """Everything the grader knows of one problem set, read from its folder."""

    id: str  # the folder's name, nbgrader's assignment id
    folder: Path  # nbgrader_course/source/<id>
    title: str
    notebook: str  # the file students hand in
    files: tuple[str, ...]  # what the release gives students (the notebook among them)
    zip_prefix: str
    deadline: str  # e.g. "2017-01-12 12:00", read in `timezone`
    timezone: str
    late: LatePolicy
    questions: tuple[Question, ...]  # in notebook order
    rubric_name: str | None  # the rubric file beside the spec, when the problem set has one
    references: dict[str, Any]  # the outside checks' numbers
    checks_name: str | None  # the module of the problem set's own outside checks, beside the spec

    @property
    def notebook_id(self) -> str:
        """nbgrader's name for the notebook in the gradebook."""
        return Path(self.notebook).stem

    @property
    def source_notebook(self) -> Path:
        return self.folder / self.notebook

    @property
    def due(self) -> str:
        """The deadline with its zone, as `--due` takes it."""
        return f"{self.deadline} {self.timezone}"

    @property
    def autograded(self) -> tuple[str, ...]:
        return tuple(q.grade_id for q in self.questions if not q.manual)

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)


def graded_cells(notebook: Path) -> list[tuple[str, float, bool]]:
    """(grade_id, points, graded by hand) of every graded cell of a notebook, in order.

    A graded cell that students write in (solution) or that is not code is graded by hand.
    """
    cells = []
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            manual = bool(meta.get("solution")) or cell["cell_type"] != "code"
            cells.append((str(meta["grade_id"]), meta.get("points", 0), manual))
    return cells


def load(folder: Path) -> ProblemSet:
    """Read `folder/problem_set.toml` and the notebook it names; InputError says what is wrong."""
    spec_file = folder / SPEC_FILE
    try:
        spec = tomllib.loads(spec_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{spec_file}: cannot read the problem set's spec ({exc})") from exc
    _check_keys(spec_file, spec)
    notebook = folder / spec["notebook"]
    if not notebook.is_file():
        raise InputError(f"{spec_file}: the notebook {spec['notebook']!r} is not in {folder}")
    return ProblemSet(
        id=folder.name,
        folder=folder,
        title=str(spec["title"]),
        notebook=str(spec["notebook"]),
        files=tuple(spec["files"]),
        zip_prefix=str(spec["zip_prefix"]),
        deadline=str(spec["deadline"]),
        timezone=str(spec["timezone"]),
        late=LatePolicy(**spec["late"]),
        questions=_questions(spec_file, notebook, spec["titles"]),
        rubric_name=spec.get("rubrics"),
        references=dict(spec.get("references", {})),
        checks_name=spec.get("checks"),
    )


def _check_keys(spec_file: Path, spec: dict[str, Any]) -> None:
    missing = (KEYS - OPTIONAL_KEYS) - spec.keys()
    unknown = spec.keys() - KEYS - OPTIONAL_KEYS
    if missing or unknown:
        raise InputError(f"{spec_file}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}")
    if set(spec["late"]) != LATE_KEYS:
        raise InputError(f"{spec_file}: [late] must hold exactly {sorted(LATE_KEYS)}")
    if spec["notebook"] not in spec["files"]:
        raise InputError(f"{spec_file}: files must list the notebook {spec['notebook']!r}")
    try:
        datetime.fromisoformat(spec["deadline"])
        ZoneInfo(spec["timezone"])
    except (ValueError, KeyError) as exc:
        raise InputError(f"{spec_file}: deadline or timezone unreadable ({exc})") from exc


def _questions(spec_file: Path, notebook: Path, titles: dict[str, str]) -> tuple[Question, ...]:
    cells = graded_cells(notebook)
    ids = [grade_id for grade_id, _, _ in cells]
    if sorted(ids) != sorted(titles):
        raise InputError(
            f"{spec_file}: [titles] must name exactly the notebook's graded cells: "
            f"untitled {sorted(set(ids) - set(titles))}, not in the notebook {sorted(set(titles) - set(ids))}"
        )
    return tuple(Question(gid, points, manual, titles[gid]) for gid, points, manual in cells)


def ids(course_dir: Path) -> list[str]:
    """The problem sets of a course: the folders of `source/` that hold a spec file."""
    return sorted(p.parent.name for p in (course_dir / "source").glob(f"*/{SPEC_FILE}"))


def select(course_dir: Path, problem_set_id: str | None = None) -> ProblemSet:
    """The problem set `problem_set_id`, or the course's only one when it is None."""
    known = ids(course_dir)
    if problem_set_id is None:
        if len(known) != 1:
            raise InputError(f"the course has problem sets {known}: choose one with --assignment ID")
        problem_set_id = known[0]
    if problem_set_id not in known:
        raise InputError(f"no problem set {problem_set_id!r} in {course_dir / 'source'}: there are {known}")
    return load(course_dir / "source" / problem_set_id)
