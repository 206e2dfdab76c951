"""grades.csv's arithmetic, row by row: raw score, late days, penalty and status from the cell scores,
the submission time, the deadline and an extension (results/grades_table.row_from_scores)."""

from __future__ import annotations

import csv
import shutil
from datetime import timedelta

import pytest
from helpers import ps1
from hypothesis import given
from hypothesis import strategies as st

from autograder.course.layout import Course
from autograder.course.state import StateEntry
from autograder.deadlines import parse_time
from autograder.results.extensions import Extension
from autograder.results.grades_table import GradesRow, columns, read_grades, row_from_scores, write_grades

DUE = parse_time(ps1.DUE_DATE, zone=ps1.COURSE_TIMEZONE)
CELLS = ps1.QUESTIONS
MANUAL = [q.grade_id for q in CELLS if q.manual]
FULL = {q.grade_id: float(q.points) for q in CELLS}
AUTO_ONLY = {q.grade_id: (None if q.manual else float(q.points)) for q in CELLS}
AUTO_POINTS = sum(q.points for q in ps1.QUESTIONS if not q.manual)


def row(
    scores: dict, late: timedelta, status: str = "graded", extension: Extension | None = None
) -> GradesRow:
    entry = StateEntry("PS1_Student.zip", "", (DUE + late).isoformat(), status)
    return row_from_scores("Student", entry, scores, ps=ps1.PROBLEM_SET, due=DUE, extension=extension)


def test_on_time_keeps_every_point() -> None:
    r = row(FULL, timedelta(minutes=-5))
    assert (r.status, r.late_days, r.late_penalty, r.score) == ("ok", 0, "0", "100")


def test_exactly_at_the_deadline_is_on_time() -> None:
    assert row(FULL, timedelta(0)).status == "ok"


@pytest.mark.parametrize("days", range(1, ps1.MAX_LATE_DAYS + 1))
def test_each_started_day_costs_its_percent_of_the_total(days: int) -> None:
    r = row(FULL, timedelta(days=days - 1, seconds=1))  # one second into day `days`
    penalty = ps1.TOTAL_POINTS * ps1.PERCENT_PER_DAY * days / 100
    assert (r.status, r.late_days) == ("late", days)
    assert float(r.late_penalty) == pytest.approx(penalty)
    assert float(r.score) == pytest.approx(ps1.TOTAL_POINTS - penalty)


def test_past_the_last_day_is_not_accepted_but_the_raw_score_stays_for_reference() -> None:
    r = row(FULL, timedelta(days=ps1.MAX_LATE_DAYS, seconds=1))
    assert (r.status, r.raw_score, r.score) == ("too_late", "100", "0")
    assert "not accepted" in r.message


def test_an_extension_moves_the_deadline_and_comes_first_in_the_message() -> None:
    extension = Extension(DUE + timedelta(days=2), "extension of 2 day(s), illness")
    on_time = row(FULL, timedelta(days=1, hours=23), extension=extension)
    assert (on_time.status, on_time.score) == ("ok", "100")
    late = row(FULL, timedelta(days=2, hours=1), extension=extension)
    assert (late.status, late.late_days) == ("late", 1)
    assert late.message.startswith("extension of 2 day(s)")


def test_manual_grades_entered_later_are_penalised_too() -> None:
    late = timedelta(hours=5)
    before = row(AUTO_ONLY, late)
    after = row(FULL, late)
    assert float(before.late_penalty) == pytest.approx(AUTO_POINTS * ps1.PERCENT_PER_DAY / 100)
    assert float(after.late_penalty) == pytest.approx(ps1.TOTAL_POINTS * ps1.PERCENT_PER_DAY / 100)
    assert "awaiting manual grading" in before.message and "awaiting" not in after.message
    assert all(before.cells[q] == "" for q in MANUAL)


def test_an_error_row_has_no_score_that_looks_earned() -> None:
    r = row({}, timedelta(0), status="error")
    assert (r.raw_score, r.score, r.late_penalty, r.status) == ("", "", "", "error")


@given(
    st.lists(st.floats(0, 1), min_size=len(CELLS), max_size=len(CELLS)),
    st.integers(-3 * 86400, 6 * 86400),
)
def test_score_is_raw_less_penalty_never_below_zero(shares: list[float], seconds: int) -> None:
    scores = {q.grade_id: share * q.points for q, share in zip(CELLS, shares, strict=True)}
    r = row(scores, timedelta(seconds=seconds))
    raw, penalty, score = float(r.raw_score), float(r.late_penalty), float(r.score)
    shown = 0.015  # each column is rounded to 2 decimals on its own
    assert 0 <= penalty <= raw + shown
    assert score == pytest.approx(max(0.0, raw - penalty), abs=shown)
    if r.status == "late":
        assert penalty == pytest.approx(raw * ps1.PERCENT_PER_DAY * r.late_days / 100, abs=shown)


@given(
    st.lists(st.floats(0, 1), min_size=len(CELLS), max_size=len(CELLS)),
    st.integers(-3 * 86400, 6 * 86400),
    st.sampled_from(["graded", "error"]),
)
def test_grades_csv_reads_back_the_rows_it_was_written_with(
    tmp_path_factory, shares: list[float], seconds: int, status: str
) -> None:
    out = tmp_path_factory.mktemp("out")
    shutil.copytree(ps1.SOURCE_DIR, Course(out / "course").sources / ps1.ASSIGNMENT)  # what grade leaves
    scores = {q.grade_id: share * q.points for q, share in zip(CELLS, shares, strict=True)}
    rows = [row(scores, timedelta(seconds=seconds), status), row(FULL, timedelta(0))]
    write_grades(out, rows)
    assert read_grades(out) == rows
    with (out / "grades.csv").open(newline="") as fh:
        assert next(csv.reader(fh)) == columns(ps1.PROBLEM_SET)
