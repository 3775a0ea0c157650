"""/healthz: 200 when the database answers; the broker's reachability is reported."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_without_a_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not configured"}


@pytest.mark.redis
def test_healthz_with_a_live_redis(client, settings, redis_url):
    settings.REDIS_URL = redis_url
    assert client.get("/healthz").json()["broker"] == "ok"


@pytest.mark.redis
def test_healthz_with_redis_down_still_answers(client, settings, redis_server):
    settings.REDIS_URL = f"redis://127.0.0.1:{redis_server.port + 1}/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "unreachable"


# -- probes for load balancers (issue 23, item 4) -------------------------------------------


def test_liveness_and_readiness_answer_plain_http_probes_by_ip(client, settings):
    """A load balancer probes over plain HTTP, by the node's address: no HTTPS redirect, no
    allowed-hosts refusal."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["socialcraft.example.com"]
    for path in ("/healthz/live", "/healthz/ready", "/healthz"):
        response = client.get(path, HTTP_HOST="10.0.3.7:8000")
        assert response.status_code == 200, path
        assert response["Cache-Control"] == "no-store"
    # The rest of the site still redirects and checks the host.
    assert client.get("/", HTTP_HOST="10.0.3.7:8000").status_code == 400


def test_readiness_reports_each_part(client):
    response = client.get("/healthz/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "migrations": "ok",
        "cache": "ok",
        "broker": "not configured",
    }


@pytest.mark.redis
def test_readiness_fails_without_the_broker_and_logs_one_line(
    client, settings, redis_server, caplog
):
    settings.REDIS_URL = f"redis://127.0.0.1:{redis_server.port + 1}/0"  # nothing listens there
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable"
    assert client.get("/healthz/live").status_code == 200  # the process itself is fine
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]  # not Django's too
    assert (record.name, record.getMessage()) == ("config.probes", "Not ready: broker unreachable")
    assert record.exc_info is None


def test_readiness_waits_for_pending_migrations(client, monkeypatch):
    from config import health

    monkeypatch.setattr(health, "_migrations_applied", False)
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("a migration", False)],
    )
    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"
