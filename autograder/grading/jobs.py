"""Plain data exchanged between the coordinator and the grading workers: Job, Template, Result."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
class Job:
    """One submission to grade."""

    student: str
    notebook: bytes  # validated by collect.py, deleted graded cells restored
    timestamp: str  # "%Y-%m-%d %H:%M:%S.%f UTC", what nbgrader reads from timestamp.txt
    scratch: str  # name of this run's scratch folder in the worker's temp dir


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
    worker: str = ""  # host:pid that graded it


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
