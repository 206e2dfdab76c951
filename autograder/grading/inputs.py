"""What `grade` is given, checked before anything is written: each bad input is one InputError line.

The deadline and the times CSV are parsed while the command builds its request (`parse_due`,
`read_times`); the folder of zips, the extensions CSV, the worker count, the Dask scheduler's
address, the gradebook URL and the output folder are checked here, in that order, so a mistake is
reported before `<out>` is created or touched (the output folder is made last).
"""

from __future__ import annotations

import csv
import socket
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from autograder.course.grading_folder import enclosing_grading_folder
from autograder.course.layout import GradingFolder
from autograder.deadlines import parse_time
from autograder.errors import InputError
from autograder.grading.canvas_download import is_canvas_archive
from autograder.grading.request import GradeRequest
from autograder.grading.submitted_folder import submitted_folder
from autograder.results.extensions import read_extensions

SCHEDULER_TIMEOUT = 5.0  # seconds to wait for a TCP connection to --scheduler


def check_folder(folder: Path, zip_prefix: str) -> None:
    """The folder exists and holds at least one .zip, or is nbgrader's submitted/ folder (or its course)."""
    if not folder.exists():
        raise InputError(f"{folder} does not exist: give the folder holding the students' zips")
    if folder.is_file() and is_canvas_archive(folder):
        return  # Canvas's submissions download, unpacked into the grading folder by the run
    if not folder.is_dir():
        raise InputError(
            f"{folder} is a file, not a folder: give the folder holding the students' zips "
            "(or Canvas's submissions download)"
        )
    if submitted_folder(folder) is not None:
        return
    if not any(p.name.lower().endswith(".zip") for p in folder.iterdir()):
        raise InputError(
            f"no .zip file in {folder}: put the students' {zip_prefix}<FullName>.zip files there "
            "(or give nbgrader's submitted/ folder after `nbgrader collect`)"
        )


def check_folders_apart(folder: Path, out: Path) -> None:
    """The zips do not come from a grading folder, and the output goes neither into the folder of zips
    nor inside another grading folder: grading a grading folder grades its own copies of notebooks."""
    graded = enclosing_grading_folder(folder)
    if graded is not None:
        where = "is a grading folder" if graded == folder else f"lies inside the grading folder {graded}"
        raise InputError(f"{folder} {where} (made by `ps1 grade`): give the folder of the students' zips")
    if out.is_relative_to(folder):
        raise InputError(
            f"--out {out} lies inside the folder of zips {folder}: choose an output folder outside it"
        )
    holder = enclosing_grading_folder(out)
    if holder is not None and holder != out:
        raise InputError(f"--out {out} lies inside the grading folder {holder}: choose a folder outside it")


def check_scheduler(address: str, timeout: float = SCHEDULER_TIMEOUT) -> None:
    """A TCP connection to the Dask scheduler at `address` (tcp://host:port) opens within `timeout`."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise InputError(f"--scheduler {address!r}: give the scheduler's address as tcp://host:port")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except TimeoutError:
        raise InputError(
            f"no Dask scheduler answered at {address} within {timeout:g} s (timeout): is it running?"
        ) from None
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {exc.strerror or exc}") from None


def check_db(url: str) -> None:
    """`url` is an SQLAlchemy URL whose database driver is installed and which accepts a connection."""
    try:
        parsed = make_url(url)
        engine = create_engine(parsed)
    except (ArgumentError, SQLAlchemyError, ValueError) as exc:
        raise InputError(
            f"--db {url!r} is not a usable SQLAlchemy URL ({exc}): e.g. sqlite:////path/gradebook.db"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        parent = Path(parsed.database).parent
        if not parent.is_dir():
            raise InputError(f"--db {url!r}: the folder {parent} does not exist")
    try:
        engine.connect().close()
    except SQLAlchemyError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"--db {url!r}: cannot connect to the gradebook: {first}") from None
    finally:
        engine.dispose()


def make_out(out: Path) -> None:
    """Create the output folder (or find it) and make sure a file can be written in it."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: give a folder for grades.csv, report.png and the course")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write in the output folder {out}: {exc.strerror or exc}") from None


def check_same_problem_set(out: Path, problem_set_id: str) -> None:
    """An existing grading folder is graded again only for its own problem set."""
    sources = GradingFolder(out).course.sources
    graded = sorted(p.name for p in sources.iterdir() if p.is_dir()) if sources.is_dir() else []
    if graded and graded != [problem_set_id]:
        raise InputError(
            f"{out} is the grading folder of {graded[0]!r}, not {problem_set_id!r}: "
            f"give each problem set its own --out"
        )


def parse_due(text: str, zone: str) -> datetime:
    """`--due` as a time zone-aware deadline (a time without a zone read in `zone`)."""
    try:
        return parse_time(text, zone=zone)
    except InputError as exc:
        raise InputError(f"--due: {exc}") from None


def check_request(request: GradeRequest) -> GradeRequest:
    """Check what the request names, then create its output folder; return it with both folders
    absolute. (Its deadline and times were parsed when it was built.)"""
    folder, out = Path(request.folder).resolve(), Path(request.out).resolve()
    check_folders_apart(folder, out)
    check_folder(folder, request.problem_set.zip_prefix)
    check_same_problem_set(out, request.problem_set.id)
    if request.extensions_csv is not None:
        read_extensions(Path(request.extensions_csv), request.due, zone=request.problem_set.timezone)
    if request.workers is not None and request.workers < 1:
        raise InputError(f"--workers {request.workers}: use 1 or more")
    if request.scheduler:
        check_scheduler(request.scheduler)
    if request.db:
        check_db(request.db)
    make_out(out)
    return replace(request, folder=folder, out=out)


def read_times(path: Path, zone: str) -> dict[str, datetime]:
    """`file,timestamp` rows (a header row and # comments allowed) -> submission time per zip file name."""
    times: dict[str, datetime] = {}
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(enumerate(csv.reader(fh), start=1))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the times file {path}: {exc}") from None
    for n, row in rows:
        if not row or row[0].strip().lower() in ("file", "") or row[0].startswith("#"):
            continue
        where = f"{path} line {n} ({','.join(row)})"
        if len(row) < 2 or not row[1].strip():
            raise InputError(f"{where}: a row is file,timestamp")
        try:
            times[Path(row[0].strip()).name] = parse_time(row[1], zone=zone)
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return times
