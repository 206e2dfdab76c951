"""The class's answers to one written question, as the grading page shows them.

Each graded student's answer is the markdown cell with the question's grade_id in the notebook they
handed in (`<out>/course/submitted/<student>/ps1/PS1.ipynb`), turned into HTML and cleaned
(results/answer_html.py: an answer is untrusted text).
Students are numbered 1..N in an order fixed by a hash of their id, not by name: the number hides
who wrote the answer and stays the same on every visit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.course.state import State
from autograder.results.answer_html import answer_html

NO_ANSWER = "<p><em>(no answer: the cell is missing or empty)</em></p>"


@dataclass(frozen=True)
class Answer:
    """One student's answer: the anonymous number, the student id, the answer as safe HTML."""

    number: int
    student: str
    html: str

    @property
    def key(self) -> str:
        return student_key(self.student)


def student_key(student: str) -> str:
    """How the page names a student to the server: the same whoever is graded later (a number would
    shift when a grading run adds a student while the page is open), and not the name."""
    return hashlib.sha256(student.encode()).hexdigest()[:16]


def anonymous_order(students: list[str]) -> list[str]:
    """`students` in the page's order: by a hash of the id, so neighbours are not alphabetical."""
    return sorted(students, key=lambda s: (student_key(s), s))


def graded_students(state: State) -> list[str]:
    """The students whose submission was graded (an error has no answer to grade)."""
    return [s for s, entry in state.students.items() if entry.status == "graded"]


def shown_answer(markdown: str) -> str:
    """The answer as the page shows it: cleaned HTML (results/answer_html.py), or a note if empty."""
    return answer_html(markdown) or NO_ANSWER


def cell_text(notebook: Path, grade_id: str) -> str:
    """The source of the cell with this grade_id in a submitted notebook ("" if it is not there)."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ""
    for cell in cells if isinstance(cells, list) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, dict) else {}
        if isinstance(meta, dict) and meta.get("grade_id") == grade_id:
            source = cell.get("source", "")
            return "".join(source) if isinstance(source, list) else str(source)
    return ""


def class_answers(out: Path, state: State, grade_id: str) -> list[Answer]:
    """Every graded student's answer to `grade_id`, in the page's order."""
    course = GradingFolder(out).course
    order = anonymous_order(graded_students(state))
    return [
        Answer(n, student, shown_answer(cell_text(course.submitted_notebook(student), grade_id)))
        for n, student in enumerate(order, 1)
    ]
