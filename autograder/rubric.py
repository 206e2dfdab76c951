"""The rubrics of the hand-graded questions, read from the TOML file beside the source notebook.

Convention, the same everywhere (file, page, `ps1 manual`, feedback, grades.csv): deductions from full
marks. A written answer starts at its question's points and each applied item adds its points, 0 or
negative. A question's items add up to no less than minus its points, so no choice of items scores
below zero and none above full marks. The file (named by the problem set's spec, `rubrics`):

    [[p2_written]]            # one table per item, under the question's grade_id
    id = "no_diagonal"        # what `ps1 manual` sheets and the gradebook name it
    points = -5               # taken off the question's 15 points
    text = "The Jacobian lacks the diagonal term ..."   # the sentence the student reads
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import InputError
from autograder.problem_set import ProblemSet, Question

ITEM_ID = re.compile(r"^[A-Za-z0-9_-]+$")  # no spaces or separators: sheets list ids in one cell


@dataclass(frozen=True)
class Item:
    """One rubric item: `points` (0 or negative) are added to the question's full marks."""

    id: str
    points: float
    text: str

    def label(self) -> str:
        """How the item is shown: its points (a minus sign, or 0) and its sentence."""
        return f"{_points(self.points)}: {self.text}"


@dataclass(frozen=True)
class Rubric:
    """A question's items, in the file's order."""

    question: Question
    items: tuple[Item, ...]

    def item(self, item_id: str) -> Item:
        """The item called `item_id`; InputError naming the known ones if there is none."""
        for item in self.items:
            if item.id == item_id:
                return item
        known = ", ".join(i.id for i in self.items)
        raise InputError(f"unknown rubric item {item_id!r} for {self.question.grade_id}; its items: {known}")

    def score(self, item_ids: list[str]) -> float:
        """Full marks plus the points of the applied items (never below 0: the file guarantees it)."""
        return max(0.0, float(self.question.points) + sum(self.item(i).points for i in item_ids))

    def ordered(self, item_ids: set[str] | list[str]) -> list[str]:
        """`item_ids` in the rubric's order (unknown ids raise, as in `item`)."""
        wanted = {self.item(i).id for i in item_ids}
        return [i.id for i in self.items if i.id in wanted]


def _points(x: float) -> str:
    text = f"{x:g}"
    return text.replace("-", "\u2212")  # a real minus sign, as the student reads it


@dataclass(frozen=True)
class _File:
    """The rubric file's path and text, to name the line of a mistake."""

    path: Path
    text: str

    def at(self, grade_id: str, n: int = 0) -> str:
        """`path:line` of the n-th `[[grade_id]]` table (the last one if there are fewer)."""
        header = re.compile(rf"^\s*\[\[?\s*{re.escape(grade_id)}\s*\]")
        lines = [i for i, line in enumerate(self.text.splitlines(), 1) if header.match(line)]
        line = lines[min(n, len(lines) - 1)] if lines else 0
        return f"{self.path}:{line}"


def load_rubrics(path: Path, ps: ProblemSet) -> dict[str, Rubric]:
    """grade_id -> Rubric for each question of `ps` the file names; InputError (one line, file and
    line named) if it cannot be read or breaks a rule. A missing file means no rubrics."""
    path = Path(path)
    if not path.exists():
        return {}
    try:
        source = _File(path, path.read_text(encoding="utf-8"))
        data = tomllib.loads(source.text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"rubric file {path} cannot be read: {exc}") from None
    questions = {q.grade_id: q for q in ps.questions if q.manual}
    rubrics = {}
    for grade_id, tables in data.items():
        if grade_id not in questions:
            known = ", ".join(questions)
            raise InputError(
                f"{source.at(grade_id)}: {grade_id!r} is not a hand-graded question; those are: {known}"
            )
        rubrics[grade_id] = _rubric(source, questions[grade_id], tables)
    return rubrics


def _rubric(source: _File, question: Question, tables: object) -> Rubric:
    grade_id = question.grade_id
    if not isinstance(tables, list) or not tables:
        raise InputError(f"{source.at(grade_id)}: write {grade_id}'s items as [[{grade_id}]] tables")
    items = [_item(source.at(grade_id, n), grade_id, table) for n, table in enumerate(tables)]
    ids = [i.id for i in items]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise InputError(f"{source.path}: {grade_id} has item id(s) {', '.join(twice)} more than once")
    taken = -sum(i.points for i in items)
    if taken > question.points + 1e-9:
        raise InputError(
            f"{source.path}: {grade_id}'s items take off {taken:g} points, more than the question's "
            f"{question.points:g}: lower some deductions"
        )
    return Rubric(question, tuple(items))


def _item(where: str, grade_id: str, table: object) -> Item:
    if not isinstance(table, dict) or set(table) != {"id", "points", "text"}:
        raise InputError(f"{where}: each {grade_id} item has exactly id, points and text")
    item_id, points, text = table["id"], table["points"], table["text"]
    if not isinstance(item_id, str) or not ITEM_ID.match(item_id):
        raise InputError(f"{where}: item id {item_id!r} must be letters, digits, _ or - (no spaces)")
    if isinstance(points, bool) or not isinstance(points, int | float) or points > 0:
        raise InputError(f"{where}: {item_id}'s points {points!r} must be 0 or negative (a deduction)")
    if not isinstance(text, str) or not text.strip():
        raise InputError(f"{where}: {item_id} needs the sentence the student reads (text)")
    return Item(item_id, float(points), text.strip())
