"""Math typeset with no network: the submission PDF (its text read by pypdf) and a feedback page (Chromium).

Chromium runs in a network namespace of its own (`unshare -n`): nothing can be fetched, so what is typeset
was typeset by the MathJax installed with the pip package `jupyter-server-mathjax`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from helpers.ps1 import ASSIGNMENT, EXAMPLES_DIR, NOTEBOOK_ID
from nbconvert import HTMLExporter
from pypdf import PdfReader

from autograder.student import pdf

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MARKDOWN = (
    r"The gradient: $\frac{\partial \ell}{\partial x} = f_y \, g'(x) + f_z \, h'(x)$, and summed:"
    "\n\n"
    r"$$\sum_{i=1}^{n} \beta_i \cdot \alpha_i$$"
)
RAW_TEX = (r"\frac", r"\partial", r"\sum", "$$", r"\beta")
TYPESET = ("∂", "ℓ", "∑")  # what the formulas above turn into


@pytest.fixture(scope="module")
def offline_chromium(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A wrapper that starts the system Chromium with no network at all (a fresh network namespace)."""
    browser = pdf.find_browser()
    if browser is None or shutil.which("unshare") is None:
        pytest.skip("needs Chromium and unshare")
    if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    wrapper = tmp_path_factory.mktemp("offline") / "chromium-offline"
    wrapper.write_text(f'#!/bin/sh\nexec unshare -n "{browser}" "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def visible_text(html: str) -> str:
    """What a reader sees: no scripts (MathJax keeps the TeX source in script tags), no code spans."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "code", "pre", "title"]):
        tag.decompose()
    return soup.get_text()


def test_local_mathjax_is_installed() -> None:
    url = pdf.mathjax_url()
    assert url is not None and url.startswith("file://"), "pip install -r requirements.txt"
    assert pdf.local_mathjax().is_file()


def test_submission_pdf_has_typeset_math(offline_chromium: str, tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN)])
    target = tmp_path / "PS1.pdf"
    assert pdf.html_to_pdf(pdf.notebook_html(nb), target, offline_chromium)
    text = "".join(page.extract_text() for page in PdfReader(target).pages)
    assert not [tex for tex in RAW_TEX if tex in text], text
    assert all(symbol in text for symbol in TYPESET), text


def test_cdn_mathjax_stays_raw_offline(offline_chromium: str, tmp_path: Path) -> None:
    """The check above can fail: nbconvert's default page (MathJax from a CDN) prints raw TeX offline."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(MARKDOWN)])
    html, _ = HTMLExporter().from_notebook_node(nb)
    target = tmp_path / "cdn.pdf"
    assert pdf.html_to_pdf(html, target, offline_chromium)
    assert r"\frac" in "".join(page.extract_text() for page in PdfReader(target).pages)


@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The feedback page of one bundled example, graded by the real command."""
    tmp = tmp_path_factory.mktemp("feedback-math")
    zips = tmp / "zips"
    zips.mkdir()
    shutil.copy(EXAMPLES_DIR / "PS1_AdaLovelace.zip", zips)
    out = tmp / "out"
    cmd = [sys.executable, "-m", "autograder", "grade", str(zips), "--out", str(out), "--workers", "1"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=600)
    return out / "course" / "feedback" / "AdaLovelace" / ASSIGNMENT / f"{NOTEBOOK_ID}.html"


def rendered_dom(browser: str, page: Path, profile: Path) -> str:
    """The page's DOM after its scripts ran (virtual time: MathJax's queue finishes first)."""
    cmd = [browser, *pdf.CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    cmd += [f"--virtual-time-budget={pdf.TYPESET_BUDGET_MS}", "--dump-dom", page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True).stdout


def test_feedback_page_typesets_math_offline(
    offline_chromium: str, feedback_page: Path, tmp_path: Path
) -> None:
    source = feedback_page.read_text(encoding="utf-8")
    assert "../../.mathjax/MathJax.js" in source
    assert (feedback_page.parents[2] / ".mathjax" / "MathJax.js").is_file()
    raw = visible_text(source)
    assert "$$" in raw, "the feedback page should hold display math to typeset"
    dom = rendered_dom(offline_chromium, feedback_page, tmp_path / "profile")
    soup = BeautifulSoup(dom, "html.parser")
    assert len(soup.select(".MathJax_Display")) >= 1 and len(soup.select(".MathJax")) >= 10
    assert not soup.select(".MathJax_Error"), "MathJax could not typeset some formulas"
    shown = visible_text(dom)
    assert "$$" not in shown and r"\frac" not in shown and r"\partial" not in shown
