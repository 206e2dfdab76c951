"""Where everything of a grading folder lives, and the one way to open nbgrader's API on a course.

A grading folder (`ps1 grade --out OUT`):

    OUT/
      .grading-folder.json   the marker (grading_folder.py)      .lock        the run lock (run_lock.py)
      state.json             each student's graded zip (state.py)
      grades.csv  report.png  extensions.csv  canvas_import.csv  canvas_unmatched.csv
      similarity/            `ps1 similarity`'s pages and pairs.csv
      canvas-download/       Canvas's submissions archive, unpacked (when `grade` was given the archive)
      .template/             the workers' course: a `Course` with its own gradebook, no student
      course/                the class course, nbgrader's course root: a `Course`

A course (the class course, the workers' template and each job's private course alike):

    nbgrader_config.py  gradebook.db  source_digest.json  exchange/ (unused; nbgrader wants one)
    rubric.toml                          the rubric last read (a copy of the one beside the source)
    kernel_reports.jsonl                 in a grading job's private course: why each kernel ended
    source/<id>/<notebook> (+ problem_set.toml)   release/<id>/<notebook>   (ps1 and PS1.ipynb for PS1)
    submitted/<student>/<id>/<notebook> + timestamp.txt
    autograded/<student>/<id>/<notebook> (+ autograde.log when it failed)
    feedback/<student>/<id>/<notebook id>.html     feedback/.mathjax/ (what the pages typeset with)

Every module that reads or writes one of these paths asks this module for it.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbgrader.api
from alembic.script import ScriptDirectory
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.dbutil import ALEMBIC_DIR
from nbgrader.utils import parse_utc
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder import problem_set
from autograder.problem_set import SPEC_FILE, ProblemSet
from autograder.repository import GRADEBOOK_FILE, course_dir

CONFIG_FILE = "nbgrader_config.py"
TIMESTAMP_FILE = "timestamp.txt"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f UTC"  # what nbgrader's `submit` writes to timestamp.txt
STUDENT_FOLDERS = ("submitted", "autograded", "feedback")
EXTENSIONS_FILE = "extensions.csv"  # named in messages and help as well as opened
RUBRIC_COPY = "rubric.toml"  # the rubric a course last read


@dataclass(frozen=True)
class Course:
    """An nbgrader course folder holding one problem set, and the paths of that problem set in it."""

    root: Path

    @functools.cached_property
    def problem_set(self) -> ProblemSet:
        """The problem set of this course: the one folder of its source/, read from its spec. A course
        made before the spec was copied there (layout 3 and older) names the folder only: the course
        folder's problem set of that name is read, until the next command brings the course up to date."""
        folders = sorted(p for p in self.sources.glob("*") if p.is_dir())
        if len(folders) == 1 and not (folders[0] / SPEC_FILE).is_file():
            return problem_set.load(course_dir() / "source" / folders[0].name)
        return problem_set.select(self.root)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def gradebook_file(self) -> Path:
        return self.root / GRADEBOOK_FILE

    @property
    def sqlite_url(self) -> str:
        """The SQLAlchemy URL of the course's own SQLite gradebook."""
        return f"sqlite:///{self.gradebook_file}"

    @property
    def rubric_copy(self) -> Path:
        """The rubric file last read for this course (results/rubric_grades.py)."""
        return self.root / RUBRIC_COPY

    @property
    def digest_file(self) -> Path:
        return self.root / "source_digest.json"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def kernel_reports(self) -> Path:
        """In a grading job's private course: each kernel's post-mortem report, one JSON per line."""
        return self.root / "kernel_reports.jsonl"

    @property
    def sources(self) -> Path:
        """nbgrader's source/ folder (one folder per assignment)."""
        return self.root / "source"

    @property
    def releases(self) -> Path:
        """nbgrader's release/ folder (one folder per assignment)."""
        return self.root / "release"

    @property
    def source_dir(self) -> Path:
        return self.sources / self.problem_set.id

    @property
    def source_notebook(self) -> Path:
        return self.source_dir / self.problem_set.notebook

    @property
    def release_dir(self) -> Path:
        return self.releases / self.problem_set.id

    @property
    def release_notebook(self) -> Path:
        return self.release_dir / self.problem_set.notebook

    @property
    def feedback_dir(self) -> Path:
        """Every student's page, and the MathJax they load (`feedback/.mathjax`)."""
        return self.root / "feedback"

    def submitted_dir(self, student: str) -> Path:
        return self.root / "submitted" / student / self.problem_set.id

    def submitted_notebook(self, student: str) -> Path:
        return self.submitted_dir(student) / self.problem_set.notebook

    def autograded_dir(self, student: str) -> Path:
        return self.root / "autograded" / student / self.problem_set.id

    def autograded_notebook(self, student: str) -> Path:
        return self.autograded_dir(student) / self.problem_set.notebook

    def autograde_log(self, student: str) -> Path:
        return self.autograded_dir(student) / "autograde.log"

    def feedback_page(self, student: str) -> Path:
        ps = self.problem_set
        return self.feedback_dir / student / ps.id / f"{ps.notebook_id}.html"

    def write_submission(self, student: str, notebook: bytes, timestamp: str) -> None:
        """The student's notebook and its `timestamp.txt`, as nbgrader's `autograde` reads them."""
        folder = self.submitted_dir(student)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / self.problem_set.notebook).write_bytes(notebook)
        (folder / TIMESTAMP_FILE).write_text(timestamp)

    def remove_student(self, student: str) -> None:
        """The student's submitted/, autograded/ and feedback/ folders, gone."""
        for name in STUDENT_FOLDERS:
            shutil.rmtree(self.root / name / student, ignore_errors=True)


@dataclass(frozen=True)
class GradingFolder:
    """The output folder of `ps1 grade` and every file the commands keep in it."""

    out: Path

    @property
    def course(self) -> Course:
        return Course(self.out / "course")

    @property
    def template(self) -> Course:
        """The workers' course, next to the class course (never sent to a worker as a path)."""
        return Course(self.out / ".template")

    @property
    def marker(self) -> Path:
        return self.out / ".grading-folder.json"

    @property
    def lock(self) -> Path:
        return self.out / ".lock"

    @property
    def state_file(self) -> Path:
        return self.out / "state.json"

    @property
    def grades_csv(self) -> Path:
        return self.out / "grades.csv"

    @property
    def report_png(self) -> Path:
        return self.out / "report.png"

    @property
    def extensions_csv(self) -> Path:
        return self.out / EXTENSIONS_FILE

    @property
    def canvas_import(self) -> Path:
        return self.out / "canvas_import.csv"

    @property
    def canvas_unmatched(self) -> Path:
        return self.out / "canvas_unmatched.csv"

    @property
    def similarity_dir(self) -> Path:
        return self.out / "similarity"

    @property
    def canvas_download(self) -> Path:
        """Canvas's submissions archive, unpacked when `grade` was given the archive itself."""
        return self.out / "canvas-download"


def folder(out: Path | str) -> GradingFolder:
    """The grading folder at `out`, by its absolute path."""
    return GradingFolder(Path(out).resolve())


# ------------------------------------------------------------------ timestamp.txt


def nbgrader_timestamp(when: datetime) -> str:
    """`when` as nbgrader writes it to timestamp.txt ('2017-01-12 17:59:00.123456 UTC')."""
    return when.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def read_timestamp(path: Path) -> datetime:
    """A `timestamp.txt` nbgrader (or `nbgrader_timestamp`) wrote, as an aware UTC datetime."""
    try:
        when = parse_utc(path.read_text(encoding="utf-8").strip())
    except (OSError, UnicodeDecodeError, ValueError, OverflowError) as exc:
        raise ValueError(f"{path}: not a timestamp nbgrader wrote ({exc})") from None
    return when.replace(tzinfo=UTC)


# ------------------------------------------------------------------ nbgrader's config and API


def nbgrader_config(course: Course, db_url: str | None = None) -> Config:
    """The course's nbgrader_config.py with its paths set from the folder, then `db_url` if given
    (else the file's own, else the course's SQLite gradebook).

    PyFileConfigLoader raises on an error in the file: nbgrader's own loading would only log it and go
    on without, for instance, the sandbox."""
    nbgrader_setup()
    cfg = PyFileConfigLoader(CONFIG_FILE, path=str(course.root)).load_config()
    cfg.CourseDirectory.root = str(course.root)
    if db_url is not None:
        cfg.CourseDirectory.db_url = db_url
    elif "db_url" not in cfg.CourseDirectory:
        cfg.CourseDirectory.db_url = course.sqlite_url
    cfg.Exchange.root = str(course.exchange)
    course.exchange.mkdir(exist_ok=True)
    return cfg


def nbgrader_api(cfg: Config) -> NbGraderAPI:
    """nbgrader's API on the course `cfg` names (from `nbgrader_config`, maybe changed after)."""
    instance = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    instance.log.setLevel(logging.WARNING)
    return instance


def nbgrader_setup() -> None:
    """Before opening a Gradebook: this Python's bin folder on PATH, alembic's head read in-process.

    nbgrader stamps a NEW database with the output of the `alembic heads` command, a fresh Python
    process per new gradebook. Alembic's own ScriptDirectory gives the same revision without one;
    the subprocess stays the fallback should that API change (benchmarks/README.md has the cost).
    """
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    original = nbgrader.api.get_alembic_version
    if not getattr(original, "in_process", False):

        def head() -> str:
            return _alembic_head() or original()

        head.in_process = True  # type: ignore[attr-defined]
        nbgrader.api.get_alembic_version = head


def _alembic_head() -> str | None:
    try:
        return ScriptDirectory(ALEMBIC_DIR).get_current_head()
    except Exception:  # a changed alembic/nbgrader API: nbgrader's subprocess still works
        return None
