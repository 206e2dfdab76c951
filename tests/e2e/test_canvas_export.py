"""`python -m autograder export OUT --canvas roster.csv` on a real graded folder, matched by each column kind.

The roster is written the way Canvas exports its gradebook (identity columns, a "Points Possible" row,
other assignments, read-only totals), with one graded student missing and one extra student. Expected
cells come from the grades.csv the same command wrote, never from numbers written here.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from helpers import ps1
from helpers.commands import run_ps1

from autograder.course.layout import GradingFolder
from autograder.results import canvas

pytestmark = pytest.mark.slow
COLUMN = "PS1 (4711)"
LEFT_OUT = "AlanTuring"  # graded, not in the roster
EXTRA = {"Student": "Noether, Emmy", "ID": "9001", "SIS User ID": "S9001", "SIS Login ID": "enoether"}


def _grades(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open(newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _last_first(student: str) -> str:
    """'KurtGodel' -> 'Gödel, Kurt': Canvas's name order, with an accent the zip name lost."""
    first, last = re.findall(r"[A-Z][a-z]*", student)[:2]
    return f"{last.replace('Godel', 'Gödel')}, {first}"


def _roster_row(i: int, student: str, match_by: str) -> dict:
    """Only the `match_by` column identifies the student; the others hold unrelated values."""
    row = {
        "Student": f"Other, Person{i}",
        "ID": str(100 + i),
        "SIS User ID": f"U{i}",
        "SIS Login ID": f"p{i}",
    }
    row[canvas.MATCH_COLUMNS[match_by]] = {
        "name": _last_first(student),
        "login": student.lower(),
        "sis": student.upper(),
        "id": student,
    }[match_by]
    return row | {"Section": f"Section {i % 2}"}


def write_roster(
    path: Path, students: list[str], match_by: str, columns: tuple[str, ...] = (COLUMN,)
) -> Path:
    header = [*canvas.IDENTITY, "Quiz 1 (4700)", *columns, "Current Score"]
    rows = [dict(Student="    Points Possible", **{"Quiz 1 (4700)": "10", "Current Score": "(read only)"})]
    rows += [_roster_row(i, s, match_by) | {"Quiz 1 (4700)": "7"} for i, s in enumerate(students)]
    rows.append(EXTRA | {"Section": "Section 0"})
    with path.open("w", newline="", encoding="utf-8-sig") as fh:  # Canvas writes a BOM
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def expected_cell(row: dict) -> str:
    """Final score after the late penalty; empty for an error or while a written answer awaits grading."""
    pending = any(row[q.grade_id] == "" for q in ps1.QUESTIONS)
    if row["status"] == "error" or (pending and row["status"] != "too_late"):
        return ""
    return row["score"]


@pytest.mark.parametrize("match_by", list(canvas.MATCH_COLUMNS))
def test_canvas_file_matches_by_each_column(export_out: Path, tmp_path: Path, match_by: str) -> None:
    grades = _grades(export_out)
    in_roster = [s for s in grades if s != LEFT_OUT]
    roster = write_roster(tmp_path / "roster.csv", in_roster, match_by)
    args = ["--match-by", match_by] if match_by != canvas.DEFAULT_MATCH else []
    done = run_ps1("export", export_out, "--canvas", roster, *args)
    assert done.returncode == 1, done.stderr  # a graded student is not in the roster
    assert "Traceback" not in done.stderr and LEFT_OUT in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr

    written = _rows(GradingFolder(export_out).canvas_import)
    assert list(written[0]) == [*canvas.IDENTITY, COLUMN]
    assert written[0]["Student"] == canvas.POINTS_ROW and float(written[0][COLUMN]) == ps1.TOTAL_POINTS
    students = written[1:]
    ids = [_roster_row(i, s, match_by)["ID"] for i, s in enumerate(in_roster)]
    assert [r["ID"] for r in students] == ids + [EXTRA["ID"]]  # the roster's order, nobody dropped
    for student, row in zip(in_roster, students):
        assert row[COLUMN] == expected_cell(grades[student]), (student, match_by)
        assert row["Section"] and row["SIS Login ID"]  # identity columns carried over from the roster
    assert students[-1][COLUMN] == ""
    cells = {s: r[COLUMN] for s, r in zip(in_roster, students)}
    assert cells["AdaLovelace"] == grades["AdaLovelace"]["score"] != ""  # fully graded: the final score
    assert cells["NoNotebook"] == ""  # error: empty, never 0
    assert any(v not in ("", "0") for v in cells.values())

    unmatched = {(u["side"], u["student"]) for u in _rows(GradingFolder(export_out).canvas_unmatched)}
    assert unmatched == {("graded", LEFT_OUT), ("roster", EXTRA["Student"])}
    assert EXTRA["Student"] in done.stdout


def test_every_graded_student_in_roster_exits_0_and_fills_a_named_column(
    export_out: Path, tmp_path: Path
) -> None:
    grades = _grades(export_out)
    roster = write_roster(tmp_path / "roster.csv", list(grades), "login", ("Problem Set 1 (77)",))
    done = run_ps1(
        "export", export_out, "--canvas", roster, "--match-by", "login", "--canvas-column", "Problem Set 1"
    )
    assert done.returncode == 0, done.stderr
    written = _rows(GradingFolder(export_out).canvas_import)
    assert list(written[0])[-1] == "Problem Set 1 (77)"
    assert [r["Problem Set 1 (77)"] for r in written[1:-1]] == [expected_cell(grades[s]) for s in grades]
    assert [u["student"] for u in _rows(GradingFolder(export_out).canvas_unmatched)] == [EXTRA["Student"]]


def test_bad_roster_is_one_line_exit_2_and_writes_nothing(export_out: Path, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", ["AdaLovelace"], "name")
    before = {p.name: p.read_bytes() for p in export_out.iterdir() if p.is_file()}
    lines = roster.read_text(encoding="utf-8-sig").splitlines()
    broken = tmp_path / "no_login.csv"
    broken.write_text("\n".join(line.replace("SIS Login ID", "Login") for line in lines) + "\n")
    done = run_ps1("export", export_out, "--canvas", broken, "--match-by", "login")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "'SIS Login ID'" in done.stderr and str(broken) in done.stderr
    assert {p.name: p.read_bytes() for p in export_out.iterdir() if p.is_file()} == before
