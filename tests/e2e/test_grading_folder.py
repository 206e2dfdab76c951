"""A grading folder copied, moved, backed up, restored or made by an older version, with the commands
run as subprocesses; and every command held to the exit-status table of docs/instructor.md."""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import copy_examples
from helpers.commands import refused, run_ps1
from helpers.ps1 import REPO_DIR

from autograder.__main__ import COMMANDS
from autograder.course.grading_folder import LAYOUT, layout
from autograder.course.layout import GradingFolder

pytestmark = pytest.mark.slow

STUDENTS = ["AdaLovelace", "GraceHopper"]
SHEET = "student,question,points,comment\nAdaLovelace,p1a_written,7,Copy of the folder.\n"
# The last version before the marker, the feedback summary and offline math: a folder it made stores
# its gradebook as an absolute URL. (Its own notebook loads the digits with scikit-learn, a dev pin.)
OLD_VERSION = "5aac835"
LOCAL_MATHJAX = re.compile(r'src="[./]*\.mathjax/MathJax\.js')  # the copy beside the pages


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def grades(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open() as fh:
        return {row["student"]: row for row in csv.DictReader(fh)}


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, (proc.stdout[-2000:], proc.stderr[-2000:])
    return proc.stdout


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder graded once by `ps1 grade`: read-only for the tests (they copy it)."""
    root = tmp_path_factory.mktemp("folder")
    zips = copy_examples(root / "zips", STUDENTS)
    ok(run_ps1("grade", zips, "--times", zips / "times.csv", "--out", root / "grading", "--workers", "1"))
    return root / "grading"


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


BACKUP = [
    GradingFolder(Path()).marker.name,
    "state.json",
    "course/gradebook.db",
    "course/submitted",
    "course/autograded",
]


def test_back_up_and_restore_the_files_the_instructor_guide_names(graded: Path, tmp_path: Path) -> None:
    """docs/instructor.md: keep these files, restore them into a new folder, `grade` then `feedback`."""
    guide = (REPO_DIR / "docs" / "instructor.md").read_text()
    for name in BACKUP:
        assert f"grading/{name}" in guide, name
    zips = copy_examples(tmp_path / "zips", STUDENTS)
    backup, restored = tmp_path / "backup", tmp_path / "new" / "grading"
    for name in BACKUP:
        source, kept = graded / name, backup / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, kept)
    shutil.copytree(backup, restored)
    said = ok(run_ps1("grade", zips, "--times", zips / "times.csv", "--out", restored))
    assert "graded 0 of 2 zip(s)" in said
    ok(run_ps1("feedback", restored))
    assert grades(restored) == grades(graded)
    page = restored / "course" / "feedback" / "AdaLovelace" / "ps1" / "PS1.html"
    assert "Final score" in page.read_text()


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
        for command in ("feedback", "export"):
            line = refused(
                run_ps1(command, copy), "in use by another run", f"pid {holder.pid} on ", "since 20"
            )
            assert "delete" in line
    finally:
        holder.kill()
        holder.wait()
    said = ok(run_ps1("feedback", copy))
    assert f"took over the lock of a run that ended without releasing it (pid {holder.pid} " in said


def test_a_folder_made_by_an_older_version_is_brought_up_to_date(tmp_path: Path) -> None:
    """The tree of OLD_VERSION (git history) grades two zips with its own code, on this environment;
    today's `manual` then rebuilds the folder's configuration, keeps the grades and writes pages with
    the summary block and offline math."""
    tree = tmp_path / "old"
    tree.mkdir()
    archive = subprocess.run(["git", "archive", OLD_VERSION], cwd=REPO_DIR, capture_output=True)
    if archive.returncode != 0:
        pytest.fail(f"git history without {OLD_VERSION} (a shallow clone?): {archive.stderr.decode()[:200]}")
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    zips = tmp_path / "zips"
    zips.mkdir()
    for student in STUDENTS:
        shutil.copy(tree / "nbgrader_course" / "examples" / f"PS1_{student}.zip", zips)
    shutil.copy(tree / "nbgrader_course" / "examples" / "times.csv", zips)
    out = tmp_path / "grading"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    # Without the sandbox: the kernel of the old tree would import this environment's edf.py, outside
    # what its sandbox binds. The layout of the folder is the same either way.
    old = [sys.executable, "-m", "autograder", "grade", zips, "--times", zips / "times.csv", "--out", out]
    ok(
        subprocess.run(
            [*map(str, old), "--workers", "1", "--no-sandbox-and-checks"],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    )
    assert layout(out) == 1 and not GradingFolder(out).marker.exists()
    before = grades(out)
    old_page = (out / "course" / "feedback" / "AdaLovelace" / "ps1" / "PS1.html").read_text()
    assert before["AdaLovelace"]["raw_score"] == "65", before
    (tmp_path / "sheet.csv").write_text(SHEET)
    said = ok(run_ps1("manual", out, tmp_path / "sheet.csv"))
    assert "made by an older version" in said
    assert layout(out) == LAYOUT
    after = grades(out)
    assert after["AdaLovelace"]["p1a_written"] == "7"
    assert {s: r["raw_score"] for s, r in after.items()} == {
        "AdaLovelace": "72",
        "GraceHopper": before["GraceHopper"]["raw_score"],
    }
    page = (out / "course" / "feedback" / "AdaLovelace" / "ps1" / "PS1.html").read_text()
    assert "Final score: 72" in page
    assert LOCAL_MATHJAX.search(page) and "Final score" not in old_page and not LOCAL_MATHJAX.search(old_page)
    again = ok(run_ps1("export", out))
    assert "older version" not in again


def test_every_command_keeps_to_the_exit_status_table() -> None:
    """The table of docs/instructor.md names 0, 1 and 2; each command refuses a bad option with 2 and
    one line; the commands said to use 1 exist."""
    guide = (REPO_DIR / "docs" / "instructor.md").read_text()
    table = guide.split("## Exit status", 1)[1].split("\n## ", 1)[0]
    rows = {int(m[1]): (m[2], m[3]) for m in re.finditer(r"^\| (\d) \| (.+?) \| (.+?) \|$", table, re.M)}
    assert sorted(rows) == [0, 1, 2]
    assert rows[0][1] == rows[2][1] == "all"
    assert set(rows[1][1].split(", ")) <= set(COMMANDS)
    for command in COMMANDS:
        refused(run_ps1(command, "--no-such-option"))
