"""Rubric items applied to written answers, kept in the class gradebook beside nbgrader's own tables.

One row per (problem set, student, question) in the table `autograder_rubric`: the ids of the applied
items and the score they gave when they were applied (one class gradebook may hold several problem
sets, and two may name a question alike). The score itself is nbgrader's manual score of that cell,
written in the same transaction, so formgrader, grades.csv and the feedback pages read it as any
manual grade. Every reading command calls `rescore`, which re-derives those scores from the current
rubric file: edit an item's points once and every student who has it follows, with no regrading.

A manual score changed outside the rubric (formgrader, or `ps1 manual` with points) wins: its rubric
row is dropped and `rescore` says so.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from nbgrader.api import (
    Assignment,
    Comment,
    Grade,
    Gradebook,
    GradeCell,
    MissingEntry,
    SolutionCell,
    SubmittedAssignment,
    SubmittedNotebook,
)
from sqlalchemy import Column, Float, MetaData, String, Table, Text, delete, insert, inspect, select, text
from sqlalchemy.exc import OperationalError

from autograder.course import grading_course as cd
from autograder.course.layout import folder
from autograder.errors import InputError
from autograder.problem_set import ProblemSet
from autograder.rubric import Rubric, load_rubrics

METADATA = MetaData()
APPLIED = Table(
    "autograder_rubric",
    METADATA,
    Column("assignment", String(128), primary_key=True),  # the problem set's id
    Column("student_id", String(128), primary_key=True),
    Column("grade_id", String(128), primary_key=True),
    Column("item_ids", Text, nullable=False),  # item ids in the rubric's order, separated by spaces
    Column("score", Float, nullable=False),  # the manual score those items gave when last applied
)
T = TypeVar("T")


def rubric_file(out: Path) -> Path:
    """The rubric grading folder `out` follows: the one beside its source notebook, copied to
    `<out>/course/rubric.toml` whenever it is read, so a folder moved away from its source keeps the
    rubric it was last graded with."""
    course = folder(out).course
    name = course.problem_set.rubric_name  # the spec copied into the course names the file
    original = cd.source_dir(course.root) / name if name else None
    if original is not None and original.is_file():
        if not course.rubric_copy.is_file() or course.rubric_copy.read_bytes() != original.read_bytes():
            shutil.copyfile(original, course.rubric_copy)
        return original
    return course.rubric_copy


def rubrics_of(out: Path) -> dict[str, Rubric]:
    """The rubrics of grading folder `out` (InputError, one line, if the file is broken)."""
    return load_rubrics(rubric_file(out), folder(out).course.problem_set)


def ensure_table(gb: Gradebook, ps: ProblemSet) -> None:
    """Create the table in the class gradebook if this is the first rubric grade there. A table made
    before it named the problem set held one problem set's rows, the folder's own: they get its id."""
    connection = gb.db.connection()  # in the session's own transaction
    columns = {c["name"] for c in inspect(connection).get_columns(APPLIED.name)} if _exists(gb) else set()
    if columns and "assignment" not in columns:
        connection.execute(text(f"ALTER TABLE {APPLIED.name} RENAME TO {APPLIED.name}_old"))
        METADATA.create_all(connection)
        old = f"SELECT :a, student_id, grade_id, item_ids, score FROM {APPLIED.name}_old"
        connection.execute(text(f"INSERT INTO {APPLIED.name} {old}"), {"a": ps.id})
        connection.execute(text(f"DROP TABLE {APPLIED.name}_old"))
    METADATA.create_all(connection, checkfirst=True)


def _exists(gb: Gradebook) -> bool:
    return inspect(gb.db.connection()).has_table(APPLIED.name)


def _mine(ps: ProblemSet, student: str | None = None, grade_id: str | None = None):  # -> a condition
    """The rows of problem set `ps` (of one student, of one question)."""
    condition = APPLIED.c.assignment == ps.id
    if student is not None:
        condition &= APPLIED.c.student_id == student
    if grade_id is not None:
        condition &= APPLIED.c.grade_id == grade_id
    return condition


def applied(gb: Gradebook, ps: ProblemSet) -> dict[tuple[str, str], list[str]]:
    """(student, grade_id) -> ids of the applied items, in problem set `ps`."""
    ensure_table(gb, ps)
    columns = select(APPLIED.c.student_id, APPLIED.c.grade_id, APPLIED.c.item_ids).where(_mine(ps))
    return {(s, g): items.split() for s, g, items in gb.db.execute(columns).all()}


def items_of(gb: Gradebook, ps: ProblemSet, student: str, *, grade_id: str) -> list[str]:
    """The ids of the items applied to one answer (none: [])."""
    ensure_table(gb, ps)
    mine = _mine(ps, student, grade_id)
    found = gb.db.execute(select(APPLIED.c.item_ids).where(mine)).scalar()
    return found.split() if found else []


def apply(gb: Gradebook, ps: ProblemSet, student: str, *, rubric: Rubric, items: list[str]) -> float:
    """Give `student`'s answer to `rubric`'s question exactly these items: the manual score follows.
    Not committed (the caller commits, so several changes are one transaction). Returns the score."""
    grade_id = rubric.question.grade_id
    grade = _grade(gb, ps, student, grade_id=grade_id)
    ids = rubric.ordered(items)
    score = rubric.score(ids)
    forget(gb, ps, student, grade_id=grade_id)
    row = {"assignment": ps.id, "student_id": student, "grade_id": grade_id}
    gb.db.execute(insert(APPLIED).values(**row, item_ids=" ".join(ids), score=score))
    grade.manual_score, grade.needs_manual_grade = score, False
    return score


def set_comment(gb: Gradebook, ps: ProblemSet, student: str, *, grade_id: str, text: str) -> None:
    """The grader's comment on the answer (empty text removes it); not committed."""
    try:
        comment = gb.find_comment(grade_id, ps.notebook_id, ps.id, student)
    except MissingEntry:
        raise InputError(f"{grade_id} takes no comment (an autograded cell)") from None
    comment.manual_comment = text or None


def forget(gb: Gradebook, ps: ProblemSet, student: str, *, grade_id: str | None = None) -> None:
    """Drop the rubric rows of `student` in `ps` (of one question, or all); not committed."""
    ensure_table(gb, ps)
    gb.db.execute(delete(APPLIED).where(_mine(ps, student, grade_id)))


def _grade(gb: Gradebook, ps: ProblemSet, student: str, *, grade_id: str):  # -> nbgrader Grade
    try:
        return gb.find_grade(grade_id, ps.notebook_id, ps.id, student)
    except MissingEntry:
        raise InputError(
            f"unknown student {student!r}: no graded submission of that name (grades.csv)"
        ) from None


def rescore(gb: Gradebook, ps: ProblemSet, rubrics: dict[str, Rubric]) -> list[str]:
    """Re-derive every rubric-graded answer's manual score from `rubrics` and commit; return notes on
    rows dropped because their score was changed outside the rubric. InputError if the gradebook holds
    an item or a question the rubric file no longer has (nothing is changed then)."""
    ensure_table(gb, ps)
    notes, changes = [], []
    rows = select(APPLIED.c.student_id, APPLIED.c.grade_id, APPLIED.c.item_ids, APPLIED.c.score)
    for student, grade_id, items, score in gb.db.execute(rows.where(_mine(ps))).all():
        new = _current_score(rubrics.get(grade_id), f"{student}'s {grade_id}", items.split())
        try:
            grade = gb.find_grade(grade_id, ps.notebook_id, ps.id, student)
        except MissingEntry:
            changes.append((student, grade_id, None))  # the submission is gone (an error zip)
            continue
        if grade.manual_score is None or abs(grade.manual_score - score) > 1e-9:
            notes.append(f"{student}'s {grade_id}: score changed outside the rubric, its items dropped")
            changes.append((student, grade_id, None))
        elif abs(new - score) > 1e-9:
            grade.manual_score = new
            changes.append((student, grade_id, new))
    for student, grade_id, new in changes:
        if new is None:
            forget(gb, ps, student, grade_id=grade_id)
        else:
            gb.db.execute(APPLIED.update().where(_mine(ps, student, grade_id)).values(score=new))
    gb.db.commit()
    return notes


def _current_score(rubric: Rubric | None, answer: str, items: list[str]) -> float:
    if rubric is None:
        raise InputError(f"{answer} is graded by rubric items and the rubric file has no items for it")
    try:
        return rubric.score(items)
    except InputError as exc:
        raise InputError(f"{answer}: {exc}: put the item back in the rubric file") from None


def labels(gb: Gradebook, ps: ProblemSet, rubrics: dict[str, Rubric]) -> dict[str, dict[str, list[str]]]:
    """student -> grade_id -> the applied items as the student reads them ("−5: The Jacobian ...")."""
    found: dict[str, dict[str, list[str]]] = {}
    for (student, grade_id), ids in applied(gb, ps).items():
        rubric = rubrics.get(grade_id)
        if rubric is not None:
            found.setdefault(student, {})[grade_id] = [rubric.item(i).label() for i in ids]
    return found


def retrying(gb: Gradebook, write: Callable[[], T], attempts: int = 50) -> T:
    """Run `write` (one transaction on `gb`, committed by it) again while another process holds
    SQLite's write lock (a grader in another browser, `ps1 manual`): at most `attempts` tries, 0.1 s
    apart, each from a clean session."""
    for attempt in range(attempts):
        try:
            return write()
        except OperationalError as exc:
            gb.db.rollback()
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def manual_scores(gb: Gradebook, ps: ProblemSet, grade_id: str) -> dict[str, float | None]:
    """student -> the manual score of their answer to `grade_id` (None: not graded yet), in one query."""
    return dict(_per_student(gb, ps, grade_id, value=Grade.manual_score, cell=GradeCell).all())


def manual_comments(gb: Gradebook, ps: ProblemSet, grade_id: str) -> dict[str, str]:
    """student -> the grader's comment on their answer to `grade_id` (only those with one)."""
    query = _per_student(gb, ps, grade_id, value=Comment.manual_comment, cell=SolutionCell)
    return dict(query.filter(Comment.manual_comment.isnot(None)).all())


def _per_student(gb: Gradebook, ps: ProblemSet, grade_id: str, *, value: Any, cell: Any) -> Any:
    """(student, `value`) of every answer to `grade_id` in `ps`: `value` a column of nbgrader's Grade or
    Comment, `cell` the cell table that row points to (GradeCell, SolutionCell)."""
    row = value.class_
    return (
        gb.db.query(SubmittedAssignment.student_id, value)
        .join(SubmittedNotebook, row.notebook_id == SubmittedNotebook.id)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(cell, row.cell_id == cell.id)
        .filter(cell.name == grade_id, Assignment.name == ps.id)
    )
