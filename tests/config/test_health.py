"""/healthz: 200 when the database answers; the broker's reachability is reported."""

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
