"""Feedback pages that follow the gradebook: rebuilt from the current grades, manual ones included.

A page made at grading time knows only the automatic score. After grading by hand (formgrader or
`ps1 manual`) or a new extension, `rebuild` writes export's late penalty (computed on the current
total, against the student's own deadline) into nbgrader's gradebook and re-runs nbgrader's
`generate_feedback` on the class course: the page then shows each written answer's manual points and
the grader's comment, the penalty, and (GradeSummary) the status, late days and final score of
grades.csv. The course's preprocessors still cut the hidden tests out. `refresh` is what the commands
call: grades.csv and every page, under the output folder's run lock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path

from nbgrader.api import MissingEntry
from traitlets.config import Config

from autograder.course import grading_course as cd
from autograder.course.layout import Course, folder
from autograder.course.run_lock import run_lock
from autograder.nbgrader_ext.feedback_html import FeedbackHTMLExporter
from autograder.results.grades_table import GradesRow, export, graded_state
from autograder.results.rubric_grades import labels, rubrics_of


def page_path(out: Path, student: str) -> Path:
    """Where a student's feedback page is."""
    return folder(out).course.feedback_page(student)


def summary(row: GradesRow) -> str:
    """The top of a student's page: the same numbers and message as the student's grades.csv row."""
    lines = [
        f"## Final score: {row.score} / {row.max_score} (status: {row.status})",
        "",
        f"- points before the late penalty: {row.raw_score}",
        f"- late days: {row.late_days}",
        f"- late penalty: {row.late_penalty or 0} point(s)",
    ]
    if row.message:
        lines.append(f"- notes: {row.message}")
    lines.append("- plots are not drawn when grading: your own notebook and PDF show them")
    return "\n".join(lines)


def write_penalties(course: Path, rows: list[GradesRow]) -> None:
    """Store each graded student's penalty in the gradebook, where nbgrader's feedback reads it."""
    ps = Course(Path(course)).problem_set
    with cd.gradebook(course) as gb:
        for row in rows:
            if row.status == "error":
                continue
            try:
                nb = gb.find_submission_notebook(ps.notebook_id, ps.id, row.student)
            except MissingEntry:
                continue
            nb.late_submission_penalty = row.penalty_points if row.penalty_points > 0 else None
        gb.db.commit()


def rebuild(out: Path, rows: list[GradesRow], current: Collection[str] = ()) -> list[Path]:
    """Rebuild every graded student's page from the gradebook, except the `current` ones (pages just
    made with this same summary and penalty); return the pages. Hold the run lock."""
    out = Path(out).resolve()
    course = folder(out).course.root
    write_penalties(course, rows)
    graded = [r for r in rows if r.status != "error"]
    # nbgrader splits its exclusion list at commas: an id holding one is always rebuilt.
    skip = sorted(s for s in current if "," not in s)
    if any(r.student not in skip for r in graded):
        extra = Config()
        extra.GradeSummary.summaries = {r.student: summary(r) for r in graded}
        extra.RubricItems.applied = rubric_notes(out)
        extra.GenerateFeedback.exporter_class = FeedbackHTMLExporter  # also for courses made before it
        extra.CourseDirectory.student_id_exclude = ",".join(skip)
        result = cd.api(course, extra).generate_feedback(folder(out).course.problem_set.id, force=True)
        if not result["success"]:
            raise RuntimeError(
                "nbgrader generate_feedback failed:\n" + result.get("log", "") + result["error"]
            )
    return [page_path(out, r.student) for r in graded if page_path(out, r.student).exists()]


def rubric_notes(out: Path) -> dict[str, dict[str, str]]:
    """student -> grade_id -> the markdown listing the rubric items applied to that answer."""
    rubrics = rubrics_of(out)
    course = folder(out).course
    with cd.gradebook(course.root) as gb:
        found = labels(gb, course.problem_set, rubrics)
    notes: dict[str, dict[str, str]] = {}
    for student, answers in found.items():
        for grade_id, items in answers.items():
            full = f"{rubrics[grade_id].question.points:g}"
            head = f"**Rubric** (deductions from the {full} points of this answer):"
            notes.setdefault(student, {})[grade_id] = "\n".join([head, "", *(f"- {item}" for item in items)])
    return notes


def is_current(row: GradesRow, made: tuple[str, float | None] | None) -> bool:
    """Whether a page made while grading, with (summary, late penalty) `made`, shows this row."""
    if made is None or row.status == "error":
        return False
    return made[0] == summary(row) and row.penalty_points == float(made[1] or 0)


def bring_up_to_date(out: Path) -> None:
    """What a command that writes an existing folder's grades does first, holding its run lock:
    upgrade a folder an older version made, and name a `--db` gradebook (a copy of the folder writes
    to the same server), each in one line."""
    if cd.upgrade(out):
        print(cd.upgrade_note(out))
    given = cd.given_db_line(folder(out).course.root)
    if given:
        print(given)


def refresh(out: Path, change: Callable[[], object] | None = None) -> tuple[list[GradesRow], list[Path]]:
    """Under the run lock: `change` (e.g. importing manual grades), then grades.csv and every page."""
    out = Path(out).resolve()
    graded_state(out)  # a folder never graded: one line, before anything is touched
    with run_lock(out):
        bring_up_to_date(out)
        if change is not None:
            change()
        rows = export(out)
        return rows, rebuild(out, rows)
