"""grades.csv: one row per student from the class gradebook and state.json, late penalty applied here.

The late penalty is computed here, on the current total (automatic + manual grades), not taken from
nbgrader: upstream computes it once, at autograde time, on the score known then, so manual grades
entered later would escape it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder.course import grading_course as cd
from autograder.course.layout import GradingFolder
from autograder.course.state import State, StateEntry, load_state
from autograder.deadlines import parse_time
from autograder.errors import InputError
from autograder.nbgrader_ext import late_policy
from autograder.problem_set import ProblemSet
from autograder.replace_file import replacing
from autograder.results import extensions
from autograder.results.extensions import Extension
from autograder.results.rubric_grades import labels, rescore, rubrics_of

BASE_COLUMNS = (
    "student",
    "raw_score",
    "max_score",
    "late_days",
    "late_penalty",
    "score",
    "status",
    "message",
)


def _written(ps: ProblemSet) -> list[str]:
    return [q.grade_id for q in ps.questions if q.manual]


def _rubric_column(grade_id: str) -> str:
    return f"{grade_id}_rubric"


@dataclass
class GradesRow:
    """One student's line of grades.csv, each number as the file prints it ("" = none)."""

    student: str
    max_score: str
    late_days: int
    raw_score: str = ""  # the questions' points before the late penalty
    late_penalty: str = ""
    score: str = ""  # raw_score - late_penalty, never below 0
    status: str = ""  # ok, late, too_late or error
    message: str = ""
    cells: dict[str, str] = field(default_factory=dict)  # grade_id -> points ("" awaiting, or error)
    rubric: dict[str, str] = field(default_factory=dict)  # written grade_id -> its rubric items applied

    @property
    def penalty_points(self) -> float:
        return float(self.late_penalty or 0)

    def as_csv(self, ps: ProblemSet) -> dict[str, str | int]:
        """The row as grades.csv's columns: BASE_COLUMNS, then one per question of `ps`."""
        base = {name: getattr(self, name) for name in BASE_COLUMNS}
        cells = {q.grade_id: self.cells.get(q.grade_id, "") for q in ps.questions}
        return base | cells | {_rubric_column(g): self.rubric.get(g, "") for g in _written(ps)}


def columns(ps: ProblemSet) -> list[str]:
    """grades.csv's header: the result, each question's points, each written answer's rubric items."""
    return [*BASE_COLUMNS, *(q.grade_id for q in ps.questions), *map(_rubric_column, _written(ps))]


def read_grades(out: Path) -> list[GradesRow]:
    """The rows of `<out>/grades.csv` as the last export wrote them."""
    where = GradingFolder(Path(out))
    ps = where.course.problem_set
    with where.grades_csv.open(newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    rows = []
    for record in records:
        base = {name: record.get(name, "") for name in BASE_COLUMNS}
        base["late_days"] = int(base["late_days"] or 0)
        cells = {q.grade_id: record.get(q.grade_id, "") for q in ps.questions}
        rubric = {g: record[_rubric_column(g)] for g in _written(ps) if record.get(_rubric_column(g))}
        rows.append(GradesRow(**base, cells=cells, rubric=rubric))
    return rows


def write_grades(out: Path, rows: list[GradesRow]) -> None:
    """`<out>/grades.csv` replaced whole by `rows`."""
    where = GradingFolder(Path(out))
    ps = where.course.problem_set
    with replacing(where.grades_csv) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns(ps))
        writer.writeheader()
        writer.writerows(row.as_csv(ps) for row in rows)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def student_row(
    gb: Gradebook,
    student: str,
    entry: StateEntry,
    *,
    ps: ProblemSet,
    due: datetime,
    extension: Extension | None = None,
) -> GradesRow:
    """One grades.csv row from the gradebook (see `row_from_scores`)."""
    scores = {}
    for q in ps.questions:
        try:
            grade = gb.find_grade(q.grade_id, ps.notebook_id, ps.id, student)
        except MissingEntry:
            scores[q.grade_id] = None
            continue
        pending = grade.manual_score is None and grade.needs_manual_grade
        scores[q.grade_id] = None if pending else (grade.score or 0.0)
    return row_from_scores(student, entry, scores, ps=ps, due=due, extension=extension)


def row_from_scores(
    student: str,
    entry: StateEntry,
    scores: dict[str, float | None],
    *,
    ps: ProblemSet,
    due: datetime,
    extension: Extension | None = None,
) -> GradesRow:
    """One grades.csv row from each question's score (None: missing or awaiting manual grading);
    error rows have empty scores, never a 0 that looks earned. A grading worker calls this too, to
    put the same summary on the page it makes.

    Lateness is measured against the student's extension when there is one; the submission time
    (state.json) is never changed.
    """
    messages = list(entry.messages)
    if extension is not None:
        due = extension.due
        messages.insert(0, extension.label)
    late = ps.late
    days = late_policy.late_days((entry.submitted_at - due).total_seconds(), late.grace_minutes)
    row = GradesRow(student, _fmt(ps.total_points), days)
    if entry.status == "error":
        row.status, row.message = "error", "; ".join(messages)
        row.cells = dict.fromkeys((q.grade_id for q in ps.questions), "")
        return row
    found = {q.grade_id: scores.get(q.grade_id) for q in ps.questions}
    pending = [grade_id for grade_id, score in found.items() if score is None]
    row.cells = {grade_id: _fmt(score) if score is not None else "" for grade_id, score in found.items()}
    raw = sum(score for score in found.values() if score is not None)
    penalty = late_policy.late_penalty(raw, days, late.percent_per_day, max_days=late.max_days)
    first = 1 if extension is not None else 0  # the extension's note stays first: it explains the rest
    if late_policy.too_late(days, late.max_days):
        row.status, penalty = "too_late", raw
        messages.insert(
            first, f"{days} days late (limit {late.max_days}): not accepted, raw score for reference"
        )
    elif days > 0:
        row.status = "late"
        messages.insert(first, f"{days} day(s) late: -{_fmt(late.percent_per_day * days)}%")
    else:
        row.status = "ok"
    if pending:
        messages.append(f"awaiting manual grading: {', '.join(pending)}")
    row.raw_score, row.late_penalty, row.score = _fmt(raw), _fmt(penalty), _fmt(max(0.0, raw - penalty))
    row.message = "; ".join(messages)
    return row


def graded_state(out: Path) -> State:
    """state.json of a folder that was graded; InputError (one line) if `grade` never ran there."""
    state = load_state(out)
    where = GradingFolder(Path(out))
    if not state.students and not where.course.gradebook_file.exists():
        name = where.state_file.name
        raise InputError(f"{out} holds no grading run (no {name}): run `ps1 grade FOLDER --out {out}` first")
    return state


def export(out: Path) -> list[GradesRow]:
    """Write `<out>/grades.csv`; return its rows (sorted by student)."""
    out = Path(out).resolve()
    state = graded_state(out)
    ps = GradingFolder(out).course.problem_set
    due = parse_time(state.due or ps.due, zone=ps.timezone)
    extended = extensions.load(out, due)
    rubrics = rubrics_of(out)
    with cd.gradebook(GradingFolder(out).course.root) as gb:
        for note in rescore(gb, ps, rubrics):  # the rubric may have changed since the last reading
            print("note:", note)
        applied = labels(gb, ps, rubrics)
        rows = [
            student_row(gb, student, state.students[student], ps=ps, due=due, extension=extended.get(student))
            for student in sorted(state.students)
        ]
    for row in rows:
        row.rubric = {g: "; ".join(items) for g, items in applied.get(row.student, {}).items()}
    write_grades(out, rows)
    return rows
