"""The suite's one source of "now" for tests that mix scenario dates with the running clock.

A test that needs a calendar anchor (a Monday for the weekly digest, "five days ago" for a
nudge) derives it from `timezone.now()` here instead of writing a date, so it holds on any day
the suite runs, including the runs with the clock moved ahead (`--clock-offset-days`, see
tests/conftest.py). Tests that pin a date freeze the clock with time-machine instead.
"""

import glob
import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.utils import timezone


def next_weekday_at(weekday: int, hour: int, *, after: datetime | None = None) -> datetime:
    """The first `weekday` (Monday = 0) at `hour`:00 UTC strictly after `after` (default: now)."""
    after = (after or timezone.now()).astimezone(UTC)
    candidate = after.replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(
        days=(weekday - after.weekday()) % 7
    )
    return candidate if candidate > after else candidate + timedelta(days=7)


# Where distributions put libfaketime (Debian and Ubuntu: the multiarch folder).
_LIBFAKETIME_GLOBS = ("/usr/lib/*/faketime/libfaketime.so.1", "/usr/lib*/faketime/libfaketime.so.1")


def suite_clock_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """`env` (default: this process's) for a child process that must share the suite's clock.

    The clock-ahead runs move Python's clocks with time-machine; a server or tool the suite
    starts (the SAML provider, the credential verifier) checks times against its own clock, so
    it runs with libfaketime preloaded and the same offset. Preloaded directly, not through the
    `faketime` wrapper: the wrapper names a semaphore after its pid and leaves it behind when
    it is killed (as a stopped server is), and a later wrapper given the same pid then fails
    with "sem_open: File exists".
    """
    env = dict(os.environ if env is None else env)
    days = int(env.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0"))
    if not days:
        return env
    library = libfaketime()
    if library is None:
        raise RuntimeError(
            "libfaketime is missing (the clock-ahead runs need it): run scripts/system-packages"
        )
    env["LD_PRELOAD"] = " ".join(filter(None, [str(library), env.get("LD_PRELOAD", "")]))
    env["FAKETIME"] = f"+{days}d"
    return env


def libfaketime() -> Path | None:
    found = (Path(match) for pattern in _LIBFAKETIME_GLOBS for match in sorted(glob.glob(pattern)))
    return next(found, None)
