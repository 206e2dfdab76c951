"""grades.csv: one row per student from the class gradebook and state.json, late penalty applied here.

The late penalty is computed here, on the current total (automatic + manual grades), not taken from
nbgrader: upstream computes it once, at autograde time, on the score known then, so manual grades
entered later would escape it.
"""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from autograder import ps1
from autograder.course import grading_course as cd
from autograder.course.layout import GradingFolder
from autograder.course.state import load_state
from autograder.deadlines import parse_time
from autograder.errors import InputError
from autograder.nbgrader_ext import late_policy
from autograder.ps1 import ASSIGNMENT, NOTEBOOK_ID
from autograder.replace_file import replacing
from autograder.results import extensions
from autograder.results.extensions import Extension

BASE_COLUMNS = [
    "student",
    "raw_score",
    "max_score",
    "late_days",
    "late_penalty",
    "score",
    "status",
    "message",
]


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:.2f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


def student_row(
    gb: Gradebook,
    student: str,
    entry: dict,
    *,
    cells: list[dict],
    due: datetime,
    extension: Extension | None = None,
) -> dict:
    """One grades.csv row from the gradebook (see `row_from_scores`)."""
    scores = {}
    for cell in cells:
        try:
            grade = gb.find_grade(cell["grade_id"], NOTEBOOK_ID, ASSIGNMENT, student)
        except MissingEntry:
            scores[cell["grade_id"]] = None
            continue
        pending = grade.manual_score is None and grade.needs_manual_grade
        scores[cell["grade_id"]] = None if pending else (grade.score or 0.0)
    return row_from_scores(student, entry, scores, cells=cells, due=due, extension=extension)


def row_from_scores(
    student: str,
    entry: dict,
    scores: dict[str, float | None],
    *,
    cells: list[dict],
    due: datetime,
    extension: Extension | None = None,
) -> dict:
    """One grades.csv row from each cell's score (None: missing or awaiting manual grading); error
    rows have empty scores, never a 0 that looks earned. A grading worker calls this too, to put
    the same summary on the page it makes.

    Lateness is measured against the student's extension when there is one; the submission time
    (state.json) is never changed.
    """
    messages = list(entry.get("messages", []))
    if extension is not None:
        due = extension.due
        messages.insert(0, extension.label)
    row: dict = {"student": student, "max_score": _fmt(sum(c["points"] for c in cells))}
    submitted = datetime.fromisoformat(entry["submitted"])
    days = late_policy.late_days((submitted - due).total_seconds(), ps1.GRACE_MINUTES)
    row["late_days"] = days
    if entry["status"] == "error":
        row.update(raw_score="", late_penalty="", score="", status="error")
        row["message"] = "; ".join(messages)
        return row
    raw = 0.0
    pending = []
    for cell in cells:
        score = scores.get(cell["grade_id"])
        if score is None:
            row[cell["grade_id"]] = ""
            pending.append(cell["grade_id"])
            continue
        raw += score
        row[cell["grade_id"]] = _fmt(score)
    penalty = late_policy.late_penalty(raw, days, ps1.PERCENT_PER_DAY, max_days=ps1.MAX_LATE_DAYS)
    first = 1 if extension is not None else 0  # the extension's note stays first: it explains the rest
    if late_policy.too_late(days, ps1.MAX_LATE_DAYS):
        status = "too_late"
        penalty = raw
        messages.insert(
            first, f"{days} days late (limit {ps1.MAX_LATE_DAYS}): not accepted, raw score for reference"
        )
    elif days > 0:
        status = "late"
        messages.insert(first, f"{days} day(s) late: -{_fmt(ps1.PERCENT_PER_DAY * days)}%")
    else:
        status = "ok"
    if pending:
        messages.append(f"awaiting manual grading: {', '.join(pending)}")
    row.update(raw_score=_fmt(raw), late_penalty=_fmt(penalty), score=_fmt(max(0.0, raw - penalty)))
    row["status"] = status
    row["message"] = "; ".join(messages)
    return row


def graded_state(out: Path) -> dict:
    """state.json of a folder that was graded; InputError (one line) if `grade` never ran there."""
    state = load_state(out)
    where = GradingFolder(Path(out))
    if not state.get("students") and not where.course.gradebook_file.exists():
        name = where.state_file.name
        raise InputError(f"{out} holds no grading run (no {name}): run `ps1 grade FOLDER --out {out}` first")
    return state


def export(out: Path) -> list[dict]:
    """Write `<out>/grades.csv`; return its rows (sorted by student)."""
    out = Path(out).resolve()
    course = GradingFolder(out).course.root
    state = graded_state(out)
    due = parse_time(state.get("due", ps1.DUE_DATE))
    extended = extensions.load(out, due)
    cells = cd.graded_cells()
    rows = []
    with cd.gradebook(course) as gb:
        for student in sorted(state["students"]):
            entry = state["students"][student]
            rows.append(
                student_row(gb, student, entry, cells=cells, due=due, extension=extended.get(student))
            )
    columns = BASE_COLUMNS + [c["grade_id"] for c in cells]
    with replacing(GradingFolder(out).grades_csv) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in columns})
    return rows
