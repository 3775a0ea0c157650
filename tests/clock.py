"""The suite's one source of "now" for tests that mix scenario dates with the running clock.

A test that needs a calendar anchor (a Monday for the weekly digest, "five days ago" for a
nudge) derives it from `timezone.now()` here instead of writing a date, so it holds on any day
the suite runs, including the runs with the clock moved ahead (`--clock-offset-days`, see
tests/conftest.py). Tests that pin a date freeze the clock with time-machine instead.
"""

from datetime import UTC, datetime, timedelta

from django.utils import timezone


def next_weekday_at(weekday: int, hour: int, *, after: datetime | None = None) -> datetime:
    """The first `weekday` (Monday = 0) at `hour`:00 UTC strictly after `after` (default: now)."""
    after = (after or timezone.now()).astimezone(UTC)
    candidate = after.replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(
        days=(weekday - after.weekday()) % 7
    )
    return candidate if candidate > after else candidate + timedelta(days=7)
