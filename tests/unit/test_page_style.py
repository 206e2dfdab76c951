"""One page style and one MathJax setup for every page that shows a notebook.

autograder/student/page_style.css and page_mathjax.js are the only copy: the submission page
(student/pdf.py) and the feedback pages (nbgrader_ext/page_style.py, through the feedback exporter)
both put the files' text in their page, unchanged, before MathJax loads. The handout and the
installed package carry the files.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

import nbformat
import nbgrader
from helpers.ps1 import REPO_DIR
from traitlets.config import Config

from autograder.authoring.handout import student_package_files
from autograder.nbgrader_ext import page_style
from autograder.nbgrader_ext.feedback_html import FeedbackHTMLExporter
from autograder.nbgrader_ext.feedback_math import configure_feedback_math
from autograder.student import pdf

BOOTSTRAP_CSS = (
    Path(nbgrader.__file__).parent / "server_extensions/formgrader/static/node_modules/bootstrap/dist/css"
)
NOTEBOOK = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_markdown_cell("$$\\ell = x^2$$"),
        nbformat.v4.new_code_cell("print(1)", execution_count=1),
    ]
)


def _feedback_page() -> str:
    """A feedback page rendered as nbgrader's GenerateFeedback renders it (its Bootstrap CSS folder)."""
    c = Config()
    configure_feedback_math(c)
    c.HTMLExporter.extra_template_paths = [str(BOOTSTRAP_CSS)]
    exporter = FeedbackHTMLExporter(config=c, template_name="feedback")
    resources = {"nbgrader": {"notebook": "PS1", "score": 1.0, "max_score": 2.0, "late_penalty": 0}}
    return exporter.from_notebook_node(NOTEBOOK, resources=resources)[0]


def test_both_readers_read_the_same_files() -> None:
    assert page_style.PAGE_STYLE.resolve() == pdf.PAGE_STYLE.resolve()
    assert page_style.PAGE_MATHJAX.resolve() == pdf.PAGE_MATHJAX.resolve()
    assert page_style.PAGE_STYLE.parent == REPO_DIR / "autograder" / "student"


def _check_page(html: str) -> None:
    """The style and the settings are in `html` whole, the settings before MathJax.js loads."""
    style, settings = page_style.page_style(), page_style.page_mathjax()
    assert "linebreaks: {automatic: true}" in settings and "white-space: pre-wrap" in style
    assert html.count(style) == 1 and html.count(settings) == 1
    assert html.index(settings) < html.index("MathJax.js?config=")


def test_the_submission_page_carries_them() -> None:
    html = pdf.notebook_html(NOTEBOOK)
    _check_page(html)
    # after nbconvert's own styles, so that ours win where both set a property
    head = html[: html.index("</head>")]
    assert head.rindex("<style") < head.index(page_style.page_style())


def test_the_feedback_page_carries_them() -> None:
    html = _feedback_page()
    _check_page(html)
    assert "../../.mathjax/MathJax.js" in html


def test_the_files_ship_with_the_package_and_the_handout() -> None:
    data = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for path in (pdf.PAGE_STYLE, pdf.PAGE_MATHJAX):
        assert any(fnmatch.fnmatch(path.name, pattern) for pattern in data["autograder.student"]), path
        assert path in student_package_files()
