"""Reading nbgrader's `submitted/` folder: which folder counts, timestamps, what is skipped and why."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.ps1 import ASSIGNMENT, NOTEBOOK, PROBLEM_SET

from autograder.course.layout import nbgrader_timestamp, read_timestamp
from autograder.grading.collect import MAX_NOTEBOOK_BYTES, SubmissionError
from autograder.grading.submitted_folder import find_collected, read_collected, submitted_folder


def _student(submitted: Path, name: str, stamp: str | None = "2017-01-12 17:59:30.250000 UTC") -> Path:
    folder = submitted / name / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text("{}")
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp + "\n")
    return folder / NOTEBOOK


def test_which_folder_is_read_as_submitted(tmp_path: Path) -> None:
    course = tmp_path / "course"
    (course / "submitted").mkdir(parents=True)
    assert submitted_folder(course) == course / "submitted"
    assert submitted_folder(course / "submitted") == course / "submitted"
    (course / "PS1_Ada.zip").write_bytes(b"PK")
    assert submitted_folder(course) is None  # a folder of zips stays a folder of zips
    assert submitted_folder(tmp_path) is None


def test_nbgrader_timestamps_are_read_in_utc(tmp_path: Path) -> None:
    stamp = tmp_path / "timestamp.txt"
    stamp.write_text("2017-01-12 17:59:30.250000 UTC\n")
    assert read_timestamp(stamp) == datetime(2017, 1, 12, 17, 59, 30, 250000, tzinfo=UTC)
    stamp.write_text("2017-01-12 17:59:30 UTC")
    assert read_timestamp(stamp) == datetime(2017, 1, 12, 17, 59, 30, tzinfo=UTC)
    stamp.write_text("yesterday-ish")
    with pytest.raises(ValueError, match="not a timestamp nbgrader wrote"):
        read_timestamp(stamp)


def test_the_timestamps_grade_writes_read_back_as_the_same_time(tmp_path: Path) -> None:
    """`grade` writes each submission's time with nbgrader_timestamp; nbgrader and the next run read it."""
    stamp = tmp_path / "timestamp.txt"
    for when in (
        datetime(2026, 2, 9, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 2, 10, 1, 0, tzinfo=UTC),
    ):
        stamp.write_text(nbgrader_timestamp(when))
        assert read_timestamp(stamp) == when
    assert nbgrader_timestamp(datetime(2026, 2, 10, 1, 0, tzinfo=UTC)) == "2026-02-10 01:00:00.000000 UTC"


def test_find_collected_skips_with_a_reason(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted"
    _student(submitted, "ada")
    _student(submitted, "bad", stamp="not a time")
    _student(submitted, ".hidden")
    (submitted / "empty").mkdir()
    real = _student(tmp_path / "elsewhere", "x")
    (submitted / "linked" / ASSIGNMENT).mkdir(parents=True)
    (submitted / "linked" / ASSIGNMENT / NOTEBOOK).symlink_to(real)
    no_stamp = _student(submitted, "nostamp", stamp=None)
    found, notes = find_collected(submitted, PROBLEM_SET)
    assert [c.student for c in found] == ["ada", "nostamp"]
    assert found[0].submitted == datetime(2017, 1, 12, 17, 59, 30, 250000, tzinfo=UTC)
    assert found[1].submitted == datetime.fromtimestamp(no_stamp.stat().st_mtime, UTC)
    joined = "\n".join(notes)
    for expected in ("bad: NOT GRADED", "'.hidden'", "empty: skipped", "linked: NOT GRADED", "nostamp: no"):
        assert expected in joined


def test_read_collected_refuses_what_a_zip_would(tmp_path: Path) -> None:
    nb = tmp_path / NOTEBOOK
    nb.write_bytes(b"x" * (MAX_NOTEBOOK_BYTES + 1))
    with pytest.raises(SubmissionError, match="limit"):
        read_collected(nb, ASSIGNMENT)
    nb.write_text("{}")
    assert read_collected(nb, ASSIGNMENT).notebook == b"{}"
