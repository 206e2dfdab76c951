"""The run lock of an output folder: its holder named, a killed holder's lock taken over with a note."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.course.layout import GradingFolder
from autograder.course.run_lock import run_lock
from autograder.errors import InputError

HOLD = "import sys, time\nfrom autograder.course.run_lock import run_lock\n"
HOLD += "with run_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)\n"


def test_the_holder_is_written_while_held_and_cleared_after(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        holder = json.loads(GradingFolder(tmp_path).lock.read_text())
        assert (holder["pid"], holder["host"]) == (os.getpid(), socket.gethostname())
        assert holder["since"].startswith("20")
    assert GradingFolder(tmp_path).lock.read_text() == ""


def test_a_live_holder_is_refused_by_name(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with (
            pytest.raises(InputError, match=f"in use by another run \\(pid {proc.pid} on "),
            run_lock(tmp_path),
        ):
            pass
    finally:
        proc.kill()
        proc.wait()


def test_the_record_of_a_killed_run_is_taken_over_with_a_note(tmp_path: Path, capsys) -> None:
    GradingFolder(tmp_path).lock.write_text(
        json.dumps({"pid": 4242, "host": "grader", "since": "2026-12-01T10:00:00"})
    )
    with run_lock(tmp_path):
        pass
    said = capsys.readouterr().out
    assert "took over the lock of a run that ended without releasing it (pid 4242 on grader" in said
