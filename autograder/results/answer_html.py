"""A student's markdown answer as HTML a staff member's browser may show: math kept, script gone.

Answers are untrusted text. nbconvert's markdown renderer passes raw HTML through, so its output is
cleaned with bleach down to the tags markdown itself makes: no script, no event handler, no frame, no
`javascript:` link. Math stays as text for MathJax. The grading page (`ps1 written`) and the similarity
pages show answers through this one function.
"""

from __future__ import annotations

import bleach
from nbconvert.filters import markdown2html

TAGS = {
    "p", "br", "hr", "em", "strong", "b", "i", "u", "s", "sub", "sup", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    "a", "span", "div",
}  # fmt: skip
ATTRIBUTES = {"a": ["href", "title"], "th": ["align"], "td": ["align"]}


def answer_html(markdown: str) -> str:
    """`markdown` rendered and cleaned (an empty answer gives "")."""
    if not markdown.strip():
        return ""
    html = markdown2html(markdown)
    return bleach.clean(html, tags=TAGS, attributes=ATTRIBUTES, protocols={"http", "https"}, strip=True)
