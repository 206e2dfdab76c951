"""What makes a folder a grading folder (`ps1 grade --out`), and which layout of it this is.

`grade` writes a marker (`layout.GradingFolder.marker`) at the top of its output folder. Commands
recognise a grading folder by it, or, for folders made before it existed, by state.json beside a
course/ folder. They refuse one (or a folder inside one) as the folder of students' zips, and bring a
folder of an older layout up to date
(`grading_course.upgrade`: configuration and templates rebuilt, grades kept in the gradebook).

Layouts: 1, every folder made before the marker, whose course stored the gradebook as an absolute
URL (a copy of the folder wrote the original's grades); 2, every stored path relative to the folder;
3, the course's configuration lists the rubric items on the feedback pages and records `--source`;
4, the course's source/ holds the problem set's spec (the course knows its problem set from it).
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from autograder.course.layout import GradingFolder
from autograder.replace_file import replace_text

LAYOUT = 4
DISTRIBUTION = "ps1-bundle"  # pyproject's [project] name


def bundle_version() -> str:
    """The installed version of the bundle, recorded in each folder it makes."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"


def is_grading_folder(path: Path) -> bool:
    """Whether `path` is the output folder of a grading run (of any layout)."""
    where = GradingFolder(Path(path))
    return where.marker.is_file() or (where.state_file.is_file() and where.course.root.is_dir())


def enclosing_grading_folder(path: Path) -> Path | None:
    """The grading folder `path` is, or lies inside; None when there is none."""
    path = Path(path).resolve()
    return next((p for p in (path, *path.parents) if is_grading_folder(p)), None)


def layout(out: Path) -> int:
    """The layout of grading folder `out` (1 when it has no marker)."""
    try:
        return int(json.loads(GradingFolder(Path(out)).marker.read_text()).get("layout", 1))
    except (OSError, ValueError, AttributeError):
        return 1


def is_older(out: Path) -> bool:
    """Whether `out` is a grading folder that an older version made (`grading_course.upgrade` it)."""
    return is_grading_folder(out) and layout(out) != LAYOUT


def write_marker(out: Path) -> None:
    """Record that `out` is a grading folder of today's layout, made by this version."""
    marker = {"layout": LAYOUT, "made_by": f"{DISTRIBUTION} {bundle_version()}"}
    replace_text(GradingFolder(Path(out)).marker, json.dumps(marker) + "\n")
