"""`<out>/state.json`: what each student's graded zip was (sha256, time, status, messages) and the deadline.

The coordinator writes it after each result (so a killed run resumes where it stopped); every reading
command (export, feedback, manual, similarity) reads it. `load_state` and `save_state` are its only
reader and writer; the file keeps the same JSON keys as the fields below.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.replace_file import replace_text


@dataclass
class StateEntry:
    """One student's latest graded submission, as the grading run left it."""

    zip: str  # the zip's file name, or `<student>/ps1/PS1.ipynb` for a collected notebook
    sha256: str  # of the zip (or notebook): the same content at the same time is not graded again
    submitted: str  # ISO time of the submission (aware)
    status: str = "graded"  # "graded" or "error" (lateness is decided later, in grades.csv)
    messages: list[str] = field(default_factory=list)  # notes for the student and the instructor
    sandbox: str = ""  # what confined the kernel: "bwrap", "rlimits" or "off"
    flags: list[dict] = field(default_factory=list)  # outside checks' notes for the instructor
    worker: str = ""  # host:pid of the worker that graded it
    seconds: float | None = None  # how long the job took in the worker
    started: str = ""  # ISO time the job started
    canvas_id: str = ""  # the Canvas user id, when the zip came from Canvas's download
    canvas_late: bool | None = None  # Canvas's LATE mark on that download entry (None: not from Canvas)

    @property
    def submitted_at(self) -> datetime:
        return datetime.fromisoformat(self.submitted)

    @classmethod
    def from_json(cls, data: dict) -> StateEntry:
        """An entry as state.json holds it (keys this version does not know are dropped)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class State:
    """The grading run of one output folder."""

    students: dict[str, StateEntry] = field(default_factory=dict)
    due: str | None = None  # ISO time of the deadline the last run graded against
    grading_key: str = ""  # source notebook + checks + gradebook: a change regrades everyone
    secure: bool = True  # sandbox and outside checks on


def load_state(out: Path) -> State:
    """The state of the grading run in `out` (an empty one before the first run)."""
    path = GradingFolder(Path(out)).state_file
    if not path.exists():
        return State()
    data = json.loads(path.read_text())
    students = {s: StateEntry.from_json(e) for s, e in data.get("students", {}).items()}
    return State(students, data.get("due"), data.get("grading_key", ""), data.get("secure", True))


def save_state(out: Path, state: State) -> None:
    """Write state.json whole: a run killed mid-write leaves the previous state."""
    text = json.dumps(asdict(state), indent=1, sort_keys=True)
    replace_text(GradingFolder(Path(out)).state_file, text)
