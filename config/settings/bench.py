"""The benchmark's settings (`python -m bench`): production's values, served over plain HTTP.

Everything that shapes what a request costs is production's (DEBUG off, manifest static files,
persistent database connections, sessions read from the cache, the full middleware stack); only
what needs HTTPS on loopback is off. The bench-only `bare_auth` view comes from bench.urls, so
it is never part of the site's own URLs. The harness sets SECRET_KEY, ALLOWED_HOSTS and
DATABASE_URL, which production requires.
"""

from .production import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False

ROOT_URLCONF = "bench.urls"

# Nothing leaves the machine: a digest run renders and records its messages, then drops them.
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}

# The reporting API's cases send thousands of requests a second with one token: its rate limit
# (a cache read and write per request, still measured) must not turn them into 429s.
API_RATE_LIMIT = "100000000/minute"
