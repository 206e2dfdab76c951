"""A PDF of a notebook without LaTeX: nbconvert HTML, printed by headless Chromium.

Order: a system Chromium/Chrome (Debian's `chromium`), then nbconvert's `webpdf` exporter (Playwright's
own Chromium, when installed). With neither, the caller ships the HTML and tells the student how to
print it.
"""

from __future__ import annotations

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


def notebook_html(nb) -> str:  # nb: nbformat.NotebookNode
    """The notebook as standalone HTML (nbconvert's lab template)."""
    body, _ = HTMLExporter().from_notebook_node(nb)
    return body


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
    try:
        data, _ = WebPDFExporter().from_notebook_node(nb)
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
