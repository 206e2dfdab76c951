"""Canvas gradebook import file: PS1's final scores placed on the roster Canvas exports, nobody dropped.

Canvas imports a CSV shaped like its own gradebook export: the identity columns `Student, ID,
SIS User ID, SIS Login ID, Section`, then one column per assignment named `<name> (<assignment id>)`,
and optionally a second row whose Student cell is "Points Possible". This module reads that export
(the roster), matches each roster row to a graded student by one column the instructor chooses, and
writes `canvas_import.csv` (identity columns, the points row and one PS1 column) and
`canvas_unmatched.csv` (every student left out, on either side, and why).

The score sent is grades.csv's `score`: the final score after the late penalty (0 for `too_late`).
Its cell stays empty, never 0, for an `error` row and for a student whose written answers are not all
graded yet (unless `too_late`): a partial total must not reach students as if it were their grade.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.problem_set import ProblemSet
from autograder.replace_file import replacing
from autograder.results.grades_table import GradesRow

IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MATCH_COLUMNS = {"name": "Student", "login": "SIS Login ID", "sis": "SIS User ID", "id": "ID"}
DEFAULT_MATCH = "name"
POINTS_ROW = "Points Possible"
UNMATCHED_COLUMNS = ("side", "student", "canvas_id", "reason")
_ASSIGNMENT_COLUMN = re.compile(r"^(?P<name>.*\S)\s*\((?P<id>\d+)\)$")  # "PS1 (123456)"


class RosterError(ValueError):
    """The roster cannot be used: unreadable, not CSV, or missing a column the export needs."""


@dataclass(frozen=True)
class Roster:
    """The students of a Canvas gradebook export and the column PS1's scores go in."""

    path: Path
    students: list[dict[str, str]]  # one dict per student row, in the roster's order
    column: str  # header of the assignment column written
    existing: bool  # the column is already in the roster (False: Canvas creates a new assignment)
    points: str  # the roster's "Points Possible" for that column, "" if it has none


@dataclass
class CanvasExport:
    """What write_canvas wrote and whom it could not place."""

    import_file: Path
    unmatched_file: Path
    column: str
    scored: int = 0
    empty: dict[str, str] = field(default_factory=dict)  # matched student -> why the cell is empty
    roster_unmatched: list[dict[str, str]] = field(default_factory=list)  # rows of UNMATCHED_COLUMNS
    matched_by: str = ""  # the roster column students were matched by
    graded_unmatched: list[dict[str, str]] = field(default_factory=list)


def compact(text: str) -> str:
    """Comparison key: ASCII letters and digits only, lower case ('José-Luis' -> 'joseluis')."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def name_key(student: str) -> str:
    """Canvas writes 'Last, First'; zips are PS1_<FirstLast>: 'Lovelace, Ada' -> 'adalovelace'."""
    last, comma, first = student.partition(",")
    return compact(f"{first} {last}" if comma else student)


def match_key(value: str, match_by: str) -> str:
    return name_key(value) if match_by == "name" else compact(value)


def _read_csv(path: Path) -> list[list[str]]:
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as fh:  # Canvas may write a BOM
            return list(csv.reader(fh))
    except FileNotFoundError:
        raise RosterError(f"roster {path}: no such file (export it from Canvas: Grades > Export)") from None
    except OSError as exc:
        raise RosterError(f"roster {path}: cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise RosterError(f"roster {path}: not UTF-8 text; save the Canvas export as CSV (UTF-8)") from None
    except csv.Error as exc:
        raise RosterError(f"roster {path}: not a valid CSV file ({exc})") from None


def _choose_column(path: Path, header: list[str], *, wanted: str | None, ps: ProblemSet) -> tuple[str, bool]:
    """The roster's column for the problem set (exact header or its name part), else a new column's name."""
    target = compact(wanted) if wanted else compact(ps.id)
    if wanted and wanted in header:
        return wanted, True
    found = [h for h in header if h not in IDENTITY and compact(_assignment_name(h)) == target]
    if len(found) > 1:
        raise RosterError(
            f"roster {path}: several columns could hold {ps.id} ({', '.join(found)}); "
            "name one with --canvas-column"
        )
    if found:
        return found[0], True
    return (wanted or ps.notebook_id), False


def _assignment_name(header: str) -> str:
    m = _ASSIGNMENT_COLUMN.match(header)
    return m["name"] if m else header


def read_roster(
    path: Path, ps: ProblemSet, *, match_by: str = DEFAULT_MATCH, column: str | None = None
) -> Roster:
    """Read Canvas's gradebook export for problem set `ps`; RosterError, one line, if it is wrong."""
    if match_by not in MATCH_COLUMNS:
        raise RosterError(f"--match-by {match_by!r}: choose one of {', '.join(MATCH_COLUMNS)}")
    table = _read_csv(path)
    if not table or not any(cell.strip() for cell in table[0]):
        raise RosterError(f"roster {path}: empty; export the gradebook from Canvas (Grades > Export)")
    header = [h.strip() for h in table[0]]
    needed = ["Student", "ID", MATCH_COLUMNS[match_by]]
    missing = [c for c in dict.fromkeys(needed) if c not in header]
    if missing:
        raise RosterError(
            f"roster {path}: no {', '.join(repr(c) for c in missing)} column "
            f"(header is {', '.join(header[:6])}...); use Canvas's gradebook export (Grades > Export)"
        )
    chosen, existing = _choose_column(path, header, wanted=column, ps=ps)
    students, points = [], ""
    for cells in table[1:]:
        row = dict(zip(header, (c.strip() for c in cells)))
        if row.get("Student", "") == POINTS_ROW:
            points = row.get(chosen, "")
        elif any(row.values()) and (row.get("ID") or row.get("Student")):
            students.append(row)  # rows with neither (Canvas's own note rows, blank lines) are skipped
    return Roster(Path(path), students, chosen, existing, points)


def _fmt_points(x: float) -> str:
    return str(int(x)) if x == int(x) else f"{x:g}"


def canvas_score(row: GradesRow, ps: ProblemSet) -> tuple[str, str]:
    """The cell for one grades.csv row and, when it is empty, why."""
    if row.status == "error":
        return "", f"error, not graded: {row.message}".rstrip(": ")
    if row.status == "too_late":
        return row.score, ""  # not accepted: 0 whatever the written answers earn
    pending = [q.grade_id for q in ps.questions if row.cells.get(q.grade_id, "").strip() == ""]
    if pending:
        return "", f"awaiting grading of {', '.join(pending)}"
    return row.score, ""


def _index(keys: list[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for i, k in enumerate(keys):
        if k:
            found.setdefault(k, []).append(i)
    return found


def _roster_reason(key: str, graded: dict[str, list[int]], roster: dict[str, list[int]], *, col: str) -> str:
    if not key:
        return f"empty {col!r}"
    if len(roster[key]) > 1:
        return f"{len(roster[key])} roster rows share this {col!r}: not guessed"
    if len(graded.get(key, [])) > 1:
        return f"several graded students match this {col!r}: not guessed"
    return "no graded submission"


def match(
    roster: Roster, rows: list[GradesRow], match_by: str, *, canvas_ids: dict[str, str] | None = None
) -> tuple[dict[int, GradesRow], CanvasExport]:
    """Pair roster rows with grades.csv rows one to one; everything else goes in the unmatched lists.
    With `canvas_ids` (student -> Canvas user id, from Canvas's download) for every row, by the
    roster's ID column and nothing else."""
    if canvas_ids and all(r.student in canvas_ids for r in rows):
        match_by = "id"
        g_keys = [compact(canvas_ids[r.student]) for r in rows]
    else:
        g_keys = [compact(r.student) for r in rows]
    col = MATCH_COLUMNS[match_by]
    r_keys = [match_key(s.get(col, ""), match_by) for s in roster.students]
    r_index, g_index = _index(r_keys), _index(g_keys)
    pairs: dict[int, GradesRow] = {}
    result = CanvasExport(Path(), Path(), roster.column, matched_by=col)
    for i, student in enumerate(roster.students):
        key = r_keys[i]
        if key and len(r_index[key]) == 1 and len(g_index.get(key, [])) == 1:
            pairs[i] = rows[g_index[key][0]]
            continue
        result.roster_unmatched.append(
            dict(
                side="roster",
                student=student.get("Student", ""),
                canvas_id=student.get("ID", ""),
                reason=_roster_reason(key, g_index, r_index, col=col),
            )
        )
    paired = {id(r) for r in pairs.values()}
    for row, key in zip(rows, g_keys):
        if id(row) not in paired:
            reason = f"no roster row with this {col!r}" if key not in r_index else "ambiguous: not guessed"
            result.graded_unmatched.append(
                dict(side="graded", student=row.student, canvas_id="", reason=reason)
            )
    return pairs, result


def _write_csv(path: Path, header: list[str] | tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def write_canvas(
    out: Path,
    roster: Roster,
    rows: list[GradesRow],
    *,
    match_by: str = DEFAULT_MATCH,
    canvas_ids: dict[str, str] | None = None,
) -> CanvasExport:
    """Write `<out>/canvas_import.csv` and `<out>/canvas_unmatched.csv` (temp files, then renamed)."""
    out = Path(out)
    pairs, result = match(roster, rows, match_by, canvas_ids=canvas_ids)
    ps = GradingFolder(out).course.problem_set
    lines = [[POINTS_ROW, "", "", "", "", _fmt_points(ps.total_points)]]
    for i, student in enumerate(roster.students):
        score = ""
        if i in pairs:
            score, why = canvas_score(pairs[i], ps)
            if why:
                result.empty[pairs[i].student] = why
            else:
                result.scored += 1
        lines.append([student.get(c, "") for c in IDENTITY] + [score])
    unmatched = [[u[c] for c in UNMATCHED_COLUMNS] for u in result.roster_unmatched + result.graded_unmatched]
    # Both written before either replaces its file: a failure leaves the two previous files.
    where = GradingFolder(out)
    with replacing(where.canvas_unmatched) as tmp_unmatched, replacing(where.canvas_import) as tmp_import:
        _write_csv(tmp_import, [*IDENTITY, roster.column], lines)
        _write_csv(tmp_unmatched, UNMATCHED_COLUMNS, unmatched)
    result.import_file, result.unmatched_file = where.canvas_import, where.canvas_unmatched
    return result


def summary(roster: Roster, result: CanvasExport, ps: ProblemSet) -> list[str]:
    """What the command prints: where the scores went, and every student left out."""
    kind = "existing column" if roster.existing else "new column (Canvas creates the assignment)"
    lines = [
        f"wrote {result.import_file}: {result.scored} of {len(roster.students)} roster students "
        f"scored, in the {kind} {roster.column!r}, matched by {result.matched_by!r}"
    ]
    if roster.points and roster.points != _fmt_points(ps.total_points):
        total = _fmt_points(ps.total_points)
        lines.append(
            f"note: Canvas says {roster.column!r} is out of {roster.points}, {ps.id} is out of {total}: "
            f"the import sets Points Possible to {total}"
        )
    for student, why in sorted(result.empty.items()):
        lines.append(f"left empty: {student}: {why}")
    for u in result.roster_unmatched:
        lines.append(f"in the roster, no grade: {u['student']} (ID {u['canvas_id'] or '?'}): {u['reason']}")
    return lines
