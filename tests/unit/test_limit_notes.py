"""Every sandbox limit a notebook hits is named in plain words with its value (limit_notes.py)."""

from __future__ import annotations

import signal

import nbformat
from helpers.ps1 import PROBLEM_SET
from helpers.ps1_checks import PATH

from autograder.nbgrader_ext import limit_notes
from autograder.nbgrader_ext.checks import AppendProbe
from autograder.nbgrader_ext.kernel_guard import NOTE, UNCAPPED_CELL_MARKER
from autograder.nbgrader_ext.sandbox_kernel import Limits

LIM = Limits(memory_bytes=1 << 30, max_processes=32, file_bytes=8 << 20, cpu_seconds=7, notebook_timeout=90)


def notebook(*cells: tuple[str, int, list[dict]]) -> dict:
    """Cells given as (grade id, execution count, outputs), as an autograded notebook holds them."""
    nb = nbformat.v4.new_notebook()
    for grade_id, count, outputs in cells:
        cell = nbformat.v4.new_code_cell("pass", execution_count=count)
        cell.metadata["nbgrader"] = {"grade_id": grade_id}
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.cells.append(cell)
    return nb


def error(ename: str, evalue: str = "") -> dict:
    return {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": []}


def test_a_run_within_every_limit_has_no_note() -> None:
    nb = notebook(("p1a_code", 1, [{"output_type": "stream", "name": "stdout", "text": "hello\n"}]))
    assert (
        limit_notes.notes(
            nb, [{"forks_refused": 0, "oom_kills": 0, "memory_errors": 0}], LIM, cell_timeout=30
        )
        == []
    )


def test_each_limit_of_a_finished_run_is_named_with_its_value() -> None:
    nb = notebook(
        ("p1a_code", 1, []),
        ("p1b_code", 2, [error("CellTimeoutError")]),
        ("p2_code", 3, [error("MemoryError")]),
        ("p3_code", 4, [error("OSError", "[Errno 27] File too large")]),
    )
    report = {"output_cut": [[1, 5000, 123]], "forks_refused": 4}
    assert limit_notes.notes(nb, [report], LIM, cell_timeout=45) == [
        "output of cell p1a_code cut at 5,000 characters (the limit); the cell ran to its end",
        "wall time: cell p1b_code ran longer than the limit of 45 s per cell and was interrupted",
        "memory: the notebook hit the sandbox's limit of 1,024 MiB in cell p2_code (MemoryError)",
        "processes: the notebook hit the sandbox's limit of 32 processes (4 refused)",
        "file size: cell p3_code wrote past the sandbox's limit of 8 MiB per file",
    ]


def test_an_output_cut_is_found_from_the_note_when_the_kernel_did_not_report_it() -> None:
    text = "x" * 10 + NOTE.format(cap=10, dropped=99)
    nb = notebook(("p2_code", 7, [{"output_type": "stream", "name": "stderr", "text": text}]))
    assert limit_notes.notes(nb, [], LIM, cell_timeout=30) == [
        "output of cell p2_code cut at 10 characters (the limit); the cell ran to its end"
    ]


def test_a_memory_error_the_cell_caught_is_still_named() -> None:
    assert limit_notes.notes(notebook(("p1a_code", 1, [])), [{"memory_errors": 1}], LIM, cell_timeout=30) == [
        "memory: the notebook hit the sandbox's limit of 1,024 MiB"
    ]


def test_a_stopped_run_names_the_limit_that_stopped_it() -> None:
    cases = {
        "wall time: the notebook ran longer than the limit of 90 s per notebook and was stopped": {
            "watchdog": True
        },
        "memory: the notebook hit the sandbox's limit of 1,024 MiB: the kernel was killed": {"oom_kills": 1},
        "CPU time: the notebook used up the sandbox's limit of 7 s of CPU time and was stopped": {
            "returncode": -signal.SIGXCPU
        },
        "memory: the notebook hit the sandbox's limit of 1,024 MiB (MemoryError) and the kernel died": {
            "returncode": -signal.SIGSEGV,
            "memory_errors": 1,
        },
        "processes: the notebook hit the sandbox's limit of 32 processes and the kernel could not go on": {
            "forks_refused": 3
        },
    }
    for words, report in cases.items():
        assert (
            limit_notes.failure("DeadKernelError", [report], LIM, cell_timeout=30)
            == words + limit_notes.NOT_GRADED
        )


def test_a_crash_with_no_limit_hit_is_not_blamed_on_a_limit() -> None:
    assert (
        limit_notes.failure("DeadKernelError", [{"returncode": 1, "memory_errors": 0}], LIM, cell_timeout=30)
        is None
    )


def test_the_grader_probe_is_the_one_cell_the_kernel_does_not_cut() -> None:
    """PS1's probe prints ~110 kB of JSON; the kernel knows the grader's cell by the line AppendProbe
    puts first, whatever the problem set's module drew."""
    probe = AppendProbe(checks_module=str(PATH), references=PROBLEM_SET.references)
    nb, _ = probe.preprocess(nbformat.v4.new_notebook(), {})
    assert nb.cells[-1].source.startswith(UNCAPPED_CELL_MARKER + "\n")
