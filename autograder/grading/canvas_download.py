"""Canvas's "Download Submissions" as the input of `grade`: the archive, or the folder it unpacks to.

Canvas names each entry `<sortable name>[_LATE]_<user id>_<attachment id>_<the student's file name>`,
for example `lovelaceada_LATE_12345_678901_PS1_AdaLovelace.zip`; a later attempt at the same assignment
gets a higher attachment id (and Canvas appends `-1`, `-2` to the student's file name). So each student
is known by the Canvas user id, the newest attempt is the one with the highest attachment id, and the
LATE mark says what Canvas thought of the time. `grade` keeps the user id and the mark in state.json;
`export --canvas` then matches students by that id, and the mark is compared with our own lateness.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from autograder.course.state import State
from autograder.errors import InputError
from autograder.grading.collect import MAX_MEMBERS, MAX_TOTAL_BYTES, student_id_from_zip
from autograder.results.grades_table import GradesRow

ENTRY = re.compile(
    r"^(?P<sortable>[^_/\\]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>[^/\\]+)$",
    re.IGNORECASE,
)
ATTEMPT = re.compile(r"-\d+$")  # Canvas's suffix on the file name of a later attempt


@dataclass(frozen=True)
class CanvasEntry:
    """One file of the download, as Canvas named it."""

    path: Path
    user_id: str
    attachment_id: int
    late: bool
    file: str  # the student's own file name

    def student_id(self, zip_prefix: str) -> tuple[str, str | None]:
        """The student id taken from the student's own zip name (Canvas's attempt suffix dropped),
        and the warning a zip not named `<zip_prefix><FullName>.zip` gets (None if it is)."""
        return student_id_from_zip(Path(ATTEMPT.sub("", Path(self.file).stem) + ".zip"), zip_prefix)


def parse_entry(path: Path) -> CanvasEntry | None:
    """The entry's parts, or None if `path` is not named the way Canvas names a download's files."""
    found = ENTRY.match(path.name)
    if found is None:
        return None
    late = bool(found["late"])
    return CanvasEntry(path, found["user"], int(found["attachment"]), late, found["file"])


def is_canvas_download(folder: Path) -> bool:
    """Whether every file of `folder` is named as in Canvas's download (and there is one at least)."""
    files = [p for p in Path(folder).iterdir() if p.is_file() and not p.name.startswith(".")]
    return bool(files) and all(parse_entry(p) is not None for p in files)


def is_canvas_archive(path: Path) -> bool:
    """Whether `path` is a zip whose members are Canvas download entries (not a student's own zip)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [i.filename for i in archive.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile):
        return False
    return bool(names) and all(ENTRY.match(n) for n in names)


def unpack(archive: Path, dest: Path, timezone: str) -> Path:
    """The archive's entries written flat into `dest` (replaced), each with its time as its mtime.

    Only names Canvas gives are accepted (no folders, no `..`), within the same limits as a student's
    zip; anything else is an InputError naming the entry."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.iterdir():
        old.unlink()
    zone = ZoneInfo(timezone)  # the problem set's: Canvas's entry times carry no zone
    with zipfile.ZipFile(archive) as zipped:
        infos = [i for i in zipped.infolist() if not i.is_dir()]
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise InputError(
                f"{archive}: more than {MAX_MEMBERS} entries or {MAX_TOTAL_BYTES} bytes unpacked"
            )
        for info in infos:
            if not ENTRY.match(info.filename):
                raise InputError(
                    f"{archive}: entry {info.filename!r} is not named as Canvas names submissions"
                )
            target = dest / info.filename
            with zipped.open(info) as src, target.open("wb") as out:
                out.write(src.read(MAX_TOTAL_BYTES + 1))
            when = datetime(*info.date_time, tzinfo=zone).timestamp()
            os.utime(target, (when, when))
    return dest


def late_disagreements(state: State, rows: list[GradesRow]) -> list[str]:
    """A note for each student whose Canvas LATE mark disagrees with grades.csv's lateness (our
    deadline, times and extensions decide; the note says which way they differ)."""
    notes = []
    for row in rows:
        entry = state.students.get(row.student)
        if entry is None or entry.canvas_late is None or row.status == "error":
            continue
        ours = row.late_days > 0
        if ours != entry.canvas_late:
            canvas = "LATE" if entry.canvas_late else "on time"
            mine = f"{row.late_days} day(s) late" if ours else "on time"
            notes.append(f"{row.student}: Canvas marked the submission {canvas}, grades.csv has it {mine}")
    return notes
