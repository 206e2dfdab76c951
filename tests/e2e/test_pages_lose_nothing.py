"""Every character of a long line, a long output and wide math reaches the paper and the screen.

A notebook with PS1's reference answers plus a 200-character code line, a 300-character output line,
a picture three times the page's width and, in a written answer, two display equations wider than
the page (a long sum MathJax can break into lines, and a one-row matrix it cannot, which is scaled
down) goes through the real `ps1 submit`; the zip it makes is graded by the real `ps1 grade`, and
the feedback page is printed by Chromium as a student would print it.

Text is read from the PDFs with poppler's `pdftotext -layout`: it orders the text by where it stands
on the page, so MathJax's output (each glyph placed on its own) reads in order, subscripts after
their letter. pypdf reads the content stream's order instead and gives a sum as `+ + + a1b1 a2b2`.
Whitespace is removed and the text NFKC-normalised (MathJax prints 𝑎, pdftotext gives U+1D44E).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from helpers import ps1
from playwright.sync_api import sync_playwright

from autograder.authoring.examples import filled
from autograder.student import pdf
from tests.helpers.commands import run_ps1

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CODE_LINE = 'code_line = "' + "".join(f"c{i:03d}" for i in range(46)) + '" #'
OUTPUT_CODE = 'print("".join(f"o{i:03d}" for i in range(75)))'
OUTPUT_LINE = "".join(f"o{i:03d}" for i in range(75))
# A picture 3,000 pixels wide, shown as an image: grading kernels make matplotlib figures without
# drawing them (MPLBACKEND=agg), but a picture the notebook itself renders and displays is kept.
PICTURE_CODE = (
    "import io\nfrom IPython.display import Image, display\n"
    "fig = plt.figure(figsize=(30, 2))\nplt.plot([0, 1], [0, 1])\nbuf = io.BytesIO()\n"
    "fig.savefig(buf, format='png')\nplt.close(fig)\ndisplay(Image(buf.getvalue()))"
)
SUM_TEX = r"$$\ell = " + " + ".join(f"a_{{{i}}} b_{{{i}}}" for i in range(1, 41)) + "$$"
SUM_SYMBOLS = "ℓ=" + "+".join(f"a{i}b{i}" for i in range(1, 41))
MATRIX_TEX = r"$$M = \begin{pmatrix}" + " & ".join(f"m_{{{i}}}" for i in range(1, 40)) + r"\end{pmatrix}$$"
MATRIX_SYMBOLS = "M=(" + "".join(f"m{i}" for i in range(1, 40)) + ")"
LETTER_TEXT_WIDTH_IN = 7.5  # Letter, 0.5in margins: the widest text a page of these PDFs has


def flat(text: str) -> str:
    """`text` as compared: NFKC-normalised, every whitespace character removed."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text))


def pdf_text(document: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(document), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return flat(done.stdout)


def widest_picture_inches(document: Path) -> tuple[int, float]:
    """(pixels, printed inches) of the widest picture in `document` (poppler's `pdfimages -list`)."""
    rows = subprocess.run(
        ["pdfimages", "-list", str(document)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    sizes = [(int(cols[3]), float(cols[12])) for cols in (row.split() for row in rows)]
    pixels, ppi = max(sizes)
    return pixels, pixels / ppi


def code_lines(nb: dict) -> list[str]:
    """Every non-blank line of the notebook's code cells, as compared."""
    lines = (
        line for c in nb["cells"] if c["cell_type"] == "code" for line in "".join(c["source"]).split("\n")
    )
    return [flat(line) for line in lines if line.strip()]


def _cell(nb: dict, grade_id: str) -> dict:
    return next(
        c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id
    )


def _as_run(nb: dict) -> dict:
    for n, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            cell["execution_count"] = n + 1
    return nb


def reference_answers() -> dict:
    """The release with the source notebook's answers in every answer cell (a full submission)."""
    release = json.loads(ps1.RELEASE_NOTEBOOK.read_text(encoding="utf-8"))
    source = json.loads(ps1.SOURCE_NOTEBOOK.read_text(encoding="utf-8"))
    return _as_run(filled(release, source))


def with_long_lines(nb: dict) -> dict:
    """`nb` with the long code line, output and picture in the first code answer, and the wide
    equations at the end of the first written answer."""
    assert len(CODE_LINE) == 200 and len(OUTPUT_LINE) == 300
    code = _cell(nb, "p1a_code")
    code["source"] = "".join(code["source"]) + "\n\n" + "\n".join([CODE_LINE, OUTPUT_CODE, PICTURE_CODE])
    written = _cell(nb, "p1a_written")
    written["source"] = (
        "".join(written["source"]) + f"\n\nAll together:\n\n{SUM_TEX}\n\nand\n\n{MATRIX_TEX}\n"
    )
    return nb


def submitted_pdf(nb: dict, name: str, folder: Path) -> SimpleNamespace:
    """Submit `nb` with the real command; the zip, the PDF's text and the PDF."""
    folder.mkdir(exist_ok=True)
    notebook = folder / ps1.NOTEBOOK
    notebook.write_text(json.dumps(nb), encoding="utf-8")
    shutil.copy(ps1.RELEASE_NOTEBOOK.parent / ps1.DIGITS_FILE, folder)  # Problem 3's data, beside it
    done = run_ps1("submit", "--name", name, "--notebook", notebook, "--out", folder / "out")
    assert done.returncode == 0, done.stderr
    assert "(notebook + PDF)" in done.stdout, done.stdout
    target = next((folder / "out").glob("*.zip"))
    with zipfile.ZipFile(target) as zf:
        (folder / "PS1.pdf").write_bytes(zf.read(f"{Path(ps1.NOTEBOOK).stem}.pdf"))
        ran = json.loads(zf.read(ps1.NOTEBOOK))
    return SimpleNamespace(zip=target, pdf=folder / "PS1.pdf", text=pdf_text(folder / "PS1.pdf"), nb=ran)


@pytest.fixture(scope="module")
def browser() -> str:
    found = pdf.find_browser()
    if found is None:
        pytest.skip("no Chrome, Chromium or Edge here (apt-get install chromium)")
    if shutil.which("pdftotext") is None or shutil.which("pdfimages") is None:
        pytest.skip("no pdftotext/pdfimages here (apt-get install poppler-utils)")
    return found


@pytest.fixture(scope="module")
def long_lines(browser: str, tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    return submitted_pdf(with_long_lines(reference_answers()), "Wide Lines", tmp_path_factory.mktemp("wide"))


@pytest.fixture(scope="module")
def feedback_page(long_lines: SimpleNamespace, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The feedback page of the long-lines zip, graded by the real command."""
    tmp = tmp_path_factory.mktemp("wide-graded")
    zips = tmp / "zips"
    zips.mkdir()
    shutil.copy(long_lines.zip, zips)
    times = tmp / "times.csv"
    times.write_text(f"file,timestamp\n{long_lines.zip.name},{ps1.DUE_DATE}\n")
    done = run_ps1("grade", zips, "--times", times, "--out", tmp / "out", "--workers", "1")
    assert done.returncode == 0, done.stderr
    student = long_lines.zip.stem.removeprefix(ps1.ZIP_PREFIX)
    return tmp / "out" / "course" / "feedback" / student / ps1.ASSIGNMENT / f"{ps1.NOTEBOOK_ID}.html"


def test_submission_pdf_holds_every_character(long_lines: SimpleNamespace) -> None:
    text = long_lines.text
    assert flat(CODE_LINE) in text
    assert OUTPUT_LINE in text
    assert flat(SUM_SYMBOLS) in text, "the long sum is cut"
    assert flat(MATRIX_SYMBOLS) in text, "the wide matrix is cut"
    assert "\\begin" not in text and "$$" not in text  # typeset, not raw TeX
    missing = [line for line in code_lines(long_lines.nb) if line not in text]
    assert not missing, missing


def test_submission_pdf_scales_pictures_to_the_page(long_lines: SimpleNamespace) -> None:
    pixels, inches = widest_picture_inches(long_lines.pdf)
    assert pixels > 3 * 96 * LETTER_TEXT_WIDTH_IN  # the 30-inch figure is there, at its resolution
    assert inches <= LETTER_TEXT_WIDTH_IN


def test_reference_solution_pdf_holds_every_code_line(browser: str, tmp_path: Path) -> None:
    submitted = submitted_pdf(reference_answers(), "Ada Lovelace", tmp_path / "reference")
    lines = code_lines(submitted.nb)
    assert len([line for line in lines if len(line) > 80]) >= 10  # lines longer than a page is wide
    missing = [line for line in lines if line not in submitted.text]
    assert not missing, f"{len(missing)} of {len(lines)} code lines are cut: {missing}"


def printed_from_window(browser: str, page_file: Path, width: int, target: Path) -> Path:
    """`page_file` printed to `target` by Chromium from a window `width` pixels wide, as a reader
    would print it (Playwright's print, after MathJax has typeset the page)."""
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            page = chromium.new_page(viewport={"width": width, "height": 900})
            page.goto(page_file.as_uri())
            page.wait_for_function(TYPESET, timeout=60000)
            page.pdf(path=str(target))
        finally:
            chromium.close()
    return target


def test_printed_feedback_page_holds_every_character(
    browser: str, feedback_page: Path, tmp_path: Path
) -> None:
    """Printed as a student would print it, from a window narrower than the paper and from one twice
    as wide (typeset for the window, the page is shrunk to the paper by the browser)."""
    for width in (700, 1600):
        printed = printed_from_window(browser, feedback_page, width, tmp_path / f"feedback-{width}.pdf")
        text = pdf_text(printed)
        assert flat(CODE_LINE) in text and OUTPUT_LINE in text, width
        assert flat(SUM_SYMBOLS) in text and flat(MATRIX_SYMBOLS) in text, width
        assert widest_picture_inches(printed)[1] <= LETTER_TEXT_WIDTH_IN


def test_feedback_page_prints_with_the_command_line_browser(
    browser: str, feedback_page: Path, tmp_path: Path
) -> None:
    """`pdf.print_page`, the way submit prints, also prints a feedback page whole."""
    printed = tmp_path / "feedback.pdf"
    assert pdf.print_page(feedback_page, printed, browser)
    text = pdf_text(printed)
    assert flat(CODE_LINE) in text and OUTPUT_LINE in text
    assert flat(SUM_SYMBOLS) in text and flat(MATRIX_SYMBOLS) in text


# What sticks out, and by how much: the right edge of the visible characters of each code block, output
# and math display past its box or the window (MathJax's hidden copy for screen readers aside; spaces
# that hang at the end of a wrapped line are not characters), and each picture past its container.
OVERFLOW = """() => {
  const out = [];
  const edge = document.documentElement.clientWidth;
  const inkRight = (root) => {
    let reach = -Infinity;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      if (text.parentElement.closest(".MJX_Assistive_MathML")) continue;
      for (const word of text.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        for (const rect of range.getClientRects()) reach = Math.max(reach, rect.right);
      }
    }
    return reach;
  };
  const check = (what, reach, box) => {
    const past = reach - Math.min(box.getBoundingClientRect().right, edge);
    if (past > 1) out.push(`${what}: ${Math.round(past)} px past the edge`);
  };
  for (const box of document.querySelectorAll("pre, .MathJax_Display")) {
    check(`${box.tagName} ${box.textContent.slice(0, 40)}`, inkRight(box), box);
  }
  for (const img of document.querySelectorAll("img")) {
    check(`IMG ${img.width}px`, img.getBoundingClientRect().right, img.parentElement);
  }
  return out;
}"""
TYPESET = "() => window.MathJax && MathJax.Hub && MathJax.Hub.queue.pending === 0"


@pytest.mark.parametrize("width", [640, 1280])
def test_pages_fit_the_window(
    browser: str, long_lines: SimpleNamespace, feedback_page: Path, tmp_path: Path, width: int
) -> None:
    """On screen: the submission page and the feedback page, in a narrow and a wide window."""
    submission = tmp_path / "submission.html"
    with zipfile.ZipFile(long_lines.zip) as zf:
        nb = nbformat.reads(zf.read(ps1.NOTEBOOK).decode(), as_version=4)
    submission.write_text(pdf.notebook_html(nb), encoding="utf-8")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser, args=["--no-sandbox"])
        try:
            for page_file in (submission, feedback_page):
                page = chromium.new_page(viewport={"width": width, "height": 900})
                page.goto(page_file.as_uri())
                page.wait_for_function(TYPESET, timeout=60000)
                page.wait_for_function("() => document.querySelectorAll('.MathJax_Display').length >= 2")
                assert page.evaluate(OVERFLOW) == [], page_file.name
                page.close()
        finally:
            chromium.close()
