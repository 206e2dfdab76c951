"""Reading Canvas's gradebook export and pairing it with grades.csv rows (autograder/results/canvas.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ps1

from autograder.results import canvas
from autograder.results.grades_table import GradesRow

PS = ps1.PROBLEM_SET

HEADER = "Student,ID,SIS User ID,SIS Login ID,Section,PS1 (12),Current Score\n"


def _roster(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "roster.csv"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8-sig"))
    return path


def _row(student: str, status: str = "ok", score: str = "80", **cells: str) -> GradesRow:
    points = {q.grade_id: cells.get(q.grade_id, str(q.points)) for q in ps1.QUESTIONS}
    return GradesRow(student, "100", 0, score=score, status=status, cells=points)


def test_points_row_is_read_and_the_ps1_column_found(tmp_path: Path) -> None:
    text = HEADER + "    Points Possible,,,,,100,(read only)\n" + '"Lovelace, Ada",1,S1,ada,A,,\n'
    roster = canvas.read_roster(_roster(tmp_path, text), PS)
    assert roster.column == "PS1 (12)" and roster.existing and roster.points == "100"
    assert [s["Student"] for s in roster.students] == ["Lovelace, Ada"]


@pytest.mark.parametrize(
    ("text", "match_by", "column", "message"),
    [
        (b"", "name", None, "empty"),
        (b"Student,ID\n\xff\xfe,1\n", "name", None, "not UTF-8"),
        (HEADER.replace("SIS Login ID", "Login"), "login", None, "no 'SIS Login ID' column"),
        ("Name,Section\nAda,A\n", "name", None, "no 'Student', 'ID' column"),
        (HEADER.replace("Current Score", "ps1 (13)"), "name", None, "name one with --canvas-column"),
    ],
)
def test_bad_roster_says_what_is_wrong(
    tmp_path: Path, text: str | bytes, match_by: str, column: str | None, message: str
) -> None:
    with pytest.raises(canvas.RosterError, match=message):
        canvas.read_roster(_roster(tmp_path, text), PS, match_by=match_by, column=column)


def test_missing_roster_file(tmp_path: Path) -> None:
    with pytest.raises(canvas.RosterError, match="no such file"):
        canvas.read_roster(tmp_path / "nope.csv", PS)


def test_no_ps1_column_makes_a_new_one(tmp_path: Path) -> None:
    roster = canvas.read_roster(_roster(tmp_path, "Student,ID,Section\n"), PS)
    assert roster.column == ps1.NOTEBOOK_ID and not roster.existing


def test_names_in_canvas_order_and_accents_match_zip_ids() -> None:
    assert canvas.name_key("Gödel, Kurt") == canvas.compact("KurtGodel")
    assert canvas.name_key("Ada Lovelace") == canvas.compact("AdaLovelace")


def test_ambiguous_names_are_never_guessed(tmp_path: Path) -> None:
    text = HEADER + '"Lovelace, Ada",1,,,A,,\n"Lovelace, Ada",2,,,B,,\n"Turing, Alan",3,,,A,,\n'
    roster = canvas.read_roster(_roster(tmp_path, text), PS)
    pairs, result = canvas.match(roster, [_row("AdaLovelace"), _row("AlanTuring")], "name")
    assert list(pairs) == [2]
    assert [u["canvas_id"] for u in result.roster_unmatched] == ["1", "2"]
    assert [u["student"] for u in result.graded_unmatched] == ["AdaLovelace"]


def test_cell_is_the_final_score_or_empty_never_a_false_zero() -> None:
    written = next(q.grade_id for q in ps1.QUESTIONS if q.manual)
    assert canvas.canvas_score(_row("a", score="72"), PS)[0] == "72"
    assert canvas.canvas_score(_row("a", status="error", score=""), PS)[0] == ""
    assert canvas.canvas_score(_row("a", **{written: ""}), PS) == ("", f"awaiting grading of {written}")
    assert canvas.canvas_score(_row("a", status="too_late", score="0", **{written: ""}), PS)[0] == "0"
