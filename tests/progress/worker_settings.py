"""Settings for a Celery worker started as a subprocess by the tests: the test database (its URL
comes from the test), the suite's Redis, and the crashing file backend."""

import os

import dj_database_url

from config.settings.test import *  # noqa: F403

DATABASES = {"default": dj_database_url.parse(os.environ["WORKER_DATABASE_URL"])}
REDIS_URL = os.environ["REDIS_URL"]
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = False
MAILERS = {"default": {"BACKEND": "tests.progress.crashing_backend.CrashingBackend"}}
