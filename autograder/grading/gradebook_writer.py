"""The coordinator's single writer of the class gradebook: one transaction per graded submission.

SQLite is not safe for several writers and nbgrader's own Gradebook methods commit after each step
(remove, add, set a grade), so a crash between them would leave half a submission. Here a result
from a worker replaces the student's submission in ONE commit: the old rows are deleted, the new
submission is built like `Gradebook.add_submission` does, grades/comments/late penalty are set and
manual grades of the same zip are put back. Killed at any moment, the database holds either the old
submission or the new one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nbgrader.api import (
    Comment,
    Grade,
    Gradebook,
    MissingEntry,
    Student,
    SubmittedAssignment,
    SubmittedNotebook,
)

from autograder.course.layout import nbgrader_setup
from autograder.grading.jobs import Result
from autograder.problem_set import ProblemSet
from autograder.results import rubric_grades


class GradebookWriter:
    """One open Gradebook for the whole run (opening one costs a schema check)."""

    def __init__(self, db_url: str, problem_set: ProblemSet) -> None:
        nbgrader_setup()
        self.gb = Gradebook(db_url)
        self.problem_set = problem_set
        self.assignment, self.notebook_id = problem_set.id, problem_set.notebook_id

    def close(self) -> None:
        """Release the connection."""
        self.gb.close()

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def set_due(self, due: datetime) -> None:
        """The assignment's deadline (naive UTC, as nbgrader stores it)."""
        self.gb.update_or_create_assignment(self.assignment, duedate=due.astimezone(UTC).replace(tzinfo=None))

    def manual_grades(self, student: str) -> dict[str, dict[str, Any]]:
        """Manual scores and comments of the student's current submission."""
        try:
            sub = self.gb.find_submission_notebook(self.notebook_id, self.assignment, student)
        except MissingEntry:
            return {"scores": {}, "comments": {}}
        scores = {g.name: g.manual_score for g in sub.grades if g.manual_score is not None}
        comments = {c.name: c.manual_comment for c in sub.comments if c.manual_comment}
        return {"scores": scores, "comments": comments}

    def remove(self, student: str) -> None:
        """Drop the student's submission and its rubric items (one transaction); nothing if there is none."""
        self._delete_submission(student)
        rubric_grades.forget(self.gb, self.problem_set, student)
        self.gb.db.commit()

    def write(self, result: Result, timestamp: datetime, keep: dict[str, dict[str, Any]] | None) -> None:
        """Replace the student's submission with `result`; `keep` = manual grades to put back (their
        rubric items stay with them; without any, the student's rubric items go too)."""
        db = self.gb.db
        try:
            self._ensure_student(result.student)
            self._delete_submission(result.student)
            if not (keep and keep["scores"]):
                rubric_grades.forget(self.gb, self.problem_set, result.student)
            db.flush()
            self._new_submission(
                result.student, timestamp, result, keep=keep or {"scores": {}, "comments": {}}
            )
            db.commit()
        except BaseException:
            db.rollback()
            raise

    def _ensure_student(self, student: str) -> None:

        if self.gb.db.get(Student, student) is None:
            self.gb.db.add(Student(id=student))

    def _delete_submission(self, student: str) -> None:

        try:
            sub = self.gb.find_submission(self.assignment, student)
        except MissingEntry:
            return
        db = self.gb.db
        for nb in sub.notebooks:
            for row in [*nb.grades, *nb.comments]:
                db.delete(row)
            db.delete(nb)
        db.delete(sub)

    def _new_submission(self, student: str, timestamp: datetime, result: Result, *, keep: dict) -> None:
        """The same rows as nbgrader's add_submission (without its commit), filled from `result`."""
        assignment = self.gb.find_assignment(self.assignment)
        sub = SubmittedAssignment(
            assignment=assignment, student=self.gb.db.get(Student, student), timestamp=timestamp
        )
        graded = result.status == "graded"
        for notebook in assignment.notebooks:
            nb = SubmittedNotebook(notebook=notebook, assignment=sub)
            if graded and notebook.name == self.notebook_id:
                nb.late_submission_penalty = result.late_penalty
            for cell in [*notebook.grade_cells, *notebook.task_cells]:
                _grade(nb, cell, result if graded else None, manual=keep["scores"])
            for cell in [*notebook.solution_cells, *notebook.task_cells]:
                _comment(nb, cell, result if graded else None, manual=keep["comments"])
        self.gb.db.add(sub)


def _grade(nb: Any, cell: Any, result: Result | None, *, manual: dict[str, float]) -> None:
    """A Grade row: the worker's auto score; a kept manual score wins (needs no more grading)."""
    grade = Grade(cell_id=cell.id, notebook=nb)
    if result is None:
        return
    data = result.grades.get(cell.name, {})
    grade.auto_score = data.get("auto_score")
    grade.extra_credit = data.get("extra_credit")
    grade.needs_manual_grade = bool(data.get("needs_manual_grade", grade.auto_score is None))
    if cell.name in manual:
        grade.manual_score, grade.needs_manual_grade = manual[cell.name], False


def _comment(nb: Any, cell: Any, result: Result | None, *, manual: dict[str, str]) -> None:

    comment = Comment(cell_id=cell.id, notebook=nb)
    if result is not None:
        comment.auto_comment = result.comments.get(cell.name)
        comment.manual_comment = manual.get(cell.name)
