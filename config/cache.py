"""A cache that prefers Redis and falls back to the database cache when Redis is down.

allauth keeps its login rate limits in the cache; failing logins because Redis restarted would
lock everyone out, and silently skipping the limits would open the door to guessing.
"""

import logging
import time

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_PRIMARY_AFTER = 30  # seconds: don't pay a connect timeout on every call while Redis is down
# When each primary is next tried, per process: Django makes a cache object per thread (a
# threaded server: per request), so state kept on the object would forget the outage, pay the
# timeout and log the warning again on nearly every request.
_primary_down_until: dict[str, float] = {}


class FallbackCache(BaseCache):
    def __init__(self, location, params):
        options = params.get("OPTIONS", {})
        super().__init__({k: v for k, v in params.items() if k != "OPTIONS"})
        self._primary_alias = options["PRIMARY"]
        self._fallback_alias = options["FALLBACK"]

    def _call(self, method: str, *args, **kwargs):
        down_until = _primary_down_until.get(self._primary_alias, 0.0)
        if time.monotonic() >= down_until:
            try:
                result = getattr(caches[self._primary_alias], method)(*args, **kwargs)
            except RedisError as error:
                if not down_until:  # once per outage, not once per retry
                    logger.warning("Redis cache unreachable, using the database cache: %s", error)
                _primary_down_until[self._primary_alias] = time.monotonic() + RETRY_PRIMARY_AFTER
            else:
                if down_until:
                    logger.warning("Redis cache reachable again")
                    _primary_down_until.pop(self._primary_alias, None)
                return result
        return getattr(caches[self._fallback_alias], method)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", key, value, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._call("get", key, default=default, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", key, timeout=timeout, version=version)

    def delete(self, key, version=None):
        return self._call("delete", key, version=version)

    def get_many(self, keys, version=None):
        return self._call("get_many", keys, version=version)

    def has_key(self, key, version=None):
        return self._call("has_key", key, version=version)

    def incr(self, key, delta=1, version=None):
        return self._call("incr", key, delta=delta, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", data, timeout=timeout, version=version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", keys, version=version)

    def clear(self):
        return self._call("clear")

    def close(self, **kwargs):
        for alias in (self._primary_alias, self._fallback_alias):
            caches[alias].close(**kwargs)
