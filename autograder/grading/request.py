"""What one `grade` run was asked to do: built once from the command line, checked once, passed on whole.

`cli/grade.py` parses the deadline and the times file while it builds the request (a bad one is one
line, exit status 2); `inputs.check_request` checks the rest and makes the output folder; the
coordinator then reads every option from the request it returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from autograder import ps1
from autograder.deadlines import parse_time

DEFAULT_OUT = Path("grading")


def course_deadline() -> datetime:
    """PS1's deadline, as `--due` gives it when not set."""
    return parse_time(ps1.DUE_DATE)


@dataclass(frozen=True)
class GradeRequest:
    """One grading run. `times` maps a zip's file name to its submission time (a zip not in it: its
    mtime); `workers` None is one per core, 1 grades in the command's own process; `scheduler` is the
    address of an existing Dask cluster; `db` the class gradebook's SQLAlchemy URL (None: SQLite in
    `out/course`); `extensions_csv` becomes `out/extensions.csv`; `source` another source assignment
    folder (tests); `secure=False` (benchmarks only) drops the sandbox and the outside checks."""

    folder: Path
    out: Path = DEFAULT_OUT
    due: datetime = field(default_factory=course_deadline)
    times: Mapping[str, datetime] = field(default_factory=dict)
    extensions_csv: Path | None = None
    workers: int | None = None
    scheduler: str | None = None
    db: str | None = None
    force: bool = False
    source: Path | None = None
    secure: bool = True
    quiet: bool = False
