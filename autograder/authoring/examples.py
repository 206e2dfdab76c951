"""The sample submissions of nbgrader_course/examples, built from the source notebook.

Rebuilt by `ps1 examples`. Each zip is what a student could send; times.csv gives their submission
times, extensions.csv one student's extension and manual_grades.csv the hand grading of the written
answers that `make demo` imports (`ps1 manual`). The expected grade of each is asserted in the
grading tests. Zips are written byte-for-byte reproducibly (fixed dates).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

from autograder.course import grading_course as cd
from autograder.course.layout import Course
from autograder.ps1 import EXAMPLES_DIR, NOTEBOOK, QUESTIONS

FIXED = (2017, 1, 1, 0, 0, 0)
MARKER = re.compile(r"^\s*#*\s*(BEGIN|END) SOLUTION\s*$")

# name -> (kind, submission time); the deadline is 2017-01-12 12:00 America/Chicago.
EXAMPLES = {
    "PS1_AdaLovelace.zip": ("full", "2017-01-12 11:58 America/Chicago"),
    "PS1_AlanTuring.zip": ("partial", "2017-01-11 20:00 America/Chicago"),
    "PS1_GraceHopper.zip": ("full", "2017-01-13 23:00 America/Chicago"),  # 2 started days late
    "PS1_KurtGodel.zip": ("full", "2017-01-17 09:00 America/Chicago"),  # 5 started days late
    "PS1_BrokenZip.zip": ("broken", "2017-01-12 10:00 America/Chicago"),
    "PS1_NoNotebook.zip": ("no_notebook", "2017-01-12 10:00 America/Chicago"),
    "PS1_KernelKiller.zip": ("kill_kernel", "2017-01-12 10:00 America/Chicago"),
    "emmy_noether_ps1.zip": ("full", "2017-01-12 09:00 America/Chicago"),  # not PS1_<Name>.zip
    "PS1_UntouchedRelease.zip": ("blank", "2017-01-12 08:00 America/Chicago"),  # handed back unanswered
}


def _solution_text(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not MARKER.match(line))


def filled(release: dict, source: dict, fraction: float = 1.0) -> dict:
    """The release notebook with the source's answers in the first `fraction` of answer cells."""
    answers = {}
    for cell in source["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = _solution_text("".join(cell["source"]))
    nb = copy.deepcopy(release)
    ids = [
        c["metadata"]["nbgrader"]["grade_id"]
        for c in nb["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    keep = set(ids[: round(len(ids) * fraction)])
    for cell in nb["cells"]:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in keep and gid in answers:
            cell["source"] = answers[gid]
    return nb


def kill_kernel(nb: dict) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
            cell["source"] = "import os\nos._exit(1)  # the kernel dies here\n" + "".join(cell["source"])
            return nb
    raise ValueError("no answer code cell to put os._exit in")


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, FIXED), data)
    return buf.getvalue()


def _nb_bytes(nb: dict) -> bytes:
    return (json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def release_notebook(source: Path | None = None) -> tuple[dict, dict]:
    """(release, source) notebooks, the release made by nbgrader in a temporary course."""
    with tempfile.TemporaryDirectory(prefix="ps1-examples-") as tmp:
        course = Course(Path(tmp) / "course")
        cd.prepare(course.root, source)
        release = json.loads(course.release_notebook.read_text())
        src = json.loads(course.source_notebook.read_text())
    return release, src


# student -> extra days and the reason (extensions.csv): Kurt's 5 started days late become 3.
EXTENSIONS = {"KurtGodel": (2, "medical note")}
# student -> (fraction of each written answer's points, the grader's comment) (manual_grades.csv).
MANUAL = {
    "AdaLovelace": (1.0, "Complete and correct."),
    "GraceHopper": (0.5, "Right idea, but a step of the derivation is missing."),
}


def write_hand_grading(out: Path) -> list[Path]:
    """extensions.csv and manual_grades.csv of the examples (points from PS1's notebook)."""
    with (out / "extensions.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student", "days", "reason"])
        for student, (days, reason) in EXTENSIONS.items():
            writer.writerow([student, days, reason])
    with (out / "manual_grades.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student", "question", "points", "comment"])
        for student, (fraction, comment) in MANUAL.items():
            for q in QUESTIONS:
                if q.manual:
                    writer.writerow([student, q.grade_id, f"{q.points * fraction:g}", comment])
    return [out / "extensions.csv", out / "manual_grades.csv"]


def build(out: Path = EXAMPLES_DIR, source: Path | None = None) -> list[Path]:
    """Write the example zips, times.csv and the hand-grading CSVs into `out`; return the zip paths."""
    release, src = release_notebook(source)
    full = filled(release, src)
    notebooks = {
        "full": full,
        "partial": filled(release, src, 0.5),
        "kill_kernel": kill_kernel(full),
        "blank": release,
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (kind, _) in EXAMPLES.items():
        if kind in notebooks:
            data = _zip({NOTEBOOK: _nb_bytes(notebooks[kind])})
        elif kind == "broken":
            data = _zip({NOTEBOOK: _nb_bytes(full)})[:300]  # cut short: central directory missing
        elif kind == "no_notebook":
            data = _zip({"PS1.pdf": b"%PDF-1.4\n% only the PDF was sent\n"})
        else:
            raise ValueError(kind)
        (out / name).write_bytes(data)
        paths.append(out / name)
    with (out / "times.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "timestamp"])
        for name, (_, when) in EXAMPLES.items():
            writer.writerow([name, when])
    write_hand_grading(out)
    return paths
