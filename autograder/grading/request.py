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

from autograder import problem_set
from autograder.deadlines import parse_time
from autograder.problem_set import ProblemSet
from autograder.repository import course_dir

DEFAULT_OUT = Path("grading")


def only_problem_set() -> ProblemSet:
    """The course's problem set when it has only one (else InputError: choose with --assignment)."""
    return problem_set.select(course_dir())


@dataclass(frozen=True)
class GradeRequest:
    """One grading run. `times` maps a zip's file name to its submission time (a zip not in it: its
    mtime); `workers` None is one per core, 1 grades in the command's own process; `scheduler` is the
    address of an existing Dask cluster; `db` the class gradebook's SQLAlchemy URL (None: SQLite in
    `out/course`); `extensions_csv` becomes `out/extensions.csv`; `problem_set` what is graded (its
    folder is the source assignment); `due` None is its deadline; `secure=False` (benchmarks only)
    drops the sandbox and the outside checks."""

    folder: Path
    out: Path = DEFAULT_OUT
    problem_set: ProblemSet = field(default_factory=only_problem_set)
    due: datetime = None  # type: ignore[assignment]  # None: the problem set's deadline (__post_init__)
    times: Mapping[str, datetime] = field(default_factory=dict)
    extensions_csv: Path | None = None
    workers: int | None = None
    scheduler: str | None = None
    db: str | None = None
    force: bool = False
    secure: bool = True
    quiet: bool = False

    def __post_init__(self) -> None:
        if self.due is None:  # a frozen dataclass sets a derived default this way
            object.__setattr__(self, "due", parse_time(self.problem_set.due, zone=self.problem_set.timezone))
