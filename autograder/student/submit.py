"""Submitting PS1: check PS1.ipynb, run it in a fresh kernel, and zip it with a PDF as PS1_<FullName>.zip.

Checks, in order: a name with letters, an output folder that can be written, it is the PS1 notebook
(its nbgrader cells match the assignment's), no graded cell deleted or duplicated, it was run (it has
execution counts), it runs from top to bottom in a fresh kernel (a cell that kills the kernel or never
finishes is named), and which visible tests fail (by grade_id). The zip holds the notebook as just run
and a PDF of it, printed by Chrome, Chromium or Edge (or, where no such browser is found, the HTML and
how to print it).

This package is shipped to students as files (the handout's `ps1_submit/`): it imports only its own
modules, by relative imports, and gets every fact about the assignment as an `Assignment`.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from . import pdf
from .assignment import Assignment, nbgrader_meta

CELL_TIMEOUT = 600


class SubmitError(Exception):
    """The notebook cannot be submitted; the message says why and what to do."""


@dataclass
class Checked:
    nb: object  # nbformat.NotebookNode, executed
    failed_tests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # grade_ids / cell numbers of other cells with errors


def zip_name(full_name: str, prefix: str) -> str:
    """'Ada Lovelace' -> 'PS1_AdaLovelace.zip' (accents dropped, only letters, digits, - and _)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    compact = re.sub(r"[^A-Za-z0-9_-]", "", ascii_name)
    if not re.search(r"[A-Za-z]", compact):
        raise SubmitError(f'--name {full_name!r} has no letters: use --name "Your Full Name"')
    return f"{prefix}{compact}.zip"


def check_writable(out: Path) -> None:
    """Refuse an output folder that cannot take the zip, before the long steps (nothing is created)."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise SubmitError(f"--out {out}: {existing} is a file, not a folder; pass --out a folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise SubmitError(
            f"--out {out}: cannot write in {existing} ({exc.strerror}); pass --out a folder you can write"
        ) from None


def _graded_ids(nb: dict) -> list[str]:
    return [m["grade_id"] for c in nb["cells"] if (m := nbgrader_meta(c)).get("grade_id")]


def load_and_check(path: Path, assignment: Assignment) -> dict:
    """Read the notebook and refuse what cannot be a submission of `assignment`."""
    if not path.exists():
        raise SubmitError(f"{path} does not exist: run this next to {assignment.notebook} or pass --notebook")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmitError(f"{path} is not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise SubmitError(f"{path} is not a Jupyter notebook")
    ids = _graded_ids(nb)
    if not set(ids) & set(assignment.cells):
        raise SubmitError(
            f"{path} is not the {assignment.notebook} notebook: none of its graded cells are there"
        )
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise SubmitError(f"graded cells appear twice: {', '.join(dups)}; delete the copies")
    missing = [g for g in assignment.graded if g not in ids]
    if missing:
        raise SubmitError(
            f"graded cells were deleted: {', '.join(missing)}; "
            f"copy them back from a fresh {assignment.notebook}"
        )
    code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    if code and all(c.get("execution_count") is None for c in code):
        raise SubmitError(
            f"{path} was never run: open it, choose Run > Run All Cells, save it, then submit again"
        )
    return nb


def _cell_label(nb: nbformat.NotebookNode, index: int) -> str:
    gid = nbgrader_meta(nb.cells[index]).get("grade_id")
    return f"cell {index + 1} ({gid})" if gid else f"cell {index + 1}"


def execute(nb_dict: dict, cwd: Path, assignment: Assignment, *, timeout: int = CELL_TIMEOUT) -> Checked:
    """Run the notebook in a fresh kernel; collect failing visible tests and other errors.

    A cell that kills the kernel or runs past `timeout` makes the notebook unrunnable: refused, naming it."""
    nb = nbformat.reads(json.dumps(nb_dict), as_version=4)
    running = [0]

    def on_cell_start(cell: nbformat.NotebookNode, cell_index: int) -> None:
        running[0] = cell_index

    client = NotebookClient(
        nb,
        timeout=timeout,
        allow_errors=True,
        resources={"metadata": {"path": str(cwd)}},
        on_cell_start=on_cell_start,
    )
    try:
        client.execute()
    except DeadKernelError:
        raise SubmitError(
            f"{_cell_label(nb, running[0])} killed the kernel (os._exit, a crash or out of memory): "
            "fix it, run the notebook again and submit"
        ) from None
    except CellTimeoutError:
        raise SubmitError(
            f"{_cell_label(nb, running[0])} ran longer than {timeout} s: fix it (an endless loop?) "
            "and submit again"
        ) from None
    checked = Checked(nb=nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if gid and assignment.is_test(gid):
            checked.failed_tests.append(gid)
        else:
            checked.errors.append(gid or f"cell {index + 1}")
    return checked


def choose_browser(flag: str | None) -> str | None:
    """The browser that prints the PDF (`pdf.find_browser`), None when there is none.

    An explicit choice (`--browser`, else `$CHROMIUM`) that names no program is refused, not replaced."""
    found = pdf.find_browser(flag)
    chosen = flag or os.environ.get("CHROMIUM")
    if chosen and found is None:
        where = f"--browser {flag}" if flag else f"$CHROMIUM ({chosen})"
        raise SubmitError(
            f"{where} is not a program on this computer: give the path of Chrome, Chromium or Edge, "
            "or leave it out and submit looks for one"
        )
    return found


def write_zip(
    checked: Checked, name: str, out: Path, *, assignment: Assignment, browser: str | None
) -> tuple[Path, str]:
    """Write the zip (to a temporary name, then renamed), the PDF printed by `browser` (None: the
    HTML instead); return its path and 'PDF' or 'HTML'."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / zip_name(name, assignment.zip_prefix)
    stem = Path(assignment.notebook).stem
    with tempfile.TemporaryDirectory(prefix="ps1-submit-") as tmp:
        pdf_path = Path(tmp) / f"{stem}.pdf"
        made, html = pdf.notebook_pdf(checked.nb, pdf_path, browser)
        partial = target.with_suffix(".zip.part")
        try:
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr(assignment.notebook, nbformat.writes(checked.nb))
                if made:
                    zf.write(pdf_path, f"{stem}.pdf")
                else:
                    zf.writestr(f"{stem}.html", html)
            partial.replace(target)
        except BaseException:  # a full disk, Ctrl-C: no half-written zip is left behind
            partial.unlink(missing_ok=True)
            raise
    return target, "PDF" if made else "HTML"


def submit(
    name: str, notebook: Path, out: Path, *, assignment: Assignment, prog: str, browser: str | None = None
) -> Path:
    """Check, run and zip `notebook`; print what happened; return the zip path.

    `prog` is the command the student typed, for the messages that tell them what to type; `browser`
    the --browser flag (None: look for one)."""
    if not name or not name.strip():
        raise SubmitError(f'your name is missing: {prog} --name "Your Full Name"')
    zip_name(name, assignment.zip_prefix)  # refuse a name with no letters before the long steps
    check_writable(out)
    printer = choose_browser(browser)
    nb = load_and_check(notebook, assignment)
    print(f"running {notebook} from top to bottom in a fresh kernel ...")
    checked = execute(nb, notebook.resolve().parent, assignment)
    if checked.failed_tests:
        print(f"these visible tests fail: {', '.join(checked.failed_tests)} (your zip is made anyway)")
    else:
        print("all visible tests pass (hidden tests run at grading)")
    if checked.errors:
        print(f"these other cells raise errors: {', '.join(checked.errors)}")
    if printer:
        print(f"printing the PDF with {printer} ...")
    target, kind = write_zip(checked, name, out, assignment=assignment, browser=printer)
    print(f"wrote {target} (notebook + {kind})")
    if kind == "HTML":
        stem = Path(assignment.notebook).stem
        why = (
            f"{printer} could not print the PDF"
            if printer
            else "no Chrome, Chromium or Edge found to print the PDF (install one, or pass --browser PATH)"
        )
        print(
            f"{why}:\n  open {stem}.html from the zip in a browser, print it to {stem}.pdf, and add "
            f"{stem}.pdf to the zip."
        )
    print("send this zip as your submission.")
    return target
