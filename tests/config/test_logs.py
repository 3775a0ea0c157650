"""Logs an operator can use (issue 23, item 6): one access line per request with its id, no
token in a logged path, JSON on demand, refusals without tracebacks."""

import io
import json
import logging

import pytest
from django.urls import reverse

from config.logs import ExpectedRefusalFilter, JsonFormatter, RequestIdFilter
from ledger import messaging
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def log_lines():
    """What the console handler would write: the site's filters, the JSON format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.addFilter(ExpectedRefusalFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_one_access_line_per_request_with_its_id(client, log_lines):
    user = factories.UserFactory()
    client.force_login(user)

    response = client.get("/me/?tab=1", HTTP_X_REQUEST_ID="lb-1234")

    [line] = [entry for entry in log_lines() if entry["logger"] == "socialcraft.access"]
    assert response["X-Request-ID"] == "lb-1234"
    assert line["request_id"] == "lb-1234"
    assert (line["method"], line["path"], line["status"], line["user_id"]) == (
        "GET",
        "/me/",  # no query string
        200,
        user.pk,
    )
    assert line["duration_ms"] >= 0


def test_an_implausible_incoming_id_is_replaced(client, log_lines):
    response = client.get("/", HTTP_X_REQUEST_ID="<script>" * 20)
    assert len(response["X-Request-ID"]) == 32
    [line] = [entry for entry in log_lines() if entry["logger"] == "socialcraft.access"]
    assert line["request_id"] == response["X-Request-ID"]


def test_a_token_in_the_path_is_never_logged(client, log_lines):
    token = messaging.unsubscribe_token(email="ana@example.com", kind="nudge")
    client.get(reverse("ledger:unsubscribe", args=[token]))
    text = json.dumps(log_lines())
    assert token not in text
    assert "/unsubscribe/[redacted]/" in text


def test_a_refusal_is_one_warning_line_without_a_traceback(client, log_lines, settings):
    client.force_login(factories.UserFactory())
    assert client.get(reverse("teams:team_attempts")).status_code == 403
    settings.ALLOWED_HOSTS = ["socialcraft.example.com"]
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400

    refusals = [entry for entry in log_lines() if entry["logger"] != "socialcraft.access"]
    assert {entry["logger"] for entry in refusals} == {
        "django.request",
        "django.security.DisallowedHost",
    }
    assert all(entry["level"] == "WARNING" for entry in refusals)
    assert not any("exception" in entry for entry in refusals)
