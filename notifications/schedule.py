"""Local-time arithmetic for digests and nudges: who is due at a given instant."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.localtime import local, zone  # noqa: F401 - the digest code reads them from here

QUIET_START, QUIET_END = 8, 20  # nudges only between 08:00 and 20:00 local time
# A digest missed by up to two days (beat or workers down) is still sent; older ones are stale.
CATCH_UP = timedelta(days=2)


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class DigestSlot:
    week: str  # the recipient's ISO week, part of the idempotency key
    due: bool


def digest_slot(now: datetime, tz_name: str, weekday: int, hour: int) -> DigestSlot:
    """Due once the recipient's chosen weekday and hour of their current week have passed,
    for up to CATCH_UP after it: a run missed while beat or the workers were down is caught up
    by the next one, and the key makes it once a week.
    """
    moment = local(now, tz_name)
    start_of_week = (moment - timedelta(days=moment.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    send_at = start_of_week + timedelta(days=weekday, hours=hour)
    # Across a DST change, local wall time and elapsed time differ; compare wall times.
    wall, slot = moment.replace(tzinfo=None), send_at.replace(tzinfo=None)
    return DigestSlot(week=iso_week(moment), due=slot <= wall < slot + CATCH_UP)


def in_waking_hours(now: datetime, tz_name: str) -> bool:
    return QUIET_START <= local(now, tz_name).hour < QUIET_END
