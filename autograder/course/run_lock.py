"""The lock of an output folder: one grading run, export or feedback rebuild at a time on `<out>`.

A lockf (POSIX) lock, not flock: forked Dask workers inherit the file but not the lock, so a worker
outliving a killed coordinator for a moment does not block the next run. POSIX locks belong to the
process: take this lock once per process and do not open `<out>/.lock` again while holding it (closing
any descriptor of the file would drop the lock).
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

LOCK = ".lock"


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """Hold `<out>/.lock` for the block; SystemExit with one line if another process holds it.

    The kernel releases the lock when the holder dies, so a killed run never blocks the next one.
    """
    with (Path(out) / LOCK).open("w") as fh:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # EAGAIN or EACCES, as the platform reports a held lock
            raise SystemExit(f"error: another grading run is using {out}") from None
        yield
