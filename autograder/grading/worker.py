"""One submission's grading job: plain data in, plain data out, never the class gradebook.

The coordinator (coordinator.py) sends a `Job` (student id, validated notebook bytes, submission time)
and a `Template` (the grading config, the source assignment and a SQLite gradebook snapshot taken
right after `generate_assignment`, all as bytes). `grade()` builds a private course in a scratch
folder, runs nbgrader's `autograde` and `generate_feedback` in this process (NbGraderAPI: no CLI
start-up per submission), reads the grades back from its private gradebook and returns a `Result`.
With the job's `PageContext` the page already carries the student's grades.csv summary and late
penalty (own deadline included), so the coordinator need not make it again.
Only the coordinator writes the class gradebook, so any number of workers can run at once, on
this machine or on a Dask cluster that shares nothing with the coordinator but the code.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import socket
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook
from traitlets import Unicode
from traitlets.config import Config

from autograder.course.layout import CONFIG_FILE, Course, nbgrader_api, nbgrader_config
from autograder.course.state import StateEntry
from autograder.grading.jobs import (
    FatalGradingError,
    Job,
    Result,
    Template,
    limit_threads,
    result_messages,
    scratch_root,
)
from autograder.nbgrader_ext import checks_module, limit_notes
from autograder.nbgrader_ext.checks import AppendProbe, ApplyOutsideChecks
from autograder.nbgrader_ext.feedback_html import FeedbackHTMLExporter
from autograder.nbgrader_ext.sandbox import SandboxedExecute, SandboxedKernelManager, font_list, sandbox_mode
from autograder.nbgrader_ext.sandbox_kernel import Limits
from autograder.problem_set import ProblemSet
from autograder.results import feedback_pages
from autograder.results.grades_table import GradesRow, row_from_scores


def warm_up(problem_set: ProblemSet) -> str:
    """Load what every job needs, then freeze everything made so far, so no garbage collection during
    a job walks it (in the coordinator before it forks local workers, and as each worker's first
    task): the problem set's outside checks (their module, and its `warm_up`: data it reads) and the
    kernels' font list. Returns the worker's sandbox mode.

    Rendering a first feedback page here too was measured and dropped: it delayed the first jobs more
    than it saved them (benchmarks/README.md)."""
    limit_threads()
    name = problem_set.checks_name
    checks_module.warm_up(problem_set.folder / name if name else None, problem_set.references)
    font_list()
    gc.freeze()
    return sandbox_mode()


def grade(job: Job, template: Template) -> Result:
    """Grade one submission in a private course; the scratch folder is removed whatever happens."""
    start, started = time.monotonic(), datetime.now(UTC).isoformat()
    limit_threads()
    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy notes from nbgrader
    root = scratch_root(job.scratch)
    root.mkdir(parents=True, exist_ok=True)
    course = Path(tempfile.mkdtemp(prefix="job-", dir=root))
    saved_tempdir = tempfile.tempdir
    try:
        # The sandbox's own temp folders (sockets, kernelspec) go in the job folder, so a run
        # killed with -9 leaves nothing outside this run's scratch folder.
        (course / "tmp").mkdir()
        tempfile.tempdir = str(course / "tmp")
        result = _grade_in(course, job, template)
    finally:
        tempfile.tempdir = saved_tempdir
        shutil.rmtree(course, ignore_errors=True)
    result.seconds, result.started = round(time.monotonic() - start, 3), started
    result.worker = worker_name()
    return result


def _grade_in(course: Path, job: Job, template: Template) -> Result:
    _materialize(course, template)
    Course(course).write_submission(job.student, job.notebook, job.timestamp)
    cfg = load_config(course, template.secure)
    cfg.ReportingKernelManager.report_file = str(Course(course).kernel_reports)
    api = nbgrader_api(cfg)
    mode = _sandbox_mode(template.secure)
    ps = Course(course).problem_set
    auto = api.autograde(ps.id, job.student, force=True, create=True)
    reports = _kernel_reports(course)
    if not auto["success"]:
        log = auto.get("log", "") + auto.get("error", "")
        why = explain_failure(log, reports, cfg)
        return Result(job.student, "error", why, log, sandbox=mode, kernel_reports=reports)
    result = _read_grades(course, job.student)
    result.sandbox, result.kernel_reports = mode, reports
    result.autograded = Course(course).autograded_notebook(job.student).read_bytes()
    nb = json.loads(result.autograded)
    result.flags = list(nb.get("metadata", {}).get("autograder", {}).get("flags", []))
    # The notebook went on past each limit it hit, so it is graded; the instructor should still know.
    notes = limit_hit(nb, reports, cfg)
    result.message = "; ".join(notes)
    result.worker = worker_name()
    row = final_row(job, result, secure=template.secure, ps=ps)
    if row is not None:  # the page shows the row's summary and penalty (the student's own deadline)
        feedback_pages.write_penalties(course, [row])
        result.late_penalty = row.penalty_points or None
        result.summary = feedback_pages.summary(row)
    result.feedback = _feedback(api, course, job.student, summary=result.summary)
    if result.feedback is None:
        result.summary = ""
        result.message = "; ".join([*notes, "feedback HTML could not be made"])
    return result


def worker_name() -> str:
    """host:pid of this worker, as results and messages name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def final_row(job: Job, result: Result, *, secure: bool, ps: ProblemSet) -> GradesRow | None:
    """The student's grades.csv row as this job can know it (None without a PageContext), for the
    page's summary and late penalty: the coordinator keeps the page unless manual grades or a row
    that came out different make it stale."""
    page = job.page
    if page is None:
        return None
    messages = [*page.before, *result_messages(result, secure), *page.after]
    entry = StateEntry(zip="", sha256="", submitted=page.submitted, messages=messages)
    scores = {
        name: None if g["needs_manual_grade"] else float(g["auto_score"] or 0.0)
        for name, g in result.grades.items()
    }
    return row_from_scores(job.student, entry, scores, ps=ps, due=page.due, extension=page.extension)


def _feedback(api: Any, course: Path, student: str, *, summary: str) -> bytes | None:
    """The student's feedback page (hidden tests removed by the course's preprocessors)."""
    if summary:
        extra = Config()
        extra.GradeSummary.summaries = {student: summary}
        api.update_config(extra)
    done = api.generate_feedback(Course(course).problem_set.id, student, force=True)
    page = Course(course).feedback_page(student)
    return page.read_bytes() if done["success"] and page.exists() else None


def _materialize(course: Path, template: Template) -> None:
    for rel, data in template.files.items():
        path = course / rel
        if not path.resolve().is_relative_to(course.resolve()):
            raise FatalGradingError(f"template file {rel!r} leaves the course folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def load_config(course: Path, secure: bool):  # -> traitlets Config
    """The job's course config on its private gradebook, checked: with `secure`, no sandbox or
    outside checks = fatal (a config that fails to load too: it would grade unsandboxed).
    Execute's sandboxed class is swapped for one that keeps the kernel's report.
    """
    try:
        cfg = nbgrader_config(Course(course), Course(course).sqlite_url)
    except Exception as exc:
        raise FatalGradingError(f"the grading course's {CONFIG_FILE} failed to load: {exc!r}") from exc
    cfg.GenerateFeedback.exporter_class = FeedbackHTMLExporter  # also for courses made before it
    if secure:
        cfg.Autograde.autograde_preprocessors = _secure_steps(cfg)
    return cfg


def _secure_steps(cfg) -> list:
    steps = list(cfg.Autograde.get("autograde_preprocessors", []))
    missing = [k.__name__ for k in (SandboxedExecute, AppendProbe, ApplyOutsideChecks) if k not in steps]
    if missing:
        raise FatalGradingError(f"grading config lacks {', '.join(missing)}: refusing to grade unsandboxed")
    return [ReportingExecute if s is SandboxedExecute else s for s in steps]


def _sandbox_mode(secure: bool) -> str:
    return sandbox_mode() if secure else "off"


def _read_grades(course: Path, student: str) -> Result:
    """Scores, comments and the late penalty from the job's private gradebook."""
    result = Result(student, "graded")
    with Gradebook(Course(course).sqlite_url) as gb:
        ps = Course(course).problem_set
        nb = gb.find_submission_notebook(ps.notebook_id, ps.id, student)
        for g in nb.grades:
            result.grades[g.name] = {
                "auto_score": g.auto_score,
                "needs_manual_grade": bool(g.needs_manual_grade),
                "max_score": g.max_score,
                "extra_credit": g.extra_credit,
            }
        result.comments = {c.name: c.auto_comment for c in nb.comments}
        result.late_penalty = nb.late_submission_penalty
    return result


# ---------------------------------------------------------------- why a submission was not graded


def _limits(cfg) -> tuple[Any, int]:
    """The sandbox limits and nbgrader's per-cell timeout configured for this course."""
    limits = dict(cfg.SandboxedKernelManager.get("limits", {}) or {})
    return Limits.from_mapping(limits), int(cfg.Execute.get("timeout", 30) or 30)


def explain_failure(log: str, reports: list[dict[str, Any]], cfg) -> str:
    """Why an autograde failed: the limit that stopped it, a dead kernel, or nbgrader's own error."""
    lim, cell_timeout = _limits(cfg)
    reason = limit_notes.failure(log, reports, lim, cell_timeout=cell_timeout)
    if reason:
        return reason
    if "DeadKernelError" in log or "kernel died" in log.lower():
        return limit_notes.kernel_death(reports[-1] if reports else {}) + limit_notes.NOT_GRADED
    if "Duplicate" in log or "duplicate" in log:
        return "nbgrader found duplicate cell ids: not graded"
    return f"nbgrader autograde failed: {_last_error(log)}"


def _kernel_reports(course: Path) -> list[dict[str, Any]]:
    """The post-mortem reports the job's kernels left (ReportingKernelManager), oldest first."""
    path = Course(course).kernel_reports
    lines = path.read_text().splitlines() if path.exists() else []
    return [json.loads(line) for line in lines]


def _last_error(log: str) -> str:
    """The last `SomeError: text` line of nbgrader's log (not its closing "see the traceback" line)."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    errors = [
        line for line in lines if re.match(r"^[\w.]*(Error|Exception): ", line) and "NbGrader" not in line
    ]
    chosen = errors[-1] if errors else lines[-1] if lines else "unknown error"
    return chosen[:200]


def limit_hit(nb: dict, reports: list[dict[str, Any]], cfg) -> list[str]:
    """Every limit hit during a finished run, named with its value (the run is graded all the same)."""
    lim, cell_timeout = _limits(cfg)
    return limit_notes.notes(nb, reports, lim, cell_timeout=cell_timeout)


class ReportingKernelManager(SandboxedKernelManager):
    """The sandbox's kernel manager, writing each kernel's post-mortem report to `report_file` (the
    job's own) for `explain_failure` and `limit_hit`.

    nbclient drops its kernel manager after a run; the report (watchdog, OOM kills, exit status)
    would be lost with it.
    """

    report_file = Unicode("", help="JSON-lines file that receives each kernel's report").tag(config=True)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self.report_file:
            with open(self.report_file, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(self.report, default=str) + "\n")

    cleanup_resources = _async_cleanup_resources  # type: ignore[assignment]


class ReportingExecute(SandboxedExecute):
    """SandboxedExecute with ReportingKernelManager (same sandbox, same limits, same config)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("kernel_manager_class", ReportingKernelManager)
        super().__init__(*args, **kwargs)
