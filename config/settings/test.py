"""Settings for the test suite: fast hashing, mail kept in memory, tasks in-process."""

from .base import *  # noqa: F403
from .base import CACHES, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests sign staff in with force_login; the two-step sign-in tests switch this on themselves.
MFA_REQUIRED_FOR_STAFF = False
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# The suite starts its own Redis for the tests that need it; everything else runs without one.
REDIS_URL = None
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CACHES = {key: value for key, value in CACHES.items() if key in {"default", "database"}}
CACHES["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
SITE_URL = env("SITE_URL", "http://testserver")
# Static files come straight from static/ (no collectstatic in tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
STATIC_ROOT = None

# A file (not an in-memory database) so that tests with threads see SQLite's real locking:
# with WAL and a busy timeout, concurrent writers wait instead of failing.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"socialcraft-test-{os.getpid()}.sqlite3")
    }
