"""A separate Django project serving allauth's OpenID Connect identity provider (allauth.idp.oidc),
started by tests/provisioning/test_company_sign_in.py in its own process on a loopback port: the
other side of a company sign-in, as an organisation's Okta or Entra would be."""

import os

SECRET_KEY = "identity-provider-for-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "allauth",
    "allauth.account",
    "allauth.idp.oidc",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]
ROOT_URLCONF = "tests.provisioning.oidc_idp.urls"
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["IDP_DATABASE"]}
}
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_RATE_LIMITS = False
IDP_OIDC_PRIVATE_KEY = os.environ["IDP_PRIVATE_KEY"]
IDP_OIDC_ADAPTER = "tests.provisioning.oidc_idp.adapter.Adapter"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# A suite run with the clock moved ahead (tests/conftest.py) moves this provider's clock too:
# Socialcraft checks its tokens' issue and expiry times against its own clock.
if offset_days := int(os.environ.get("SOCIALCRAFT_CLOCK_OFFSET_DAYS", "0")):
    from datetime import UTC, datetime, timedelta

    import time_machine

    time_machine.travel(datetime.now(tz=UTC) + timedelta(days=offset_days), tick=True).start()
