"""A separate Django project playing the LMS (an LTI 1.3 platform built on lti1p3platform's
core), started by tests/lti/ in its own process on a loopback port: the other side of a launch,
as a Moodle or Canvas would be. It keeps its state in memory and needs no database."""

import os

SECRET_KEY = "lti-platform-for-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
ROOT_URLCONF = "tests.lti.platform.urls"
DATABASES: dict = {}
USE_TZ = True

# A suite run with the clock moved ahead (tests/conftest.py) moves this platform's clock too:
# each side checks the other's tokens' issue and expiry times against its own clock.
if offset_days := int(os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0")):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(tz=UTC) + timedelta(days=offset_days), tick=True).start()
