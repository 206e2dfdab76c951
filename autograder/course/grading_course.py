"""The grading course `<out>/course`: a copy of the source notebook and config; nbgrader's API on it.

Nothing here writes to the repository's nbgrader_course/ or a gradebook there: every path is under
`<out>/course` (or `<out>/.template`, the workers' course).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from sqlalchemy.engine import make_url
from traitlets.config import Config

from autograder.course.grading_folder import LAYOUT, is_older, write_marker
from autograder.course.layout import (
    CONFIG_FILE,
    GRADEBOOK_FILE,
    Course,
    GradingFolder,
    nbgrader_api,
    nbgrader_config,
    nbgrader_setup,
)
from autograder.machine_cache import cache_dir
from autograder.nbgrader_ext import checks_module
from autograder.nbgrader_ext.feedback_math import install_mathjax
from autograder.problem_set import SPEC_FILE, ProblemSet, load, select
from autograder.replace_file import replacing
from autograder.repository import course_dir

DEFAULT_DB = GRADEBOOK_FILE

# Appended to the copied nbgrader_config.py of the grading course and of the workers' template.
GRADING_CONFIG = """
# --- added by `python -m autograder grade` for this grading course ---
c.AssignLatePenalties.plugin_class = "autograder.nbgrader_ext.late_policy.PercentPerDayLatePenalty"
c.PercentPerDayLatePenalty.percent_per_day = {percent!r}
c.PercentPerDayLatePenalty.max_days = {max_days!r}
c.PercentPerDayLatePenalty.grace_minutes = {grace!r}
# Deleted graded cells are restored by autograder.grading.collect.restore_missing_cells before autograde:
# OverwriteCells.add_missing_cells raises KeyError in nbgrader 0.9.6 when a read-only cell precedes.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.nbgrader_ext.feedback.HideHiddenTests",
    "autograder.nbgrader_ext.feedback.GradeSummary",
    "autograder.nbgrader_ext.feedback.RubricItems",
]
c.GenerateFeedback.exporter_class = "autograder.nbgrader_ext.feedback_html.FeedbackHTMLExporter"
from autograder.nbgrader_ext.feedback_math import configure_feedback_math

configure_feedback_math(c)  # feedback pages load MathJax from feedback/.mathjax: math typeset offline
"""

# Untrusted code: every kernel in the sandbox (bwrap here; a loud rlimits-only fallback where bwrap
# cannot run) and every question's decisive check computed outside the kernel. An exception here
# must not be swallowed: workers load this file with PyFileConfigLoader, which raises.
SECURE_CONFIG = """
from autograder.nbgrader_ext.sandbox import configure_nbgrader
from autograder.nbgrader_ext.checks import configure_outside_checks
from autograder.nbgrader_ext.output_cap import configure_output_cap

configure_nbgrader(c, mode="auto")
configure_outside_checks(c)  # after configure_nbgrader: wraps SandboxedExecute
configure_output_cap(c)  # nbgrader's LimitOutput counts lines, not characters
"""

# The problem set's own outside checks (its spec's `checks`, copied with the source folder): found from
# this file's own place, as CLASS_CONFIG finds the gradebook, and never copied into a student's folder.
CHECKS_CONFIG = """
import json as _json
import os as _os

c.AppendProbe.checks_module = {module}
c.AppendProbe.references = _json.loads({references!r})
c.CourseDirectory.ignore.append({name!r})  # nbgrader copies the rest of source/<id>/ to each student
"""

# Only in the class course (formgrader, export): workers never get the gradebook's URL. Both paths
# are found from this file's own place, so a copied or moved grading folder uses its own gradebook;
# a --db URL (a server database) stays as given.
CLASS_CONFIG = """
import os as _os

c.CourseDirectory.root = _os.path.dirname(_os.path.abspath(__file__))
c.CourseDirectory.db_url = {db!r} or "sqlite:///" + _os.path.join(c.CourseDirectory.root, {gradebook!r})
"""


def staff_files(source_dir: Path) -> set[Path]:
    """The spec and rubric files of every problem set under `source_dir` (itself one, or source/)."""
    specs = sorted(source_dir.rglob(SPEC_FILE))
    rubrics = {spec.parent / name for spec in specs if (name := load(spec.parent).rubric_name)}
    return set(specs) | rubrics


def source_digest(source_dir: Path) -> str:
    """Hash of every file of the source assignment folder, the outside checks' module included (changes
    force a regrade), except the spec and the rubric: a changed deadline or rubric re-scores what was
    graded, and regrades nothing."""
    h = hashlib.sha256()
    skipped = staff_files(source_dir)
    for path in sorted(p for p in source_dir.rglob("*") if p.is_file() and p not in skipped):
        if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
            continue
        h.update(path.relative_to(source_dir).as_posix().encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _copy_source(course: Path, source: Path | None) -> None:
    """Copy the source assignment (default: the course's only one) and its nbgrader_config.py.

    The spec goes with it (a course knows its problem set from its own source/), the rubric does not."""
    source = source if source is not None else default_source()
    target = Course(course)
    # The outside checks' module is copied: every job loads it from its own course (CHECKS_CONFIG).
    rubric = load(source).rubric_name
    skipped = [name for name in (rubric, "__pycache__", ".ipynb_checkpoints") if name]
    shutil.copytree(
        source, target.sources / source.name, dirs_exist_ok=True, ignore=shutil.ignore_patterns(*skipped)
    )
    cfg = source.parent.parent / CONFIG_FILE  # the nbgrader course folder holding source/<id>/
    if cfg.exists() and cfg.resolve() != target.config_file.resolve():
        shutil.copy(cfg, target.config_file)


def default_db_url(course: Path) -> str:
    """The class gradebook when no --db is given: SQLite in the course folder."""
    return Course(Path(course).resolve()).sqlite_url


def _stamp(course: Path) -> dict:
    stamp = Course(Path(course)).digest_file
    return json.loads(stamp.read_text()) if stamp.exists() else {}


def given_db(course: Path) -> str | None:
    """The `--db` URL the course was prepared with; None for the default, `<course>/gradebook.db`."""
    recorded = _stamp(course)
    if "db" in recorded:
        return recorded["db"]
    # Layout 1 recorded even the default as an absolute URL: a course holding its own gradebook.db
    # used the default, wherever the folder was then.
    old = recorded.get("db_url")
    return None if not old or Course(Path(course)).gradebook_file.exists() else old


def source_dir(course: Path) -> Path:
    """The source assignment folder the course was prepared from (`--source`, else the repository's
    folder of the course's problem set)."""
    given = _stamp(course).get("source")
    return Path(given) if given else course_dir() / "source" / Course(Path(course)).problem_set.id


def default_source() -> Path:
    """The repository course's only problem set folder (InputError when there are several)."""
    return select(course_dir()).folder


def given_db_line(course: Path) -> str | None:
    """The line every command that writes grades prints when they go to a `--db` database (password
    hidden); None for the course's own SQLite gradebook."""
    given = given_db(course)
    if given is None:
        return None
    return f"gradebook: {make_url(given).render_as_string(hide_password=True)} (the --db of this folder)"


def db_url(course: Path) -> str:
    """The class gradebook's SQLAlchemy URL: the `--db` given to `prepare`, else the course's own."""
    return given_db(course) or default_db_url(course)


def grading_config(secure: bool, problem_set: ProblemSet) -> str:
    """The config lines shared by the class course and the workers' template."""
    late = problem_set.late
    text = GRADING_CONFIG.format(
        percent=late.percent_per_day, max_days=late.max_days, grace=float(late.grace_minutes)
    )
    return text + (SECURE_CONFIG if secure else "") + checks_config(problem_set)


def checks_config(problem_set: ProblemSet) -> str:
    """The lines naming the problem set's outside checks, by a path relative to the config file."""
    if problem_set.checks_name is None:
        return "\nc.AppendProbe.checks_module = ''  # this problem set has no outside checks\n"
    parts = ", ".join(repr(p) for p in ("source", problem_set.id, problem_set.checks_name))
    module = f"_os.path.join(_os.path.dirname(_os.path.abspath(__file__)), {parts})"
    references = json.dumps(problem_set.references, sort_keys=True)
    return CHECKS_CONFIG.format(module=module, references=references, name=problem_set.checks_name)


def _check_checks(course: Path) -> None:
    """Load the course's copy of the outside checks once: a broken module is one InputError, not a
    failed autograde per student."""
    problem_set = Course(course).problem_set
    if problem_set.checks_name is not None:
        module = Course(course).source_dir / problem_set.checks_name
        checks_module.check(module, problem_set.references)


def _base_config(course: Path) -> str:
    cfg = Course(course).config_file
    base = cfg.read_text() if cfg.exists() else "c = get_config()  # noqa: F821\n"
    return base if "get_config()" in base else "c = get_config()  # noqa: F821\n" + base


def _generate(course: Path) -> None:
    result = api(course).generate_assignment(Course(course).problem_set.id, force=True, create=True)
    if not result["success"]:
        raise RuntimeError(
            "nbgrader generate_assignment failed:\n" + result.get("log", "") + result.get("error", "")
        )


def prepare(
    course: Path,
    source: Path | None = None,
    db: str | None = None,
    *,
    secure: bool = True,
    mathjax: bool = True,
    rebuild: bool = False,
) -> str:
    """(Re)build `course` when the source notebook, the gradebook URL, `secure` or the folder's layout
    changed, or with `rebuild`.

    Returns the source digest. `db` is the class gradebook's SQLAlchemy URL (default SQLite in
    `course`); `secure` puts the sandbox and the outside checks in the course's config; `mathjax=False`
    leaves copying MathJax into `feedback/` to the caller (`install_mathjax`).
    """
    course = Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    where = Course(course)
    if mathjax:
        install_mathjax(where.feedback_dir)  # what the feedback pages typeset their math with
    src_dir = source if source is not None else default_source()
    digest = source_digest(src_dir)
    url = db or default_db_url(course)
    given_source = str(Path(source).resolve()) if source is not None else None
    wanted = {"digest": digest, "db": db, "secure": secure, "layout": LAYOUT, "source": given_source}
    if not rebuild and _stamp(course) == wanted:
        return digest
    shutil.rmtree(where.sources, ignore_errors=True)
    shutil.rmtree(where.releases, ignore_errors=True)
    where.config_file.unlink(missing_ok=True)
    _copy_source(course, source)
    if secure:
        _check_checks(course)
    base = _base_config(course)
    where.config_file.write_text(
        base + grading_config(secure, where.problem_set) + CLASS_CONFIG.format(db=db, gradebook=DEFAULT_DB)
    )
    tpl = Course(_build_template_course(course, base, secure))
    fresh = url == default_db_url(course) and not where.gradebook_file.exists()
    if fresh:
        # Same source, same config: the class gradebook would be the template's. Copying it saves a
        # generate_assignment and the fresh database's migration.
        with replacing(where.gradebook_file) as partial:  # a run killed mid-copy leaves no half database
            shutil.copyfile(tpl.gradebook_file, partial)
        shutil.copytree(tpl.releases, where.releases)
    else:
        _generate(course)
    where.digest_file.write_text(json.dumps(wanted))
    return digest


def upgrade(out: Path) -> bool:
    """Bring grading folder `out` to today's layout if an older version made it: its course's
    configuration and templates rebuilt (the gradebook, and so every grade, kept). True if it did."""
    out = Path(out).resolve()
    if not is_older(out):
        return False
    course = GradingFolder(out).course.root
    recorded = _stamp(course)
    source = Path(recorded["source"]) if recorded.get("source") else None
    prepare(course, source, given_db(course), secure=recorded.get("secure", True), rebuild=True)
    write_marker(out)
    return True


def upgrade_note(out: Path) -> str:
    """The line every command prints when it brought `out` up to date (`upgrade`, or `grade`)."""
    return f"note: {out} was made by an older version: its configuration was rebuilt, grades kept"


def template_dir(course: Path) -> Path:
    """The workers' template course, next to the class course (never sent as a path)."""
    return GradingFolder(Path(course).resolve().parent).template.root


def _build_template_course(course: Path, base_config: str, secure: bool) -> Path:
    """A second course with its own SQLite gradebook, made by generate_assignment: no submission,
    no student and no URL of the class gradebook ever reach a worker."""
    tpl = template_dir(course)
    shutil.rmtree(tpl, ignore_errors=True)
    tpl.mkdir(parents=True)
    shutil.copytree(Course(course).sources, Course(tpl).sources)
    Course(tpl).config_file.write_text(base_config + grading_config(secure, Course(tpl).problem_set))
    key = generated_key(tpl)
    if not _copy_generated(template_cache() / key, tpl):
        _generate(tpl)
        _keep_generated(tpl, key)
    return tpl


# generate_assignment's output (the release notebook and a fresh gradebook) depends only on the
# source folder, the config and nbgrader's version, and is part of every new grading folder's start
# (benchmarks/README.md). So it is kept in the machine's cache, itself laid out as a course, and
# copied; anything wrong with the cache means generating.


def template_cache() -> Path:
    """Where the outputs of generate_assignment are kept, one folder per `generated_key`."""
    return cache_dir() / "generated-assignments"


def generated_key(tpl: Path) -> str:
    """What generate_assignment's output depends on: source files, config text, package versions."""
    h = hashlib.sha256(source_digest(Course(tpl).sources).encode())
    h.update(Course(tpl).config_file.read_bytes())
    for package in ("nbgrader", "nbformat", "nbconvert", "sqlalchemy"):
        h.update(f"|{package}={importlib.metadata.version(package)}".encode())
    return h.hexdigest()[:32]


def _copy_generated(kept: Path, tpl: Path) -> bool:
    """Copy a kept output into `tpl`; False (and nothing copied) if there is none or it is unreadable."""
    kept, tpl = Course(kept), Course(tpl)
    if not (kept.gradebook_file.exists() and kept.releases.exists()):
        return False
    try:
        shutil.copyfile(kept.gradebook_file, tpl.gradebook_file)
        shutil.copytree(kept.releases, tpl.releases)
    except OSError:
        tpl.gradebook_file.unlink(missing_ok=True)
        shutil.rmtree(tpl.releases, ignore_errors=True)
        return False
    return True


def _keep_generated(tpl: Path, key: str) -> None:
    """Put `tpl`'s fresh output in the cache, whole or not at all (a read-only home is no error)."""
    kept = template_cache() / key
    partial = kept.with_name(f"{key}.partial-{os.getpid()}")
    try:
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        shutil.copyfile(Course(tpl).gradebook_file, Course(partial).gradebook_file)
        shutil.copytree(Course(tpl).releases, Course(partial).releases)
        partial.rename(kept)  # atomic; fails if another run kept the same output first
    except OSError:
        shutil.rmtree(partial, ignore_errors=True)


def template_files(course: Path, due: datetime) -> dict[str, bytes]:
    """The template's files as bytes, its gradebook carrying this run's deadline (late penalties)."""
    tpl = Course(template_dir(course))
    nbgrader_setup()
    with Gradebook(tpl.sqlite_url) as gb:
        gb.update_or_create_assignment(tpl.problem_set.id, duedate=due.astimezone(UTC).replace(tzinfo=None))
    wanted = [tpl.config_file, tpl.gradebook_file, *sorted(tpl.sources.rglob("*"))]
    files = {}
    for path in wanted:
        if path.is_file() and "__pycache__" not in path.parts and ".ipynb_checkpoints" not in path.parts:
            files[path.relative_to(tpl.root).as_posix()] = path.read_bytes()
    return files


def api(course: Path, extra: Config | None = None) -> NbGraderAPI:
    """nbgrader's API on a course folder, configured by its nbgrader_config.py and then `extra`."""
    cfg = nbgrader_config(Course(Path(course)))
    if extra is not None:
        cfg.merge(extra)
    return nbgrader_api(cfg)


def gradebook(course: Path) -> Gradebook:
    """An open-able Gradebook on the class gradebook of the grading course (`--db` or SQLite)."""
    nbgrader_setup()
    return Gradebook(db_url(course))


def all_cell_ids(course: Path) -> list[str]:
    """grade_ids of every nbgrader cell of the source notebook."""
    nb = json.loads(Course(Path(course)).source_notebook.read_text())
    ids = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade_id") and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
            ids.append(meta["grade_id"])
    return ids
