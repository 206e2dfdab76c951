"""The course through nbgrader's exchange (JupyterHub): release, fetch, submit, collect, then `grade`.

Real nbgrader commands in a temporary course and exchange: the instructor releases PS1, two students
fetch it (on JupyterHub the id is the login; here every process is one user, so `--student` names
them), fill in the reference answers and submit, one a second after the deadline; the instructor
collects and grades the `submitted/` folder with
`python -m autograder grade`. The same notebooks, zipped with the same times, are graded as zips: the
statuses, scores and late penalties must be the same.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from helpers.nbgrader_cli import make_course, nbgrader_command, venv_on_path
from helpers.ps1 import ASSIGNMENT, NOTEBOOK, SOURCE_NOTEBOOK, ZIP_PREFIX

from autograder.authoring.examples import filled
from autograder.course.layout import read_timestamp

pytestmark = pytest.mark.slow
COURSE_ID = "ps1-exchange-test"
COMPARED = ("student", "status", "raw_score", "late_days", "late_penalty", "score", "max_score")


def nbgrader(cwd: Path, exchange: Path, *args: str, user: str | None = None) -> str:
    """One nbgrader command against the temporary exchange, as the instructor or as student `user`."""
    env = venv_on_path()
    if user is not None:  # nbgrader reads the id from the process's login (pwd), not from $USER
        env = dict(env, HOME=str(cwd))
        args = (*args, f"--student={user}")
    cmd = [
        *nbgrader_command(),
        *args,
        f"--Exchange.root={exchange}",
        f"--CourseDirectory.course_id={COURSE_ID}",
    ]
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def student_submits(tmp: Path, exchange: Path, student: str) -> None:
    """Fetch the release as `student`, answer with the reference solution, submit."""
    home = tmp / "home" / student
    home.mkdir(parents=True)
    nbgrader(home, exchange, "fetch_assignment", ASSIGNMENT, user=student)
    fetched = home / ASSIGNMENT / NOTEBOOK
    source = json.loads(SOURCE_NOTEBOOK.read_text(encoding="utf-8"))
    fetched.write_text(json.dumps(filled(json.loads(fetched.read_text()), source)), encoding="utf-8")
    nbgrader(home, exchange, "submit", ASSIGNMENT, user=student)


def grade(folder: Path, out: Path, due: str, *extra: str) -> dict[str, dict[str, str]]:
    cmd = [sys.executable, "-m", "autograder", "grade", str(folder), "--out", str(out), "--due", due, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with (out / "grades.csv").open(newline="") as fh:
        return {row["student"]: {k: row[k] for k in COMPARED} for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def exchanged(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("exchange")
    exchange = tmp / "exchange"
    exchange.mkdir()
    exchange.chmod(0o777)
    course = make_course(tmp)
    db = f"--db=sqlite:///{course / 'gradebook.db'}"
    nbgrader(course, exchange, "generate_assignment", ASSIGNMENT, db)
    nbgrader(course, exchange, "release_assignment", ASSIGNMENT)
    student_submits(tmp, exchange, "ontime")
    time.sleep(1.1)  # the deadline falls between the two submissions
    due = datetime.now(UTC)
    time.sleep(1.1)
    student_submits(tmp, exchange, "late")
    nbgrader(course, exchange, "collect", ASSIGNMENT)
    return tmp, course, due.isoformat()


def test_collected_folder_grades_like_zips(exchanged) -> None:
    tmp, course, due = exchanged
    submitted = course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == ["late", "ontime"]
    by_folder = grade(submitted, tmp / "out-exchange", due)

    zips, rows = tmp / "zips", ["file,timestamp"]
    zips.mkdir()
    for student in ("late", "ontime"):
        name = f"{ZIP_PREFIX}{student}.zip"
        with zipfile.ZipFile(zips / name, "w") as zf:
            zf.write(submitted / student / ASSIGNMENT / NOTEBOOK, NOTEBOOK)
        when = read_timestamp(submitted / student / ASSIGNMENT / "timestamp.txt")
        rows.append(f"{name},{when.isoformat()}")
    (tmp / "times.csv").write_text("\n".join(rows) + "\n")
    by_zip = grade(zips, tmp / "out-zips", due, "--times", str(tmp / "times.csv"))

    assert by_folder == by_zip
    ontime, late = by_folder["ontime"], by_folder["late"]
    assert ontime["status"] == "ok" and float(ontime["late_penalty"]) == 0
    assert float(ontime["raw_score"]) > 0 and late["raw_score"] == ontime["raw_score"]
    assert late["status"] == "late" and float(late["late_days"]) > 0 and float(late["late_penalty"]) > 0


def test_course_folder_is_accepted_too(exchanged) -> None:
    """`grade <course>` finds the course's submitted/ folder; the feedback of each student is written."""
    tmp, course, due = exchanged
    out = tmp / "out-course"
    rows = grade(course, out, due)
    assert sorted(rows) == ["late", "ontime"]
    state = json.loads((out / "state.json").read_text())
    assert state["students"]["ontime"]["zip"] == f"ontime/{ASSIGNMENT}/{NOTEBOOK}"
    assert (out / "course" / "feedback" / "late" / ASSIGNMENT / "PS1.html").is_file()


def test_broken_timestamp_skips_only_that_student(exchanged, tmp_path: Path) -> None:
    tmp, course, due = exchanged
    submitted = tmp_path / "submitted"
    shutil.copytree(course / "submitted", submitted)
    (submitted / "late" / ASSIGNMENT / "timestamp.txt").write_text("yesterday-ish\n")
    cmd = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(tmp_path / "out")]
    proc = subprocess.run([*cmd, "--due", due], capture_output=True, text=True, timeout=900, env=os.environ)
    assert proc.returncode == 0, proc.stderr
    assert "late: NOT GRADED" in proc.stdout and "timestamp" in proc.stdout
    with (tmp_path / "out" / "grades.csv").open(newline="") as fh:
        assert [row["student"] for row in csv.DictReader(fh)] == ["ontime"]
