"""`python -m autograder grade` on the bundled examples plus hostile zips: one real nbgrader run per session.

Expected grades are derived from the source notebook's points (never hard-coded), so the tests keep
holding when the notebook's questions change; the committed example zips must match make_examples.py.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import shutil
import struct
import time
import zipfile
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ps1
from helpers.commands import refused, run_ps1
from helpers.ps1 import ASSIGNMENT, COURSE_DIR, NOTEBOOK

from autograder.authoring import examples as make_examples
from autograder.course import grading_course as cd
from autograder.grading import coordinator
from autograder.grading.inputs import read_times
from autograder.grading.request import GradeRequest
from autograder.nbgrader_ext.feedback import strip_hidden

pytestmark = pytest.mark.slow
EXAMPLES = COURSE_DIR / "examples" / ASSIGNMENT
EXAMPLE_ZIPS = make_examples.examples(ps1.PROBLEM_SET)


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _full_notebook() -> dict:
    with zipfile.ZipFile(EXAMPLES / "PS1_AdaLovelace.zip") as zf:
        return json.loads(zf.read(NOTEBOOK))


def _hostile(folder: Path, tests: list[str]) -> dict[str, str]:
    """Write hostile zips into `folder`; return name -> submission time."""
    full = _full_notebook()
    nb_bytes = json.dumps(full).encode()
    dup = dict(
        full,
        cells=full["cells"]
        + [c for c in full["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == tests[0]],
    )
    deleted = dict(
        full,
        cells=[c for c in full["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != tests[-1]],
    )
    _zip(folder / "PS1_Traversal.zip", {NOTEBOOK: nb_bytes, "../../escaped.txt": b"pwned"})
    _zip(folder / "PS1_Absolute.zip", {NOTEBOOK: nb_bytes, "/tmp/absolute-escape.txt": b"pwned"})
    with zipfile.ZipFile(folder / "PS1_Symlink.zip", "w") as zf:
        info = zipfile.ZipInfo(NOTEBOOK)
        info.external_attr = 0o120777 << 16
        zf.writestr(info, "/etc/passwd")
    data = bytearray(_zip(folder / "tmp.zip", {NOTEBOOK: nb_bytes, "big.bin": b"\0" * 1000}).read_bytes())
    at = data.index(b"PK\x01\x02", data.index(b"PK\x01\x02") + 4)  # central entry of big.bin
    data[at + 24 : at + 28] = struct.pack("<I", 0xFFFFFFF0)  # declares ~4 GB
    (folder / "PS1_Bomb.zip").write_bytes(bytes(data))
    (folder / "tmp.zip").unlink()
    _zip(folder / "PS1_NotJson.zip", {NOTEBOOK: b'{"cells": [ oops'})
    _zip(folder / "PS1_TwoNotebooks.zip", {NOTEBOOK: nb_bytes, "backup/PS1_old.ipynb": nb_bytes})
    _zip(folder / "PS1_DuplicateIds.zip", {NOTEBOOK: json.dumps(dup).encode()})
    _zip(folder / "PS1_DeletedTest.zip", {NOTEBOOK: json.dumps(deleted).encode()})
    data = bytes(_zip(folder / "tmp.zip", {NOTEBOOK: nb_bytes, "notes_XX.txt": b"x"}).read_bytes())
    (folder / "PS1_Latin1Names.zip").write_bytes(data.replace(b"notes_XX", b"notes_\xe9\xff"))
    (folder / "tmp.zip").unlink()
    (folder / "PS1_NotAZip.zip").write_text("I forgot to zip it\n")
    # An older, partial hand-in of Ada under another spelling of her name: the later zip counts.
    shutil.copy(EXAMPLES / "PS1_AlanTuring.zip", folder / "PS1_Ada Lovelace.zip")
    names = [p.name for p in folder.iterdir() if p.name not in EXAMPLE_ZIPS and p.suffix == ".zip"]
    times = {n: "2017-01-12 08:00 America/Chicago" for n in names}
    times["PS1_Ada Lovelace.zip"] = "2017-01-10 08:00 America/Chicago"
    return times


@pytest.fixture(scope="session")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("grading")
    zips = root / "inbox" / "zips"
    zips.mkdir(parents=True)
    for p in EXAMPLES.iterdir():
        if p.suffix in (".zip", ".csv"):
            shutil.copy(p, zips / p.name)
    cells = ps1.QUESTIONS  # the repo's source notebook's graded cells (a test holds them equal)
    tests = list(ps1.AUTOGRADED)
    extra = _hostile(zips, tests)
    with (zips / "times.csv").open("a") as fh:
        for name, when in extra.items():
            fh.write(f"{name},{when}\n")
    source_before = _tree_digest(COURSE_DIR / "source")
    out = root / "out"
    buf = io.StringIO()
    start = time.monotonic()
    with redirect_stdout(buf):
        rows = coordinator.run(
            GradeRequest(zips, out, times=read_times(zips / "times.csv", ps1.COURSE_TIMEZONE))
        )
    seconds = time.monotonic() - start
    print(buf.getvalue())
    return SimpleNamespace(
        root=root,
        zips=zips,
        out=out,
        rows={r.student: r.as_csv(ps1.PROBLEM_SET) for r in rows},
        cells=cells,
        tests=tests,
        printed=buf.getvalue(),
        seconds=seconds,
        source_before=source_before,
    )


def _csv(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open() as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def auto_total(cells: tuple[ps1.Question, ...]) -> float:
    return sum(q.points for q in cells if not q.manual)


def test_make_examples_is_reproducible_and_committed_zips_fit_the_notebook(tmp_path: Path) -> None:
    """Zips are rebuilt byte for byte; the committed ones carry the current notebook's graded cells."""
    make_examples.build(tmp_path / "a", ps1.PROBLEM_SET)
    make_examples.build(tmp_path / "b", ps1.PROBLEM_SET)
    csvs = ["times.csv", "extensions.csv", "manual_grades.csv"]
    for name in [*EXAMPLE_ZIPS, *csvs]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    for name in csvs:
        assert (tmp_path / "a" / name).read_bytes() == (EXAMPLES / name).read_bytes(), name

    def ids(path: Path) -> list[str]:
        with zipfile.ZipFile(path) as zf:
            nb = json.loads(zf.read(NOTEBOOK))
        return [c["metadata"]["nbgrader"]["grade_id"] for c in nb["cells"] if "nbgrader" in c["metadata"]]

    assert ids(EXAMPLES / "PS1_AdaLovelace.zip") == ids(tmp_path / "a" / "PS1_AdaLovelace.zip"), (
        "nbgrader_course/examples/ps1 is stale: run python -m autograder examples"
    )


def test_grades_csv_columns(graded: SimpleNamespace) -> None:
    with (graded.out / "grades.csv").open() as fh:
        header = next(csv.reader(fh))
    base = ["student", "raw_score", "max_score", "late_days", "late_penalty", "score", "status", "message"]
    written = [f"{q.grade_id}_rubric" for q in graded.cells if q.manual]
    assert header == base + [q.grade_id for q in graded.cells] + written
    assert sum(q.points for q in graded.cells) == 100


def test_example_grades(graded: SimpleNamespace) -> None:
    rows, auto = _csv(graded.out), auto_total(graded.cells)
    ada = rows["AdaLovelace"]
    assert (ada["status"], float(ada["raw_score"]), float(ada["score"]), ada["late_days"]) == (
        "ok",
        auto,
        auto,
        "0",
    )
    assert "awaiting manual grading" in ada["message"]
    alan = rows["AlanTuring"]
    assert alan["status"] == "ok" and 0 < float(alan["raw_score"]) < auto
    grace = rows["GraceHopper"]
    assert (grace["status"], grace["late_days"]) == ("late", "2")
    assert float(grace["late_penalty"]) == pytest.approx(0.2 * auto)
    assert float(grace["score"]) == pytest.approx(0.8 * auto)
    kurt = rows["KurtGodel"]
    assert (kurt["status"], kurt["late_days"], float(kurt["score"])) == ("too_late", "5", 0.0)
    assert "not accepted" in kurt["message"]
    blank = rows["UntouchedRelease"]
    assert (blank["status"], float(blank["raw_score"]), float(blank["score"])) == ("ok", 0.0, 0.0)
    emmy = rows["emmy_noether_ps1"]
    assert (
        emmy["status"] == "ok"
        and float(emmy["score"]) == auto
        and "not PS1_<FullName>.zip" in emmy["message"]
    )


@pytest.mark.parametrize(
    ("student", "words"),
    [
        ("BrokenZip", "corrupt zip"),
        ("NoNotebook", "no notebook"),
        ("KernelKiller", "kernel died"),
        ("NotAZip", "not a zip file"),
        ("Traversal", "leaves its folder"),
        ("Absolute", "absolute path"),
        ("Symlink", "symbolic link"),
        ("Bomb", "zip bomb"),
        ("NotJson", "not valid JSON"),
        ("TwoNotebooks", "several notebooks"),
        ("DuplicateIds", "duplicate nbgrader cell ids"),
        ("Latin1Names", "not valid UTF-8"),
    ],
)
def test_errors_are_never_zeros(graded: SimpleNamespace, student: str, words: str) -> None:
    row = _csv(graded.out)[student]
    assert row["status"] == "error" and words in row["message"], row
    assert row["raw_score"] == row["score"] == "" and all(row[q.grade_id] == "" for q in graded.cells)


def test_deleted_test_cell_is_restored_and_graded(graded: SimpleNamespace) -> None:
    row = _csv(graded.out)["DeletedTest"]
    assert (
        row["status"] == "ok"
        and f"deleted test cells restored from the source: {graded.tests[-1]}" in row["message"]
    )
    assert float(row[graded.tests[-1]]) == next(
        q.points for q in graded.cells if q.grade_id == graded.tests[-1]
    )


def test_latest_zip_of_a_student_counts(graded: SimpleNamespace) -> None:
    row = _csv(graded.out)["AdaLovelace"]
    assert "2 zips from this student: graded the latest, ignored PS1_Ada Lovelace.zip" in row["message"]
    assert float(row["raw_score"]) == auto_total(graded.cells)


def test_nothing_written_outside_the_course(graded: SimpleNamespace) -> None:
    assert _tree_digest(COURSE_DIR / "source") == graded.source_before
    assert not (COURSE_DIR / "gradebook.db").exists() and not (COURSE_DIR / "submitted").exists()
    assert not Path("/tmp/absolute-escape.txt").exists()
    assert not list(graded.root.rglob("escaped.txt"))
    assert sorted(p.name for p in graded.root.iterdir()) == ["inbox", "out"]
    assert sorted(p.name for p in graded.zips.parent.iterdir()) == ["zips"]
    for student in ("Traversal", "Symlink", "Bomb", "NotJson", "TwoNotebooks", "Latin1Names"):
        assert not (graded.out / "course" / "submitted" / student).exists()


def test_nbgrader_plugin_recorded_a_penalty(graded: SimpleNamespace) -> None:
    with cd.gradebook(graded.out / "course") as gb:
        grace = gb.find_submission(ASSIGNMENT, "GraceHopper")
        ada = gb.find_submission(ASSIGNMENT, "AdaLovelace")
        assert grace.total_seconds_late > 24 * 3600
        assert grace.late_submission_penalty == pytest.approx(0.2 * grace.score)
        assert ada.late_submission_penalty in (None, 0)


def test_feedback_hides_hidden_tests(graded: SimpleNamespace) -> None:
    source = json.loads((COURSE_DIR / "source" / ASSIGNMENT / NOTEBOOK).read_text())
    hidden = []
    for cell in source["cells"]:
        inside = False
        for line in "".join(cell["source"]).splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                inside = True
            elif "END HIDDEN TESTS" in line:
                inside = False
            elif inside and len(line.strip()) > 12:
                hidden.append(line.strip())

    visible = "\n".join(strip_hidden("".join(c["source"]))[0] for c in source["cells"])
    hidden = [h for h in hidden if h not in visible]  # lines that exist only in hidden tests
    assert hidden, "the source notebook has hidden tests"
    autograded = (graded.out / "course" / "autograded" / "AdaLovelace" / ASSIGNMENT / NOTEBOOK).read_text()
    assert any(json.dumps(h)[1:-1] in autograded for h in hidden)  # nbgrader did run them
    for student in ("AdaLovelace", "AlanTuring"):
        page = html.unescape(
            (graded.out / "course" / "feedback" / student / ASSIGNMENT / "PS1.html").read_text()
        )
        leaked = [h for h in hidden if h in page]
        assert not leaked, leaked[:3]
        assert "hidden tests are not shown" in page


def test_report_and_table(graded: SimpleNamespace) -> None:
    assert (graded.out / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "student" in graded.printed and "KernelKiller" in graded.printed and "too_late" in graded.printed


def test_rerun_is_idempotent(graded: SimpleNamespace) -> None:
    before = (graded.out / "grades.csv").read_bytes()
    buf = io.StringIO()
    with redirect_stdout(buf):
        coordinator.run(
            GradeRequest(
                graded.zips, graded.out, times=read_times(graded.zips / "times.csv", ps1.COURSE_TIMEZONE)
            )
        )
    assert "graded 0 of" in buf.getvalue()
    assert (graded.out / "grades.csv").read_bytes() == before
    with cd.gradebook(graded.out / "course") as gb:
        assert len(gb.assignment_submissions(ASSIGNMENT)) == len(
            list((graded.out / "course" / "submitted").iterdir())
        )


def test_new_zip_grades_only_that_one(graded: SimpleNamespace) -> None:
    before = _csv(graded.out)
    shutil.copy(EXAMPLES / "PS1_AdaLovelace.zip", graded.zips / "PS1_NewStudent.zip")
    buf = io.StringIO()
    with redirect_stdout(buf):
        coordinator.run(
            GradeRequest(
                graded.zips, graded.out, times=read_times(graded.zips / "times.csv", ps1.COURSE_TIMEZONE)
            )
        )
    assert "graded 1 of" in buf.getvalue()
    after = _csv(graded.out)
    assert set(after) - set(before) == {"NewStudent"}
    assert all(after[s] == before[s] for s in before)
    new = after["NewStudent"]  # not in times.csv: its time is the file's mtime, years after 2017
    assert new["status"] == "too_late" and int(new["late_days"]) > 3 and float(new["raw_score"]) > 0


def test_manual_grades_then_penalty_on_the_new_total(graded: SimpleNamespace, tmp_path: Path) -> None:
    written = [q for q in graded.cells if q.manual]
    sheet = tmp_path / "manual.csv"
    sheet.write_text(
        "student,question,points\n" + "".join(f"GraceHopper,{q.grade_id},{q.points}\n" for q in written)
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(f"student,question,points\nGraceHopper,{written[0].grade_id},{written[0].points + 1}\n")
    before = _csv(graded.out)["GraceHopper"]
    refused(run_ps1("manual", graded.out, bad), "line 2", "outside 0..")  # stderr, exit status 2
    assert _csv(graded.out)["GraceHopper"] == before
    assert run_ps1("manual", graded.out, sheet).returncode == 0
    row = _csv(graded.out)["GraceHopper"]
    assert float(row["raw_score"]) == 100
    assert (float(row["late_penalty"]), float(row["score"]), row["status"]) == (20.0, 80.0, "late")
    assert "awaiting manual grading" not in row["message"]


def test_regrade_of_the_same_zip_keeps_manual_grades(graded: SimpleNamespace) -> None:
    """Only the changed submission time is regraded; its manual grades survive; the penalty follows."""
    times = graded.zips / "times.csv"
    text = times.read_text()
    times.write_text(
        text.replace("PS1_GraceHopper.zip,2017-01-13 23:00", "PS1_GraceHopper.zip,2017-01-12 20:00")
    )
    buf = io.StringIO()
    with redirect_stdout(buf):
        coordinator.run(GradeRequest(graded.zips, graded.out, times=read_times(times, ps1.COURSE_TIMEZONE)))
    assert "graded 1 of" in buf.getvalue()
    row = _csv(graded.out)["GraceHopper"]
    assert (row["late_days"], float(row["raw_score"]), float(row["score"])) == ("1", 100.0, 90.0)
    assert "kept" in row["message"] and "manual grade(s) of this same zip" in row["message"]
    # The worker's page knew nothing of the manual grades: the run made it again from the gradebook.
    page = (graded.out / "course" / "feedback" / "GraceHopper" / ASSIGNMENT / "PS1.html").read_text()
    assert f"Final score: {row['score']} / {row['max_score']} (status: {row['status']})" in page
    assert "manual grade(s) of this same zip" in page
