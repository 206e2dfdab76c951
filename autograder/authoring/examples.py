"""A problem set's sample submissions (`nbgrader_course/examples/<id>/`), built from its source notebook.

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
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.course import grading_course as cd
from autograder.course.layout import Course
from autograder.deadlines import parse_time
from autograder.problem_set import ProblemSet

FIXED = (2017, 1, 1, 0, 0, 0)
MARKER = re.compile(r"^\s*#*\s*(BEGIN|END) SOLUTION\s*$")

H = 60  # minutes
# student -> (kind, submission time in minutes after the deadline); "" is a name without the prefix.
EXAMPLES = {
    "AdaLovelace": ("full", -2),
    "AlanTuring": ("partial", -16 * H),
    "GraceHopper": ("full", 35 * H),  # 2 started days late
    "KurtGodel": ("full", 117 * H),  # 5 started days late
    "BrokenZip": ("broken", -2 * H),
    "NoNotebook": ("no_notebook", -2 * H),
    "KernelKiller": ("kill_kernel", -2 * H),
    "": ("full", -3 * H),  # emmy_noether_<id>.zip: not named <prefix><FullName>.zip
    "UntouchedRelease": ("blank", -4 * H),  # handed back unanswered
}


def examples(ps: ProblemSet) -> dict[str, tuple[str, str]]:
    """zip name -> (kind, submission time as times.csv gives it) for problem set `ps`."""
    due = parse_time(ps.due, zone=ps.timezone)
    found = {}
    for student, (kind, minutes) in EXAMPLES.items():
        name = f"{ps.zip_prefix}{student}.zip" if student else f"emmy_noether_{ps.id}.zip"
        when = (due + timedelta(minutes=minutes)).astimezone(ZoneInfo(ps.timezone))
        found[name] = (kind, f"{when:%Y-%m-%d %H:%M} {ps.timezone}")
    return found


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


def release_notebook(ps: ProblemSet) -> tuple[dict, dict]:
    """(release, source) notebooks, the release made by nbgrader in a temporary course."""
    with tempfile.TemporaryDirectory(prefix="examples-") as tmp:
        course = Course(Path(tmp) / "course")
        cd.prepare(course.root, ps.folder)
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


def write_hand_grading(out: Path, ps: ProblemSet) -> list[Path]:
    """extensions.csv and manual_grades.csv of the examples (points from the problem set's notebook)."""
    with (out / "extensions.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student", "days", "reason"])
        for student, (days, reason) in EXTENSIONS.items():
            writer.writerow([student, days, reason])
    with (out / "manual_grades.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["student", "question", "points", "comment"])
        for student, (fraction, comment) in MANUAL.items():
            for q in ps.questions:
                if q.manual:
                    writer.writerow([student, q.grade_id, f"{q.points * fraction:g}", comment])
    return [out / "extensions.csv", out / "manual_grades.csv"]


def build(out: Path, ps: ProblemSet) -> list[Path]:
    """Write the example zips, times.csv and the hand-grading CSVs into `out`; return the zip paths."""
    release, src = release_notebook(ps)
    named = examples(ps)
    full = filled(release, src)
    notebooks = {
        "full": full,
        "partial": filled(release, src, 0.5),
        "kill_kernel": kill_kernel(full),
        "blank": release,
    }
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, (kind, _) in named.items():
        if kind in notebooks:
            data = _zip({ps.notebook: _nb_bytes(notebooks[kind])})
        elif kind == "broken":
            data = _zip({ps.notebook: _nb_bytes(full)})[:300]  # cut short: central directory missing
        elif kind == "no_notebook":
            data = _zip({f"{ps.notebook_id}.pdf": b"%PDF-1.4\n% only the PDF was sent\n"})
        else:
            raise ValueError(kind)
        (out / name).write_bytes(data)
        paths.append(out / name)
    with (out / "times.csv").open("w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["file", "timestamp"])
        for name, (_, when) in named.items():
            writer.writerow([name, when])
    write_hand_grading(out, ps)
    return paths
