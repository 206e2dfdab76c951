"""Reading times: the deadline (`--due`), submission times (times.csv), all as aware UTC datetimes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from autograder.errors import InputError

_ZONE_SUFFIX = re.compile(r"^(?P<when>.*\S)\s+(?P<zone>[A-Za-z_]+/[A-Za-z_/+-]+|UTC)$")


def parse_time(text: str, *, zone: str) -> datetime:
    """Parse '2017-01-12 12:00 America/Chicago', ISO 8601 with an offset, or a naive time.

    A naive time is read in `zone` (the problem set's). Returns an aware datetime in UTC.
    """
    text = text.strip()
    match = _ZONE_SUFFIX.match(text)
    if match:
        text, zone = match.group("when"), match.group("zone")
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"cannot read the time {text!r}: use e.g. '2024-05-01 17:00 {zone}'") from exc
    if when.tzinfo is None:
        try:
            when = when.replace(tzinfo=ZoneInfo(zone))
        except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
            raise InputError(f"unknown time zone {zone!r}: use e.g. 'Europe/Berlin' or 'UTC'") from exc
    return when.astimezone(UTC)
