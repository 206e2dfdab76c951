"""What each student wrote: the answer cells of a notebook, code and written apart.

An answer cell is one the source notebook marks as a solution (nbgrader metadata `solution: true`).
The release notebook's text of those cells (the stubs, the given lines, "YOUR ANSWER HERE") is what
every student starts from: it is boilerplate, removed before comparing. The question text sits in
other cells, which are never read.
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


def answer_layout(release: Path) -> dict[str, str]:
    """grade_id -> "code" or "written" of every answer cell of the release notebook."""
    kinds = {}
    for cell in _cells(release):
        grade_id = _answer_id(cell)
        if grade_id:
            kinds[grade_id] = "code" if cell.get("cell_type") == "code" else "written"
    return kinds


def read_answers(path: Path, layout: dict[str, str]) -> Answers:
    """The answers of the notebook at `path` (a cell it lost counts as empty); InputError if unreadable."""
    found = {_answer_id(c): _source(c) for c in _cells(path)}
    code = {gid: found.get(gid, "") for gid, kind in layout.items() if kind == "code"}
    written = {gid: found.get(gid, "") for gid, kind in layout.items() if kind == "written"}
    return Answers(code, written)
