"""The exporter of the feedback pages: nbconvert's HTMLExporter without its costly extras.

Two costs of the stock exporter, measured on PS1's page (cProfile, one job of `ps1 grade`):
- nbgrader makes a new exporter, hence a new Jinja environment, per `generate_feedback` call, so the
  feedback templates were compiled again for every page. Compiled templates are kept here
  for the process's life (Jinja still checks each template source's checksum).
- After rendering, HTMLExporter parses the whole page again with BeautifulSoup and prints it back
  (a large share of a page's time, benchmarks/README.md) only to give `<img>` tags a missing `alt`
  and to make cells of the JupyterLab templates focusable. The feedback template is the classic one
  (no such cells), so the `alt` text is added with one regular expression over the rendered tags
  instead.

The exporter also gives the templates the style and MathJax settings every notebook page shares
(`page_style`, `page_mathjax`: page_style.py), which our `mathjax.html.j2` puts in the page's head.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
import jinja2.bccache
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbformat import NotebookNode

from .page_style import page_mathjax, page_style

ALT = "No description has been provided for this image"
# An <img ...> start tag (text in the page is escaped, so `<img` only starts a real tag).
_IMG = re.compile(r"<img\b(?P<attrs>[^>]*)>", re.IGNORECASE)
_HAS_ALT = re.compile(r"\salt\s*=", re.IGNORECASE)


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled Jinja templates kept for the process's life."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


_JINJA_CACHE = _MemoryBytecodeCache()


def add_missing_alt(html: str) -> str:
    """Give every `<img>` without an `alt` attribute the text nbconvert would have given it."""

    def fix(match: re.Match[str]) -> str:
        attrs = match.group("attrs")
        if _HAS_ALT.search(attrs):
            return match.group(0)
        closing = "/" if attrs.rstrip().endswith("/") else ""
        body = attrs.rstrip()[:-1] if closing else attrs
        return f'<img{body} alt="{ALT}"{closing}>'

    return _IMG.sub(fix, html)


class FeedbackHTMLExporter(HTMLExporter):
    """HTMLExporter with templates compiled once per process, no second parse of the page, and the
    shared page style and MathJax settings."""

    def _create_environment(self) -> jinja2.Environment:
        environment = super()._create_environment()
        environment.bytecode_cache = _JINJA_CACHE
        environment.globals.update(page_style=page_style(), page_mathjax=page_mathjax())
        return environment

    def from_notebook_node(  # type: ignore[override]
        self, nb: NotebookNode, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """HTMLExporter.from_notebook_node up to the rendered page, then `alt` texts by regex."""
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        data_types = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight)
        self.register_filter("filter_data_type", data_types)
        html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return add_missing_alt(html), resources
