"""The numbers report.png draws (autograder/results/report.py), from hand-made grades.csv rows."""

from __future__ import annotations

from helpers import ps1

from autograder.results import report
from autograder.results.grades_table import GradesRow


def _row(status: str, **cells: str) -> GradesRow:
    points = {q.grade_id: cells.get(q.grade_id, "") for q in ps1.QUESTIONS}
    return GradesRow("Student", "100", 0, score="50", status=status, cells=points)


def test_nobody_graded_yet_is_awaiting_not_zero() -> None:
    written = next(q for q in ps1.QUESTIONS if q.manual)
    data = report.report_data([_row("ok"), _row("late"), _row("error")], ps1.PROBLEM_SET)
    stats = next(s for s in data.questions if s.grade_id == written.grade_id)
    assert stats.counts == {"full": 0, "partial": 0, "zero": 0, "awaiting": 2}  # the error row is left out
    assert stats.share("awaiting") == 100 and stats.mean is None
    assert stats.label() == "not graded yet (2 awaiting)"
    assert data.status_counts == {"ok": 1, "late": 1, "too_late": 0, "error": 1}


def test_mean_and_segments_of_graded_cells() -> None:
    q = next(q for q in ps1.QUESTIONS if q.manual)
    rows = [_row("ok", **{q.grade_id: v}) for v in (str(q.points), str(q.points / 2), "0", "")]
    stats = report.report_data(rows, ps1.PROBLEM_SET).questions[ps1.QUESTIONS.index(q)]
    assert stats.counts == {"full": 1, "partial": 1, "zero": 1, "awaiting": 1}
    assert stats.mean == q.points / 2
    assert stats.label().endswith("full marks 1 of 3, 1 awaiting")
