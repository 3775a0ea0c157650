"""Settings shared by every environment; each value can be set from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("SOCIALCRAFT_VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


SITE_NAME = "Socialcraft"
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")  # used for absolute links in emails
# /.well-known/security.txt (RFC 9116). The contact defaults to security@<the site's host>;
# Expires is a fixed date on purpose: renew it (at most a year ahead) when you check the file.
SECURITY_CONTACT = env("SECURITY_CONTACT")
# security.txt's Expires (RFC 9116: under a year ahead). Set it to a date when you review the
# contact; unset, it rolls 180 days ahead of each request, so the file never goes stale.
SECURITY_TXT_EXPIRES = env("SECURITY_TXT_EXPIRES", "")
DEBUG = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.mfa",
    "core",
    "audit",
    "courses",
    "learners",
    "ledger",
    "progress",
    "governance",
    "practice",
    "teams",
    "notifications",
    "provisioning",
    "integrations",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here (the CSP allows no CDN)
    "credentials",
    "lti",
    "api",
]

MIDDLEWARE = [
    "config.probes.HealthProbeMiddleware",  # first: probes skip the HTTPS redirect and host check
    "config.logs.RequestLogMiddleware",  # then one access line per request, with its id
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "learners.middleware.SecondFactorMiddleware",  # after allauth's: sends to the 2FA setup
    "config.middleware.DatabaseErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "config.context_processors.site",
                "progress.context_processors.navigation",
                "teams.context_processors.reviews",
            ],
        },
    },
]

# SQLite under var/ unless DATABASE_URL points elsewhere (PostgreSQL in production).
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'socialcraft.sqlite3'}"),
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # WAL lets readers work while a writer commits; IMMEDIATE avoids "database is locked"
    # upgrades from read to write transactions under concurrent requests.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "learners.User"
# Django's and allauth's backends, loading the signed-in user with whether they need and have
# a second factor in the same query (learners.backends).
AUTHENTICATION_BACKENDS = [
    "learners.backends.ModelBackend",
    "learners.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "teams:start"  # each role to where its work is

# django-allauth: email is the login; no usernames anywhere.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "learners.forms.SignupDetailsForm"
ACCOUNT_FORMS = {  # the site's wording
    "login": "learners.account_forms.LoginForm",
    "signup": "learners.account_forms.SignupForm",  # also the same time for a taken address
    "reset_password": "learners.account_forms.ResetPasswordForm",
    "confirm_email_verification_code": "learners.account_forms.ConfirmEmailVerificationCodeForm",
}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
# Signing up asks for a code emailed to the address, on the next page of the same tab, and
# entering it signs the person in: the address is proved without leaving the sign-up.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Socialcraft] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if SITE_URL.startswith("https") else "http"
# allauth's defaults include "5 failed logins per 5 minutes per email" (the 6th is refused);
# spelled out so the limit is visible and tested.
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/300s/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# provisioning.sso's adapters add company sign-in (an organisation's own identity provider) to
# learners' account adapter and to allauth's social one.
ACCOUNT_ADAPTER = "provisioning.sso.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "provisioning.sso.SocialAccountAdapter"
# Behind reverse proxies (a load balancer) every request arrives from a proxy's address. Each
# proxy appends the address it saw to X-Forwarded-For, so with N trusted proxies the client is
# the Nth address from the right: the per-address limits above then count each client, not
# the proxy. 0 (the default, no proxy) ignores the header, which a client could forge.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))

# Company sign-in: each organisation's identity provider is an OpenID Connect or a SAML 2.0
# social app, configured in the admin (provisioning.CompanySignIn says which organisation).
INSTALLED_APPS += [
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
]
# Single sign-on: a provider is switched on only when its client id and secret are set.
SOCIALACCOUNT_PROVIDERS: dict = {}
if env("GOOGLE_CLIENT_ID") and env("GOOGLE_CLIENT_SECRET"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.google")
    SOCIALACCOUNT_PROVIDERS["google"] = {
        "APPS": [{"client_id": env("GOOGLE_CLIENT_ID"), "secret": env("GOOGLE_CLIENT_SECRET")}],
        "SCOPE": ["profile", "email"],
    }
if env("MICROSOFT_CLIENT_ID") and env("MICROSOFT_CLIENT_SECRET"):
    INSTALLED_APPS.append("allauth.socialaccount.providers.microsoft")
    SOCIALACCOUNT_PROVIDERS["microsoft"] = {
        "APPS": [
            {
                "client_id": env("MICROSOFT_CLIENT_ID"),
                "secret": env("MICROSOFT_CLIENT_SECRET"),
                "settings": {"tenant": env("MICROSOFT_TENANT", "organizations")},
            }
        ],
    }
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never merge accounts on an unverified provider email

# Two-step sign-in (allauth.mfa): an authenticator app with recovery codes, and security keys
# or passkeys where the browser has them. Who must have one is learners.selectors.
# second_factor_required: staff while MFA_REQUIRED_FOR_STAFF is on (off only with DEBUG, by
# default), and people who sign in with a password in an organisation that asks for it.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True  # "Sign in with a passkey" on the sign-in page
MFA_TOTP_ISSUER = SITE_NAME  # the account's name in the authenticator app
# Accept the code of the step before or after the current one (RFC 6238, 5.2): a code typed
# as its 30 seconds run out, or on a phone whose clock is a little off, still works. A code
# is still accepted only once.
MFA_TOTP_TOLERANCE = 1
MFA_FORMS = {  # the site's wording
    "authenticate": "learners.account_forms.AuthenticateForm",
    "add_webauthn": "learners.account_forms.AddPasskeyForm",
}
MFA_REQUIRED_FOR_STAFF = env_bool("MFA_REQUIRED_FOR_STAFF", not DEBUG)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Redis, when configured, backs the cache (rate limits), the Celery broker and health checks.
REDIS_URL = env("REDIS_URL")
REDIS_SOCKET_TIMEOUT = 0.5  # seconds: a dead Redis must not hang a web request
if REDIS_URL:
    CACHES = {
        # allauth's rate limits need a shared cache; if Redis fails, the database cache
        # takes over so logins keep working.
        "default": {
            "BACKEND": "config.cache.FallbackCache",
            "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "database"},
        },
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_SOCKET_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        },
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "socialcraft_cache",
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "socialcraft_cache",
        },
    }

# Celery: without REDIS_URL, tasks run in-process (the embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Beat's schedule lives with the other data, not in the directory it was started from.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# What a task prints (the development console's emails) stays plain output, not a WARNING per
# line in the worker's log.
CELERY_WORKER_REDIRECT_STDOUTS = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# visibility_timeout must exceed the longest task (time limit 300 s) or Redis redelivers it
# while it still runs; the same value is used by every worker and producer.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
    "max_retries": 1,
}
CELERY_BEAT_SCHEDULE = {
    # Each run sends what is due and not yet sent, so a missed hour is caught up by the next.
    "dispatch-due-messages": {
        "task": "progress.tasks.dispatch_due_messages",  # notifications.tasks, by its first name
        "schedule": 60 * 60,
    },
    "purge-audit-log": {"task": "audit.tasks.purge_audit_log", "schedule": 24 * 60 * 60},
    "recount-team-tallies": {
        "task": "progress.tasks.recount_team_tallies",
        "schedule": 24 * 60 * 60,
    },
    "recount-quiz-tallies": {
        "task": "progress.tasks.recount_quiz_tallies",
        "schedule": 24 * 60 * 60,
    },
    "recount-clearance-tallies": {
        "task": "governance.tasks.recount_clearance_tallies",
        "schedule": 24 * 60 * 60,
    },
    # Webhook retries whose time has come (and any delivery the broker never took).
    "retry-due-webhooks": {"task": "integrations.tasks.retry_due_webhooks", "schedule": 5 * 60},
    "retry-due-xapi-statements": {
        "task": "integrations.tasks.retry_due_xapi_statements",
        "schedule": 5 * 60,
    },
    "announce-overdue-assignments": {
        "task": "integrations.tasks.announce_overdue_assignments",
        "schedule": 60 * 60,
    },
    "announce-clearance-changes": {
        "task": "integrations.tasks.announce_clearance_changes",
        "schedule": 60 * 60,
    },
}
# The audit log (audit app) keeps each entry this many days; the daily purge drops older ones.
AUDIT_RETENTION_DAYS = int(env("AUDIT_RETENTION_DAYS", "730"))

# Email goes through Django 6.1's MAILERS; production sets SMTP from the environment.
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Socialcraft <learning@socialcraft.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
# Development prints each email whole (core.mail); production sets SMTP from the environment.
MAILERS = {"default": {"BACKEND": "core.mail.ReadableConsoleBackend"}}

# Sessions are read from the cache and written through to the database: one query less per page.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = int(env("SESSION_COOKIE_AGE", str(60 * 60 * 24 * 14)))
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # allauth and the admin read the form token, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline scripts or styles: every script and stylesheet is a file under static/.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# One line per request on the web nodes (socialcraft.access), a request id on every line,
# LOG_FORMAT=json for one JSON object per line; expected refusals without tracebacks
# (config/logs.py).
LOG_FORMAT = env("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "config.logs.RequestIdFilter"},
        "expected_refusals": {"()": "config.logs.ExpectedRefusalFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id", "expected_refusals"],
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # django.server repeats runserver's own line for each request: the access line says it.
        "django.server": {"level": "WARNING"},
        # fontTools (fpdf2's font subsetting) reports each table it prunes at INFO.
        "fontTools": {"level": "WARNING"},
    },
}

# The reporting API (api/, docs/api.md): bearer tokens per organisation, never a session.
API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90"))  # a new token's lifetime unless told
API_TOKEN_MAX_DAYS = int(env("API_TOKEN_MAX_DAYS", "365"))
API_RATE_LIMIT = env("API_RATE_LIMIT", "120/minute")  # per token (DRF's rate syntax)
API_PAGE_SIZE = 100
API_MAX_PAGE_SIZE = 500
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["api.authentication.HasApiToken"],
    "DEFAULT_THROTTLE_CLASSES": ["api.authentication.TokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Socialcraft Reporting API",
    "DESCRIPTION": (
        "Read-only reports for one organisation: its people, teams, assignments, progress per "
        "enrolment, quiz results, certificates and clearance. Send the organisation's token as "
        "`Authorization: Bearer …`; lists come in pages: follow `next`. Guide: docs/api.md."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",  # tags and operation ids: "teams", "teams_list"
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
