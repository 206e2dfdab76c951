"""The grading run: from a folder of students' zips to grades.csv and report.png (`grade` calls `run`).

This process is the coordinator; grading itself happens in workers (worker.py), each submission in a
private course with a sandboxed kernel. Steps:
1. build `<out>/course` (source notebook + nbgrader config) and the workers' template (`<out>/.template`,
   `generate_assignment` with its own gradebook), while the workers start (pool.py);
2. pick each student's latest zip (by --times or the zip's mtime), skip it if its content and time
   were already graded (state in `<out>/state.json`) unless --force;
3. check the zip and its notebook here (collect.py) and send only the notebook's bytes to a worker;
4. as each result arrives: write `submitted/`, `autograded/`, `feedback/` of that student, replace
   its submission in the class gradebook in one transaction (gradebook_writer.py, the only writer),
   then mark it done in state.json; a run killed anywhere is finished by the next one;
5. write grades.csv with the late penalty on the current total (results/), report.png and a table;
   make again, from the gradebook, only the feedback pages that do not show the student's row (the
   workers put the final summary and penalty on theirs: manual grades or a changed row make one stale).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from tqdm import tqdm

from autograder.course import grading_course as cd
from autograder.course.grading_folder import is_older, write_marker
from autograder.course.layout import Course, GradingFolder, nbgrader_timestamp
from autograder.course.run_lock import run_lock
from autograder.course.state import State, StateEntry, load_state, save_state
from autograder.grading import canvas_download
from autograder.grading.canvas_download import CanvasEntry
from autograder.grading.collect import (
    SubmissionError,
    check_notebook,
    read_submission,
    restore_missing_cells,
    student_id_from_zip,
)
from autograder.grading.gradebook_writer import GradebookWriter
from autograder.grading.inputs import check_request
from autograder.grading.jobs import (
    Job,
    PageContext,
    Result,
    limit_threads,
    make_template,
    result_messages,
    scratch_root,
)
from autograder.grading.overlap import Beside
from autograder.grading.pool import make_pool
from autograder.grading.request import GradeRequest
from autograder.grading.submitted_folder import find_collected, read_collected, submitted_folder
from autograder.nbgrader_ext.feedback_math import install_mathjax
from autograder.nbgrader_ext.sandbox import sandbox_mode, sandbox_warning
from autograder.problem_set import ProblemSet
from autograder.results import extensions, feedback_pages, report
from autograder.results.grades_table import GradesRow, export


@dataclass
class Candidate:
    path: Path
    student: str
    submitted: datetime
    sha256: str
    warning: str | None
    canvas: CanvasEntry | None = None  # the entry of Canvas's download it came from


def shown(name: str) -> str:
    """A file name safe to print and to write to CSV/JSON (undecodable bytes become U+FFFD)."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def find_candidates(
    folder: Path, times: dict[str, datetime], ps: ProblemSet
) -> tuple[dict[str, list[Candidate]], list[str]]:
    """All *.zip files of `folder` grouped by student id, newest first (or nbgrader's collected notebooks,
    or the entries of Canvas's download grouped by Canvas user)."""
    submitted = submitted_folder(folder)
    if submitted is not None:
        return collected_candidates(submitted, ps)
    if canvas_download.is_canvas_download(folder):
        return canvas_candidates(folder, times, ps.zip_prefix)
    by_student: dict[str, list[Candidate]] = {}
    notes = []
    for path in sorted(folder.iterdir()):
        if not path.name.lower().endswith(".zip"):
            continue
        if path.is_symlink() or not path.is_file():
            notes.append(f"{shown(path.name)}: skipped, not a regular file (a symlink or a folder)")
            continue
        student, warning = student_id_from_zip(path, ps.zip_prefix)
        when, note = _submission_time(path, times)
        notes += note
        by_student.setdefault(student, []).append(Candidate(path, student, when, _sha256(path), warning))
    for cands in by_student.values():
        cands.sort(key=lambda c: (c.submitted, c.path.name), reverse=True)
    return by_student, notes


def _submission_time(path: Path, times: dict[str, datetime]) -> tuple[datetime, list[str]]:
    """The zip's time from the times file, else its modification time (with a note if a file was given)."""
    if path.name in times:
        return times[path.name], []
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    notes = [f"{shown(path.name)}: not in the times file, using its modification time"] if times else []
    return when, notes


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def canvas_candidates(
    folder: Path, times: dict[str, datetime], zip_prefix: str
) -> tuple[dict[str, list[Candidate]], list[str]]:
    """The zips of Canvas's download, one student per Canvas user, the newest attempt (highest
    attachment id) first; entries that are not zips are named and skipped."""
    by_user: dict[str, list[Candidate]] = {}
    notes = []
    for path in sorted(folder.iterdir()):
        entry = canvas_download.parse_entry(path)
        if entry is None or path.name.startswith("."):
            continue
        if not path.name.lower().endswith(".zip") or path.is_symlink() or not path.is_file():
            notes.append(f"{shown(path.name)}: not a zip, skipped (Canvas user {entry.user_id})")
            continue
        when, note = _submission_time(path, times)
        notes += note
        student, warning = entry.student_id(zip_prefix)
        cand = Candidate(path, student, when, _sha256(path), warning, entry)
        by_user.setdefault(entry.user_id, []).append(cand)
    for cands in by_user.values():
        cands.sort(key=lambda c: c.canvas.attachment_id, reverse=True)
    names = Counter(cands[0].student for cands in by_user.values())
    by_student = {}
    for user, cands in by_user.items():
        student = cands[0].student
        if names[student] > 1:  # two Canvas users named their zips alike: the user id tells them apart
            notes.append(
                f"{student}: {names[student]} Canvas users sent zips of this name; graded as {student}_{user}"
            )
            student = f"{student}_{user}"
        by_student[student] = [replace(c, student=student) for c in cands]
    return by_student, notes


def collected_candidates(submitted: Path, ps: ProblemSet) -> tuple[dict[str, list[Candidate]], list[str]]:
    """One candidate per student of nbgrader's `submitted/` folder, timed by its timestamp.txt."""
    found, notes = find_collected(submitted, ps)
    by_student = {}
    for c in found:
        digest = hashlib.sha256(c.notebook.read_bytes()).hexdigest()
        by_student[c.student] = [Candidate(c.notebook, c.student, c.submitted, digest, None)]
    return by_student, notes


def label(cand: Candidate) -> str:
    """How a submission is named in state.json: the zip's name, or `<student>/<id>/<notebook>`."""
    if cand.path.suffix == ".ipynb":
        return f"{cand.student}/{cand.path.parent.name}/{cand.path.name}"
    return shown(cand.path.name)


@dataclass
class Run:
    """What recording a result needs: the request, the class course, the state, the single gradebook
    writer, the scratch folders' name in the workers."""

    request: GradeRequest
    course: Path
    state: State
    writer: GradebookWriter
    scratch: str
    pages: dict[str, tuple[str, float | None]] = field(default_factory=dict)  # made by workers this run

    @property
    def out(self) -> Path:
        return self.request.out


@dataclass
class Pending:
    """A student's latest zip on its way to a result: its state entry as it is being built, and the
    older zips of the same student that were ignored."""

    cand: Candidate
    entry: StateEntry
    older: list[Candidate]


def scratch_name(out: Path) -> str:
    """The scratch folder of runs on `out` (in each worker's temp dir): swept after a crash."""
    return "autograder-" + hashlib.sha256(str(out).encode()).hexdigest()[:12]


def _entry(cand: Candidate) -> StateEntry:
    warnings = [cand.warning] if cand.warning else []
    entry = StateEntry(label(cand), cand.sha256, cand.submitted.isoformat(), messages=warnings)
    if cand.canvas is not None:
        entry.canvas_id, entry.canvas_late = cand.canvas.user_id, cand.canvas.late
    return entry


def _nbgrader_time(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as nbgrader stores times


def make_job(
    course: Path, cand: Candidate, checks: tuple[list[str], list[str]], *, scratch: str
) -> tuple[Job, list[str]]:
    """Validate the zip here (collect.py) and make the worker's job; SubmissionError if ungradable."""
    ps = Course(course).problem_set
    if cand.path.suffix == ".ipynb":
        sub = read_collected(cand.path, ps.id)
    else:
        sub = read_submission(cand.path, ps.notebook)
    nb, _ = check_notebook(sub.notebook, *checks, notebook=ps.notebook)
    release = json.loads(Course(course).release_notebook.read_text(encoding="utf-8"))
    nb, restored = restore_missing_cells(nb, release)
    data = sub.notebook if not restored else json.dumps(nb, indent=1).encode()
    return Job(cand.student, data, nbgrader_timestamp(cand.submitted), scratch), sub.warnings + restored


def _write_files(course: Path, job: Job, result: Result) -> None:
    """submitted/, autograded/ and feedback/ of one student, replaced whole."""
    student, where = job.student, Course(course)
    where.remove_student(student)
    where.write_submission(student, job.notebook, job.timestamp)
    where.autograded_dir(student).mkdir(parents=True)
    if result.autograded is not None:
        where.autograded_notebook(student).write_bytes(result.autograded)
    if result.status == "error" and result.log:
        where.autograde_log(student).write_text(result.log)
    if result.feedback is not None:
        page = where.feedback_page(student)
        page.parent.mkdir(parents=True)
        page.write_bytes(result.feedback)


def record(run: Run, pending: Pending, job: Job, *, outcome: Result | BaseException) -> StateEntry:
    """Files, then the gradebook (one transaction), then state.json: a crash redoes this student."""
    cand, entry = pending.cand, pending.entry
    if isinstance(outcome, BaseException):
        outcome = Result(cand.student, "error", f"the grading worker failed: {outcome!r}: not graded")
    old = run.state.students.get(cand.student)
    same_zip = old is not None and old.sha256 == cand.sha256 and old.status == "graded"
    keep = run.writer.manual_grades(cand.student)
    if keep["scores"] and not same_zip:
        entry.messages.append(f"new zip: {len(keep['scores'])} manual grade(s) of the previous one dropped")
        keep = {"scores": {}, "comments": {}}
    _write_files(run.course, job, outcome)
    run.writer.write(outcome, _nbgrader_time(cand.submitted), keep)
    entry.status = outcome.status
    entry.messages += result_messages(outcome, run.request.secure)
    if keep["scores"] and outcome.status == "graded":
        entry.messages.append(f"kept {len(keep['scores'])} manual grade(s) of this same zip")
    entry.sandbox, entry.flags, entry.worker = outcome.sandbox, outcome.flags, outcome.worker
    entry.seconds, entry.started = outcome.seconds, outcome.started
    if outcome.status == "graded" and outcome.feedback is not None and outcome.summary and not keep["scores"]:
        run.pages[cand.student] = (outcome.summary, outcome.late_penalty)
    return entry


def record_invalid(run: Run, pending: Pending, exc: SubmissionError) -> StateEntry:
    """A zip that never reaches a worker: no files, no gradebook row, an error with the reason."""
    cand, entry = pending.cand, pending.entry
    Course(run.course).remove_student(cand.student)
    run.writer.remove(cand.student)
    entry.status = "error"
    entry.messages.append(str(exc))
    return entry


def _older_notes(older: list[Candidate]) -> list[str]:
    if not older:
        return []
    names = ", ".join(shown(c.path.name) for c in older)
    return [f"{len(older) + 1} zips from this student: graded the latest, ignored {names}"]


def _commit(run: Run, pending: Pending, entry: StateEntry) -> None:
    entry.messages += _older_notes(pending.older)
    run.state.students[pending.cand.student] = entry
    save_state(run.out, run.state)


def _grading_key(request: GradeRequest) -> str:
    """Every grade depends on the source notebook, on the checks being on, and on the gradebook."""
    src = request.problem_set.folder
    h = hashlib.sha256(cd.source_digest(src).encode())
    h.update(f"|secure={request.secure}|db={request.db or ''}".encode())
    return h.hexdigest()


def select(by_student: dict[str, list[Candidate]], state: State, force: bool) -> list:
    """(latest zip, older zips) of every student whose latest zip or time changed (all with force)."""
    todo = []
    for student, cands in sorted(by_student.items()):
        latest = cands[0]
        old = state.students.get(student)
        same = old and old.sha256 == latest.sha256 and old.submitted == latest.submitted.isoformat()
        if force or not same:
            todo.append((latest, cands[1:]))
    return todo


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)))


def run(request: GradeRequest) -> list[GradesRow]:
    """Grade every zip of `request.folder` into `request.out`; return the grades.csv rows. Bad input
    raises InputError before anything is written."""
    warnings.filterwarnings("ignore", message=".*not in session.*")  # SQLAlchemy notes from nbgrader
    request = check_request(request)
    with run_lock(request.out):
        if request.extensions_csv is not None:
            zone = request.problem_set.timezone
            extensions.install(request.out, Path(request.extensions_csv), request.due, zone=zone)
        return _run_locked(request)


def _run_locked(request: GradeRequest) -> list[GradesRow]:
    limit_threads()  # before any worker process or kernel starts: they inherit it
    out, due_at, secure = request.out, request.due, request.secure
    ps = request.problem_set
    state = load_state(out)
    key = _grading_key(request)
    force = request.force or state.grading_key != key
    folder = request.folder
    if folder.is_file():  # Canvas's download itself (inputs.check_folder let nothing else through)
        folder = canvas_download.unpack(folder, GradingFolder(out).canvas_download, ps.timezone)
    by_student, notes = find_candidates(folder, request.times, ps)
    todo = select(by_student, state, force)
    n_workers = request.workers or default_workers()
    scratch = scratch_name(out)
    shutil.rmtree(scratch_root(scratch), ignore_errors=True)  # left by a run killed mid-job
    dask_dir = str(scratch_root(scratch) / "dask")
    pages: dict[str, tuple[str, float | None]] = {}
    size = min(n_workers, max(1, len(todo)))
    pool = make_pool(size, request.scheduler, dask_dir, problem_set=ps) if todo else None
    try:
        if pool is not None:
            pool.start()  # workers start and import nbgrader while the course is built
        course = _prepare_course(request)
        mathjax = Beside(partial(install_mathjax, Course(course).feedback_dir))  # beside the first notebooks
        with mathjax.start(), GradebookWriter(cd.db_url(course), ps) as writer:
            writer.set_due(due_at)
            run_ = Run(request, course, state, writer, scratch, pages)
            state.grading_key, state.due, state.secure = key, due_at.isoformat(), secure
            save_state(out, state)
            elapsed = _grade_all(run_, todo, pool)
    except BaseException:
        _stop(pool, scratch)
        raise
    with Beside(partial(_stop, pool, scratch)).start():  # beside grades.csv, the pages and the report
        rows = export(out)
        notes += _rebuild_feedback(out, rows, pages)
        extended = extensions.load(out, due_at)
        notes += extensions.unknown_students(extended, set(state.students), ps.zip_prefix)
        notes += canvas_download.late_disagreements(state, rows)
        report.make_report(out, rows)
    if not request.quiet:
        _print_summary(out, rows, notes, todo=todo, by_student=by_student, elapsed=elapsed)
    return rows


def _prepare_course(request: GradeRequest) -> Path:
    """The class course of `request.out`, built or rebuilt, and the folder marked as today's layout.
    A folder an older version made is rebuilt even when this run's source, --db and sandbox setting
    are the ones it recorded, and the run says so in the line the other commands print."""
    out, course = request.out, GradingFolder(request.out).course.root
    older = is_older(out)
    rebuild = request.force or older
    source = request.problem_set.folder
    cd.prepare(course, source, request.db, secure=request.secure, mathjax=False, rebuild=rebuild)
    write_marker(out)
    if older and not request.quiet:
        print(cd.upgrade_note(out), flush=True)
    return course


def _rebuild_feedback(
    out: Path, rows: list[GradesRow], pages: dict[str, tuple[str, float | None]]
) -> list[str]:
    """Every page from the gradebook (manual grades, extensions, final score), except those the
    workers just made that already show the student's row; grades stay if it fails."""
    current = [r.student for r in rows if feedback_pages.is_current(r, pages.get(r.student))]
    try:
        feedback_pages.rebuild(out, rows, current)
    except RuntimeError as exc:
        return [f"feedback pages were not rebuilt ({str(exc).splitlines()[0]}): run `ps1 feedback {out}`"]
    return []


def _stop(pool, scratch: str) -> None:
    if pool is not None:
        pool.close()
    shutil.rmtree(scratch_root(scratch), ignore_errors=True)


def _grade_all(run_: Run, todo: list, pool) -> float:
    """Validate every zip, send the good ones to the pool, record each result as it arrives."""
    start = time.monotonic()
    due_at, quiet = run_.request.due, run_.request.quiet
    checks = (
        list(run_.request.problem_set.autograded),
        cd.all_cell_ids(run_.course),
    )
    jobs, pending = [], {}
    for cand, older in todo:
        waiting = Pending(cand, _entry(cand), older)
        try:
            job, warns = make_job(run_.course, cand, checks, scratch=run_.scratch)
        except SubmissionError as exc:
            _commit(run_, waiting, record_invalid(run_, waiting, exc))
            continue
        waiting.entry.messages += warns
        jobs.append(job)
        pending[cand.student] = waiting
    if not jobs:
        return time.monotonic() - start
    if not quiet:
        secure = run_.request.secure
        print(f"grading {len(jobs)} notebook(s) {pool.description}; {sandbox_line(secure)}", flush=True)
    template = make_template(cd.template_files(run_.course, due_at), run_.request.secure)
    extended = extensions.load(run_.out, due_at)
    jobs = [replace(job, page=_page_context(pending[job.student], due_at, extended)) for job in jobs]
    preload = Beside(report.preload)  # the report's matplotlib, beside the last notebooks
    bar = tqdm(total=len(jobs), desc="grading", unit="notebook", disable=quiet, file=sys.stderr)
    with preload, bar:
        for done, (job, outcome) in enumerate(pool.run(jobs, template), 1):
            waiting = pending.pop(job.student)
            _commit(run_, waiting, record(run_, waiting, job, outcome=outcome))
            bar.update()
            if 0 < len(jobs) - done < pool.workers:  # fewer notebooks left than workers: a core is idle
                preload.start()
    return time.monotonic() - start


def _page_context(pending: Pending, due_at: datetime, extended: dict) -> PageContext:
    """What the worker needs to put this student's final summary on the page it makes."""
    return PageContext(
        pending.cand.submitted.isoformat(),
        list(pending.entry.messages),
        _older_notes(pending.older),
        due_at,
        extended.get(pending.cand.student),
    )


def sandbox_line(secure: bool) -> str:
    """What confines the kernels, as the command prints it (the fallback is loud)."""
    if not secure:
        return "WARNING: sandbox and outside checks switched off"
    if sandbox_mode() == "bwrap":
        return "sandbox: bwrap (no network, no course files, memory/CPU/process limits) + outside checks"
    return f"WARNING: SANDBOX DISABLED ({sandbox_warning()}): kernels run with rlimits only + outside checks"


def _print_summary(out: Path, rows, notes, *, todo, by_student, elapsed: float) -> None:
    for note in notes:
        print("note:", note)
    print(report.table(rows))
    print(
        f"graded {len(todo)} of {sum(map(len, by_student.values()))} zip(s) "
        f"({len(by_student)} students) in {elapsed:.1f} s; {len(by_student) - len(todo)} unchanged"
    )
    where = GradingFolder(out)
    print(f"grades: {where.grades_csv}  report: {where.report_png}  feedback: {where.course.feedback_dir}")
    if cd.given_db_line(where.course.root):
        print(cd.given_db_line(where.course.root))
