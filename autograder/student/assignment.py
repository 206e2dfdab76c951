"""What submit checks a notebook against: the notebook's name, the zip prefix and the nbgrader cells.

Read from a pristine release notebook's own nbgrader metadata (nbgrader keeps grade_id, grade,
solution and points in the release), so neither the source notebook nor the problem set's spec is needed:
the handout ships these facts as `assignment.json`, written by the handout builder from
PS1's spec and the release; in the repository `python -m autograder submit` builds the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def nbgrader_meta(cell: dict) -> dict:
    """A cell's nbgrader metadata, {} when it has none (or something that is not a dict)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


@dataclass(frozen=True)
class Assignment:
    """The facts submit needs about one assignment, all plain data."""

    notebook: str  # "PS1.ipynb": the file students hand in
    zip_prefix: str  # "PS1_": students send <prefix><FullName>.zip
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)  # grade_id -> grade, solution, points

    @property
    def graded(self) -> list[str]:
        """Cells that must stay in the notebook: answers and tests (read-only text may go)."""
        return [gid for gid, m in self.cells.items() if m.get("grade") or m.get("solution")]

    def is_test(self, grade_id: str) -> bool:
        """A cell of tests (graded, not an answer)."""
        meta = self.cells.get(grade_id, {})
        return bool(meta.get("grade")) and not meta.get("solution")

    @classmethod
    def from_release(cls, release: Path, notebook: str, zip_prefix: str) -> Assignment:
        """The nbgrader cells of a release (or source) notebook, in notebook order."""
        nb = json.loads(release.read_text(encoding="utf-8"))
        cells = {}
        for cell in nb["cells"]:
            meta = nbgrader_meta(cell)
            if meta.get("grade_id"):
                cells[meta["grade_id"]] = {
                    "grade": bool(meta.get("grade")),
                    "solution": bool(meta.get("solution")),
                    "points": meta.get("points", 0),
                }
        return cls(notebook, zip_prefix, cells)

    def to_json(self) -> str:
        return json.dumps(
            {"notebook": self.notebook, "zip_prefix": self.zip_prefix, "cells": self.cells}, indent=1
        )

    @classmethod
    def read(cls, path: Path) -> Assignment:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["notebook"], data["zip_prefix"], data["cells"])
