"""Real JupyterLab + headless Chromium (Playwright, Debian's /usr/bin/chromium).

1. The release, filled with the reference answers, runs top to bottom in JupyterLab (Run All Cells)
   with no error output.
2. formgrader: a manual grade typed into the browser reaches grades.csv through `autograder export`.
Screenshots go to build/browser/.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ps1
from helpers.ps1 import ASSIGNMENT, DIGITS_FILE, EXAMPLES_DIR, NOTEBOOK_ID, REPO_DIR, SOURCE_NOTEBOOK
from playwright.sync_api import sync_playwright

from autograder.authoring.examples import filled
from autograder.course import grading_course as cd
from autograder.grading import coordinator
from autograder.grading.request import GradeRequest
from autograder.results import grades_table as export
from autograder.student.pdf import CHROMIUM_FLAGS

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = CHROMIUM_FLAGS
SHOTS = REPO_DIR / "build" / "browser"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(root: Path, tmp: Path) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 serving `root` (also its cwd); yields the base URL, token excluded."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
    )
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]  # fmt: skip
    news = tmp / "config" / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True, exist_ok=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    log = (tmp / "jupyter.log").open("w")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "JupyterLab did not start:\n" + (tmp / "jupyter.log").read_text()
                    ) from None
                time.sleep(0.3)
        yield base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextlib.contextmanager
def browser_page() -> Iterator[object]:

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            yield page
        finally:
            browser.close()


KERNEL_IDLE_JS = (
    """() => /Idle/.test((document.querySelector('#jp-main-statusbar') || {}).textContent || '')"""
)


def accept_kernel_dialog(page) -> None:
    """Accept JupyterLab's "Select Kernel" dialog (preselected: Python 3) if it is open."""
    button = page.locator(".jp-Dialog button.jp-mod-accept")
    if button.count():
        button.first.click()


PROGRESS_JS = """() => {
  const text = (el, sel) => ((el.querySelector(sel) || {}).textContent || '');
  const cells = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')];
  const prompts = cells.map(c => text(c, '.jp-InputArea-prompt'));
  const empty = cells.map(c => text(c, '.jp-InputArea-editor').trim() === '');
  const stderr = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]';
  const errors = [...document.querySelectorAll(stderr)]
    .map(e => e.textContent).filter(t => /Traceback|Error\\b|Exception/.test(t));
  return {cells: cells.length, running: prompts.filter(p => p.includes('*')).length,
          unrun: prompts.filter((p, i) => !empty[i] && !/\\[\\d+\\]/.test(p)).length, errors};
}"""


def test_solution_runs_in_jupyterlab(tmp_path: Path) -> None:
    root = tmp_path / "work"
    root.mkdir()
    # What a student hands in: the release (no hidden tests, no outputs) with the reference answers.
    release = json.loads((REPO_DIR / "notebooks" / "PS1.ipynb").read_text())
    source = json.loads(SOURCE_NOTEBOOK.read_text())
    (root / "PS1.ipynb").write_text(json.dumps(filled(release, source)))
    shutil.copy(REPO_DIR / "notebooks" / DIGITS_FILE, root)  # Problem 3's data, beside it as in the handout
    SHOTS.mkdir(parents=True, exist_ok=True)
    with jupyter_lab(root, tmp_path) as (base, token), browser_page() as page:
        page.goto(f"{base}/lab/tree/PS1.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=45_000)
        page.wait_for_timeout(1500)
        accept_kernel_dialog(page)  # "Select Kernel" shows up now and then on a fresh server
        page.wait_for_function(KERNEL_IDLE_JS, timeout=45_000)

        def run_all() -> None:
            accept_kernel_dialog(page)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator("li.lm-Menu-item[data-command='runmenu:run-all']").click()

        run_all()
        start = time.monotonic()
        clicked_again = False
        state = page.evaluate(PROGRESS_JS)
        while (state["running"] or state["unrun"]) and time.monotonic() < start + 75:
            time.sleep(1)
            accept_kernel_dialog(page)
            state = page.evaluate(PROGRESS_JS)
            nothing_started = state["running"] == 0 and state["unrun"] >= state["cells"] - 1
            if nothing_started and not clicked_again and time.monotonic() > start + 15:
                run_all()  # the first click landed before the kernel was connected
                clicked_again = True
        page.screenshot(path=str(SHOTS / "ps1_run_all.png"))
    assert state["cells"] > 5, state
    assert state["running"] == 0 and state["unrun"] == 0, f"not finished in time: {state}"
    assert state["errors"] == [], state["errors"][:2]


def test_formgrader_manual_grade_reaches_grades_csv(tmp_path: Path) -> None:

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(EXAMPLES_DIR / "PS1_AdaLovelace.zip", inbox)
    out = tmp_path / "out"
    coordinator.run(GradeRequest(inbox, out, quiet=True))
    course = out / "course"
    question = next(q for q in ps1.QUESTIONS if q.manual)
    with cd.gradebook(course) as gb:
        submission_id = gb.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, "AdaLovelace").id
    points = question.points - 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    with jupyter_lab(course, tmp_path) as (base, token), browser_page() as page:
        page.goto(f"{base}/formgrader?token={token}")
        page.goto(f"{base}/formgrader/submissions/{submission_id}/")
        box = page.locator(f"input.score#{question.grade_id}")
        box.wait_for(timeout=30_000)
        with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
            box.fill(str(points))
            box.press("Tab")
        page.screenshot(path=str(SHOTS / "formgrader_manual_grade.png"))
    rows = {r.student: r for r in export.export(out)}
    assert float(rows["AdaLovelace"].cells[question.grade_id]) == points
    with (out / "grades.csv").open() as fh:
        row = next(r for r in csv.DictReader(fh) if r["student"] == "AdaLovelace")
    assert float(row[question.grade_id]) == points
    assert json.loads((out / "state.json").read_text())["students"]["AdaLovelace"]["status"] == "graded"
