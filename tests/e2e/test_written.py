"""`ps1 written`: written answers graded one question at a time with the rubric, in headless Chromium.

Three students are graded by `ps1 grade` from a copy of the source folder (so a test may edit the
rubric beside it). The page is driven by clicks and keys; what it saved is read back from the class
gradebook, grades.csv and the feedback pages. Two graders (two browser sessions and a `ps1 manual`)
work at once. A class of 300 measures the page's load and one click's save (printed, not asserted).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from helpers.commands import PS1, refused, run_ps1
from helpers.ps1 import (
    ASSIGNMENT,
    COURSE_DIR,
    EXAMPLES_DIR,
    NOTEBOOK_ID,
    PROBLEM_SET,
    REPO_DIR,
    RUBRIC_FILE,
    RUBRIC_NAME,
)
from nbgrader.api import Gradebook
from playwright.sync_api import Page, expect, sync_playwright

from autograder.authoring.release import generate_release
from autograder.course.layout import GradingFolder
from autograder.course.state import StateEntry, load_state, save_state
from autograder.results.rubric_grades import rubric_file
from autograder.rubric import load_rubrics
from autograder.student.pdf import CHROMIUM_FLAGS

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
STUDENTS = ("AdaLovelace", "AlanTuring", "GraceHopper")
QUESTION = "p2_written"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three example zips graded from a copy of the course's source folder; returns the grading folder."""
    root = tmp_path_factory.mktemp("written")
    shutil.copytree(COURSE_DIR / "source", root / "course" / "source")
    shutil.copy(COURSE_DIR / "nbgrader_config.py", root / "course")
    zips = root / "zips"
    zips.mkdir()
    for student in STUDENTS:
        shutil.copy(EXAMPLES_DIR / f"PS1_{student}.zip", zips)
    shutil.copy(EXAMPLES_DIR / "times.csv", zips)
    out = root / "grading"
    source = root / "course" / "source" / ASSIGNMENT
    done = run_ps1("grade", zips, "--times", zips / "times.csv", "--out", out, "--source", source)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


@contextmanager
def edited_rubric(out: Path, old: str, new: str) -> Iterator[None]:
    """The folder's rubric file with `old` replaced by `new` for the block, then as it was."""
    path = rubric_file(out)
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    try:
        yield
    finally:
        path.write_text(text)


@contextmanager
def written_server(out: Path) -> Iterator[str]:
    """`ps1 written OUT` running; yields the address it printed (token included)."""
    proc = subprocess.Popen(
        [str(PS1), "written", str(out)],
        cwd=REPO_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("grading page: http://127.0.0.1:"), (
            line,
            proc.stderr.read() if proc.poll() else "",
        )
        yield line.split(": ", 1)[1].strip()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def scores(out: Path, grade_id: str = QUESTION) -> dict[str, float | None]:
    with Gradebook(f"sqlite:///{GradingFolder(out).course.gradebook_file}") as gb:
        return {s: gb.find_grade(grade_id, NOTEBOOK_ID, ASSIGNMENT, s).manual_score for s in STUDENTS}


def grades_csv(out: Path) -> dict[str, dict[str, str]]:
    with GradingFolder(out).grades_csv.open(newline="") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def open_question(page: Page, url: str, question: str = QUESTION) -> None:
    page.goto(f"{url}&question={question}")
    # Generous: a loaded machine may take seconds to serve and typeset 300 answers.
    expect(page.locator("#items button")).to_have_count(
        len(load_rubrics(RUBRIC_FILE, PROBLEM_SET)[question].items), timeout=60_000
    )
    page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")


def number(page: Page) -> int:
    return int(re.search(r"Student (\d+)", page.inner_text("#who")).group(1))


def next_student(page: Page) -> int:
    """Press n and wait for the page to show the next student (it may first save a comment)."""
    before = page.inner_text("#who")
    page.keyboard.press("n")
    expect(page.locator("#who")).not_to_have_text(before)
    return number(page)


def saved(page: Page, n: int) -> None:
    expect(page.locator("#saved")).to_have_text(f"saved (student {n})", timeout=30_000)


def item(page: Page, item_id: str):
    return page.locator(f"#items button[data-item='{item_id}']")


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_three_students_by_clicks_and_keys_then_reopen_then_change_an_item(
    graded: Path, tmp_path: Path
) -> None:
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    rubric = load_rubrics(rubric_file(out), PROBLEM_SET)[QUESTION]
    keys = {i.id: str(n) for n, i in enumerate(rubric.items, 1)}
    with written_server(out) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.route("http*://**", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
        page.goto(url)  # no question chosen: the first with a rubric
        expect(page.locator("#title")).to_contain_text("Problem 1a")
        page.locator("#questions a", has_text="Problem 2").click()
        open_question(page, url)
        assert page.locator(".MathJax_Error").count() == 0
        expect(page.locator("#progress")).to_have_text("0 of 3 graded")
        assert "AdaLovelace" not in page.content()  # anonymous until asked

        first = number(page)
        start = time.perf_counter()
        item(page, "no_batch").click()  # a click
        saved(page, first)
        click_seconds = time.perf_counter() - start
        second = next_student(page)
        page.keyboard.press(keys["no_diagonal"])  # keys
        saved(page, second)
        page.keyboard.press(keys["no_batch"])
        expect(item(page, "no_batch")).to_have_class("applied")
        third = next_student(page)
        item(page, "no_batch").click()
        saved(page, third)
        page.fill("#comment", "Say why each row is separate.")
        page.keyboard.press("Tab")  # leaving the box saves it
        expect(page.locator("#saved")).to_have_text(f"saved (student {third})")
        expect(page.locator("#progress")).to_have_text("3 of 3 graded")
        page.close()
        print(f"\nwritten page: one click saved and shown in {click_seconds * 1000:.0f} ms (3 students)")

        # The gradebook holds it all; a new page shows the same grades.
        assert sorted(scores(out).values()) == [15 - 8, 15 - 3, 15 - 3]
        page = browser.new_page()
        open_question(page, url)
        expect(page.locator("#progress")).to_have_text("3 of 3 graded")
        shown = {}
        for _ in range(3):
            shown[number(page)] = (page.inner_text("#score"), page.input_value("#comment"))
            if len(shown) < 3:
                next_student(page)
        assert sorted(s for s, _ in shown.values()) == ["score: 12 / 15", "score: 12 / 15", "score: 7 / 15"]
        assert shown[third][1] == "Say why each row is separate."

        # One edit of the rubric re-scores everyone who has the item, on the page and in every file.
        with edited_rubric(out, 'id = "no_batch"\npoints = -3', 'id = "no_batch"\npoints = -2'):
            open_question(page, url)
            expect(item(page, "no_batch")).to_contain_text("\u22122: The batch argument")
            assert sorted(scores(out).values()) == [15 - 7, 15 - 2, 15 - 2]
            done = run_ps1("export", out)
            assert done.returncode == 0, done.stderr
            rows = grades_csv(out)
            assert sorted(float(rows[s][QUESTION]) for s in STUDENTS) == [8, 13, 13]
            for student in STUDENTS:
                assert "\u22122: The batch argument is missing" in rows[student][f"{QUESTION}_rubric"]
                page_text = GradingFolder(out).course.feedback_page(student).read_text()
                assert "The batch argument is missing" in page_text and "Rubric" in page_text
        browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_two_graders_and_a_sheet_at_once_lose_nothing(graded: Path, tmp_path: Path) -> None:
    """Two browser sessions on the same question (one answer by both, one each) while `ps1 manual`
    grades another question with rubric items from a sheet."""
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    sheet = tmp_path / "p1a.csv"
    sheet.write_text(
        "student,question,items,comment\n"
        + "".join(f"{s},p1a_written,no_sweep;order_not_justified,trace it\n" for s in STUDENTS)
    )
    with written_server(out) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        one, two = browser.new_context().new_page(), browser.new_context().new_page()
        open_question(one, url)
        open_question(two, url)
        sheet_run = subprocess.Popen([str(PS1), "manual", str(out), str(sheet)], cwd=REPO_DIR, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        same = number(one)
        assert number(two) == same  # both start at the first ungraded answer
        item(one, "no_diagonal").click()
        item(two, "transposed_product").click()  # two's page does not yet show one's item
        saved(one, same)
        saved(two, same)
        other = next_student(one)
        item(one, "correct").click()
        saved(one, other)
        next_student(two)
        last = next_student(two)  # the third student
        item(two, "no_batch").click()
        saved(two, last)
        assert sheet_run.wait(timeout=300) == 0, sheet_run.stderr.read()
        browser.close()
    got = scores(out)
    assert sorted(got.values()) == [15 - 5 - 3, 15 - 3, 15]  # both graders' items on the shared answer
    assert scores(out, "p1a_written") == dict.fromkeys(STUDENTS, 10 - 3 - 2)
    with Gradebook(f"sqlite:///{GradingFolder(out).course.gradebook_file}") as gb:
        comment = gb.find_comment("p1a_written", NOTEBOOK_ID, ASSIGNMENT, "AlanTuring")
        assert comment.manual_comment == "trace it"


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_an_answer_cannot_run_script_in_the_graders_page(graded: Path, tmp_path: Path) -> None:
    """Answers are untrusted: markup that would run script is cleaned away, and the page's policy would
    block any that slipped through. The rest of the answer (text, math) is shown."""
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    notebook = GradingFolder(out).course.submitted_notebook("AlanTuring")
    nb = json.loads(notebook.read_text())
    hostile = (
        "Hostile **answer** with $J = \\operatorname{diag}(p)$ <script>window.pwned = 1</script>"
        ' <img src="x" onerror="window.pwned = 2"> <a href="javascript:window.pwned = 3">link</a>\n\n'
        "<script>window.pwned = 4</script>\n"
    )
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == QUESTION:
            cell["source"] = hostile
    notebook.write_text(json.dumps(nb))
    with written_server(out) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.goto(f"{url}&question={QUESTION}&names=1")
        expect(page.locator("#who")).to_contain_text("Student")
        for _ in range(len(STUDENTS)):
            if "AlanTuring" in page.inner_text("#who"):
                break
            next_student(page)
        expect(page.locator("#answer")).to_contain_text("Hostile answer with")
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
        page.locator("#answer a").click()
        assert page.evaluate("window.pwned") is None
        planted = (
            "#answer script:not([type^='math/']), #answer img, #answer [onerror]"  # MathJax's are math/tex
        )
        assert page.locator(planted).count() == 0
        assert page.locator("#answer .MathJax").count() >= 1
        browser.close()


def test_manual_sheet_with_items_and_its_mistakes(graded: Path, tmp_path: Path) -> None:
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    sheet = tmp_path / "items.csv"
    sheet.write_text("student,question,items,points\nAdaLovelace,p1b_written,cross_term squared_terms,\n")
    done = run_ps1("manual", out, sheet)
    assert done.returncode == 0, done.stderr
    assert scores(out, "p1b_written")["AdaLovelace"] == 10 - 2 - 1
    assert "\u22122: Missing: the cross term" in grades_csv(out)["AdaLovelace"]["p1b_written_rubric"]

    before = GradingFolder(out).course.gradebook_file.read_bytes()
    for row, words in [
        ("AlanTuring,p1b_written,cross_term no_such_item,", ("line 3", "unknown rubric item 'no_such_item'")),
        ("AlanTuring,p1b_written,cross_term,4", ("line 3", "points or rubric items", "one of the two")),
        ("AlanTuring,p1a_tests,cross_term,", ("line 3", "p1a_tests has no rubric")),
    ]:
        sheet.write_text(f"student,question,items,points\nAlanTuring,p2_written,correct,\n{row}\n")
        refused(run_ps1("manual", out, sheet), *words)
        assert GradingFolder(out).course.gradebook_file.read_bytes() == before  # one bad row: nothing

    # Points given by hand replace the items of that answer.
    sheet.write_text("student,question,points\nAdaLovelace,p1b_written,9.5\n")
    assert run_ps1("manual", out, sheet).returncode == 0
    row = grades_csv(out)["AdaLovelace"]
    assert (row["p1b_written"], row["p1b_written_rubric"]) == ("9.5", "")


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('id = "no_batch"\npoints = -3', 'id = "no_batch"\npoints = -9', ("p2_written's items take off 21",)),
        ('id = "no_batch"\npoints = -3', 'id = "no_batch"\npoints = 3', (".toml:", "must be 0 or negative")),
        ('id = "no_batch"\npoints = -3', 'id = "no_batch"\npoints = = -3', ("cannot be read", "line")),
        (
            '[[p2_written]]  # 15 points\nid = "correct"',
            '[[p2_written]]\nid = "correct"\nkey = 1',
            ("exactly id",),
        ),
    ],
    ids=["too-many-points", "positive", "syntax", "unknown-key"],
)
def test_a_broken_rubric_is_named_in_one_line(
    graded: Path, old: str, new: str, words: tuple[str, ...]
) -> None:
    with edited_rubric(graded, old, new):
        refused(run_ps1("export", graded), RUBRIC_NAME, *words)
        refused(run_ps1("written", graded), *words)


def test_an_item_removed_from_the_rubric_while_in_use_is_named(graded: Path, tmp_path: Path) -> None:
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    sheet = tmp_path / "items.csv"
    sheet.write_text("student,question,items\nGraceHopper,p2_written,quotient_rule_error\n")
    assert run_ps1("manual", out, sheet).returncode == 0
    with edited_rubric(out, 'id = "quotient_rule_error"', 'id = "quotient_rule_slip"'):
        refused(
            run_ps1("export", out), "GraceHopper's p2_written", "'quotient_rule_error'", "put the item back"
        )


def test_a_folder_never_graded_and_a_wrong_token_are_refused(graded: Path, tmp_path: Path) -> None:
    refused(run_ps1("written", tmp_path), "holds no grading run")
    with written_server(graded) as url:
        base = url.split("/?")[0]
        for path in ("/?token=wrong", f"/api/questions/{QUESTION}"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(base + path, timeout=10)
            assert err.value.code == 403


def api(url: str, path: str, body: dict | None = None) -> dict:
    """One request to the page's server, as the page makes it (token in the X-Token header)."""
    base, token = url.split("/?token=")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"X-Token": token})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's add_submission, making the clones
def test_a_click_reaches_its_student_when_a_grading_run_adds_students_meanwhile(
    graded: Path, tmp_path: Path
) -> None:
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    with written_server(out) as url:
        page = api(url, f"/api/questions/{QUESTION}?names=1")
        grace = next(s for s in page["students"] if s["name"] == "GraceHopper")
        clone_class(out, 40)  # new students: the page's numbers no longer match the class's order
        api(url, f"/api/questions/{QUESTION}/items", {"key": grace["key"], "item": "no_diagonal", "on": True})
        assert api(url, f"/api/questions/{QUESTION}")["total"] == 40
    assert scores(out)["GraceHopper"] == 15 - 5
    assert [v for s, v in scores(out).items() if s != "GraceHopper"] == [None, None]


def test_the_rubric_reaches_no_release_and_no_worker(graded: Path, tmp_path: Path) -> None:
    release = generate_release(tmp_path, PROBLEM_SET)
    assert not (release.parent / RUBRIC_NAME).exists()
    assert not list(GradingFolder(graded).course.root.glob(f"source/**/{RUBRIC_NAME}"))
    assert not list(GradingFolder(graded).template.root.rglob(RUBRIC_NAME))


def clone_class(out: Path, size: int) -> list[str]:
    """Grading folder `out` grown to `size` students: copies of its graded students' notebooks and
    gradebook rows (what the page reads), without grading them again."""
    state = load_state(out)
    course = GradingFolder(out).course
    names = [f"Student{i:03d}" for i in range(size - len(state.students))]
    with Gradebook(f"sqlite:///{course.gradebook_file}") as gb:
        for i, name in enumerate(names):
            model = STUDENTS[i % len(STUDENTS)]
            gb.add_student(name)
            gb.add_submission(ASSIGNMENT, name)
            course.submitted_dir(name).mkdir(parents=True)
            shutil.copy(course.submitted_notebook(model), course.submitted_notebook(name))
            state.students[name] = StateEntry(f"PS1_{name}.zip", "", state.students[model].submitted)
    save_state(out, state)
    return names


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.filterwarnings("ignore:.*not in session")  # nbgrader's add_submission, making the clones
def test_a_class_of_300_loads_and_saves(graded: Path, tmp_path: Path) -> None:
    out = tmp_path / "grading"
    shutil.copytree(graded, out)
    clone_class(out, 300)
    with written_server(out) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        start = time.perf_counter()
        open_question(page, url)
        expect(page.locator("#progress")).to_have_text("0 of 300 graded", timeout=30_000)
        load = time.perf_counter() - start
        clicks = []
        for _ in range(5):
            n = number(page)
            start = time.perf_counter()
            page.keyboard.press("1")
            saved(page, n)
            clicks.append(time.perf_counter() - start)
            next_student(page)
        expect(page.locator("#progress")).to_have_text("5 of 300 graded")
        browser.close()
    ms = sorted(round(c * 1000) for c in clicks)
    print(f"\nwritten page, 300 students: loaded and typeset in {load:.2f} s; one click saved in {ms[2]} ms")
    print(f"(median of 5 clicks, {ms[0]}-{ms[-1]} ms)")
