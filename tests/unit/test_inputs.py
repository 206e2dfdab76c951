"""`grade`'s input checks: the deadline and times parsed once, the folders kept apart, one line each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from autograder.course.layout import GradingFolder
from autograder.errors import InputError
from autograder.grading.inputs import check_folders_apart, check_request, parse_due, read_times
from autograder.grading.request import GradeRequest


def zips(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "PS1_Ada.zip").write_bytes(b"")
    return folder


def grading_folder(folder: Path) -> Path:
    (folder / "course").mkdir(parents=True)
    GradingFolder(folder).marker.write_text(json.dumps({"layout": 2}))
    return folder


def test_the_deadline_is_parsed_with_its_zone_or_refused_naming_the_option() -> None:
    assert parse_due("2017-01-12 12:00 America/Chicago", "UTC") == datetime(2017, 1, 12, 18, 0, tzinfo=UTC)
    with pytest.raises(InputError, match="^--due: "):
        parse_due("next tuesday", "UTC")


def test_times_skip_headers_and_comments_and_name_a_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "times.csv"
    good.write_text("file,timestamp\n# a note\nPS1_Ada.zip,2017-01-12 11:00 America/Chicago\n")
    assert list(read_times(good, "UTC")) == ["PS1_Ada.zip"]
    bad = tmp_path / "bad.csv"
    bad.write_text("file,timestamp\nPS1_Ada.zip,yesterday\n")
    with pytest.raises(InputError, match="line 2"):
        read_times(bad, "UTC")


def test_a_grading_folder_or_a_folder_inside_one_is_not_a_folder_of_zips(tmp_path: Path) -> None:
    graded = grading_folder(tmp_path / "grading")
    for folder in (graded, graded / "course"):
        with pytest.raises(InputError, match="grading folder"):
            check_folders_apart(folder, tmp_path / "out")


def test_the_output_stays_out_of_the_zips_and_out_of_other_grading_folders(tmp_path: Path) -> None:
    folder = zips(tmp_path / "zips")
    with pytest.raises(InputError, match="inside the folder of zips"):
        check_folders_apart(folder, folder / "grading")
    graded = grading_folder(tmp_path / "grading")
    with pytest.raises(InputError, match="inside the grading folder"):
        check_folders_apart(folder, graded / "course" / "again")
    check_folders_apart(folder, graded)  # grading again into the same folder is the normal case


def test_a_checked_request_has_absolute_folders_and_an_output_folder(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    zips(tmp_path / "zips")
    checked = check_request(GradeRequest(Path("zips"), Path("grading")))
    assert checked.folder == tmp_path / "zips" and checked.out == tmp_path / "grading"
    assert checked.out.is_dir()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"folder": Path("missing")}, "does not exist"),
        ({"workers": 0}, "--workers 0"),
        ({"db": "nonsense://"}, "--db"),
    ],
)
def test_a_bad_request_is_refused_before_the_output_folder_exists(
    tmp_path: Path, change: dict, words: str
) -> None:
    zips(tmp_path / "zips")
    request = GradeRequest(tmp_path / "zips", tmp_path / "grading")
    with pytest.raises(InputError, match=words):
        check_request(GradeRequest(**{**request.__dict__, **change}))
    assert not (tmp_path / "grading").exists()
