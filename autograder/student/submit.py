"""Submitting PS1: check PS1.ipynb, run it in a fresh kernel, and zip it with a PDF as PS1_<FullName>.zip.

Checks, in order: it is the PS1 notebook (its nbgrader cells match the assignment's), it was run (it has
execution counts), it runs from top to bottom in a fresh kernel, and which visible tests fail (by
grade_id). The zip holds the notebook as just run and a PDF of it (or, where no PDF engine exists,
the HTML and how to print it).
"""

from __future__ import annotations

import json
import re
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from autograder.ps1 import NOTEBOOK, SOURCE_NOTEBOOK, ZIP_PREFIX
from autograder.student import pdf

DEFAULT_NOTEBOOK = Path("notebooks") / NOTEBOOK
CELL_TIMEOUT = 600


class SubmitError(Exception):
    """The notebook cannot be submitted; the message says why and what to do."""


@dataclass
class Checked:
    nb: object  # nbformat.NotebookNode, executed
    failed_tests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # grade_ids / cell numbers of other cells with errors


def zip_name(full_name: str) -> str:
    """'Ada Lovelace' -> 'PS1_AdaLovelace.zip' (accents dropped, only letters, digits, - and _)."""
    ascii_name = unicodedata.normalize("NFKD", full_name).encode("ascii", "ignore").decode()
    compact = re.sub(r"[^A-Za-z0-9_-]", "", ascii_name)
    if not compact:
        raise SubmitError(f'--name {full_name!r} has no letters: use --name "Your Full Name"')
    return f"{ZIP_PREFIX}{compact}.zip"


def _meta(cell: dict) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def reference_cells(source: Path | None = None) -> dict[str, dict]:
    """nbgrader cells of the assignment (grade_id -> metadata), read from the source notebook."""
    path = source or SOURCE_NOTEBOOK
    if not path.exists():
        return {}
    nb = json.loads(path.read_text(encoding="utf-8"))
    return {m["grade_id"]: m for c in nb["cells"] if (m := _meta(c)).get("grade_id")}


def load_and_check(path: Path, reference: dict[str, dict]) -> dict:
    """Read the notebook and refuse what cannot be a PS1 submission."""
    if not path.exists():
        raise SubmitError(f"{path} does not exist: run this from the repository folder or pass --notebook")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SubmitError(f"{path} is not a readable notebook ({exc})") from None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        raise SubmitError(f"{path} is not a Jupyter notebook")
    ids = [m["grade_id"] for c in nb["cells"] if (m := _meta(c)).get("grade_id")]
    dups = sorted({i for i in ids if ids.count(i) > 1})
    if dups:
        raise SubmitError(f"graded cells appear twice: {', '.join(dups)}; delete the copies")
    if reference:
        if not set(ids) & set(reference):
            raise SubmitError(f"{path} is not the PS1 notebook: none of its graded cells are there")
        missing = [g for g, m in reference.items() if (m.get("grade") or m.get("solution")) and g not in ids]
        if missing:
            raise SubmitError(
                f"graded cells were deleted: {', '.join(missing)}; copy them back from a fresh PS1.ipynb"
            )
    elif not ids:
        raise SubmitError(f"{path} is not the PS1 notebook: it has no nbgrader cells")
    code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    if code and all(c.get("execution_count") is None for c in code):
        raise SubmitError(
            f"{path} was never run: open it, choose Run > Run All Cells, save it, then submit again"
        )
    return nb


def execute(nb_dict: dict, cwd: Path, timeout: int = CELL_TIMEOUT) -> Checked:
    """Run the notebook in a fresh kernel; collect failing visible tests and other errors."""
    nb = nbformat.reads(json.dumps(nb_dict), as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, allow_errors=True, resources={"metadata": {"path": str(cwd)}}
    )
    try:
        client.execute()
    except DeadKernelError:
        raise SubmitError(
            "the kernel died while running your notebook (os._exit, a crash or out of memory)"
        ) from None
    except CellTimeoutError:
        raise SubmitError(
            f"a cell ran longer than {timeout} s: fix it (an endless loop?) and submit again"
        ) from None
    checked = Checked(nb=nb)
    for number, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            continue
        meta = _meta(cell)
        if meta.get("grade") and not meta.get("solution"):
            checked.failed_tests.append(meta["grade_id"])
        else:
            checked.errors.append(meta.get("grade_id") or f"cell {number}")
    return checked


def write_zip(checked: Checked, name: str, out: Path) -> tuple[Path, str]:
    """Write the zip; return its path and which document it holds ('PDF' or 'HTML')."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / zip_name(name)
    with tempfile.TemporaryDirectory(prefix="ps1-submit-") as tmp:
        pdf_path = Path(tmp) / "PS1.pdf"
        made, html = pdf.notebook_pdf(checked.nb, pdf_path)
        partial = target.with_suffix(".zip.part")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(NOTEBOOK, nbformat.writes(checked.nb))
            if made:
                zf.write(pdf_path, "PS1.pdf")
            else:
                zf.writestr("PS1.html", html)
        partial.replace(target)
    return target, "PDF" if made else "HTML"


def submit(name: str, notebook: Path, out: Path, source: Path | None = None) -> Path:
    """Check, run and zip `notebook`; print what happened; return the zip path."""
    if not name or not name.strip():
        raise SubmitError('your name is missing: python -m autograder submit --name "Your Full Name"')
    zip_name(name)  # refuse a name with no letters before the long steps
    nb = load_and_check(notebook, reference_cells(source))
    print(f"running {notebook} from top to bottom in a fresh kernel ...")
    checked = execute(nb, notebook.resolve().parent)
    if checked.failed_tests:
        print(f"these visible tests fail: {', '.join(checked.failed_tests)} (your zip is made anyway)")
    else:
        print("all visible tests pass (hidden tests run at grading)")
    if checked.errors:
        print(f"these other cells raise errors: {', '.join(checked.errors)}")
    target, kind = write_zip(checked, name, out)
    print(f"wrote {target} (notebook + {kind})")
    if kind == "HTML":
        print(
            "no PDF engine here (install Chromium or Google Chrome, or run `playwright install chromium`):\n"
            "  open PS1.html from the zip in a browser, print it to PS1.pdf, and add PS1.pdf to the zip."
        )
    print("send this zip as your submission.")
    return target
