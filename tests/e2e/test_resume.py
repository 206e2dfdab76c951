"""Nothing lost: a grading run killed with SIGKILL (whole process group) and run again finishes the class.

Each case starts `python -m autograder grade --workers 2` as a real subprocess in its own session,
kills the session with SIGKILL (once state.json shows a finished student, or at a random early
moment), then runs the same command again and checks: every student graded exactly once (one
submission row each), grades identical to an uninterrupted run, finished students not regraded,
SQLite integrity ok, and no process or scratch folder left behind.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import copy_examples
from helpers.ps1 import REPO_DIR

from autograder.errors import InputError
from autograder.grading import coordinator
from autograder.grading.inputs import read_times
from autograder.grading.request import GradeRequest

pytestmark = pytest.mark.slow
STUDENTS = ["AdaLovelace", "AlanTuring", "GraceHopper", "KurtGodel", "KernelKiller"]


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_examples(tmp_path_factory.mktemp("inbox") / "zips", STUDENTS)


def command(zips: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(zips), "--times", str(zips / "times.csv")] + [
        "--out",
        str(out),
        "--workers",
        "2",
    ]


def start(zips: Path, out: Path, marker: str) -> subprocess.Popen:
    env = {**os.environ, "AUTOGRADER_TEST_RUN": marker, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(
        command(zips, out),
        cwd=REPO_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the kill reaches coordinator and workers
    )


def done(out: Path) -> int:
    try:
        return len(json.loads((out / "state.json").read_text())["students"])
    except (OSError, ValueError, KeyError):
        return 0  # not written yet, or caught between write and rename (never: replace is atomic)


def kill_group(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def ours(marker: str, scratch: str) -> list[str]:
    """Live processes of a run: by the environment marker, or by the scratch folder in their argv
    (sandboxed kernels get a clean environment, but their connection file lives in the scratch)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes()
            argv = (proc / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if f"AUTOGRADER_TEST_RUN={marker}".encode() in environ or scratch.encode() in argv:
            found.append(f"{proc.name}: {argv[:120]!r}")
    return found


def wait_gone(marker: str, scratch: str, seconds: float = 20) -> list[str]:
    deadline = time.monotonic() + seconds
    while (left := ours(marker, scratch)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return left


def snapshot(out: Path) -> dict:
    """Per student: submission rows, every grade's scores, late penalty; and grades.csv."""
    with sqlite3.connect(out / "course" / "gradebook.db") as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        subs = con.execute("SELECT student_id FROM submitted_assignment ORDER BY student_id").fetchall()
        grades = con.execute(
            "SELECT sa.student_id, bc.name, g.auto_score, g.manual_score, g.needs_manual_grade "
            "FROM grade g JOIN submitted_notebook sn ON g.notebook_id = sn.id "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id JOIN base_cell bc ON g.cell_id = bc.id "
            "ORDER BY 1, 2"
        ).fetchall()
        late = con.execute(
            "SELECT sa.student_id, sn.late_submission_penalty FROM submitted_notebook sn "
            "JOIN submitted_assignment sa ON sn.assignment_id = sa.id ORDER BY 1"
        ).fetchall()
    with (out / "grades.csv").open() as fh:
        rows = sorted(map(tuple, (r.values() for r in csv.DictReader(fh))))
    return {"submissions": [s[0] for s in subs], "grades": grades, "late": late, "csv": rows}


@pytest.fixture(scope="module")
def uninterrupted(zips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("reference") / "out"
    coordinator.run(
        GradeRequest(
            zips, out, times=read_times(zips / "times.csv", "America/Chicago"), workers=2, quiet=True
        )
    )
    snap = snapshot(out)
    assert snap["submissions"] == sorted(STUDENTS)
    return snap


def rerun_and_check(zips: Path, out: Path, marker: str, reference: dict, finished_before: int) -> None:
    scratch = coordinator.scratch_name(out.resolve())
    assert wait_gone(marker, scratch) == [], "processes of the killed run are still alive"
    proc = subprocess.run(command(zips, out), cwd=REPO_DIR, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    graded = int(re.search(r"^graded (\d+) of ", proc.stdout, re.M).group(1))  # the summary line
    assert graded == len(STUDENTS) - finished_before, proc.stdout  # finished ones are not regraded
    assert snapshot(out) == reference
    assert wait_gone(marker, scratch) == []
    assert not (Path(os.environ.get("TMPDIR", "/tmp")) / scratch).exists(), "scratch folder left behind"
    assert not list(out.rglob("*.tmp")) and not list(out.rglob("*.partial"))


def test_killed_after_a_finished_student_resumes(zips: Path, uninterrupted: dict, tmp_path: Path) -> None:
    out, marker = tmp_path / "out", uuid.uuid4().hex
    proc = start(zips, out, marker)
    deadline = time.monotonic() + 300
    while done(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    finished = done(out)
    kill_group(proc)
    assert 1 <= finished < len(STUDENTS), f"{finished} finished: the kill came too late to test a resume"
    rerun_and_check(zips, out, marker, uninterrupted, done(out))


def test_killed_at_a_random_early_moment_resumes(zips: Path, uninterrupted: dict, tmp_path: Path) -> None:
    out, marker = tmp_path / "out", uuid.uuid4().hex
    delay = random.Random().uniform(0.3, 6.0)
    print(f"killing after {delay:.2f} s")
    proc = start(zips, out, marker)
    time.sleep(delay)
    finished = done(out)
    kill_group(proc)
    rerun_and_check(zips, out, marker, uninterrupted, max(finished, done(out)))


HOLD_LOCK_THEN_FORK = """
import os, sys, time
from pathlib import Path
from autograder.grading import coordinator
with coordinator.run_lock(Path(sys.argv[1])):
    if os.fork() == 0:  # a worker forked while the run holds the lock, outliving the coordinator
        time.sleep(60)
        os._exit(0)
    print("locked", flush=True)
    time.sleep(60)
"""


def test_run_lock_refuses_a_second_run_and_dies_with_the_coordinator(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A second run on the same folder is refused, naming the holder's pid, host and start; once the
    coordinator is killed the folder is free at once, even while a process it forked (a Dask worker)
    is still alive and holds the file open, and the next run says whose lock it took over."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK_THEN_FORK, str(tmp_path)],
        cwd=REPO_DIR,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        held = f"in use by another run \\(pid {proc.pid} on {socket.gethostname()}, since 20"
        with pytest.raises(InputError, match=held), coordinator.run_lock(tmp_path):
            pass
        proc.kill()  # the coordinator only: its forked child lives on
        proc.wait(timeout=30)
        capsys.readouterr()
        with coordinator.run_lock(tmp_path):  # must not raise
            pass
        assert f"took over the lock of a run that ended without releasing it (pid {proc.pid} " in (
            capsys.readouterr().out
        )
        with coordinator.run_lock(tmp_path):  # a run that ended well leaves nothing to take over
            pass
        assert "took over" not in capsys.readouterr().out
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
