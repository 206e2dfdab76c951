"""A PDF of a notebook without LaTeX: nbconvert HTML, printed by headless Chromium.

Order: a system Chromium/Chrome (Debian's `chromium`), then nbconvert's `webpdf` exporter (Playwright's
own Chromium, when installed). With neither, the caller ships the HTML and tells the student how to
print it.

Math is typeset with no network: the HTML loads MathJax 2.7 from the pip package
`jupyter-server-mathjax` (a `file://` URL into site-packages; nbconvert's default is a CDN), and
Chromium gets a virtual-time budget so that it prints only after MathJax has finished. This module
imports nothing of the autograder: the student's handout ships it as a file.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from nbconvert import HTMLExporter, WebPDFExporter

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--no-pdf-header-footer",
]
# Virtual time lets the page's timers run as fast as the CPU allows, and Chromium waits for files being
# loaded: MathJax's queue is done long before this budget ends, and a page without math costs nothing.
TYPESET_BUDGET_MS = 30000
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the one combined config the pip package ships
# Read by MathJax 2 when it starts: the pip package ships only the STIX-Web fonts, not the TeX ones.
MATHJAX_FONTS = (
    '<script>window.MathJax = {"HTML-CSS": '
    '{availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null}};</script>'
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """Path of a Chromium-family browser, `$CHROMIUM` first."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def local_mathjax() -> Path | None:
    """MathJax.js of the installed `jupyter-server-mathjax` package, or None (found without importing it)."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        script = Path(folder) / "static" / "MathJax.js"
        if script.is_file():
            return script
    return None


def mathjax_url() -> str | None:
    """A `file://` URL of the local MathJax with its config; None: keep nbconvert's default (a CDN)."""
    script = local_mathjax()
    return f"{script.as_uri()}?config={MATHJAX_CONFIG}" if script else None


def notebook_html(nb) -> str:  # nb: nbformat.NotebookNode
    """The notebook as standalone HTML (nbconvert's lab template), math typeset by a local MathJax."""
    url = mathjax_url()
    if url is None:
        return HTMLExporter().from_notebook_node(nb)[0]
    body, _ = HTMLExporter(mathjax_url=url).from_notebook_node(nb)
    return body.replace("<head>", "<head>\n" + MATHJAX_FONTS, 1)


def html_to_pdf(html: str, pdf: Path, timeout: float = 120) -> bool:
    """Print `html` to `pdf` with a system Chromium; False when there is none or it fails."""
    browser = find_chromium()
    if browser is None:
        return False
    with tempfile.TemporaryDirectory(prefix="ps1-pdf-") as tmp:
        page = Path(tmp) / "notebook.html"
        page.write_text(html, encoding="utf-8")
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            f"--virtual-time-budget={TYPESET_BUDGET_MS}",
            f"--print-to-pdf={pdf}",
            page.as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return pdf.exists() and pdf.stat().st_size > 0 and pdf.read_bytes()[:5] == b"%PDF-"


def webpdf(nb, pdf: Path) -> bool:
    """nbconvert's webpdf exporter (needs Playwright's Chromium); False if it is not available."""
    url = mathjax_url()
    try:
        exporter = WebPDFExporter(mathjax_url=url) if url else WebPDFExporter()
        data, _ = exporter.from_notebook_node(nb)
    except Exception:  # no playwright browser, no network to fetch one, ...
        return False
    pdf.write_bytes(data)
    return data[:5] == b"%PDF-"


def notebook_pdf(nb, pdf: Path) -> tuple[bool, str]:
    """Make `pdf` from the notebook; return (made, html) so a caller can fall back to the HTML."""
    html = notebook_html(nb)
    if html_to_pdf(html, pdf) or webpdf(nb, pdf):
        return True, html
    return False, html
