"""The production settings, as two nodes of the two-node test run them (tests/ops): the one
change is where email goes, the edge of the world, into files the test reads."""

import os

from config.settings.production import *  # noqa: F403
from config.settings.production import env

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": env("TWO_NODES_MAIL_DIR")},
    }
}

# The suite makes its users with a fast hash (config.settings.test); the nodes must read it.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]

# A suite run with the clock moved ahead (tests/conftest.py) moves the nodes' clocks too, so
# the sessions, claims and limits they write agree with what the test reads.
if offset_days := int(os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0")):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(tz=UTC) + timedelta(days=offset_days), tick=True).start()
