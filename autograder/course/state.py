"""`<out>/state.json`: what each student's graded zip was (sha256, time, status, messages) and the deadline.

The coordinator writes it after each result (so a killed run resumes where it stopped); export reads it.
"""

from __future__ import annotations

import json
from pathlib import Path

STATE = "state.json"


def load_state(out: Path) -> dict:
    """The state of the grading run in `out` (an empty one before the first run)."""
    path = Path(out) / STATE
    if path.exists():
        return json.loads(path.read_text())
    return {"students": {}}


def save_state(out: Path, state: dict) -> None:
    """Write state.json atomically: a run killed mid-write leaves the previous state."""
    tmp = Path(out) / (STATE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    tmp.replace(Path(out) / STATE)
