"""Local-time helpers: a person's time zone, safely, and an instant in it."""

import zoneinfo
from datetime import datetime

from django.utils import timezone


def zone(name: str) -> zoneinfo.ZoneInfo:
    """The time zone called `name`, or UTC when the name is empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local(now: datetime, tz_name: str) -> datetime:
    return timezone.localtime(now, zone(tz_name))
