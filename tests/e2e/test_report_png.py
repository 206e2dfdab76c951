"""report.png after `python -m autograder export`: written answers awaiting grading are not drawn as 0%.

The figure's bars and labels are read back (matplotlib artists) and compared with shares the test
computes itself from the grades.csv the command wrote; the PNG is re-opened and its size checked.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.image
import pytest
from helpers import ps1
from helpers.commands import run_ps1

from autograder.results import report
from autograder.results.grades_table import GradesRow, read_grades

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(export_out: Path) -> list[GradesRow]:
    (export_out / "report.png").unlink(missing_ok=True)
    done = run_ps1("export", export_out)
    assert done.returncode == 0, done.stderr
    return read_grades(export_out)


def _axis(fig, title_word: str):
    return next(ax for ax in fig.axes if title_word in ax.get_title())


def _segments(ax) -> dict[str, dict[str, float]]:
    """label of each stacked segment -> question -> width drawn (percent)."""
    names = [t.get_text() for t in ax.get_yticklabels()]
    return {c.get_label(): {n: p.get_width() for n, p in zip(names, c.patches)} for c in ax.containers}


def test_png_is_the_figure(export_out: Path, exported: list[GradesRow]) -> None:
    image = matplotlib.image.imread(export_out / "report.png")
    width, height = (round(x * report.DPI) for x in report.FIGSIZE)
    assert image.shape[:2] == (height, width)
    assert image[..., :3].std() > 0.1  # something is drawn, not a blank canvas


def test_awaiting_answers_are_drawn_as_awaiting_not_as_zero(exported: list[GradesRow]) -> None:
    graded = [r for r in exported if r.status != "error"]
    ax = _axis(report.figure(report.report_data(exported, ps1.PROBLEM_SET)), "question")
    drawn = _segments(ax)
    labels = {t.get_position()[1]: t.get_text() for t in ax.texts}
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(names) == sorted(q.grade_id for q in ps1.QUESTIONS)
    awaited = 0
    for q in ps1.QUESTIONS:
        cells = [r.cells[q.grade_id] for r in graded]
        waiting = sum(c == "" for c in cells)
        zeros = sum(c != "" and float(c) == 0 for c in cells)
        assert drawn["awaiting grading"][q.grade_id] == pytest.approx(100 * waiting / len(graded))
        assert drawn["no points"][q.grade_id] == pytest.approx(100 * zeros / len(graded))
        values = [float(c) for c in cells if c != ""]
        label = labels[names.index(q.grade_id)]
        if values:
            assert f"mean {report.points_text(sum(values) / len(values))}/" in label, label
        if waiting:
            assert f"{waiting} awaiting" in label, label
        awaited += waiting
    assert awaited > 0  # the fixture leaves written answers ungraded: the check above is not vacuous
    written = [q.grade_id for q in ps1.QUESTIONS if q.manual]
    assert any(drawn["full marks"][g] > 0 for g in written)  # Ada's, graded by `manual`


def test_students_per_status(exported: list[GradesRow]) -> None:
    ax = _axis(report.figure(report.report_data(exported, ps1.PROBLEM_SET)), "status")
    heights = {t.get_text(): p.get_height() for t, p in zip(ax.get_xticklabels(), ax.patches)}
    assert heights == {s: sum(r.status == s for r in exported) for s in report.STATUSES}
    assert all(heights[s] for s in report.STATUSES)  # the fixture has one student of each status
