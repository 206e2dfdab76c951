"""The Python kernel that runs inside the sandbox: ipykernel with its limits made survivable and visible.

sandbox_kernel.py starts this file (not `python -m ipykernel_launcher`) as
`python kernel_guard.py --output-chars N --memory-bytes M --memory-reserve R -f CONNECTION_FILE`.
On top of a plain ipykernel it:

- caps each cell's stream output (stdout and stderr together, fd-level writes included) at N
  characters where it is produced: the rest is counted and dropped, the cell runs on to its end and
  a note (`NOTE`) closes its output. A print loop of 300 MB costs the kernel its string formatting,
  not 300 MB of messages for the grader to receive, store and time out on;
- keeps forked copies of the kernel quiet: a process forked in a cell never sends on the kernel's
  sockets (many writers corrupt the stream and the whole notebook fails), exits when it gets back to
  the kernel's loop instead of living on as a second kernel, and is reaped; the next cell waits for
  the copies to go, so the cells after a fork bomb find the sandbox's process slots free again;
- runs student code with the address-space limit (M bytes) and the kernel's own work between cells
  with R bytes more, so a MemoryError can still be reported and the notebook goes on;
- writes what it saw (a MemoryError, a fatal signal's traceback) to CONNECTION_FILE's `.events`
  file, which the grader reads after the kernel is gone to name the limit that was hit.

Only the standard library and ipykernel/IPython: the autograder package is not visible in the sandbox.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import io
import os
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Any

from ipykernel.iostream import OutStream
from ipykernel.kernelapp import IPKernelApp

NOTE = "\n[output cut by the grader at {cap:,} characters (the limit): {dropped:,} more characters dropped]\n"
NOTE_PATTERN = (
    r"\n\[output cut by the grader at ([\d,]+) characters \(the limit\): [\d,]+ more characters dropped\]\n"
)
MEMORY_EVENT = "MemoryError"
OUTPUT_EVENT = "output_cut"  # followed by the cell's execution count, the cap and the characters dropped
# The grader's own probe cell (checks.AppendProbe puts this line first) may print more than a student's
# cell may; its reader has its own bound (probe_line.MAX_PROBE_CHARS). A student cell holding this text is
# only cut when nbgrader saves the notebook (output_cap.CapOutputs), as before this guard: no gain, only a
# slower run.
UNCAPPED_CELL_MARKER = "# the grader's probe cell: its output is read by the grader, not cut in the kernel"
EVENTS_SUFFIX = ".events"
COPIES_WAIT = 5.0  # seconds a cell waits for the forked copies of the kernel a fork bomb left


class _Budget:
    """Characters of stream output each cell (execute request) has written, stdout and stderr together."""

    cap = 100_000

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cell = ""
        self.used = 0
        self.uncapped = ""

    def take(self, cell: str, size: int) -> int:
        """Record `size` more characters of `cell`; return how many of them may be sent."""
        with self.lock:
            if cell == self.uncapped:
                return size
            if cell != self.cell:
                self.cell, self.used = cell, 0
            room = max(self.cap - self.used, 0)
            self.used += size
            return min(room, size)

    def add(self, cell: str, size: int) -> None:
        with self.lock:
            if cell == self.cell:
                self.used += size

    def dropped(self, cell: str) -> int:
        with self.lock:
            return self.used - self.cap if cell == self.cell and self.used > self.cap else 0


BUDGET = _Budget()
FORKED = threading.Event()  # set in a process forked from the kernel


class _Counter(io.RawIOBase):
    """A raw stream that only counts the bytes written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.written += len(data)
        return len(data)


class _Sink(io.TextIOWrapper):
    """What sys.stdout/sys.stderr become for the rest of a cell past the cap: C code that only counts.

    Each print to an ipykernel stream costs a few Python calls; a million-line loop spends most of
    its time there. UTF-32 makes the byte count four times the character count.
    """

    def __init__(self, stream: CappedOutStream) -> None:
        self.counter = _Counter()
        super().__init__(io.BufferedWriter(self.counter, 1 << 16), encoding="utf-32-le", errors="replace")
        self.stream = stream

    def dropped(self) -> int:
        self.flush()
        return self.counter.written // 4


class CappedOutStream(OutStream):
    """ipykernel's stdout/stderr stream that keeps at most `BUDGET.cap` characters per cell."""

    def write(self, string: str) -> int | None:  # type: ignore[override]
        if FORKED.is_set() or not isinstance(string, str):
            return super().write(string) if not FORKED.is_set() else len(string)
        keep = BUDGET.take(self.parent_header.get("msg_id", ""), len(string))
        if keep:
            super().write(string[:keep])
        if keep < len(string) and threading.current_thread() is threading.main_thread():
            for name in ("stdout", "stderr"):  # the rest of this cell writes to a sink
                if getattr(sys, name) is self:
                    setattr(sys, name, _Sink(self))
        return len(string)

    def note_if_cut(self) -> int:
        """Close a cut cell's output with the note (called after the cell has run); the characters dropped."""
        dropped = BUDGET.dropped(self.parent_header.get("msg_id", ""))
        if dropped and not FORKED.is_set():
            super().write(NOTE.format(cap=BUDGET.cap, dropped=dropped))
        return dropped


class _Guard:
    """The kernel's side of the sandbox limits: memory head-room, forked copies, the events file."""

    def __init__(self, memory_bytes: int, reserve: int, events: Path) -> None:
        self.memory_bytes, self.reserve = memory_bytes, reserve
        self.kernel_pid = os.getpid()
        self.memory_seen = False
        self.events = open(events, "ab", buffering=0)  # noqa: SIM115 (open for the kernel's life)
        faulthandler.enable(file=self.events, all_threads=True)
        self.reaped_r, self.reaped_w = os.pipe()
        os.set_blocking(self.reaped_r, False)
        self.forked = False
        self.session: Any = None

    def record(self, event: str) -> None:
        with contextlib.suppress(OSError):
            self.events.write(f"{event}\n".encode())

    # -- memory: student code under memory_bytes, the kernel between cells with the reserve too
    def _address_space(self, soft: int) -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            with contextlib.suppress(OSError, ValueError):
                resource.setrlimit(resource.RLIMIT_AS, (min(soft, hard), hard))

    def before_cell(self, info: Any = None) -> None:
        if UNCAPPED_CELL_MARKER in str(getattr(info, "raw_cell", "") or ""):
            BUDGET.uncapped = sys.stdout.parent_header.get("msg_id", "")
        self.settle_copies()
        self._address_space(self.memory_bytes)

    def after_cell(self, result: Any = None) -> None:
        if os.getpid() != self.kernel_pid:
            self._exit_copy()
        for name in ("stdout", "stderr"):
            sink = getattr(sys, name)
            if isinstance(sink, _Sink):  # the streams come back for the next cell
                setattr(sys, name, sink.stream)
                BUDGET.add(sink.stream.parent_header.get("msg_id", ""), sink.dropped())
        self._address_space(self.memory_bytes + self.reserve)
        self._reap_announced()
        if not self.memory_seen and self._near_memory_limit():
            self.memory_seen = True  # the peak never goes down: once is all it can tell
            self.record(MEMORY_EVENT)
        dropped = sys.stderr.note_if_cut() if isinstance(sys.stderr, CappedOutStream) else 0
        if dropped:  # nbgrader's LimitOutput may drop the note from the notebook: the grader reads this
            self.record(f"{OUTPUT_EVENT} {getattr(result, 'execution_count', None)} {BUDGET.cap} {dropped}")

    def _near_memory_limit(self) -> bool:
        """The kernel's peak address space came within 10% of the limit (a MemoryError the cell caught)."""
        try:
            status = Path("/proc/self/status").read_text()
        except OSError:
            return False
        peak = [line.split()[1] for line in status.splitlines() if line.startswith("VmPeak:")]
        return bool(peak) and int(peak[0]) * 1024 >= 0.9 * self.memory_bytes

    def on_memory_error(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None):  # noqa: PLR0917 (IPython's custom exception handler signature)
        """Report a MemoryError with the reserve's head-room, so the kernel survives to run the next cell."""
        self._address_space(self.memory_bytes + self.reserve)
        self.record(MEMORY_EVENT)
        shell.showtraceback((etype, value, tb), tb_offset=tb_offset)

    # -- forks: a copy of the kernel made by os.fork() in a cell
    def in_child(self) -> None:
        FORKED.set()
        if self.session is not None:
            self.session.send = lambda *args, **kwargs: None  # never write on the kernel's sockets

    def _exit_copy(self) -> None:
        """A forked copy got back to the kernel's loop: tell the kernel to reap it, and go."""
        try:
            os.write(self.reaped_w, os.getpid().to_bytes(4, "little"))
        finally:
            os._exit(0)

    def after_fork_in_parent(self) -> None:
        self.forked = True

    def _reap_announced(self) -> None:
        """Reap the copies that announced their exit (the kernel is their parent; a copy's copy is not)."""
        while True:
            try:
                data = os.read(self.reaped_r, 4096)  # 4-byte records: pipe writes that small are atomic
            except BlockingIOError:
                return
            for at in range(0, len(data) - 3, 4):
                with contextlib.suppress(ChildProcessError):  # a copy of a copy: the sandbox's init reaps it
                    os.waitpid(int.from_bytes(data[at : at + 4], "little"), 0)

    def _live_copies(self) -> int:
        """Processes running the kernel's own command line (forked, never exec'd), the kernel aside."""
        mine = Path("/proc/self/cmdline").read_bytes()
        count = 0
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) != self.kernel_pid:
                with contextlib.suppress(OSError):
                    count += Path(f"/proc/{name}/cmdline").read_bytes() == mine
        return count

    def settle_copies(self) -> None:
        """Before a cell, after forks: wait (at most COPIES_WAIT s) until the copies are gone and reaped.

        Else the next cell may find the process limit still full and fail to start a thread.
        """
        if not self.forked:
            return
        self.forked = False
        deadline = time.monotonic() + COPIES_WAIT
        while True:
            self._reap_announced()
            if not self._live_copies() or time.monotonic() > deadline:
                return
            time.sleep(0.01)


def _arguments(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-chars", type=int, required=True)
    parser.add_argument("--memory-bytes", type=int, required=True)
    parser.add_argument("--memory-reserve", type=int, default=0)
    parser.add_argument("-f", dest="connection_file", required=True)
    args, rest = parser.parse_known_args(argv)
    return args, ["-f", args.connection_file, *rest]


def main(argv: list[str] | None = None) -> None:
    """Start the guarded kernel; returns when the kernel shuts down."""
    args, kernel_argv = _arguments(sys.argv[1:] if argv is None else argv)
    BUDGET.cap = args.output_chars
    guard = _Guard(
        args.memory_bytes, args.memory_reserve, Path(args.connection_file).with_suffix(EVENTS_SUFFIX)
    )
    os.register_at_fork(after_in_child=guard.in_child, after_in_parent=guard.after_fork_in_parent)
    app = IPKernelApp.instance(outstream_class=f"{__name__}.CappedOutStream")
    app.initialize(kernel_argv)
    guard.session = app.session
    app.shell.events.register("pre_run_cell", guard.before_cell)
    app.shell.events.register("post_run_cell", guard.after_cell)
    app.shell.set_custom_exc((MemoryError,), guard.on_memory_error)
    app.start()


if __name__ == "__main__":
    if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
        del sys.path[0]  # this folder is not the student's: IPython puts the notebook's folder first
    main()
