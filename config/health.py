"""Reachability checks for /healthz: the database must answer; the broker is reported."""

from django.conf import settings
from django.db import DatabaseError, connection


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "unreachable"
    return "ok"


def broker_status() -> str:
    """'ok', 'unreachable', or 'not configured' (tasks run in-process without Redis)."""
    if not settings.REDIS_URL:
        return "not configured"
    import redis

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=settings.REDIS_SOCKET_TIMEOUT,
        socket_timeout=settings.REDIS_SOCKET_TIMEOUT,
    )
    try:
        client.ping()
    except redis.RedisError:
        return "unreachable"
    finally:
        client.close()
    return "ok"


def cache_status() -> str:
    """'ok' when the default cache stores and returns a value (Redis, or its fallback)."""
    from django.core.cache import cache

    try:
        cache.set("healthz:ready", "ok", 10)
        return "ok" if cache.get("healthz:ready") == "ok" else "unreachable"
    except Exception:
        return "unreachable"


_migrations_applied = False  # once true, stays true for the life of the process


def migrations_status() -> str:
    """'ok' when every migration is applied, 'pending' while a release's migrations still run.
    Checked until it holds once, then remembered: the probe stays cheap."""
    global _migrations_applied
    if _migrations_applied:
        return "ok"
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError:
        return "unreachable"
    _migrations_applied = not pending
    return "ok" if _migrations_applied else "pending"
