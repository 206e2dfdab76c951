"""The lock of an output folder: one grading run, export or feedback rebuild at a time on `<out>`.

A lockf (POSIX) lock, not flock: forked Dask workers inherit the file but not the lock, so a worker
outliving a killed coordinator for a moment does not block the next run. POSIX locks belong to the
process: take this lock once per process and do not open `<out>/.lock` again while holding it (closing
any descriptor of the file would drop the lock).

The holder writes who it is (pid, host, start) into the file and empties it when it ends. The
kernel drops the lock of a process that dies, so a killed run blocks nobody; what it wrote stays,
and the next run says whose lock it took over.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.errors import InputError


def _holder() -> dict:
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _read(fh) -> dict:
    fh.seek(0)
    try:
        found = json.loads(fh.read() or "{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _who(holder: dict) -> str:
    return f"pid {holder.get('pid', '?')} on {holder.get('host', '?')}, since {holder.get('since', '?')}"


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold `<out>/.lock` for the block; InputError (one line, exit status 2) if another process holds it.

    Prints a note when the lock was left by a run that was killed (its record is still in the file).
    """
    path = GradingFolder(Path(out)).lock
    with path.open("a+") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # EAGAIN or EACCES, as the platform reports a held lock
            raise InputError(
                f"{out} is in use by another run ({_who(_read(fh))}): wait for it to end; if that "
                f"process is gone (another machine sharing the folder), delete {path}"
            ) from None
        left = _read(fh)
        if left:
            print(f"note: took over the lock of a run that ended without releasing it ({_who(left)})")
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps(_holder()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fh.flush()
