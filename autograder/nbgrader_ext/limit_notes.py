"""Name, in plain words and with its value, every sandbox limit a graded notebook ran into.

Two kinds of outcome: a limit hit inside a run that still finished (a cell's output cut, a
MemoryError, a refused fork, a file too large, a cell interrupted at the per-cell time limit) is a
*note* on a graded row; a limit that stopped the run (the kernel killed by the memory cgroup, the CPU
time or the notebook's wall-time limit, or dead after a MemoryError) is the *reason* a row is not
graded. Both read the autograded notebook and the sandbox's post-mortem reports (sandbox.py).
"""

from __future__ import annotations

import re
import signal
from typing import Any

from autograder.nbgrader_ext.kernel_guard import NOTE_PATTERN
from autograder.nbgrader_ext.sandbox_kernel import Limits

NOT_GRADED = ": not graded"
FILE_TOO_LARGE = "File too large"  # strerror(EFBIG): RLIMIT_FSIZE refused a write


def _mib(n: int) -> str:
    return f"{n >> 20:,} MiB"


def kernel_death(report: dict[str, Any]) -> str:
    """Why a kernel died when no limit stopped it: its exit status and what it printed as it died."""
    code = report.get("returncode")
    status = f" (exit status {code})" if code is not None else ""
    fatal = f", {report['fatal']}" if report.get("fatal") else ""
    return f"the kernel died while running the notebook{status}{fatal}, with no limit hit"


def memory(lim: Limits) -> str:
    return f"memory: the notebook hit the sandbox's limit of {_mib(lim.memory_bytes)}"


def processes(lim: Limits) -> str:
    return f"processes: the notebook hit the sandbox's limit of {lim.max_processes} processes"


def cpu_time(lim: Limits) -> str:
    return f"CPU time: the notebook used up the sandbox's limit of {lim.cpu_seconds} s of CPU time"


def notebook_time(lim: Limits) -> str:
    return f"wall time: the notebook ran longer than the limit of {lim.notebook_timeout} s per notebook"


def cell_time(cell: str, seconds: int) -> str:
    return f"wall time: cell {cell} ran longer than the limit of {seconds} s per cell and was interrupted"


def file_size(lim: Limits, cell: str) -> str:
    return f"file size: cell {cell} wrote past the sandbox's limit of {_mib(lim.file_bytes)} per file"


def output_cut(cell: str, cap: int) -> str:
    return f"output of cell {cell} cut at {cap:,} characters (the limit); the cell ran to its end"


def _cell_name(cell: dict, index: int) -> str:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id") or f"#{index + 1}"


def _text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else str(text)


def _errors(nb: dict) -> list[tuple[str, str, str]]:
    """(cell, ename, evalue) of every error output, in order."""
    return [
        (_cell_name(cell, i), str(out.get("ename")), str(out.get("evalue")))
        for i, cell in enumerate(nb.get("cells", []))
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]


def _first(cells: list[str]) -> str:
    return cells[0] + (f" (and {len(cells) - 1} more)" if len(cells) > 1 else "")


def _output_notes(nb: dict, reports: list[dict[str, Any]]) -> list[str]:
    """Cells cut by the kernel (its events name them by execution count) or by CapOutputs (a note)."""
    by_count = {c.get("execution_count"): (i, c) for i, c in enumerate(nb.get("cells", []))}
    cut: dict[int, int] = {}
    for count, cap, _ in [entry for r in reports for entry in r.get("output_cut", [])]:
        if count in by_count:
            cut.setdefault(by_count[count][0], cap)
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            found = re.search(NOTE_PATTERN, _text(out))
            if found:
                cut.setdefault(i, int(found.group(1).replace(",", "")))
    cells = nb.get("cells", [])
    return [output_cut(_cell_name(cells[i], i), cap) for i, cap in sorted(cut.items())]


def notes(nb: dict, reports: list[dict[str, Any]], lim: Limits, *, cell_timeout: int) -> list[str]:
    """The limits a finished run hit, one note each (empty for a run within every limit)."""
    errors = _errors(nb)
    found = _output_notes(nb, reports)
    timed_out = [c for c, name, _ in errors if name == "CellTimeoutError"]
    if timed_out:
        found.append(cell_time(_first(timed_out), cell_timeout))
    out_of_memory = [c for c, name, _ in errors if name == "MemoryError"]
    if out_of_memory or any(r.get("memory_errors") for r in reports):
        where = f" in cell {_first(out_of_memory)} (MemoryError)" if out_of_memory else ""
        found.append(f"{memory(lim)}{where}")
    killed = sum(r.get("oom_kills", 0) for r in reports)
    if killed:
        found.append(f"{memory(lim)}: {killed} process(es) killed")
    refused = sum(r.get("forks_refused", 0) for r in reports)
    if refused:
        found.append(f"{processes(lim)} ({refused} refused)")
    too_large = [c for c, _, value in errors if FILE_TOO_LARGE in value]
    if too_large:
        found.append(file_size(lim, _first(too_large)))
    return found


def _exit_signal(code: int | None) -> int | None:
    """The signal that ended the kernel, from Popen's returncode (-N) or a shell-style 128+N."""
    if code is None or code == 0:
        return None
    return -code if code < 0 else code - 128 if code > 128 else None


def failure(log: str, reports: list[dict[str, Any]], lim: Limits, *, cell_timeout: int) -> str | None:
    """Which limit stopped a run that did not finish, or None when no limit explains it."""
    report = reports[-1] if reports else {}
    sig = _exit_signal(report.get("returncode"))
    if report.get("watchdog"):
        return f"{notebook_time(lim)} and was stopped{NOT_GRADED}"
    if report.get("oom_kills"):
        return f"{memory(lim)}: the kernel was killed{NOT_GRADED}"
    if sig == signal.SIGXCPU:
        return f"{cpu_time(lim)} and was stopped{NOT_GRADED}"
    if sig == signal.SIGXFSZ:
        limit = _mib(lim.file_bytes)
        return f"file size: the kernel was stopped at the sandbox's limit of {limit} per file{NOT_GRADED}"
    if report.get("memory_errors"):
        return f"{memory(lim)} (MemoryError) and the kernel died{NOT_GRADED}"
    if report.get("forks_refused"):
        return f"{processes(lim)} and the kernel could not go on{NOT_GRADED}"
    if "CellTimeoutError" in log or "timed out" in log.lower():
        return f"wall time: a cell ran longer than the limit of {cell_timeout} s per cell{NOT_GRADED}"
    return None
