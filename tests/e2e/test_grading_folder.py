"""A grading folder copied, moved, backed up, restored or made by an older version, with the commands
run as subprocesses; and every command held to the exit-status table of docs/instructor.md."""

from __future__ import annotations

import ast
import csv
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import threading
import urllib.request
from pathlib import Path

import pytest
from conftest import copy_examples
from helpers.commands import PS1, refused, run_ps1
from helpers.ps1 import EXAMPLES_DIR, NOTEBOOK, RELEASE_NOTEBOOK, REPO_DIR, SOLUTION_NOTEBOOK

from autograder.__main__ import COMMANDS
from autograder.course.grading_folder import LAYOUT, layout
from autograder.course.layout import GradingFolder

pytestmark = pytest.mark.slow

STUDENTS = ["AdaLovelace", "GraceHopper"]
EXTENDED = "KurtGodel"  # 5 started days late, 3 with the examples' extensions.csv (too late without)
SHEET = "student,question,points,comment\nAdaLovelace,p1a_written,7,Copy of the folder.\n"
# The same 7 points by a rubric item: the page then lists the item, if the course's config says so.
ITEMS_SHEET = "student,question,items\nAdaLovelace,p1a_written,no_sweep\n"
ITEM_TEXT = "The order of the sweep is not traced"
LOCAL_MATHJAX = re.compile(r'src="[./]*\.mathjax/MathJax\.js')  # the copy beside the pages
GUIDE = REPO_DIR / "docs" / "instructor.md"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open() as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


def page(out: Path, student: str) -> str:
    return GradingFolder(out).course.feedback_page(student).read_text()


def served(out: Path) -> tuple[list[str], int]:
    """`ps1 written OUT` started, asked for its page once, then stopped with Ctrl-C (SIGINT): the
    lines it printed up to the page's address, and its exit status."""
    proc = subprocess.Popen(
        [str(PS1), "written", str(out)],
        cwd=REPO_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(300, proc.kill)  # a server that never prints its address fails, not hangs
    watchdog.start()
    lines: list[str] = []
    try:
        for line in proc.stdout:  # ends early if the command exits instead of serving
            lines.append(line.rstrip("\n"))
            if line.startswith("grading page: "):
                # Answered only once the server's loop runs, so Ctrl-C then finds it running.
                with urllib.request.urlopen(line.split(": ", 1)[1].strip(), timeout=60) as response:
                    assert response.status == 200
                break
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        watchdog.cancel()
    assert lines and lines[-1].startswith("grading page: "), (lines, proc.stderr.read())
    return lines, proc.returncode


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder graded once by `ps1 grade`, with the examples' extensions.csv: read-only for the
    tests (they copy it). Its zips are in the folder beside it, `zips/`."""
    root = tmp_path_factory.mktemp("folder")
    zips = copy_examples(root / "zips", [*STUDENTS, EXTENDED])
    times, extensions = zips / "times.csv", EXAMPLES_DIR / "extensions.csv"
    out = root / "grading"
    ok(run_ps1("grade", zips, "--times", times, "--extensions", extensions, "--out", out, "--workers", "1"))
    return out


def test_a_copy_writes_its_own_gradebook_never_the_original(graded: Path, tmp_path: Path) -> None:
    original = graded / "course" / "gradebook.db"
    before = digest(original)
    copy = tmp_path / "laptop" / "grading"
    shutil.copytree(graded, copy)
    (tmp_path / "sheet.csv").write_text(SHEET)
    said = ok(run_ps1("manual", copy, tmp_path / "sheet.csv"))
    assert digest(original) == before
    assert digest(copy / "course" / "gradebook.db") != before
    assert grades(copy)["AdaLovelace"]["p1a_written"] == "7"
    assert grades(graded)["AdaLovelace"]["p1a_written"] == ""
    assert "gradebook:" not in said  # the folder's own SQLite file: nothing to point out


def test_a_moved_folder_works_where_it_now_is(graded: Path, tmp_path: Path) -> None:
    first = tmp_path / "grading"
    shutil.copytree(graded, first)
    moved = tmp_path / "archive" / "grading-moved"
    moved.parent.mkdir()
    first.rename(moved)
    ok(run_ps1("export", moved))
    assert grades(moved) == grades(graded)


def test_a_folder_restored_from_a_tar_elsewhere_works(graded: Path, tmp_path: Path) -> None:
    with tarfile.open(tmp_path / "grading.tgz", "w:gz") as tar:
        tar.add(graded, arcname="grading")
    elsewhere = tmp_path / "restored"
    with tarfile.open(tmp_path / "grading.tgz") as tar:
        tar.extractall(elsewhere, filter="data")
    (tmp_path / "sheet.csv").write_text(SHEET)
    ok(run_ps1("manual", elsewhere / "grading", tmp_path / "sheet.csv"))
    assert grades(elsewhere / "grading")["AdaLovelace"]["p1a_written"] == "7"


def backed_up(guide: str) -> list[str]:
    """The files the guide's **Back up** paragraph names, relative to the grading folder."""
    paragraph = guide.split("**Back up**", 1)[1].split("**Restore**", 1)[0]
    return [name.rstrip("/") for name in re.findall(r"\bgrading/(\S+)", paragraph)]


def test_back_up_and_restore_the_files_the_instructor_guide_names(graded: Path, tmp_path: Path) -> None:
    """docs/instructor.md: keep exactly the files it names, restore them into a new folder, run the
    two commands it gives (`grade` without --extensions: the restored extensions.csv is used)."""
    names = backed_up(GUIDE.read_text())
    wanted = ["course/gradebook.db", "state.json", "extensions.csv", "course/submitted"]  # issue 21
    assert set(wanted) <= set(names), names
    zips = copy_examples(tmp_path / "zips", [*STUDENTS, EXTENDED])
    backup, restored = tmp_path / "backup", tmp_path / "new" / "grading"
    for name in names:
        source, kept = graded / name, backup / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, kept)
    shutil.copytree(backup, restored)
    said = ok(run_ps1("grade", zips, "--times", zips / "times.csv", "--out", restored))
    assert "graded 0 of 3 zip(s)" in said
    ok(run_ps1("feedback", restored))
    assert grades(restored) == grades(graded)
    kurt = grades(restored)[EXTENDED]
    assert (kurt["status"], kurt["late_days"]) == ("late", "3"), kurt  # 5 days and too late without it
    assert kurt["message"].startswith("extension of 2 day(s), medical note")
    assert "late days: 3" in page(restored, EXTENDED)
    assert "Final score" in page(restored, "AdaLovelace")


def test_a_grading_folder_is_refused_as_the_folder_of_zips(graded: Path, tmp_path: Path) -> None:
    refused(run_ps1("grade", graded, "--out", tmp_path / "again"), str(graded), "is a grading folder")
    refused(run_ps1("grade", graded / "course", "--out", tmp_path / "again"), "inside the grading folder")
    assert not (tmp_path / "again").exists()


def test_an_output_inside_the_input_or_inside_a_grading_folder_is_refused(
    graded: Path, tmp_path: Path
) -> None:
    zips = copy_examples(tmp_path / "zips", STUDENTS[:1])
    refused(run_ps1("grade", zips, "--out", zips / "grading"), "inside the folder of zips")
    refused(run_ps1("grade", zips, "--out", graded / "course" / "nested"), "inside the grading folder")
    assert not (zips / "grading").exists() and not (graded / "course" / "nested").exists()


def test_a_busy_folder_is_refused_with_its_holder(graded: Path, tmp_path: Path) -> None:
    copy = tmp_path / "grading"
    shutil.copytree(graded, copy)
    hold = "import sys, time\nfrom autograder.course.run_lock import run_lock\n"
    hold += "with run_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(120)\n"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(copy)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        zips = graded.parent / "zips"
        (tmp_path / "sheet.csv").write_text(SHEET)
        runs = {
            "grade": [zips, "--times", zips / "times.csv", "--out", copy],
            "manual": [copy, tmp_path / "sheet.csv"],
            "written": [copy],
            "feedback": [copy],
            "export": [copy],
        }
        for command, args in runs.items():
            line = refused(
                run_ps1(command, *args), "in use by another run", f"pid {holder.pid} on ", "since 20"
            )
            assert "delete" in line
    finally:
        holder.kill()
        holder.wait()
    said = ok(run_ps1("feedback", copy))
    assert f"took over the lock of a run that ended without releasing it (pid {holder.pid} " in said


# Folders of older layouts, made by the version of git history that made them: 5aac835 is the last
# before the marker, the feedback summary and offline math (layout 1: the gradebook stored as an
# absolute URL; its notebook loads the digits with scikit-learn, a dev pin); 07c4b0a is the last of
# layout 2 (no rubric items on the pages), the previous release's. Today's first command on each
# brings it up to date; for layout 2 that is `grade` itself, regrading nobody.
OLD_VERSIONS = [
    pytest.param("5aac835", 1, "manual", id="layout1-5aac835"),
    pytest.param("07c4b0a", 2, "grade", id="layout2-07c4b0a"),
]


def old_folder(version: str, tmp_path: Path) -> tuple[Path, Path]:
    """The tree of `version` (git history) grades two of its own example zips with its own code, on
    this environment; returns (the grading folder, the folder of zips)."""
    tree = tmp_path / "old"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", version], cwd=REPO_DIR, capture_output=True)
    if archive.returncode != 0:
        pytest.fail(f"git history without {version} (a shallow clone?): {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    zips = tmp_path / "zips"
    zips.mkdir()
    for name in [*(f"PS1_{s}.zip" for s in STUDENTS), "times.csv"]:
        shutil.copy(tree / "nbgrader_course" / "examples" / name, zips)
    out = tmp_path / "grading"
    # Without the sandbox: the kernel of the old tree would import this environment's edf.py, outside
    # what its sandbox binds. The layout of the folder is the same either way.
    old = [sys.executable, "-m", "autograder", "grade", zips, "--times", zips / "times.csv", "--out", out]
    ok(
        subprocess.run(
            [*map(str, old), "--workers", "1", "--no-sandbox-and-checks"],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            capture_output=True,
            text=True,
            timeout=900,
        )
    )
    return out, zips


@pytest.mark.parametrize(("version", "old_layout", "first"), OLD_VERSIONS)
def test_a_folder_made_by_an_older_version_is_brought_up_to_date(
    version: str, old_layout: int, first: str, tmp_path: Path
) -> None:
    """Today's `similarity` (on a copy) and `first` each say they upgraded the folder; the grades stay,
    a rubric item imported after shows on the page (today's configuration), with the summary block
    and offline math; later commands say nothing more."""
    out, zips = old_folder(version, tmp_path)
    assert layout(out) == old_layout
    before = grades(out)
    old_page = page(out, "AdaLovelace")
    assert before["AdaLovelace"]["raw_score"] == "65", before
    copy = shutil.copytree(out, tmp_path / "copy")
    assert f"note: {copy} was made by an older version" in ok(run_ps1("similarity", copy))
    assert layout(copy) == LAYOUT and (copy / "similarity" / "pairs.csv").is_file()

    (tmp_path / "sheet.csv").write_text(ITEMS_SHEET)
    manual = ["manual", out, tmp_path / "sheet.csv"]
    grade = ["grade", zips, "--times", zips / "times.csv", "--out", out, "--workers", "1"]
    said = ok(run_ps1(*(manual if first == "manual" else [*grade, "--no-sandbox-and-checks"])))
    assert f"note: {out} was made by an older version: its configuration was rebuilt, grades kept" in said
    assert layout(out) == LAYOUT
    if first == "grade":
        # The outside checks moved into the problem set's folder, whose files make the grading key: a
        # folder from before regrades once, and every grade comes out as the old version gave it.
        assert "graded 2 of 2 zip(s)" in said
        kept = {s: {column: row[column] for column in before[s]} for s, row in grades(out).items()}
        assert kept == before  # every old column as it was (today's grades.csv adds the rubric columns)
        assert "older version" not in ok(run_ps1(*manual))
    after = grades(out)
    assert after["AdaLovelace"]["p1a_written"] == "7"
    assert {s: r["raw_score"] for s, r in after.items()} == {
        "AdaLovelace": "72",
        "GraceHopper": before["GraceHopper"]["raw_score"],
    }
    assert after["GraceHopper"]["score"] == before["GraceHopper"]["score"]
    ada = page(out, "AdaLovelace")
    assert "Final score: 72" in ada and ITEM_TEXT in ada and LOCAL_MATHJAX.search(ada)
    assert ITEM_TEXT not in old_page
    if old_layout == 1:
        assert "Final score" not in old_page and not LOCAL_MATHJAX.search(old_page)
    assert "older version" not in ok(run_ps1("export", out))


def test_every_command_that_writes_a_given_db_names_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A --db URL (a server's database; SQLite under /tmp here) stays as given, in a copy of the folder
    too, and grade, manual, written, feedback and export each print it."""
    root = tmp_path_factory.mktemp("server-db")
    (root / "server").mkdir()
    url = f"sqlite:///{root / 'server' / 'class.db'}"
    assert url.startswith("sqlite:////")
    line = f"gradebook: {url} (the --db of this folder)"
    zips = copy_examples(root / "zips", STUDENTS[:1])
    out = root / "grading"
    said = ok(
        run_ps1("grade", zips, "--times", zips / "times.csv", "--out", out, "--db", url, "--workers", "1")
    )
    assert line in said.splitlines()
    assert not GradingFolder(out).course.gradebook_file.exists()
    copy = shutil.copytree(out, root / "laptop" / "grading")
    (root / "sheet.csv").write_text(SHEET)
    assert line in ok(run_ps1("manual", copy, root / "sheet.csv")).splitlines()
    for command in ("feedback", "export"):
        assert line in ok(run_ps1(command, out)).splitlines(), command
    assert grades(out)["AdaLovelace"]["p1a_written"] == "7"  # the copy wrote the server's gradebook
    lines, status = served(out)
    assert line in lines and status == 0, lines


# ------------------------------------------------------------------ the exit-status table


def status_table() -> dict[int, set[str]]:
    """status -> the commands docs/instructor.md's table gives it ('all' spelt out)."""
    table = GUIDE.read_text().split("## Exit status", 1)[1].split("\n## ", 1)[0]
    rows = {int(m[1]): m[2] for m in re.finditer(r"^\| (\d) \| .+? \| (.+?) \|$", table, re.M)}
    return {
        status: set(COMMANDS) if cell == "all" else set(cell.split(", ")) for status, cell in rows.items()
    }


def literal_statuses(module: Path) -> set[int]:
    """Every whole number a function of `module` returns as a literal (`return 1`, `... else 1`)."""
    returns = [node for node in ast.walk(ast.parse(module.read_text())) if isinstance(node, ast.Return)]
    return {
        c.value
        for node in returns
        for c in ast.walk(node)
        if isinstance(c, ast.Constant) and type(c.value) is int
    }


def test_the_table_names_every_status_and_status_1_is_exactly_where_the_code_returns_it() -> None:
    table = status_table()
    assert sorted(table) == [0, 1, 2]
    assert table[0] == table[2] == set(COMMANDS)
    cli = REPO_DIR / "autograder" / "cli"
    modules = {command: [cli / f"{command}.py"] for command in COMMANDS}
    modules["submit"].append(REPO_DIR / "autograder" / "student" / "command.py")  # submit's own main
    returned = {command: set().union(*map(literal_statuses, paths)) for command, paths in modules.items()}
    assert all(found <= {0, 1, 2} for found in returned.values()), returned
    assert {command for command, found in returned.items() if 1 in found} == table[1]


def canvas_roster(path: Path, students: list[str]) -> Path:
    """A Canvas gradebook export naming only `students` ("Last, First"), with a PS1 column."""
    rows = ["Student,ID,SIS User ID,SIS Login ID,Section,PS1 (4711)"]
    for i, student in enumerate(students):
        first, last = re.findall(r"[A-Z][a-z]*", student)[:2]
        rows.append(f'"{last}, {first}",{100 + i},U{i},p{i},Section 1,')
    path.write_text("\n".join(rows) + "\n")
    return path


def exit_cases(command: str, graded: Path, tmp: Path) -> list[tuple[int, list]]:
    """(status the table gives, arguments) of runs of `command`: each a real success where one is
    cheap, and bad input. Not run: `release` itself (it rewrites the repository's notebooks/, which
    test_release.py compares with a fresh generation) and `demo` itself (a minute of grading; its
    status 1 needs examples graded wrongly): `--help` is their 0."""
    out = shutil.copytree(graded, tmp / "grading")
    zips = graded.parent / "zips"
    never = tmp / "never-graded"
    never.mkdir()
    (tmp / "sheet.csv").write_text(SHEET)
    absent, a_file = tmp / "absent.csv", tmp / "a-file"
    a_file.write_text("not a folder\n")
    student = tmp / "student"
    student.mkdir()
    shutil.copy(SOLUTION_NOTEBOOK, student / NOTEBOOK)  # run, with every answer
    shutil.copy(RELEASE_NOTEBOOK.parent / "digits.npz", student)  # Problem 3's data, beside it
    roster = canvas_roster(tmp / "roster.csv", STUDENTS)  # KurtGodel graded, not in it
    cases = {
        "release": [(0, ["--help"])],
        "examples": [(0, ["--out", tmp / "examples"]), (2, ["--source", never])],
        "demo": [(0, ["--help"])],
        "grade": [
            (0, [zips, "--times", zips / "times.csv", "--out", out, "--workers", "1"]),
            (2, [never, "--out", tmp / "new"]),
        ],
        "manual": [(0, [out, tmp / "sheet.csv"]), (2, [out, absent]), (2, [never, tmp / "sheet.csv"])],
        "written": [(2, [never])],  # its 0: served() below
        "feedback": [(0, [out]), (2, [never])],
        "export": [(0, [out]), (1, [out, "--canvas", roster]), (2, [out, "--canvas", absent]), (2, [never])],
        "similarity": [(0, [out]), (2, [never])],
        "submit": [
            (0, ["--name", "Ada Lovelace", "--notebook", student / NOTEBOOK, "--out", tmp / "sent"]),
            (2, ["--name", "Ada Lovelace", "--notebook", student / "missing.ipynb", "--out", tmp / "sent"]),
        ],
        "handout": [(0, ["--out", tmp / "handout"]), (2, ["--out", a_file / "handout"])],
    }
    assert set(cases) == set(COMMANDS)
    return [(2, ["--no-such-option"]), *cases[command]]


@pytest.mark.parametrize("command", list(COMMANDS))
def test_each_command_keeps_to_its_rows_of_the_exit_status_table(
    command: str, graded: Path, tmp_path: Path
) -> None:
    """Every command gives 0 on success and 2, in one line, on bad input; `export --canvas` gives 1
    when a graded student is missing from the roster (demo's 1 is not run: see exit_cases)."""
    table = status_table()
    cases = exit_cases(command, graded, tmp_path)
    for status, args in cases:
        assert command in table[status], (command, status)
        done = run_ps1(command, *args)
        if status == 2:
            refused(done)
            continue
        assert done.returncode == status, (args, done.returncode, done.stdout[-2000:], done.stderr[-2000:])
        if status == 1:  # done, but a person must look: said in one line
            assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr, done.stderr
    if command == "written":  # a server: started, asked for its page, stopped with Ctrl-C
        assert served(tmp_path / "grading")[1] == 0
        cases.append((0, []))
    statuses = {status for status, _ in cases}
    assert {0, 2} <= statuses and (1 in statuses or command not in table[1] or command == "demo")
