"""Students' markdown shown to staff (results/answer_html.py): text and math kept, nothing that runs."""

from __future__ import annotations

from autograder.results.answer_html import answer_html


def test_markup_that_would_run_is_removed_and_the_rest_kept() -> None:
    html = answer_html(
        "A **bold** claim, $J = \\operatorname{diag}(p) - p p^\\top$ and $a < b$."
        ' <script>alert(1)</script> <img src="x" onerror="alert(2)">'
        ' <a href="javascript:alert(3)">link</a> <iframe src="https://example.org"></iframe>'
        '\n\n<div onclick="alert(4)">box</div>'
    )
    assert "<strong>bold</strong>" in html and "\\operatorname{diag}(p)" in html and "a &lt; b" in html
    for gone in ("<script", "<img", "onerror", "javascript:", "<iframe", "onclick"):
        assert gone not in html, (gone, html)


def test_an_empty_answer_is_empty() -> None:
    assert answer_html("  \n") == ""
