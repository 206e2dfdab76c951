"""A second problem set through every command, with no line of the grader changed for it.

The course is a copy of the repository's (its nbgrader_config.py and PS1's folder) with the warm-up of
tests/problem_sets/warmup/ added: two questions (one written, one autograded), 10 points, another
deadline and time zone, a 5%/day late policy over 5 days, a rubric and outside checks of its own. The
installed `grader` console script runs with AUTOGRADER_COURSE naming that course: release, handout,
submit from the handout, grade, manual (rubric items), feedback, and export to Canvas. PS1 is graded
into the same class gradebook (`--db`), which then holds both problem sets, and their exports write one
Canvas column each (the roster's PS1 column, a new one for the warm-up).
"""

from __future__ import annotations

import copy
import csv
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers.commands import refused
from helpers.ps1 import COURSE_DIR, EXAMPLES_DIR, REPO_DIR

from autograder import problem_set
from autograder.authoring.examples import filled
from autograder.results.canvas import POINTS_ROW

pytestmark = pytest.mark.slow
WARMUP = REPO_DIR / "tests" / "problem_sets" / "warmup"
GRADER = Path(sys.executable).parent / "grader"


def run(course: Path, *args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`grader args...` on the course `course`."""
    env = os.environ | {"AUTOGRADER_COURSE": str(course)}
    return subprocess.run(
        [str(GRADER), *map(str, args)], cwd=cwd or course.parent, env=env, capture_output=True, text=True
    )


def ok(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def rows(path: Path) -> dict[str, dict[str, str]]:
    with path.open(newline="") as fh:
        return {r.get("student") or r.get("Student"): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The course with both problem sets, the warm-up released and its handout built."""
    root = tmp_path_factory.mktemp("second")
    course = root / "course"
    (course / "source").mkdir(parents=True)
    shutil.copy(COURSE_DIR / "nbgrader_config.py", course)
    shutil.copytree(COURSE_DIR / "source" / "ps1", course / "source" / "ps1")
    shutil.copytree(WARMUP, course / "source" / "warmup")
    ps = problem_set.load(course / "source" / "warmup")
    released = ok(run(course, "release", "--assignment", "warmup"))
    handout = ok(run(course, "handout", "--assignment", "warmup"))
    return SimpleNamespace(root=root, course=course, ps=ps, released=released, handout=handout)


def test_examples_are_named_and_timed_for_the_warmup(course: SimpleNamespace, tmp_path: Path) -> None:
    ok(run(course.course, "examples", "--assignment", "warmup", "--out", tmp_path))
    assert (tmp_path / "WarmUp_AdaLovelace.zip").is_file() and (
        tmp_path / "emmy_noether_warmup.zip"
    ).is_file()
    times = rows_by_file(tmp_path / "times.csv")
    assert times["WarmUp_AdaLovelace.zip"] == "2017-01-05 16:58 Europe/Berlin"  # 2 minutes before
    sheet = (tmp_path / "manual_grades.csv").read_text()
    assert "w1_written" in sheet and "p1a_written" not in sheet


def rows_by_file(path: Path) -> dict[str, str]:
    with path.open(newline="") as fh:
        return {r["file"]: r["timestamp"] for r in csv.DictReader(fh)}


def test_every_command_asks_which_problem_set(course: SimpleNamespace, tmp_path: Path) -> None:
    """Two problem sets: no default, and an unknown id is named with the known ones."""
    refused(run(course.course, "handout"), "choose one with --assignment ID")
    refused(run(course.course, "grade", tmp_path, "--out", tmp_path / "g"), "choose one with --assignment")
    refused(run(course.course, "release", "--assignment", "ps9"), "no problem set 'ps9'", "'warmup'")


def test_the_release_and_handout_hold_no_answer(course: SimpleNamespace) -> None:
    release = course.root / "notebooks" / "WarmUp.ipynb"
    text = release.read_text()
    assert "square_grad" in text and "2 * np.asarray" not in text and "HIDDEN" not in text
    assert (course.course / "WarmUp.py").is_file()  # the jupytext pair
    folder = course.root / "dist" / "WarmUp"
    shipped = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert {"WarmUp.ipynb", "edf.py", "submit.py", "README.md"} <= shipped
    assert not {"problem_set.toml", "rubric.toml", "outside_checks.py"} & {Path(p).name for p in shipped}
    readme = (folder / "README.md").read_text()
    assert (
        "2017-01-05 17:00 Europe/Berlin" in readme and "5%" in readme and "WarmUp_YourFullName.zip" in readme
    )
    assert "| `w1_written` |" in readme and "| `w2_tests` |" in readme


def as_run(nb: dict) -> dict:
    """The notebook as a student saves it after Run All: every code cell has an execution count."""
    nb = copy.deepcopy(nb)
    for n, cell in enumerate(c for c in nb["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = n + 1
    return nb


@pytest.fixture(scope="module")
def graded(course: SimpleNamespace) -> SimpleNamespace:
    """Two students submit from the handout (Ada on time and right, Grace two days late and wrong),
    then the warm-up and PS1 are graded into one class gradebook."""
    root, folder = course.root, course.root / "dist" / "WarmUp"
    release = json.loads((folder / "WarmUp.ipynb").read_text())
    source = json.loads((course.course / "source" / "warmup" / "WarmUp.ipynb").read_text())
    zips = root / "zips"
    zips.mkdir()
    for name, nb in (("Ada Lovelace", filled(release, source)), ("Grace Hopper", release)):
        (folder / "WarmUp.ipynb").write_text(json.dumps(as_run(nb)))
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "AUTOGRADER_COURSE"}}
        done = subprocess.run(
            [sys.executable, "submit.py", "--name", name], cwd=folder, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        zipped = folder / f"WarmUp_{name.replace(' ', '')}.zip"
        with zipfile.ZipFile(zipped) as zf:
            assert "WarmUp.ipynb" in zf.namelist()
        zipped.replace(zips / zipped.name)
    (zips / "times.csv").write_text(
        "file,timestamp\nWarmUp_AdaLovelace.zip,2017-01-05 16:59\nWarmUp_GraceHopper.zip,2017-01-07 09:00\n"
    )
    db = f"sqlite:///{root / 'class.db'}"
    out = root / "grading-warmup"
    said = ok(
        run(
            course.course,
            "grade",
            zips,
            "--assignment",
            "warmup",
            "--times",
            zips / "times.csv",
            "--out",
            out,
            "--db",
            db,
        )
    )
    ps1_zips = root / "ps1-zips"
    ps1_zips.mkdir()
    shutil.copy(EXAMPLES_DIR / "PS1_AdaLovelace.zip", ps1_zips)
    ps1_out = root / "grading-ps1"
    ok(run(course.course, "grade", ps1_zips, "--assignment", "ps1", "--out", ps1_out, "--db", db))
    return SimpleNamespace(out=out, ps1_out=ps1_out, db=root / "class.db", said=said, zips=zips)


def test_grade_uses_the_warmups_points_deadline_zone_and_late_policy(graded: SimpleNamespace) -> None:
    got = rows(graded.out / "grades.csv")
    ada, grace = got["AdaLovelace"], got["GraceHopper"]
    assert (ada["w2_tests"], ada["w1_written"], ada["max_score"], ada["status"]) == ("6", "", "10", "ok")
    # 2017-01-07 09:00 Berlin is 1 day 16 h after 2017-01-05 17:00: 2 started days, 5% each.
    assert (grace["late_days"], grace["status"], grace["w2_tests"]) == ("2", "late", "0")
    assert "2 day(s) late: -10%" in grace["message"]


def test_the_warmups_own_outside_check_decided(graded: SimpleNamespace) -> None:
    autograded = graded.out / "course" / "autograded" / "AdaLovelace" / "warmup" / "WarmUp.ipynb"
    report = json.loads(autograded.read_text())["metadata"]["autograder"]
    assert report["outside_checks"] == {"w2_tests": {"passed": True, "detail": ""}}
    assert report["unchecked"] == []


def test_manual_feedback_and_export_follow_the_warmup(graded: SimpleNamespace, tmp_path: Path) -> None:
    course = graded.out.parent / "course"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "student,question,items\nAdaLovelace,w1_written,correct\nGraceHopper,w1_written,no_independence\n"
    )
    ok(run(course, "manual", graded.out, sheet))
    refused(run(course, "manual", graded.out, sheet, "--assignment", "ps1"), "grading folder of 'warmup'")
    ok(run(course, "feedback", graded.out))
    page = (graded.out / "course" / "feedback" / "GraceHopper" / "warmup" / "WarmUp.html").read_text()
    assert "Each term depends on one coordinate only" in page
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,PS1 (101)\n"
        "    Points Possible,,,,,100\n"
        '"Lovelace, Ada",1,ada,ada,A,\n"Hopper, Grace",2,grace,grace,A,\n'
    )
    exported = run(course, "export", graded.out, "--canvas", roster)
    ok(exported)
    canvas = rows(graded.out / "canvas_import.csv")
    assert canvas["Lovelace, Ada"]["WarmUp"] == "10"  # a new column, named for the problem set
    assert canvas["Hopper, Grace"]["WarmUp"] == "1.8"  # (0 + 2) points, 10% off
    assert canvas[POINTS_ROW]["WarmUp"] == "10"


def test_one_class_gradebook_holds_both_problem_sets(graded: SimpleNamespace) -> None:
    with sqlite3.connect(graded.db) as db:
        names = {n for (n,) in db.execute("SELECT name FROM assignment")}
        joined = "submitted_assignment s JOIN assignment a ON s.assignment_id = a.id"
        subs = db.execute(f"SELECT a.name, s.student_id FROM {joined}").fetchall()
    assert names == {"ps1", "warmup"}
    assert sorted(subs) == [("ps1", "AdaLovelace"), ("warmup", "AdaLovelace"), ("warmup", "GraceHopper")]
    ps1_rows = rows(graded.ps1_out / "grades.csv")
    assert ps1_rows["AdaLovelace"]["max_score"] == "100" and ps1_rows["AdaLovelace"]["p3_tests"] == "25"


def test_a_grading_folder_keeps_its_problem_set(graded: SimpleNamespace) -> None:
    course = graded.out.parent / "course"
    args = ("--times", graded.zips / "times.csv", "--out", graded.ps1_out)
    refused(run(course, "grade", graded.zips, "--assignment", "warmup", *args), "grading folder of 'ps1'")
    refused(run(course, "feedback", graded.ps1_out, "--assignment", "warmup"), "grading folder of 'ps1'")


def test_each_problem_set_exports_its_own_canvas_column(graded: SimpleNamespace, tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,PS1 (101)\n"
        "    Points Possible,,,,,100\n"
        '"Lovelace, Ada",1,ada,ada,A,\n"Hopper, Grace",2,grace,grace,A,\n'
    )
    course = graded.out.parent / "course"
    said = run(course, "export", graded.ps1_out, "--canvas", roster)
    assert said.returncode == 0, said.stderr
    assert "in the existing column 'PS1 (101)'" in said.stdout
    ok(run(course, "export", graded.out, "--canvas", roster))
    assert "PS1 (101)" in rows(graded.ps1_out / "canvas_import.csv")["Lovelace, Ada"]
    assert "WarmUp" in rows(graded.out / "canvas_import.csv")["Lovelace, Ada"]
