"""The late policy and its nbgrader plugin."""

from __future__ import annotations

import pytest
from helpers import ps1
from hypothesis import given
from hypothesis import strategies as st
from nbgrader.preprocessors import AssignLatePenalties
from traitlets.config import Config

from autograder import deadlines
from autograder.nbgrader_ext import late_policy
from autograder.nbgrader_ext.late_policy import DAY_SECONDS, PercentPerDayLatePenalty, late_days, late_penalty


@pytest.mark.parametrize(
    ("seconds", "days"),
    [
        (-5, 0),
        (0, 0),
        (1, 1),
        (DAY_SECONDS, 1),
        (DAY_SECONDS + 1, 2),
        (3 * DAY_SECONDS, 3),
        (3 * DAY_SECONDS + 1, 4),
    ],
)
def test_started_days(seconds: float, days: int) -> None:
    assert late_days(seconds, grace_minutes=0) == days


def test_grace_minutes() -> None:
    assert late_days(10 * 60, grace_minutes=15) == 0
    assert late_days(16 * 60, grace_minutes=15) == 1


def test_penalty_is_percent_of_total_per_day_and_zero_past_max() -> None:
    assert late_penalty(80, 0, 10, max_days=3) == 0
    assert late_penalty(80, 1, 10, max_days=3) == pytest.approx(8)
    assert late_penalty(80, 2, 10, max_days=3) == pytest.approx(16)
    assert late_penalty(80, 3, 10, max_days=3) == pytest.approx(24)
    assert late_penalty(80, 4, 10, max_days=3) == 80  # not accepted
    assert late_policy.too_late(4, 3) and not late_policy.too_late(3, 3)


def test_defaults_match_the_course() -> None:
    assert ps1.PERCENT_PER_DAY == 10 and ps1.MAX_LATE_DAYS == 3 and ps1.GRACE_MINUTES == 0
    assert ps1.DUE_DATE == "2017-01-12 12:00 America/Chicago"
    assert (
        deadlines.parse_time(ps1.DUE_DATE, zone=ps1.COURSE_TIMEZONE).isoformat()
        == "2017-01-12T18:00:00+00:00"
    )


@given(
    score=st.floats(0, 100, allow_nan=False),
    seconds=st.floats(-1e6, 1e7, allow_nan=False),
    percent=st.floats(0, 50, allow_nan=False),
)
def test_penalty_bounds(score: float, seconds: float, percent: float) -> None:
    days = late_days(seconds, 0)
    penalty = late_penalty(score, days, percent, max_days=3)
    assert 0 <= penalty <= score + 1e-9
    if days == 0:
        assert penalty == 0
    if days > 3:
        assert penalty == score


def test_plugin_reads_its_config() -> None:
    cfg = Config()
    cfg.PercentPerDayLatePenalty.percent_per_day = 25.0
    cfg.PercentPerDayLatePenalty.max_days = 2
    cfg.PercentPerDayLatePenalty.grace_minutes = 30.0
    plugin = PercentPerDayLatePenalty(config=cfg)
    assert plugin.late_submission_penalty("s", 40.0, 20 * 60) is None  # within grace
    assert plugin.late_submission_penalty("s", 40.0, 2 * 3600) == pytest.approx(10.0)
    assert plugin.late_submission_penalty("s", 40.0, DAY_SECONDS + 60) == pytest.approx(20.0)
    assert plugin.late_submission_penalty("s", 40.0, 2 * DAY_SECONDS + 60) == 40.0


def test_plugin_is_an_nbgrader_late_plugin() -> None:

    cfg = Config()
    cfg.AssignLatePenalties.plugin_class = "autograder.nbgrader_ext.late_policy.PercentPerDayLatePenalty"
    cfg.PercentPerDayLatePenalty.percent_per_day, cfg.PercentPerDayLatePenalty.max_days = 10.0, 3
    pre = AssignLatePenalties(config=cfg)
    pre.init_plugin()
    assert isinstance(pre.plugin_inst, PercentPerDayLatePenalty)
    assert pre.plugin_inst.late_submission_penalty("s", 50.0, 1.5 * DAY_SECONDS) == pytest.approx(10.0)
