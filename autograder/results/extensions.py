"""Extensions: a student's own deadline, from rows `student,due` (new deadline) or `student,days`.

The file lives in the output folder (`<out>/extensions.csv`); `grade --extensions FILE` checks a file
and installs it there, and every export reads it, so there is one place lateness is measured
(grades_table.py). The submission time itself is never changed: only the deadline it is measured
against. A header row (first cell `student`) and `#` comment lines are allowed; a third column, if
any, is a free-text reason shown in the student's message.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.course.layout import EXTENSIONS_FILE, GradingFolder
from autograder.deadlines import parse_time
from autograder.errors import InputError
from autograder.replace_file import replacing


@dataclass(frozen=True)
class Extension:
    """One student's deadline and how it came about (for the message in grades.csv and feedback)."""

    due: datetime
    label: str


def _local(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime(f"%Y-%m-%d %H:%M {zone}")


def _extension(value: str, reason: str, due: datetime, *, where: str, zone: str) -> Extension:
    """`value` is a number of extra days or a new deadline; InputError naming `where` if neither."""
    why = f", {reason}" if reason else ""
    try:
        days = float(value)
    except ValueError:
        days = None
    if days is not None:
        if not 0 < days <= 365:
            raise InputError(f"{where}: {value!r} extra days: give a number of days between 0 and 365")
        new = due + timedelta(days=days)
        return Extension(new, f"extension of {value} day(s){why}: due {_local(new, zone)}")
    try:
        new = parse_time(value, zone=zone)
    except InputError:
        raise InputError(
            f"{where}: {value!r} is neither a number of extra days nor a deadline like "
            f"'2024-05-03 17:00 {zone}'"
        ) from None
    return Extension(new, f"extension{why}: due {_local(new, zone)}")


def read_extensions(path: Path, due: datetime, *, zone: str) -> dict[str, Extension]:
    """Every student's extension in the CSV at `path`, measured from the class deadline `due`; a
    deadline without a zone is read in `zone`, the problem set's."""
    found: dict[str, Extension] = {}
    try:
        with Path(path).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the extensions file {path}: {exc}") from None
    for n, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or cells[0].startswith("#") or (n == 1 and cells[0].lower() == "student"):
            continue
        where = f"{path} line {n} ({','.join(row)})"
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise InputError(f"{where}: a row is student,due or student,days")
        if cells[0] in found:
            raise InputError(f"{where}: a second extension for {cells[0]}; keep one row per student")
        found[cells[0]] = _extension(cells[1], ",".join(cells[2:]).strip(), due, where=where, zone=zone)
    return found


def load(out: Path, due: datetime) -> dict[str, Extension]:
    """The extensions of the output folder `out` (none when it has no extensions.csv)."""
    where = GradingFolder(Path(out))
    zone = where.course.problem_set.timezone
    return read_extensions(where.extensions_csv, due, zone=zone) if where.extensions_csv.exists() else {}


def install(out: Path, path: Path, due: datetime, *, zone: str) -> None:
    """Check the CSV at `path` and make it `<out>/extensions.csv` (a bad file changes nothing)."""
    read_extensions(path, due, zone=zone)
    target = GradingFolder(Path(out)).extensions_csv
    if Path(path).resolve() == target.resolve():
        return
    with replacing(target) as tmp:
        shutil.copyfile(path, tmp)


def unknown_students(extensions: dict[str, Extension], students: set[str], zip_prefix: str) -> list[str]:
    """One note per extension whose student has no submission (a typo, or a student without a zip)."""
    return [
        f"{EXTENSIONS_FILE} names {name!r}, who has no graded submission: check the spelling "
        f"(a student's id is the zip name after {zip_prefix})"
        for name in sorted(set(extensions) - students)
    ]
