"""Work done beside the grading run's main flow, on a core that would otherwise wait.

A grading run has three such pieces (coordinator.py): copying the pages' MathJax while the first
notebooks run, importing matplotlib once a core falls idle near the end, and stopping the workers
while grades.csv and the report are written. Each use says on one line what it overlaps; what each
buys is measured in benchmarks/README.md, not here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType


class Beside:
    """`work()` in a thread of its own, started by `start()` (at most once), waited for when the `with`
    block ends, which raises here an exception the thread raised. Never started: nothing to wait for.

    Only start it once every module the work imports is imported: two threads importing the same
    module at once can be handed a half-initialised one.
    """

    def __init__(self, work: Callable[[], object]) -> None:
        self._work = work
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> Beside:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._work()
        except BaseException as exc:  # handed to the thread that waits
            self._error = exc

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error

    def __enter__(self) -> Beside:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._thread is not None:
            self._thread.join()
        if kind is None and self._error is not None:
            raise self._error
