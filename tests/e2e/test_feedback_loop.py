"""The instructor's loop after autograding, with the real commands: extensions, grading by hand (`ps1
manual` and formgrader's way, straight into the gradebook), `ps1 export`, and the feedback pages that
follow the gradebook: manual points, comments, late penalty and final score as in grades.csv.
"""

from __future__ import annotations

import csv
import html
import json
import re
import shutil
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ps1 as spec
from helpers.commands import refused, run_ps1
from helpers.ps1 import ASSIGNMENT, EXAMPLES_DIR, NOTEBOOK_ID, QUESTIONS

from autograder.course import grading_course as cd
from autograder.deadlines import parse_time

pytestmark = pytest.mark.slow
STUDENTS = ["AdaLovelace", "GraceHopper", "KurtGodel"]
WRITTEN = [q for q in QUESTIONS if q.manual]
GRACE_DUE = "2017-01-13 12:00 America/Chicago"  # a new deadline for Grace, 11 hours before her zip


def _csv(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def _text(page: Path) -> str:
    """The page's visible text, whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())))


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("loop")
    zips = root / "zips"
    zips.mkdir()
    for student in STUDENTS:
        shutil.copy(EXAMPLES_DIR / f"{spec.ZIP_PREFIX}{student}.zip", zips)
    extensions = root / "extensions.csv"
    extensions.write_text(f"student,due\nKurtGodel,2,medical note\nGraceHopper,{GRACE_DUE}\nKurt Godel,1\n")
    out = root / "out"
    graded = run_ps1(
        "grade", zips, "--times", EXAMPLES_DIR / "times.csv", "--extensions", extensions,
        "--out", out, "--workers", "1",
    )  # fmt: skip
    assert graded.returncode == 0, graded.stderr
    return SimpleNamespace(out=out, graded=graded, times=EXAMPLES_DIR / "times.csv")


def test_pages_made_while_grading_are_kept_and_equal_a_rebuild(loop: SimpleNamespace) -> None:
    """The workers put each student's final summary (extension included) on the page they make, so
    `grade` does not make it again; a full rebuild from the gradebook gives the same bytes."""
    pages = {s: loop.out / "course" / "feedback" / s / ASSIGNMENT / f"{NOTEBOOK_ID}.html" for s in STUDENTS}
    written = (loop.out / "grades.csv").stat().st_mtime_ns
    assert all(page.stat().st_mtime_ns < written for page in pages.values())  # not rebuilt after export
    made = {s: page.read_bytes() for s, page in pages.items()}
    assert b"medical note" in made["KurtGodel"] and b"Final score" in made["AdaLovelace"]
    rebuilt = run_ps1("feedback", loop.out)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert {s: page.read_bytes() for s, page in pages.items()} == made


def test_extensions_move_the_deadline_not_the_submission_time(loop: SimpleNamespace) -> None:
    rows = _csv(loop.out)
    kurt, grace, ada = rows["KurtGodel"], rows["GraceHopper"], rows["AdaLovelace"]
    # Kurt: 5 started days after the class deadline, 3 after his own (2 extra days): late, not too late.
    assert (kurt["late_days"], kurt["status"]) == ("3", "late")
    assert "extension of 2 day(s), medical note" in kurt["message"]
    assert (grace["late_days"], grace["status"]) == ("1", "late")
    assert "extension" in grace["message"] and "2017-01-13 12:00" in grace["message"]
    assert (ada["late_days"], ada["status"]) == ("0", "ok") and "extension" not in ada["message"]
    # state.json keeps the real submission times of times.csv
    state = json.loads((loop.out / "state.json").read_text())
    with loop.times.open() as fh:
        real = {r["file"]: parse_time(r["timestamp"], zone=spec.COURSE_TIMEZONE) for r in csv.DictReader(fh)}
    for student in ("KurtGodel", "GraceHopper"):
        kept = datetime.fromisoformat(state["students"][student]["submitted"])
        assert kept == real[f"{spec.ZIP_PREFIX}{student}.zip"]
    assert (loop.out / "extensions.csv").exists()


def test_unknown_student_in_extensions_is_reported(loop: SimpleNamespace) -> None:
    assert "'Kurt Godel', who has no graded submission" in loop.graded.stdout


def test_grading_by_hand_shows_on_the_rebuilt_pages(loop: SimpleNamespace, tmp_path: Path) -> None:
    out = loop.out
    # Ada: through `ps1 manual`, with a comment per written answer
    sheet = tmp_path / "manual.csv"
    sheet.write_text(
        "student,question,points,comment\n"
        + "".join(
            f"AdaLovelace,{q.grade_id},{q.points - 1:g},Ada on {q.grade_id}: one slip\n" for q in WRITTEN
        )
    )
    done = run_ps1("manual", out, sheet)
    assert done.returncode == 0, done.stderr
    # Grace: as formgrader does, manual_score and manual_comment straight into the class gradebook
    with cd.gradebook(out / "course") as gb:
        for q in WRITTEN:
            gb.find_grade(q.grade_id, NOTEBOOK_ID, ASSIGNMENT, "GraceHopper").manual_score = q.points / 2
            comment = gb.find_comment(q.grade_id, NOTEBOOK_ID, ASSIGNMENT, "GraceHopper")
            comment.manual_comment = f"Formgrader note on {q.grade_id}"
        gb.db.commit()
    exported = run_ps1("export", out)
    assert exported.returncode == 0, exported.stderr
    rows = _csv(out)
    for student, note in (("AdaLovelace", "Ada on {}: one slip"), ("GraceHopper", "Formgrader note on {}")):
        row = rows[student]
        assert "awaiting manual grading" not in row["message"]
        page = out / "course" / "feedback" / student / ASSIGNMENT / f"{NOTEBOOK_ID}.html"
        text = _text(page)
        for q in WRITTEN:
            assert note.format(q.grade_id) in text
            assert f"Score: {float(row[q.grade_id]):.1f} / {q.points:.1f}" in text
        assert f"Final score: {row['score']} / {row['max_score']} (status: {row['status']})" in text
        assert f"late days: {row['late_days']}" in text
        assert "BEGIN HIDDEN TESTS" not in page.read_text() and "hidden tests are not shown" in text
    grace = rows["GraceHopper"]
    assert float(grace["late_penalty"]) > 0  # 10% of the new total, not of the automatic score alone
    assert f"Late submission penalty (Score: -{float(grace['late_penalty']):.1f}" in _text(
        out / "course" / "feedback" / "GraceHopper" / ASSIGNMENT / f"{NOTEBOOK_ID}.html"
    )
    auto = sum(float(grace[q.grade_id]) for q in QUESTIONS if not q.manual)
    manual = sum(q.points / 2 for q in WRITTEN)
    assert float(grace["raw_score"]) == pytest.approx(auto + manual)
    assert float(grace["late_penalty"]) == pytest.approx((auto + manual) * spec.PERCENT_PER_DAY / 100)


def test_feedback_command_lists_every_page(loop: SimpleNamespace) -> None:
    done = run_ps1("feedback", loop.out)
    assert done.returncode == 0, done.stderr
    pages = [line for line in done.stdout.splitlines() if line.endswith(".html")]
    assert len(pages) == len(STUDENTS) and all(Path(p).exists() for p in pages)


def test_points_above_the_maximum_change_nothing(loop: SimpleNamespace, tmp_path: Path) -> None:
    before = (loop.out / "grades.csv").read_bytes()
    q = WRITTEN[0]
    sheet = tmp_path / "too_many.csv"
    sheet.write_text(
        f"student,question,points\nAdaLovelace,{q.grade_id},1\nKurtGodel,{q.grade_id},{q.points + 1}\n"
    )
    refused(run_ps1("manual", loop.out, sheet), "line 3", f"outside 0..{q.points:g}")
    assert (loop.out / "grades.csv").read_bytes() == before
    with cd.gradebook(loop.out / "course") as gb:
        assert gb.find_grade(q.grade_id, NOTEBOOK_ID, ASSIGNMENT, "KurtGodel").manual_score is None
