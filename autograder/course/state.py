"""`<out>/state.json`: what each student's graded zip was (sha256, time, status, messages) and the deadline.

The coordinator writes it after each result (so a killed run resumes where it stopped); export reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.replace_file import replace_text


def load_state(out: Path) -> dict:
    """The state of the grading run in `out` (an empty one before the first run)."""
    path = GradingFolder(Path(out)).state_file
    if path.exists():
        return json.loads(path.read_text())
    return {"students": {}}


def save_state(out: Path, state: dict) -> None:
    """Write state.json whole: a run killed mid-write leaves the previous state."""
    replace_text(GradingFolder(Path(out)).state_file, json.dumps(state, indent=1, sort_keys=True))
