"""Sessions, cookies and security headers, with the production settings and on every page."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse

from tests import factories
from tests.config.test_production_settings import PRODUCTION_ENV, ROOT
from tests.security import urlwalk
from tests.security.test_authorization_matrix import MATRIX
from tests.security.world import ROLES, build_world

PRODUCTION_VALUES = [
    "DEBUG",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "X_FRAME_OPTIONS",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "SESSION_COOKIE_AGE",
    "CSRF_COOKIE_SECURE",
    "CSRF_COOKIE_SAMESITE",
    "ACCOUNT_EMAIL_VERIFICATION",
]
# The admin's outbox shows an email's HTML in a sandboxed iframe of the admin itself: that one
# response may be framed by the site (never by others) and has its own, stricter policy.
FRAMED_BY_THE_SITE = {"admin:ledger_message_html"}


@pytest.fixture(scope="module")
def production() -> dict:
    """The production settings module's values, read in a fresh interpreter."""
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        f"print(json.dumps({{n: getattr(settings, n) for n in {PRODUCTION_VALUES!r}}}))"
    )
    ignored = {*PRODUCTION_ENV, "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored} | PRODUCTION_ENV
    result = subprocess.run(  # noqa: S603 - this interpreter, a fixed snippet
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_cookies_and_transport_are_locked_down(production):
    assert production["DEBUG"] is False
    assert production["SECURE_SSL_REDIRECT"] is True
    assert production["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert production["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert production["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["CSRF_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert production["CSRF_COOKIE_SAMESITE"] in {"Lax", "Strict"}
    assert 0 < production["SESSION_COOKIE_AGE"] <= 14 * 24 * 3600  # sessions time out
    assert production["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert production["X_FRAME_OPTIONS"] == "DENY"
    assert production["ACCOUNT_EMAIL_VERIFICATION"] == "mandatory"


def production_like(production: dict):
    """The production values that shape responses, applied to the test settings."""
    keys = [k for k in PRODUCTION_VALUES if k.startswith(("SECURE_", "SESSION_", "CSRF_"))]
    values = {k: production[k] for k in keys}
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    values["SECURE_SSL_REDIRECT"] = False  # the test client asks over https itself
    return override_settings(**values)


def header_problems(response, key: str, *, production: bool) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}
    script_src = directives.get("script-src", directives.get("default-src", []))
    if not csp:
        problems.append("no Content-Security-Policy")
    if "'unsafe-inline'" in script_src or "'unsafe-eval'" in script_src:
        problems.append(f"script-src allows inline or eval: {script_src}")
    wanted_ancestors = ["'self'"] if key in FRAMED_BY_THE_SITE else ["'none'"]
    if directives.get("frame-ancestors") != wanted_ancestors:
        problems.append(f"frame-ancestors {directives.get('frame-ancestors')}")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if response.get("Referrer-Policy") not in {"same-origin", "no-referrer"}:
        problems.append(f"Referrer-Policy {response.get('Referrer-Policy')}")
    if production:
        hsts = response.get("Strict-Transport-Security", "")
        if "max-age=31536000" not in hsts or "includeSubDomains" not in hsts:
            problems.append(f"Strict-Transport-Security {hsts!r}")
    return problems


@pytest.mark.django_db
def test_every_html_response_carries_the_security_headers(production):
    """Every page of the matrix, as every role, over https with the production settings."""
    world = build_world()
    routes = urlwalk.all_routes()
    problems, html_responses = [], 0
    with production_like(production):
        for role in ROLES:
            client = Client(raise_request_exception=False)
            if role != "anonymous":
                client.force_login(world.users[role])
            for key in sorted(MATRIX):
                url = urlwalk.url_for(routes[key], world)
                response = client.get(url, secure=True)
                if not response.get("Content-Type", "").startswith("text/html"):
                    continue
                if response.status_code in (301, 302) and not response.content:
                    continue  # an empty redirect renders nothing a browser could frame
                html_responses += 1
                problems += [
                    f"{key} as {role}: {problem}"
                    for problem in header_problems(response, key, production=True)
                ]
    assert problems == []
    assert html_responses > 300


@pytest.mark.django_db
def test_error_pages_carry_the_headers_too(client):
    for url in ("/no-such-page/", "/tracks/no-such-track/"):
        response = client.get(url)
        assert response.status_code == 404
        assert header_problems(response, "404", production=False) == []


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_secure_in_production(production):
    factories.UserFactory(email="cookie@example.com")
    with production_like(production):
        client = Client()
        response = client.get(reverse("account_login"), secure=True)
        csrf = response.cookies["csrftoken"]
        assert csrf["secure"]
        response = client.post(
            reverse("account_login"),
            {"login": "cookie@example.com", "password": factories.PASSWORD},
            secure=True,
        )
        assert response.status_code == 302
        session = response.cookies[settings.SESSION_COOKIE_NAME]
        assert session["httponly"]
        assert session["secure"]
        assert session["samesite"] in {"Lax", "Strict"}
        # Without "Remember me" the cookie ends with the browser; on the server, either way,
        # the session ends after SESSION_COOKIE_AGE (test_a_session_times_out).
        assert session["max-age"] in ("", production["SESSION_COOKIE_AGE"])


@pytest.mark.django_db
def test_signing_in_rotates_the_session_key(client):
    """No session fixation: the key a visitor had before signing in is not the one after."""
    factories.UserFactory(email="fixate@example.com")
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    client.post(
        reverse("account_login"), {"login": "fixate@example.com", "password": factories.PASSWORD}
    )
    assert client.session.session_key != before
    assert client.session.get("_auth_user_id")


@pytest.mark.django_db
def test_a_session_times_out(client):
    factories.UserFactory(email="sleepy@example.com")
    with time_machine.travel("2026-03-02 09:00 +0000", tick=False) as traveller:
        client.post(
            reverse("account_login"),
            {"login": "sleepy@example.com", "password": factories.PASSWORD},
        )
        assert client.get(reverse("progress:me")).status_code == 200
        traveller.shift(timedelta(seconds=settings.SESSION_COOKIE_AGE - 60))
        assert client.get(reverse("progress:me")).status_code == 200
        traveller.shift(timedelta(seconds=120))
        response = client.get(reverse("progress:me"))
        assert urlwalk.classify(response) == urlwalk.LOGIN


@pytest.mark.django_db
def test_signing_out_ends_the_session_on_the_server(client):
    factories.UserFactory(email="leaving@example.com")
    client.post(
        reverse("account_login"), {"login": "leaving@example.com", "password": factories.PASSWORD}
    )
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))
    thief = Client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = stolen
    assert urlwalk.classify(thief.get(reverse("progress:me"))) == urlwalk.LOGIN
