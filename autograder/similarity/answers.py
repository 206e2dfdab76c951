"""What each student wrote: the answer cells of a notebook, code and written apart.

An answer cell is one the source notebook marks as a solution (nbgrader metadata `solution: true`).
Only those cells are read from a student's notebook. Every cell of the release notebook is
distribution text, though: the release's text of the answer cells (stubs, "YOUR ANSWER HERE") and its
other cells (`given_cells`: given code, visible tests, questions), which a student may paste into an
answer; two students who both do so have not copied each other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from autograder.errors import InputError

# nbgrader's solution markers, left in a student's cell when they answer between them.
MARKER = re.compile(r"^\s*(###|<!--)\s*(BEGIN|END) SOLUTION.*$", re.MULTILINE)


@dataclass(frozen=True)
class Answers:
    """One notebook's answers, in the release's order: code cells and written (markdown) cells,
    each as cell id -> source."""

    code: dict[str, str]
    written: dict[str, str]

    def text(self, kind: str) -> str:
        """All answers of one kind ("code" or "written") as one text, a blank line between cells."""
        return "\n\n".join(getattr(self, kind).values())


def _cells(path: Path) -> list[dict]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"cannot read the notebook {path}: {exc}") from None
    if not isinstance(cells, list):
        raise InputError(f"cannot read the notebook {path}: its cells are not a list")
    return [c for c in cells if isinstance(c, dict)]


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    text = "".join(source) if isinstance(source, list) else str(source)
    return MARKER.sub("", text).strip("\n")


def _answer_id(cell: dict) -> str | None:
    """The grade_id of an answer cell (nbgrader's id, kept in every copy of the notebook)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if isinstance(meta, dict) and meta.get("solution") else None


def _kind(cell: dict) -> str:
    return "code" if cell.get("cell_type") == "code" else "written"


def answer_layout(release: Path) -> dict[str, str]:
    """grade_id -> "code" or "written" of every answer cell of the release notebook."""
    kinds = {}
    for cell in _cells(release):
        grade_id = _answer_id(cell)
        if grade_id:
            kinds[grade_id] = _kind(cell)
    return kinds


def read_answers(path: Path, layout: dict[str, str]) -> Answers:
    """The answers of the notebook at `path` (a cell it lost counts as empty); InputError if unreadable."""
    found = {_answer_id(c): _source(c) for c in _cells(path)}
    code = {gid: found.get(gid, "") for gid, kind in layout.items() if kind == "code"}
    written = {gid: found.get(gid, "") for gid, kind in layout.items() if kind == "written"}
    return Answers(code, written)


def given_cells(release: Path) -> dict[str, list[str]]:
    """The release notebook's cells other than its answer cells, per kind, in order: given code and
    visible tests ("code"), question text ("written"). Read from the notebook itself, so a cell
    added to the problem set needs no list here."""
    cells: dict[str, list[str]] = {"code": [], "written": []}
    for cell in _cells(release):
        if not _answer_id(cell):
            cells[_kind(cell)].append(_source(cell))
    return cells
