"""A PDF of a notebook without LaTeX: nbconvert HTML, printed by a Chromium-family browser (headless).

Chrome, Chromium and Edge all print a page with `--headless --print-to-pdf`. `find_browser` looks for
one the way a student's machine has it: an explicit setting, the names on PATH, then where the
installers of macOS and Windows put them. With none, the caller ships the HTML and tells the student
how to print it.

The page loses nothing (page_style.css, page_mathjax.js, shared with the feedback pages): long lines
wrap, pictures shrink to the width, and math is typeset for the width of the printed page. Math is
typeset with no network: the HTML loads MathJax 2.7 from the pip package `jupyter-server-mathjax` (a
`file://` URL into site-packages; nbconvert's default is a CDN), and Chromium gets a virtual-time
budget so that it prints only after MathJax has finished. This module imports nothing of the
autograder: the student's handout ships it as a file.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from nbconvert import HTMLExporter

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
# Wider than the printed page, so that the layout is not a phone's: the page itself is as wide as the
# printed text (page_style.css), and the window only has to hold it.
WINDOW_SIZE = "1024,768"
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the one combined config the pip package ships

HERE = Path(__file__).resolve().parent
PAGE_STYLE = HERE / "page_style.css"  # also read by nbgrader_ext/page_style.py: one copy for every page
PAGE_MATHJAX = HERE / "page_mathjax.js"

# Names a browser has on PATH: Debian/Ubuntu/Fedora/Arch Chromium and Chrome, Edge for Linux.
PATH_NAMES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
)
# macOS: app bundles in /Applications or ~/Applications.
MACOS_APPS = (
    "Google Chrome.app/Contents/MacOS/Google Chrome",
    "Chromium.app/Contents/MacOS/Chromium",
    "Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
# Windows: under each of these folders (per machine, 32-bit per machine, per user); Edge ships with
# Windows 10 and 11.
WINDOWS_ROOTS = ("ProgramFiles", "ProgramFiles(x86)", "LocalAppData")
WINDOWS_EXES = (
    ("Google", "Chrome", "Application", "chrome.exe"),
    ("Microsoft", "Edge", "Application", "msedge.exe"),
    ("Chromium", "Application", "chrome.exe"),
)


def install_places(
    system: str, environ: Mapping[str, str], home: Path, *, root: Path = Path("/")
) -> list[Path]:
    """Where the installers of `system` (`platform.system()`: Darwin, Windows, Linux) put the browsers.

    `root` stands for `/` (the macOS system Applications folder), so tests can build a fake tree."""
    if system == "Darwin":
        return [
            folder / app for folder in (root / "Applications", home / "Applications") for app in MACOS_APPS
        ]
    if system == "Windows":
        folders = [Path(environ[name]) for name in WINDOWS_ROOTS if environ.get(name)]
        return [folder.joinpath(*exe) for folder in folders for exe in WINDOWS_EXES]
    return []


def locate_browser(
    system: str,
    environ: Mapping[str, str],
    home: Path,
    *,
    which: Callable[[str], str | None],
    explicit: str | None = None,
    root: Path = Path("/"),
) -> str | None:
    """Path of a Chromium-family browser, or None.

    Order: `explicit` (a --browser flag), else `$CHROMIUM` (a path, a macOS app bundle or a name on
    PATH; when it is set and names nothing, None: an explicit choice is never replaced by another
    browser); the names on PATH; the standard install places of `system`."""
    chosen = explicit or environ.get("CHROMIUM")
    if chosen:
        program = Path(chosen)
        if program.suffix == ".app":  # a macOS app bundle, as Finder shows it: the program inside
            program = program / "Contents" / "MacOS" / program.stem
        return str(program) if program.is_file() else which(chosen)
    for name in PATH_NAMES:
        found = which(name)
        if found:
            return found
    return next(
        (str(place) for place in install_places(system, environ, home, root=root) if place.is_file()), None
    )


def find_browser(explicit: str | None = None) -> str | None:
    """`locate_browser` on this machine."""
    return locate_browser(platform.system(), os.environ, Path.home(), which=shutil.which, explicit=explicit)


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
    """The notebook as standalone HTML (nbconvert's lab template) with the shared page style, math
    typeset by a local MathJax (when installed)."""
    url = mathjax_url()
    body, _ = (HTMLExporter(mathjax_url=url) if url else HTMLExporter()).from_notebook_node(nb)
    # MathJax reads window.MathJax when it starts: the script goes before nbconvert's MathJax.js. The
    # style goes last, after nbconvert's, so that it wins where both set the same property.
    settings = f"<script>\n{PAGE_MATHJAX.read_text(encoding='utf-8')}\n</script>"
    style = f"<style>\n{PAGE_STYLE.read_text(encoding='utf-8')}\n</style>"
    body = body.replace("<head>", "<head>\n" + settings, 1)
    return body.replace("</head>", style + "\n</head>", 1)


def print_page(page: Path, pdf: Path, browser: str, *, timeout: float = 120) -> bool:
    """Print the HTML file `page` to `pdf` with `browser` (a Chromium-family executable), after its
    scripts ran; False when the browser fails or makes no PDF."""
    with tempfile.TemporaryDirectory(prefix="ps1-browser-") as profile:
        cmd = [
            browser,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW_SIZE}",
            f"--virtual-time-budget={TYPESET_BUDGET_MS}",
            f"--print-to-pdf={pdf}",
            page.resolve().as_uri(),
        ]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return False
    return pdf.is_file() and pdf.read_bytes()[:5] == b"%PDF-"


def html_to_pdf(html: str, pdf: Path, browser: str | None, *, timeout: float = 120) -> bool:
    """Print `html` to `pdf` with `browser`; False when there is none or it fails."""
    if browser is None:
        return False
    with tempfile.TemporaryDirectory(prefix="ps1-pdf-") as tmp:
        page = Path(tmp) / "notebook.html"
        page.write_text(html, encoding="utf-8")
        return print_page(page, pdf, browser, timeout=timeout)


def notebook_pdf(nb, pdf: Path, browser: str | None) -> tuple[bool, str]:
    """Make `pdf` from the notebook with `browser`; return (made, html) so a caller can fall back to
    the HTML."""
    html = notebook_html(nb)
    return html_to_pdf(html, pdf, browser), html
