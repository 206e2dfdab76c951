"""Every bad input to every command: one line on stderr, exit status 2, nothing written half-way.

Each case runs the installed `ps1` command in a subprocess, as the instructor would.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from helpers.commands import refused, run_ps1
from helpers.ps1 import EXAMPLES_DIR

BROKEN = "PS1_BrokenZip.zip"  # rejected before any kernel runs: a grading run that costs no worker


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "zips"
    folder.mkdir()
    shutil.copy(EXAMPLES_DIR / BROKEN, folder)
    return folder


def _grade_refused(tmp_path: Path, inbox: Path, *options: object, words: tuple[str, ...]) -> None:
    out = tmp_path / "out"
    refused(run_ps1("grade", inbox, "--out", out, *options), *words)
    assert not out.exists(), "a refused run must not create or touch the output folder"


def test_unreadable_due(tmp_path: Path, inbox: Path) -> None:
    _grade_refused(tmp_path, inbox, "--due", "next tuesday", words=("--due", "next tuesday"))


def test_unknown_time_zone(tmp_path: Path, inbox: Path) -> None:
    _grade_refused(tmp_path, inbox, "--due", "2017-01-12 12:00 Mars/Olympus", words=("Mars/Olympus",))


def test_times_csv_with_a_bad_row(tmp_path: Path, inbox: Path) -> None:
    times = tmp_path / "times.csv"
    times.write_text(f"file,timestamp\n{BROKEN},2017-01-12 10:00\nPS1_Late.zip,yesterday-ish\n")
    _grade_refused(tmp_path, inbox, "--times", times, words=("line 3", "yesterday-ish"))


def test_times_csv_row_without_a_time(tmp_path: Path, inbox: Path) -> None:
    times = tmp_path / "times.csv"
    times.write_text(f"{BROKEN}\n")
    _grade_refused(tmp_path, inbox, "--times", times, words=("line 1", "file,timestamp"))


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        ("student,days\nAda,soon\n", ("line 2", "soon")),
        ("student,days\nAda,-3\n", ("line 2", "-3")),
        ("Ada\n", ("line 1", "student,due or student,days")),
        ("Ada,2\nAda,3\n", ("line 2", "second extension")),
    ],
)
def test_extensions_csv_with_a_bad_row(tmp_path: Path, inbox: Path, rows: str, words: tuple) -> None:
    extensions = tmp_path / "extensions.csv"
    extensions.write_text(rows)
    _grade_refused(tmp_path, inbox, "--extensions", extensions, words=words)


def test_missing_and_empty_folders(tmp_path: Path) -> None:
    _grade_refused(tmp_path, tmp_path / "nowhere", words=("does not exist",))
    (tmp_path / "empty").mkdir()
    _grade_refused(tmp_path, tmp_path / "empty", words=("no .zip file", "empty"))


def test_zero_workers(tmp_path: Path, inbox: Path) -> None:
    _grade_refused(tmp_path, inbox, "--workers", "0", words=("--workers",))


def test_unreachable_scheduler(tmp_path: Path, inbox: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once this socket is closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    _grade_refused(tmp_path, inbox, "--scheduler", address, words=(address, "scheduler"))


@pytest.mark.parametrize("url", ["not a url", "nosuchdialect://user@host/db", "sqlite:////no/such/dir/gb.db"])
def test_bad_db_url(tmp_path: Path, inbox: Path, url: str) -> None:
    _grade_refused(tmp_path, inbox, "--db", url, words=("--db", url))


def test_output_folder_that_cannot_be_written(tmp_path: Path, inbox: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    refused(run_ps1("grade", inbox, "--out", blocker), "is a file")
    refused(run_ps1("grade", inbox, "--out", blocker / "out"), "cannot write in the output folder")
    assert blocker.read_text() == "not a folder\n"


@pytest.mark.parametrize("command", ["export", "feedback"])
def test_folder_never_graded(tmp_path: Path, command: str) -> None:
    refused(run_ps1(command, tmp_path), "no grading run", "ps1 grade")
    refused(run_ps1(command, tmp_path / "missing"), "no grading run")
    assert list(tmp_path.iterdir()) == []


def test_manual_on_a_folder_never_graded(tmp_path: Path) -> None:
    sheet = tmp_path / "manual.csv"
    sheet.write_text("student,question,points\nAda,p1a_written,3\n")
    refused(run_ps1("manual", tmp_path / "out", sheet), "no grading run")


def test_manual_sheet_with_unknown_names(tmp_path: Path, inbox: Path) -> None:
    """A graded folder (one broken zip: no kernel needed); unknown student, unknown question, no header."""
    out = tmp_path / "out"
    graded = run_ps1("grade", inbox, "--out", out)
    assert graded.returncode == 0, graded.stderr
    before = (out / "grades.csv").read_bytes()
    sheet = tmp_path / "manual.csv"
    sheet.write_text("student,question,points\nNobody,p1a_written,3\n")
    refused(run_ps1("manual", out, sheet), "line 2", "unknown student 'Nobody'")
    sheet.write_text("student,question,points\nBrokenZip,p9_essay,3\n")
    refused(run_ps1("manual", out, sheet), "line 2", "unknown question 'p9_essay'")
    sheet.write_text("who,what\nBrokenZip,p1a_written\n")
    refused(run_ps1("manual", out, sheet), "student,question,points")
    refused(run_ps1("manual", out, tmp_path / "missing.csv"), "cannot read")
    assert (out / "grades.csv").read_bytes() == before


def test_unknown_command_and_bad_option() -> None:
    refused(run_ps1("gradee"), "unknown command 'gradee'")
    refused(run_ps1("export", "--colour", "blue"), "--colour")
