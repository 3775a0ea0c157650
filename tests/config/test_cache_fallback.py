"""The Redis cache falls back to the database cache, so rate-limited logins keep working."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from config import cache as fallback
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


@pytest.fixture
def redis_caches(settings, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.FallbackCache",
            "OPTIONS": {"PRIMARY": "redis", "FALLBACK": "database"},
        },
        "redis": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        },
        "database": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "socialcraft_cache",
        },
    }
    caches["redis"].clear()
    caches["database"].clear()
    fallback._primary_down_until.clear()  # a fresh process's view of Redis
    yield caches["default"]
    caches["default"].close()
    fallback._primary_down_until.clear()


def test_values_live_in_redis_while_it_is_up(redis_caches):
    redis_caches.set("greeting", "hello", 60)
    assert caches["redis"].get("greeting") == "hello"
    assert caches["database"].get("greeting") is None
    assert redis_caches.get("greeting") == "hello"


def test_database_cache_takes_over_when_redis_stops(redis_caches, redis_server):
    redis_server.stop()
    try:
        redis_caches.set("greeting", "hello", 60)
        assert redis_caches.get("greeting") == "hello"
        assert caches["database"].get("greeting") == "hello"
        assert redis_caches.add("counter", 1, 60)
        assert redis_caches.incr("counter") == 2
    finally:
        redis_server.start()


def test_login_rate_limit_holds_with_redis_down(client, redis_caches, redis_server):
    factories.UserFactory(email="target@example.com")
    redis_server.stop()
    try:
        for _ in range(5):
            client.post(reverse("account_login"), {"login": "target@example.com", "password": "x"})
        response = client.post(
            reverse("account_login"), {"login": "target@example.com", "password": "x"}
        )
        assert "Too many failed login attempts" in response.content.decode()
        good = factories.UserFactory(email="fine@example.com")
        response = client.post(
            reverse("account_login"), {"login": good.email, "password": factories.PASSWORD}
        )
        assert response.status_code == 302  # logins still work
    finally:
        redis_server.start()


def test_an_outage_is_logged_once_however_many_threads_notice_it(
    redis_caches, redis_server, settings, caplog
):
    """Django makes a cache object per thread (per request under a threaded server): the
    outage is remembered per process, so it is logged once, not on every request."""
    from config.cache import FallbackCache

    options = {"OPTIONS": {"PRIMARY": "redis", "FALLBACK": "database"}}
    redis_server.stop()
    try:
        for _ in range(5):  # five requests, each on its own thread's cache object
            FallbackCache("", options).get("greeting")
    finally:
        redis_server.start()
    outages = [r for r in caplog.records if "Redis cache unreachable" in r.getMessage()]
    assert len(outages) == 1
