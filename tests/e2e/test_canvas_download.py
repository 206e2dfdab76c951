"""`grade` on Canvas's "Download Submissions" archive, built to Canvas's naming, then `export --canvas`
matching each student by the Canvas user id the archive carried (roster names that match nothing)."""

from __future__ import annotations

import csv
import json
import zipfile
from pathlib import Path

import pytest
from helpers.commands import refused, run_ps1
from helpers.ps1 import EXAMPLES_DIR

from autograder.course.layout import GradingFolder

pytestmark = pytest.mark.slow

# entry name in Canvas's archive -> the example zip it holds
ENTRIES = {
    "lovelaceada_12345_1001_PS1_AdaLovelace.zip": "PS1_UntouchedRelease.zip",  # first attempt: blank
    "lovelaceada_12345_1002_PS1_AdaLovelace-1.zip": "PS1_AdaLovelace.zip",  # the newest attempt
    "turingalan_LATE_23456_1003_PS1_AlanTuring.zip": "PS1_AlanTuring.zip",  # Canvas says late
    "hoppergrace_34567_1004_PS1_GraceHopper.zip": "PS1_GraceHopper.zip",  # Canvas says on time
}
TIMES = {  # what the LMS's own export says (examples/times.csv): Alan on time, Grace 2 days late
    "lovelaceada_12345_1001_PS1_AdaLovelace.zip": "2017-01-11 09:00 America/Chicago",
    "lovelaceada_12345_1002_PS1_AdaLovelace-1.zip": "2017-01-12 11:58 America/Chicago",
    "turingalan_LATE_23456_1003_PS1_AlanTuring.zip": "2017-01-11 20:00 America/Chicago",
    "hoppergrace_34567_1004_PS1_GraceHopper.zip": "2017-01-13 23:00 America/Chicago",
}
CANVAS_IDS = {"AdaLovelace": "12345", "AlanTuring": "23456", "GraceHopper": "34567"}


@pytest.fixture(scope="module")
def download(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """submissions.zip as Canvas builds it, with a PDF a student uploaded beside the zip."""
    root = tmp_path_factory.mktemp("canvas")
    archive = root / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for name, example in ENTRIES.items():
            zipped.write(EXAMPLES_DIR / example, name)
        zipped.writestr("hoppergrace_34567_1005_notes.pdf", b"%PDF-1.4 not a notebook")
    with (root / "times.csv").open("w") as fh:
        fh.write("file,timestamp\n" + "".join(f"{k},{v}\n" for k, v in TIMES.items()))
    return archive


@pytest.fixture(scope="module")
def graded(download: Path) -> tuple[Path, str]:
    out = download.parent / "grading"
    done = run_ps1("grade", download, "--times", download.parent / "times.csv", "--out", out)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done.stdout


def test_each_canvas_user_is_one_student_graded_from_the_newest_attempt(graded: tuple[Path, str]) -> None:
    out, printed = graded
    state = json.loads(GradingFolder(out).state_file.read_text())["students"]
    assert {s: e["canvas_id"] for s, e in state.items()} == CANVAS_IDS
    assert state["AdaLovelace"]["zip"] == "lovelaceada_12345_1002_PS1_AdaLovelace-1.zip"
    with GradingFolder(out).grades_csv.open() as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert float(rows["AdaLovelace"]["raw_score"]) == 65  # the solution, not the blank first attempt
    assert (
        "graded the latest, ignored lovelaceada_12345_1001_PS1_AdaLovelace.zip"
        in rows["AdaLovelace"]["message"]
    )
    assert "hoppergrace_34567_1005_notes.pdf: not a zip, skipped (Canvas user 34567)" in printed


def test_the_late_mark_is_checked_against_our_lateness(graded: tuple[Path, str]) -> None:
    _, printed = graded
    assert "AlanTuring: Canvas marked the submission LATE, grades.csv has it on time" in printed
    assert "GraceHopper: Canvas marked the submission on time, grades.csv has it 2 day(s) late" in printed
    assert "AdaLovelace: Canvas marked" not in printed


def test_export_matches_by_the_canvas_id_not_by_names(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    sheet = tmp_path / "written.csv"
    sheet.write_text(
        "student,question,points\n"
        + "".join(
            f"AdaLovelace,{q},{p}\n"
            for q, p in (("p1a_written", 10), ("p1b_written", 10), ("p2_written", 15))
        )
    )
    assert run_ps1("manual", out, sheet).returncode == 0
    roster = tmp_path / "roster.csv"
    with roster.open("w", newline="") as fh:  # names and logins that match no zip: only the IDs do
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "PS1 (777)"])
        writer.writerow(["King, Augusta Ada", "12345", "S1", "aking", "A", ""])
        writer.writerow(["Turing, A. M.", "23456", "S2", "amt", "A", ""])
        writer.writerow(["Murray Hopper, Grace", "34567", "S3", "gmh", "B", ""])
    done = run_ps1("export", out, "--canvas", roster)
    assert done.returncode == 0, done.stderr
    assert "matched by 'ID'" in done.stdout
    with GradingFolder(out).canvas_import.open() as fh:
        cells = {r["ID"]: r["PS1 (777)"] for r in csv.DictReader(fh) if r["ID"]}
    assert cells["12345"] == "100"  # Ada: every point, on time
    with GradingFolder(out).canvas_unmatched.open() as fh:
        unmatched = list(csv.DictReader(fh))
    assert unmatched == []  # Alan's and Grace's cells wait for their written answers, still matched


def test_a_zip_that_is_not_a_canvas_download_is_refused(tmp_path: Path) -> None:
    refused(
        run_ps1("grade", EXAMPLES_DIR / "PS1_AdaLovelace.zip", "--out", tmp_path / "out"),
        "is a file, not a folder",
        "Canvas's submissions download",
    )
