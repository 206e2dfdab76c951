"""`ps1 similarity` on a class graded by `ps1 grade`: planted copies found above every independent
pair, blank notebooks apart, nothing graded changed, bad input in one line; the pages in Chromium."""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from helpers.commands import refused, run_ps1
from helpers.similarity_class import PLANTED, students, write_zips
from playwright.sync_api import sync_playwright

from autograder.student.pdf import CHROMIUM_FLAGS

pytestmark = pytest.mark.slow
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CATEGORY = {"code": "code", "problem3": "code", "written": "written"}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pairs(out: Path) -> dict[tuple[str, str], dict[str, str]]:
    with (out / "similarity" / "pairs.csv").open() as fh:
        return {(r["student_a"], r["student_b"]): r for r in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The class of tests/helpers/similarity_class.py graded, then compared (once for the module)."""
    root = tmp_path_factory.mktemp("similarity")
    zips = write_zips(root / "zips")
    out = root / "grading"
    done = run_ps1("grade", zips, "--times", zips / "times.csv", "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    kept = {name: digest(out / name) for name in ("grades.csv", "state.json", "course/gradebook.db")}
    done = run_ps1("similarity", out)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert {name: digest(out / name) for name in kept} == kept  # flags, never grades
    return out


def independent(pair: tuple[str, str]) -> bool:
    return tuple(sorted(pair)) not in {tuple(sorted(p)) for p in PLANTED.values()}


@pytest.mark.parametrize("planted", sorted(PLANTED))
def test_each_planted_copy_ranks_above_every_independent_pair(graded: Path, planted: str) -> None:
    kind = CATEGORY[planted]
    found = pairs(graded)
    copy = found[tuple(sorted(PLANTED[planted]))]
    honest = max(float(r[kind]) for p, r in found.items() if independent(p))
    assert float(copy[kind]) > honest, (planted, copy, honest)
    assert kind in copy["flagged"] and copy["page"]
    planted_in_kind = sum(CATEGORY[name] == kind for name in PLANTED)
    assert int(copy[f"{kind}_rank"]) <= planted_in_kind


def index_table(out: Path) -> tuple[list[str], list[list[str]]]:
    """The index page's table: its column headings and the text of each row's cells."""
    soup = BeautifulSoup((out / "similarity" / "index.html").read_text(), "html.parser")
    heads = [th.get_text(strip=True) for th in soup.thead.find_all("th")]
    return heads, [[td.get_text(strip=True) for td in tr.find_all("td")] for tr in soup.tbody.find_all("tr")]


def test_the_index_shows_each_pairs_rank_in_code_and_in_written_answers(graded: Path) -> None:
    heads, rows = index_table(graded)
    total, code_rank, written_rank = (heads.index(h) for h in ("total", "code rank", "written rank"))
    totals = [float(row[total]) for row in rows]
    assert totals == sorted(totals, reverse=True)  # still ordered by the sum
    found = pairs(graded)
    for row in rows:
        in_csv = found[(row[1], row[2])]
        assert (row[code_rank], row[written_rank]) == (in_csv["code_rank"], in_csv["written_rank"])
    firsts = {
        kind: {tuple(row[1:3]) for row in rows if row[col] == "1"}
        for kind, col in (("code", code_rank), ("written", written_rank))
    }
    assert firsts["written"] == {tuple(sorted(PLANTED["written"]))}
    assert len(firsts["code"]) == 1 and firsts["code"] <= {
        tuple(sorted(PLANTED[k])) for k in ("code", "problem3")
    }


def test_no_independent_pair_is_flagged(graded: Path) -> None:
    assert [p for p, r in pairs(graded).items() if r["flagged"] and independent(p)] == []


def test_blank_release_notebooks_do_not_pair_up(graded: Path) -> None:
    row = pairs(graded)[("Blank1", "Blank2")]
    assert (float(row["code"]), float(row["written"])) == (0.0, 0.0)


def test_every_pair_is_listed_once_and_the_report_is_the_same_on_each_run(
    graded: Path, tmp_path: Path
) -> None:
    names = sorted(students())
    assert len(pairs(graded)) == len(names) * (len(names) - 1) // 2
    before = (graded / "similarity" / "pairs.csv").read_bytes()
    copy = tmp_path / "grading"
    shutil.copytree(graded, copy)
    assert run_ps1("similarity", copy).returncode == 0
    assert (copy / "similarity" / "pairs.csv").read_bytes() == before


def test_a_missing_notebook_is_named_and_the_others_compared(graded: Path, tmp_path: Path) -> None:
    copy = tmp_path / "grading"
    shutil.copytree(graded, copy)
    (copy / "course" / "submitted" / "Wrong" / "ps1" / "PS1.ipynb").unlink()
    (copy / "course" / "submitted" / "Partial" / "ps1" / "PS1.ipynb").write_text("{not json")
    line = refused(
        run_ps1("similarity", copy), "2 notebook(s) not compared", "Wrong (no notebook", "Partial ("
    )
    assert "every other student was" in line
    compared = {s for pair in pairs(copy) for s in pair}
    assert compared == set(students()) - {"Wrong", "Partial"}


def test_a_folder_never_graded_is_refused(tmp_path: Path) -> None:
    refused(run_ps1("similarity", tmp_path), "holds no grading run")


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_pages_in_a_browser(graded: Path) -> None:
    """From the index, click through to the written copy: its matching paragraphs are marked and its
    math typeset offline; the code copy marks its matching passages."""
    index = graded / "similarity" / "index.html"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        context = browser.new_context()
        context.route("http*://**", lambda route: route.abort())  # offline: nothing from the network
        page = context.new_page()
        page.goto(index.as_uri())
        assert "evidence for a person to weigh" in page.inner_text("body")
        assert page.locator("img[src='distribution.png']").evaluate("img => img.naturalWidth") > 0
        page.locator("tr", has_text="Reworded").filter(has_text="Curie").locator("a").click()
        page.wait_for_load_state("load")
        page.wait_for_function("() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0")
        page.wait_for_timeout(500)
        assert page.title().startswith("Curie and Reworded")
        assert page.locator(".paragraph.match").count() >= 3
        assert page.locator(".MathJax_Display").count() >= 3
        assert page.locator(".MathJax_Error").count() == 0
        page.go_back()
        page.locator("tr", has_text="Renamed").filter(has_text="Ada").locator("a").click()
        # A click returns once the navigation commits; count() does not wait for the page to parse.
        page.wait_for_url("**/Ada__Renamed.html")
        page.wait_for_load_state("load")
        assert page.locator("pre.code mark").count() >= 4
        browser.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_index_sorts_by_a_clicked_column(graded: Path) -> None:
    heads, rows = index_table(graded)
    column = heads.index("written rank")
    ranks = sorted(int(row[column]) for row in rows)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page()
        page.goto((graded / "similarity" / "index.html").as_uri())
        heading = page.locator("thead th").nth(column)
        cells = page.locator(f"tbody td:nth-child({column + 1})")
        heading.click()
        assert [int(t) for t in cells.all_inner_texts()] == ranks
        heading.click()
        assert [int(t) for t in cells.all_inner_texts()] == ranks[::-1]
        browser.close()
