"""Course constants for grading PS1, and the one date parser every command uses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from autograder import ASSIGNMENT, NOTEBOOK

ASSIGNMENT_NAME = ASSIGNMENT  # the nbgrader assignment id
NOTEBOOK_NAME = NOTEBOOK  # the notebook students hand in
ZIP_PREFIX = "PS1_"  # students send PS1_<FullName>.zip
COURSE_TIMEZONE = "America/Chicago"  # naive times (times.csv, --due) are read in this zone
DUE_DATE = "2017-01-12 12:00 America/Chicago"
PERCENT_PER_DAY = 10.0  # percent of the total (automatic + manual) lost per started day late
MAX_LATE_DAYS = 3  # later than this many days: not accepted
GRACE_MINUTES = 0  # a submission this many minutes after the deadline still counts as on time

# Limits of what a submitted zip may hold (see collect.py).
MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
MAX_MEMBERS = 2000

_ZONE_SUFFIX = re.compile(r"^(?P<when>.*\S)\s+(?P<zone>[A-Za-z_]+/[A-Za-z_/+-]+|UTC)$")


def parse_time(text: str, default_zone: str = COURSE_TIMEZONE) -> datetime:
    """Parse '2017-01-12 12:00 America/Chicago', ISO 8601 with an offset, or a naive time.

    A naive time is read in `default_zone`. Returns an aware datetime in UTC.
    """
    text = text.strip()
    zone = default_zone
    match = _ZONE_SUFFIX.match(text)
    if match:
        text, zone = match.group("when"), match.group("zone")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(
            f"cannot read the time {text!r}: use e.g. '2017-01-12 12:00 America/Chicago'"
        ) from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(zone))
    return when.astimezone(UTC)
