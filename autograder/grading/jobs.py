"""Plain data exchanged between the coordinator and the grading workers: Job, Template, Result."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.results.extensions import Extension

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class FatalGradingError(RuntimeError):
    """The grading setup itself is broken (e.g. the sandbox is not configured): stop the whole run."""


@dataclass(frozen=True)
class Template:
    """The read-only course every job starts from, as bytes (no path of the coordinator's disk)."""

    digest: str
    files: dict[str, bytes]  # relative path -> content: nbgrader_config.py, source/..., gradebook.db
    secure: bool  # sandbox + outside checks required (False only for benchmarks)


@dataclass(frozen=True)
class PageContext:
    """What the coordinator knows of a student's grades.csv row before grading, so the worker can put
    the final summary on the feedback page it makes (the coordinator then need not make it again)."""

    submitted: str  # ISO time, as in state.json
    before: list[str]  # messages known before grading (zip warnings, restored cells)
    after: list[str]  # messages the coordinator appends after the worker's (older zips ignored)
    due: datetime  # the class deadline
    extension: Extension | None = None


@dataclass(frozen=True)
class Job:
    """One submission to grade."""

    student: str
    notebook: bytes  # validated by collect.py, deleted graded cells restored
    timestamp: str  # "%Y-%m-%d %H:%M:%S.%f UTC", what nbgrader reads from timestamp.txt
    scratch: str  # name of this run's scratch folder in the worker's temp dir
    page: PageContext | None = None  # None: the page gets no summary (the coordinator adds it)


@dataclass
class Result:
    """What the coordinator needs to record one graded submission."""

    student: str
    status: str  # "graded" | "error"
    message: str = ""
    log: str = ""
    grades: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> auto_score, ...
    comments: dict[str, str | None] = field(default_factory=dict)  # name -> auto_comment
    late_penalty: float | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)
    sandbox: str = "off"
    autograded: bytes | None = None
    feedback: bytes | None = None
    seconds: float = 0.0
    started: str = ""  # ISO time (UTC) the worker began the job; with `seconds`, when it ran
    worker: str = ""  # host:pid that graded it
    summary: str = ""  # the summary on `feedback` ("" when none)
    kernel_reports: list[dict[str, Any]] = field(default_factory=list)  # the sandbox's, per kernel


def result_messages(result: Result, secure: bool) -> list[str]:
    """The notes of grades.csv that come from the worker: its message, flags, a weaker sandbox."""
    notes = [result.message] if result.message else []
    for flag in result.flags:
        said = "passed" if flag.get("in_kernel") else "failed"
        notes.append(
            f"flagged for the instructor: {flag.get('grade_id')} {said} in the kernel but the outside "
            f"check {'passed' if flag.get('outside') else 'failed'} ({flag.get('detail', '')})"
        )
    if not secure:
        notes.append("graded WITHOUT the sandbox and the outside checks")
    elif result.sandbox != "bwrap":
        notes.append(f"SANDBOX DISABLED on {result.worker or 'the worker'}: kernel ran with rlimits only")
    return notes


def make_template(files: dict[str, bytes], secure: bool) -> Template:
    """A Template whose digest covers every file (workers cache nothing else)."""
    h = hashlib.sha256(b"secure" if secure else b"plain")
    for name in sorted(files):
        h.update(name.encode() + hashlib.sha256(files[name]).digest())
    return Template(h.hexdigest(), dict(files), secure)


def scratch_root(name: str) -> Path:
    """This run's scratch folder on the worker; the coordinator sweeps its own after a crash."""
    return Path(tempfile.gettempdir()) / name


def limit_threads() -> None:
    """One BLAS/OpenMP thread per process: one job per core, fair timings."""
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
