"""Grading on a real Dask cluster (a `dask scheduler` and two `dask worker` processes on 127.0.0.1).

The workers run inside bubblewrap with this test's whole temporary folder hidden under an empty
tmpfs: the zips, the course and the class gradebook do not exist for them. They can only grade
from the plain data the coordinator sends, so the run gives the same grades as `--workers 1` only
if workers never open the class gradebook (or any other path of the coordinator).
"""

from __future__ import annotations

import csv
import json
import os
import pickle
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pytest
from conftest import copy_examples
from dask.distributed import Client
from helpers import ps1
from helpers.ps1 import ASSIGNMENT

from autograder.course import grading_course as cd
from autograder.deadlines import parse_time
from autograder.grading import coordinator
from autograder.grading import worker as grading_worker
from autograder.grading.collect import SubmissionError
from autograder.grading.inputs import read_times
from autograder.grading.request import GradeRequest
from autograder.nbgrader_ext.sandbox import sandbox_mode

pytestmark = pytest.mark.slow
STUDENTS = ["AdaLovelace", "AlanTuring", "GraceHopper", "KernelKiller"]
BIN = Path(sys.executable).parent


def _env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(cmd: list[str], log: Path) -> subprocess.Popen:
    with log.open("w") as fh:
        return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=_env(), start_new_session=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    """A scheduler and two single-threaded workers that cannot see the tests' temporary folders."""
    hidden = tmp_path_factory.getbasetemp()  # every tmp_path of this session lives under it
    logs = Path(tempfile.gettempdir()) / f"dask-logs-{os.getpid()}"
    logs.mkdir(exist_ok=True)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [
        _start(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            logs / "scheduler.log",
        )
    ]
    try:
        for name in ("w1", "w2"):
            worker = [
                str(BIN / "dask"),
                "worker",
                address,
                "--nthreads",
                "1",
                "--name",
                name,
                "--no-dashboard",
            ]
            hide = ["bwrap", "--dev-bind", "/", "/", "--tmpfs", str(hidden), "--"]
            procs.append(_start(hide + worker, logs / f"{name}.log"))

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
            pids = set(client.run(os.getpid).values())
        yield address, pids
    finally:
        _stop(procs[1:])
        _stop(procs[:1])
        shutil.rmtree(logs, ignore_errors=True)


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_examples(tmp_path_factory.mktemp("inbox") / "zips", STUDENTS)


@pytest.fixture(scope="module")
def reference(zips: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """`--workers 1`: the in-process path, default SQLite gradebook."""
    out = tmp_path_factory.mktemp("ref") / "out"
    coordinator.run(
        GradeRequest(
            zips, out, times=read_times(zips / "times.csv", "America/Chicago"), workers=1, quiet=True
        )
    )
    return _csv(out)


def _csv(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


@pytest.mark.skipif(sandbox_mode() != "bwrap", reason="the workers are hidden from the course with bwrap")
def test_scheduler_grades_like_one_worker_and_workers_never_see_the_gradebook(
    cluster, zips: Path, reference: dict[str, dict], tmp_path: Path
) -> None:
    address, worker_pids = cluster
    out = tmp_path / "out"
    db_file = tmp_path / "books" / "class gradebook.db"  # non-default path (and a space in it)
    db_file.parent.mkdir()
    start, began = time.monotonic(), time.time()
    times = read_times(zips / "times.csv", "America/Chicago")
    coordinator.run(
        GradeRequest(zips, out, times=times, scheduler=address, db=f"sqlite:///{db_file}", quiet=True)
    )
    ended = time.time()
    print(f"graded {len(STUDENTS)} on the cluster in {time.monotonic() - start:.1f} s")

    assert _csv(out) == reference
    state = json.loads((out / "state.json").read_text())["students"]
    graders = {int(state[s]["worker"].rsplit(":", 1)[1]) for s in STUDENTS}
    assert graders <= worker_pids, (graders, worker_pids)  # graded by the hidden workers, not here
    assert all(state[s]["sandbox"] == "bwrap" for s in STUDENTS)
    for student in STUDENTS:  # when each job ran in its worker (the benchmarks' fixed cost uses it)
        started = datetime.fromisoformat(state[student]["started"]).timestamp()
        assert began <= started and started + state[student]["seconds"] <= ended, student
    assert "kernel died" in state["KernelKiller"]["messages"][-1]

    # The class gradebook is the --db file; nothing else holds a submission.
    assert not (out / "course" / "gradebook.db").exists()
    with sqlite3.connect(db_file) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        rows = con.execute("SELECT student_id FROM submitted_assignment").fetchall()
    assert sorted(r[0] for r in rows) == STUDENTS
    with cd.gradebook(out / "course") as gb:
        ada = gb.find_submission(ASSIGNMENT, "AdaLovelace")
        assert ada.code_score == float(reference["AdaLovelace"]["raw_score"])


def test_jobs_carry_no_path_or_url_of_the_coordinator(zips: Path, reference: dict, tmp_path: Path) -> None:
    """What a worker receives: bytes of the template and of one notebook, no path of `out`, no URL."""
    out = tmp_path / "out"
    db = f"sqlite:///{tmp_path / 'secret-books' / 'class.db'}"
    (tmp_path / "secret-books").mkdir()
    course = out / "course"
    cd.prepare(course, db=db)
    template = coordinator.make_template(
        cd.template_files(course, parse_time("2017-01-12 12:00", zone="America/Chicago")), True
    )
    cand = coordinator.find_candidates(zips, {}, ps1.PROBLEM_SET)[0]["AdaLovelace"][0]
    checks = (list(ps1.AUTOGRADED), cd.all_cell_ids(course))
    job, _ = coordinator.make_job(course, cand, checks, scratch=coordinator.scratch_name(out))
    payload = pickle.dumps((job, template))
    for secret in (str(tmp_path), "secret-books", "class.db", str(zips)):
        assert secret.encode() not in payload, secret
    config = template.files["nbgrader_config.py"].decode()
    assert (
        "db_url" not in config
        and "configure_nbgrader(c" in config
        and "configure_outside_checks(c)" in config
    )
    with pytest.raises(SubmissionError):
        bad = zips.parent / "bad"
        bad.mkdir()
        (bad / "PS1_Broken.zip").write_bytes(b"PK\x03\x04 not really")
        coordinator.make_job(
            course, coordinator.find_candidates(bad, {}, ps1.PROBLEM_SET)[0]["Broken"][0], checks, scratch="x"
        )


def test_flags_and_a_weaker_sandbox_reach_the_message() -> None:
    flag = {"grade_id": "p2_tests", "in_kernel": True, "outside": False, "detail": "J is not diag(p) - pp^T"}
    result = coordinator.Result("X", "graded", flags=[flag], sandbox="rlimits-only", worker="host:1")
    text = "; ".join(coordinator.result_messages(result, secure=True))
    assert "flagged for the instructor: p2_tests passed in the kernel but the outside check failed" in text
    assert "J is not diag(p) - pp^T" in text and "SANDBOX DISABLED on host:1" in text
    assert coordinator.result_messages(coordinator.Result("X", "graded", sandbox="bwrap"), secure=True) == []


def test_a_config_without_the_sandbox_is_fatal(tmp_path: Path) -> None:

    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.Execute.timeout = 5\n")
    with pytest.raises(grading_worker.FatalGradingError, match="SandboxedExecute"):
        grading_worker.load_config(tmp_path, secure=True)
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nraise RuntimeError('typo')\n")
    with pytest.raises(grading_worker.FatalGradingError, match="failed to load"):
        grading_worker.load_config(tmp_path, secure=False)
