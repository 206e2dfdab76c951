"""The feedback exporter: the `alt` fix (instead of a second parse of the page) and the warm-up."""

from bs4 import BeautifulSoup

from autograder.nbgrader_ext import feedback_html, feedback_math
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


def test_warm_up_leaves_every_template_of_a_page_compiled() -> None:
    """The page a worker renders before its first job uses the feedback page's templates, so a real
    page then compiles nothing more (the saving is measured in benchmarks/README.md)."""
    feedback_html.warm_up()
    compiled = dict(feedback_html._JINJA_CACHE.compiled)
    assert compiled, "the warm-up page compiled no template"
    feedback_html.warm_up()
    assert feedback_html._JINJA_CACHE.compiled == compiled
    templates = [str(p) for p in feedback_html.page_config().HTMLExporter.extra_template_basedirs]
    assert str(feedback_math.TEMPLATES) in templates and str(feedback_math.NBGRADER_TEMPLATES) in templates
