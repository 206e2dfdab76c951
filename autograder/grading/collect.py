"""Safe reading of a submitted zip: nothing is extracted except one validated notebook.

`zip_collect` would extract every member with Python's zipfile: no size cap (zip bombs), symlinks and
`../` names are silently rewritten rather than reported, and its `--force` wipes whole submission
folders. Here each zip is checked first and only the notebook's bytes are written, by grade.py, to
`submitted/<student>/ps1/PS1.ipynb`, so one bad zip gets its own status and message and cannot touch
anything else.
"""

from __future__ import annotations

import json
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

# Limits of what a submitted zip may hold.
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 2000


class SubmissionError(Exception):
    """A submission that cannot be graded; the message is shown to the instructor and in grades.csv."""


@dataclass
class Submission:
    """What a zip holds that grading needs."""

    notebook: bytes
    member: str
    warnings: list[str] = field(default_factory=list)


def student_id_from_zip(path: Path, zip_prefix: str) -> tuple[str, str | None]:
    """Student id from `<zip_prefix><FullName>.zip`, and a warning when the name is not so."""
    stem = path.name[: -len(".zip")] if path.name.lower().endswith(".zip") else path.stem
    warning = None
    if stem.startswith(zip_prefix) and len(stem) > len(zip_prefix):
        raw = stem[len(zip_prefix) :]
    else:
        raw = stem
        shown = path.name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        warning = f"zip name {shown!r} is not {zip_prefix}<FullName>.zip; id taken from the file name"
    ascii_raw = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()  # José -> Jose
    student = re.sub(r"[^A-Za-z0-9_-]", "", ascii_raw)
    if not student:
        student = "unnamed_" + re.sub(r"[^0-9a-f]", "", raw.encode("utf-8", "replace").hex())[:12]
    return student, warning


def _check_member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if info.flag_bits & 0x800 == 0:
        # Without the UTF-8 flag zipfile decoded the bytes as cp437; accept them only if they are UTF-8.
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            raise SubmissionError(f"zip entry name is not valid UTF-8: {info.filename!r}") from None
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise SubmissionError(f"zip holds an absolute path: {name!r}")
    if ".." in PurePosixPath(posix).parts:
        raise SubmissionError(f"zip holds a path that leaves its folder: {name!r}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise SubmissionError(f"zip holds a symbolic link: {name!r}")
    if "\x00" in posix:
        raise SubmissionError(f"zip entry name has a NUL byte: {name!r}")
    return posix


def _is_ignored(posix: str) -> bool:
    parts = PurePosixPath(posix).parts
    return any(p == "__MACOSX" or p == ".ipynb_checkpoints" or p.startswith("._") for p in parts)


def read_submission(path: Path, notebook: str) -> Submission:
    """Check the zip at `path` and return its one notebook's bytes, or raise SubmissionError."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as fh:
            magic = fh.read(4)
        if magic == b"PK\x03\x04":
            raise SubmissionError("corrupt zip: it starts like a zip but is cut short or damaged")
        raise SubmissionError("not a zip file")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_MEMBERS:
                raise SubmissionError(f"zip holds {len(infos)} entries (limit {MAX_MEMBERS})")
            total = 0
            notebooks: list[tuple[str, zipfile.ZipInfo]] = []
            for info in infos:
                posix = _check_member_name(info)
                total += info.file_size
                if info.is_dir() or _is_ignored(posix):
                    continue
                if posix.lower().endswith(".ipynb"):
                    notebooks.append((posix, info))
            if total > MAX_TOTAL_BYTES:
                raise SubmissionError(
                    f"zip unpacks to {total} bytes (limit {MAX_TOTAL_BYTES}): refused as a zip bomb"
                )
            if not notebooks:
                raise SubmissionError("no notebook (.ipynb) in the zip")
            if len(notebooks) > 1:
                names = ", ".join(sorted(n for n, _ in notebooks))
                raise SubmissionError(f"several notebooks in the zip ({names}): hand in only {notebook}")
            posix, info = notebooks[0]
            if info.file_size > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"{posix} is {info.file_size} bytes (limit {MAX_NOTEBOOK_BYTES})")
            with zf.open(info) as member:
                data = member.read(MAX_NOTEBOOK_BYTES + 1)
            if len(data) > MAX_NOTEBOOK_BYTES:
                raise SubmissionError(f"{posix} unpacks past {MAX_NOTEBOOK_BYTES} bytes: refused")
    except SubmissionError:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise SubmissionError(f"corrupt zip: {exc}") from None
    except UnicodeDecodeError:
        raise SubmissionError("zip entry name is not valid UTF-8") from None
    warnings = []
    if PurePosixPath(posix).name != notebook:
        warnings.append(f"notebook is named {posix!r}, graded as {notebook}")
    return Submission(notebook=data, member=posix, warnings=warnings)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if isinstance(meta, dict) and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
        return meta.get("grade_id")
    return None


def check_notebook(
    data: bytes, test_cells: list[str], cell_ids: list[str], *, notebook: str
) -> tuple[dict, list[str]]:
    """Check that `data` is a PS1 notebook nbgrader can grade.

    `test_cells` are the grade_ids of the autograder test cells of the source notebook, `cell_ids` those
    of all its nbgrader cells. Returns the
    parsed notebook and warnings; anything that would make nbgrader fail is a SubmissionError.
    Deleted graded cells are put back by `restore_missing_cells`.
    """
    try:
        nb = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SubmissionError("notebook is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise SubmissionError(f"notebook is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) or nb.get("nbformat") != 4:
        raise SubmissionError("file is JSON but not a Jupyter notebook (nbformat 4)")
    seen: dict[str, int] = {}
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            raise SubmissionError("notebook has a cell that is not an object")
        gid = _grade_id(cell)
        if gid is not None:
            seen[gid] = seen.get(gid, 0) + 1
    dups = sorted(g for g, n in seen.items() if n > 1)
    if dups:
        raise SubmissionError(f"duplicate nbgrader cell ids: {', '.join(dups)} (a graded cell was copied)")
    if not set(seen) & set(cell_ids):
        raise SubmissionError(f"not the {notebook} notebook: none of its graded cells are there")
    unknown = sorted(set(seen) - set(cell_ids))
    if unknown:  # nbgrader would stop with a generic error; name the cells instead
        raise SubmissionError(
            f"nbgrader cells the assignment does not have: {', '.join(unknown)} "
            "(a cell was added or its id changed; only the release's cells can be graded)"
        )
    return nb, []


def restore_missing_cells(nb: dict, release: dict) -> tuple[dict, list[str]]:
    """Put back graded cells (tests, answers) the student deleted, copied from the release notebook.

    nbgrader 0.9.6's `OverwriteCells.add_missing_cells` crashes (KeyError) when the cell before the
    missing one is a read-only cell, so the cells are restored here; autograde then overwrites each
    with the gradebook's version, hidden tests included. Returns the notebook and warnings.
    """
    present = {_grade_id(c) for c in nb["cells"]} - {None}
    restored_tests, restored_answers = [], []
    for index, cell in enumerate(release["cells"]):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        gid = meta.get("grade_id")
        if not meta.get("grade") or gid in present:
            continue
        position = 0
        for earlier in reversed(release["cells"][:index]):
            eid = _grade_id(earlier)
            if eid in present:
                position = 1 + next(i for i, c in enumerate(nb["cells"]) if _grade_id(c) == eid)
                break
        nb["cells"].insert(position, json.loads(json.dumps(cell)))
        present.add(gid)
        (restored_answers if meta.get("solution") else restored_tests).append(gid)
    warnings = []
    if restored_tests:
        warnings.append(f"deleted test cells restored from the source: {', '.join(restored_tests)}")
    if restored_answers:
        warnings.append(f"deleted answer cells restored empty: {', '.join(restored_answers)}")
    return nb, warnings
