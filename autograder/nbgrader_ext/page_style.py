"""The style and MathJax settings shared by every page that shows a notebook, read from autograder/student/.

One copy serves the submission PDF, the feedback pages and any grading page: `page_style.css` (long
lines wrap, pictures shrink to the width, nothing scrolls on paper) and `page_mathjax.js` (MathJax 2
settings: offline fonts, automatic line breaking, displays scaled to the width on screen and for
print). They live in autograder/student/ because the student's handout ships that folder as files and
its code may read nothing outside it. The layers put nbgrader_ext below student, so this module reads
the two files as data and never imports the package (authoring/handout.py reads the folder the same
way).
"""

from __future__ import annotations

from pathlib import Path

STUDENT_DIR = Path(__file__).resolve().parents[1] / "student"
PAGE_STYLE = STUDENT_DIR / "page_style.css"
PAGE_MATHJAX = STUDENT_DIR / "page_mathjax.js"


def page_style() -> str:
    """The CSS of page_style.css, for a `<style>` element placed after the page's other styles."""
    return PAGE_STYLE.read_text(encoding="utf-8")


def page_mathjax() -> str:
    """The script of page_mathjax.js (it sets `window.MathJax`), for a `<script>` before MathJax.js."""
    return PAGE_MATHJAX.read_text(encoding="utf-8")
