"""Settings for a Celery worker started as a subprocess by the tests: the test database (its URL
comes from the test), the suite's Redis, and the crashing file backend."""

import os

import dj_database_url

from config.settings.test import *  # noqa: F403

DATABASES = {"default": dj_database_url.parse(os.environ["WORKER_DATABASE_URL"])}
REDIS_URL = os.environ["REDIS_URL"]
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
MAILERS = {"default": {"BACKEND": "tests.notifications.crashing_backend.CrashingBackend"}}

# A suite run with the clock moved ahead (tests/conftest.py) moves this worker's clock too, so
# the claims it writes and the ones the test reads agree.
if offset_days := int(os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0")):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(tz=UTC) + timedelta(days=offset_days), tick=True).start()
