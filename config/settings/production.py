"""Production: every secret comes from the environment, with no default.

A missing SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL or REDIS_URL stops the process at boot with a
message naming the variable.
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env, env_bool, env_list


def require(name: str) -> str:
    value = env(name)
    if not value:
        raise ImproperlyConfigured(
            f"The environment variable {name} must be set for production "
            "(see .env.example and the README's 'Production' section)."
        )
    return value


SECRET_KEY = require("SECRET_KEY")
require("ALLOWED_HOSTS")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
require("DATABASE_URL")  # read by base.py; checked here so a missing one fails loudly
# Without a broker, tasks would run inside web requests (the embedded default): never in
# production. Only the benchmark measures production's settings without one, and says so.
if not env_bool("BENCH_WITHOUT_BROKER", False):
    require("REDIS_URL")
SITE_URL = env("SITE_URL", f"https://{ALLOWED_HOSTS[0]}")  # absolute links in emails
DEBUG = False
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https"

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # the load balancer terminates TLS
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": env("EMAIL_HOST", "localhost"),
            "port": int(env("EMAIL_PORT", "587")),
            "username": env("EMAIL_HOST_USER", ""),
            "password": env("EMAIL_HOST_PASSWORD", ""),
            "use_tls": env_bool("EMAIL_USE_TLS", True),
            "timeout": 10,
        },
    }
}
