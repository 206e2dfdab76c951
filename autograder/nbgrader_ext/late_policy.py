"""The late policy: a percentage of the total per started day late, nothing after a number of days.

The numbers are each problem set's (`[late]` in its problem_set.toml: percent_per_day, max_days,
grace_minutes; PS1: 10% a day, at most 3 days, no grace).

`late_days` and `late_penalty` are the policy itself; `export.py` applies them to the current total
(automatic + manual) when grades.csv is written. `PercentPerDayLatePenalty` is the same policy as an
nbgrader plugin (`c.AssignLatePenalties.plugin_class`), so the gradebook and formgrader show a
penalty too; upstream computes it only during `autograde`, on the score known then.
"""

from __future__ import annotations

import math

from nbgrader.plugins import BasePlugin
from traitlets import Float, Int

DAY_SECONDS = 24 * 3600


def late_days(seconds_late: float, grace_minutes: float) -> int:
    """Number of started days late; 0 when on time or within the grace period."""
    if seconds_late <= grace_minutes * 60:
        return 0
    return math.ceil(seconds_late / DAY_SECONDS)


def too_late(days: int, max_days: int) -> bool:
    """More than `max_days` started days late: not accepted."""
    return days > max_days


def late_penalty(
    score: float,
    days: int,
    percent_per_day: float,
    *,
    max_days: int,
) -> float:
    """Points taken off `score` for `days` started days late (all of it when too late)."""
    if days <= 0 or score <= 0:
        return 0.0
    if too_late(days, max_days):
        return float(score)
    return min(float(score), round(score * percent_per_day * days / 100.0, 6))


class PercentPerDayLatePenalty(BasePlugin):
    """nbgrader late-penalty plugin: `percent_per_day` of the score per started day, zero past `max_days`."""

    # Set from the problem set's spec in every grading course's config (course/grading_course.py).
    percent_per_day = Float(help="Percent of the score lost per started day late").tag(config=True)
    max_days = Int(help="Later than this many started days: score 0").tag(config=True)
    grace_minutes = Float(help="Minutes after the deadline still on time").tag(config=True)

    def late_submission_penalty(
        self, student_id: str, score: float, total_seconds_late: float
    ) -> float | None:
        days = late_days(total_seconds_late, self.grace_minutes)
        if days == 0:
            return None
        penalty = late_penalty(score, days, self.percent_per_day, max_days=self.max_days)
        self.log.warning("%s is %d day(s) late: penalty %.2f of %.2f", student_id, days, penalty, score)
        return penalty
