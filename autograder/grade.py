"""`python -m autograder grade <folder-of-zips>`: from the students' zips to grades.csv and report.png.

Steps, each per student so one bad submission never stops the class:
1. build `<out>/course` (source notebook + nbgrader config, `nbgrader generate_assignment`);
2. pick each student's latest zip (by --times or the zip's mtime), skip it if its content and time
   were already graded (state in `<out>/state.json`) unless --force;
3. check the zip and its notebook (collect.py) and write only the notebook to
   `course/submitted/<student>/ps1/PS1.ipynb` with its `timestamp.txt`;
4. `nbgrader autograde` and `generate_feedback` (hidden tests removed) for that student;
5. write grades.csv with the late penalty on the current total (export.py), report.png and a table.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder import ASSIGNMENT, NOTEBOOK, config
from autograder import course_dir as cd
from autograder.collect import (
    SubmissionError,
    check_notebook,
    read_submission,
    restore_missing_cells,
    student_id_from_zip,
)

DEFAULT_OUT = Path("grading")
STATE = "state.json"


@dataclass
class Candidate:
    path: Path
    student: str
    submitted: datetime
    sha256: str
    warning: str | None


def load_state(out: Path) -> dict:
    path = out / STATE
    if path.exists():
        return json.loads(path.read_text())
    return {"students": {}}


def save_state(out: Path, state: dict) -> None:
    tmp = out / (STATE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    tmp.replace(out / STATE)


def read_times(path: Path) -> dict[str, datetime]:
    """`file,timestamp` rows (a header row is allowed) -> submission time per zip file name."""
    times: dict[str, datetime] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            if not row or row[0].strip().lower() in ("file", "") or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}: row {row!r} needs file,timestamp")
            times[Path(row[0].strip()).name] = config.parse_time(row[1])
    return times


def shown(name: str) -> str:
    """A file name safe to print and to write to CSV/JSON (undecodable bytes become U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_candidates(folder: Path, times: dict[str, datetime]) -> tuple[dict[str, list[Candidate]], list[str]]:
    """All *.zip files of `folder` grouped by student id, newest first."""
    by_student: dict[str, list[Candidate]] = {}
    notes = []
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".zip"):
            continue
        if path.is_symlink() or not path.is_file():
            notes.append(f"{shown(path.name)}: skipped, not a regular file (a symlink or a folder)")
            continue
        student, warning = student_id_from_zip(path)
        if path.name in times:
            when = times[path.name]
        else:
            when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            if times:
                notes.append(f"{shown(path.name)}: not in the times file, using its modification time")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        by_student.setdefault(student, []).append(Candidate(path, student, when, digest, warning))
    for cands in by_student.values():
        cands.sort(key=lambda c: (c.submitted, c.path.name), reverse=True)
    return by_student, notes


def _clear_student(course: Path, student: str) -> None:
    for sub in ("submitted", "autograded", "feedback"):
        shutil.rmtree(course / sub / student, ignore_errors=True)
    from nbgrader.api import MissingEntry

    with warnings.catch_warnings(), cd.gradebook(course) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy autoflush notes from nbgrader's remove_submission
        with contextlib.suppress(MissingEntry):
            gb.remove_submission(ASSIGNMENT, student)


def saved_manual_grades(course: Path, student: str) -> dict:
    """Manual scores and comments of the student's current submission (kept across a regrade)."""
    from nbgrader.api import MissingEntry

    with cd.gradebook(course) as gb:
        try:
            sub = gb.find_submission_notebook(cd.NOTEBOOK_ID, ASSIGNMENT, student)
        except MissingEntry:
            return {"scores": {}, "comments": {}}
        scores = {g.name: g.manual_score for g in sub.grades if g.manual_score is not None}
        comments = {c.name: c.manual_comment for c in sub.comments if c.manual_comment}
    return {"scores": scores, "comments": comments}


def restore_manual_grades(course: Path, student: str, saved: dict) -> int:
    """Put saved manual scores and comments back after autograde; return how many scores."""
    from nbgrader.api import MissingEntry

    with cd.gradebook(course) as gb:
        for name, score in saved["scores"].items():
            with contextlib.suppress(MissingEntry):
                grade = gb.find_grade(name, cd.NOTEBOOK_ID, ASSIGNMENT, student)
                grade.manual_score, grade.needs_manual_grade = score, False
        for name, text in saved["comments"].items():
            with contextlib.suppress(MissingEntry):
                gb.find_comment(name, cd.NOTEBOOK_ID, ASSIGNMENT, student).manual_comment = text
        gb.db.commit()
    return len(saved["scores"])


def _explain_failure(log: str) -> str:
    text = log or ""
    if "DeadKernelError" in text or "Kernel died" in text or "kernel died" in text.lower():
        return "the kernel died while running the notebook (os._exit, a crash or out of memory): not graded"
    if "CellTimeoutError" in text or "timed out" in text.lower():
        return "a cell ran past the time limit: not graded"
    if "Duplicate" in text or "duplicate" in text:
        return "nbgrader found duplicate cell ids: not graded"
    last = [line for line in text.strip().splitlines() if line.strip()]
    tail = last[-1][:200] if last else "unknown error"
    return f"nbgrader autograde failed: {tail}"


def grade_one(
    course: Path, cand: Candidate, api, test_cells: list[str], cell_ids: list[str], old: dict | None = None
) -> dict:
    """Collect, autograde and make feedback for one student's zip; return its state entry.

    Manual grades survive a regrade of the same zip (same content hash), e.g. with --force.
    """
    entry = {
        "zip": shown(cand.path.name),
        "sha256": cand.sha256,
        "submitted": cand.submitted.isoformat(),
        "status": "graded",
        "messages": [cand.warning] if cand.warning else [],
    }
    same_zip = bool(old) and old.get("sha256") == cand.sha256 and old.get("status") == "graded"
    saved = saved_manual_grades(course, cand.student) if old else {"scores": {}, "comments": {}}
    if saved["scores"] and not same_zip:
        entry["messages"].append(
            f"new zip: {len(saved['scores'])} manual grade(s) of the previous one dropped"
        )
        saved = {"scores": {}, "comments": {}}
    _clear_student(course, cand.student)
    try:
        sub = read_submission(cand.path)
        nb, _ = check_notebook(sub.notebook, test_cells, cell_ids)
        release = json.loads((course / "release" / ASSIGNMENT / NOTEBOOK).read_text(encoding="utf-8"))
        nb, warnings = restore_missing_cells(nb, release)
    except SubmissionError as exc:
        entry["status"] = "error"
        entry["messages"].append(str(exc))
        return entry
    entry["messages"] += sub.warnings + warnings
    dest = course / "submitted" / cand.student / ASSIGNMENT
    dest.mkdir(parents=True)
    (dest / NOTEBOOK).write_bytes(sub.notebook if not warnings else json.dumps(nb, indent=1).encode())
    (dest / "timestamp.txt").write_text(cand.submitted.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))
    result = api.autograde(ASSIGNMENT, cand.student, force=True, create=True)
    if not result["success"]:
        entry["status"] = "error"
        entry["messages"].append(_explain_failure(result.get("log", "") + result.get("error", "")))
        (course / "autograded" / cand.student / ASSIGNMENT / "autograde.log").parent.mkdir(
            parents=True, exist_ok=True
        )
        (course / "autograded" / cand.student / ASSIGNMENT / "autograde.log").write_text(
            result.get("log", "") + result.get("error", "")
        )
        return entry
    if restore_manual_grades(course, cand.student, saved):
        entry["messages"].append(f"kept {len(saved['scores'])} manual grade(s) of this same zip")
    fb = api.generate_feedback(ASSIGNMENT, cand.student, force=True)
    if not fb["success"]:
        entry["messages"].append("feedback HTML could not be made")
    return entry


def set_due(course: Path, due: datetime) -> None:
    with cd.gradebook(course) as gb:
        gb.update_or_create_assignment(ASSIGNMENT, duedate=due.astimezone(UTC).replace(tzinfo=None))


def run(
    folder: Path,
    out: Path = DEFAULT_OUT,
    due: str = config.DUE_DATE,
    times_csv: Path | None = None,
    force: bool = False,
    source: Path | None = None,
    quiet: bool = False,
) -> list[dict]:
    """Grade every zip in `folder` into `out`; return the grades.csv rows."""
    from tqdm import tqdm

    from autograder import export, report

    warnings.filterwarnings(
        "ignore", message=".*not in session.*"
    )  # SQLAlchemy notes from nbgrader's gradebook
    folder, out = Path(folder).resolve(), Path(out).resolve()
    if not folder.is_dir():
        raise SystemExit(f"error: {folder} is not a folder of zips")
    due_at = config.parse_time(due)
    times = read_times(Path(times_csv)) if times_csv else {}
    out.mkdir(parents=True, exist_ok=True)
    course = out / "course"
    state = load_state(out)
    digest = cd.prepare(course, source)
    if state.get("source_digest") != digest:
        force = True  # the source notebook changed: every grade depends on it
    state["source_digest"] = digest
    state["due"] = due_at.isoformat()
    set_due(course, due_at)
    by_student, notes = find_candidates(folder, times)
    todo = []
    for student, cands in sorted(by_student.items()):
        latest = cands[0]
        old = state["students"].get(student)
        same = old and old["sha256"] == latest.sha256 and old["submitted"] == latest.submitted.isoformat()
        if force or not same:
            todo.append((latest, cands[1:]))
    test_cells = [c["grade_id"] for c in cd.graded_cells(course) if not c["manual"]]
    cell_ids = cd.all_cell_ids(course)
    api = cd.api(course) if todo else None
    start = time.monotonic()
    for cand, older in tqdm(todo, desc="grading", unit="student", disable=quiet or not todo, file=sys.stderr):
        entry = grade_one(course, cand, api, test_cells, cell_ids, state["students"].get(cand.student))
        if older:
            names = ", ".join(shown(c.path.name) for c in older)
            entry["messages"].append(
                f"{len(older) + 1} zips from this student: graded the latest, ignored {names}"
            )
        state["students"][cand.student] = entry
        save_state(out, state)
    elapsed = time.monotonic() - start
    save_state(out, state)
    rows = export.export(out)
    report.make_report(out, rows)
    if not quiet:
        for note in notes:
            print("note:", note)
        print(report.table(rows))
        print(
            f"graded {len(todo)} of {sum(map(len, by_student.values()))} zip(s) "
            f"({len(by_student)} students) in {elapsed:.1f} s; {len(by_student) - len(todo)} unchanged"
        )
        print(f"grades: {out / 'grades.csv'}  report: {out / 'report.png'}  feedback: {course / 'feedback'}")
    return rows


def grade_examples(out: Path | None = None, force: bool = False) -> list[dict]:
    """The demo: grade autograder/examples with its times.csv into build/grading (what `make demo` runs)."""
    from autograder import COURSE_DIR, REPO_DIR

    examples = COURSE_DIR / "examples"
    return run(examples, out or REPO_DIR / "build" / "grading", times_csv=examples / "times.csv", force=force)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder holding the students' PS1_<FullName>.zip files")
    parser.add_argument("--due", default=config.DUE_DATE, help=f"deadline (default {config.DUE_DATE!r})")
    parser.add_argument("--times", type=Path, help="CSV of file,timestamp (default: each zip's mtime)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default ./grading)")
    parser.add_argument("--force", action="store_true", help="regrade every zip, changed or not")
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)  # another source assignment folder
    args = parser.parse_args(argv)
    run(args.folder, args.out, args.due, args.times, args.force, args.source)
    return 0
