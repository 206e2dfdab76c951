"""The feedback exporter's `alt` fix: what nbconvert's second parse of the page used to do."""

from bs4 import BeautifulSoup

from autograder.nbgrader_ext.feedback_html import ALT, add_missing_alt


def test_an_image_without_alt_gets_nbconverts_text() -> None:
    html = '<p>x</p><img src="data:image/png;base64,AAAA"\n><br>'
    fixed = add_missing_alt(html)
    assert BeautifulSoup(fixed, "html.parser").img["alt"] == ALT
    assert fixed.startswith("<p>x</p>") and fixed.endswith("<br>")


def test_an_image_with_alt_and_escaped_text_are_left_alone() -> None:
    html = '<img alt="plot" src="a.png"> &lt;img src="b.png"&gt; <IMG ALT=x src=c.png/>'
    assert add_missing_alt(html) == html


def test_a_self_closing_tag_stays_self_closing() -> None:
    fixed = add_missing_alt('<img src="a.png"/>')
    assert fixed == f'<img src="a.png" alt="{ALT}"/>'
