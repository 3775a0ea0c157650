"""Curriculum page data kept in each worker's memory, dropped when the curriculum version changes.

What every learner sees alike (a lesson's text and summaries, a track's outline) is read from
the database once per worker process and curriculum version, then served from a plain dict: no
query, no unpickling of an 18 KB lesson body per request. The version lives in the default
cache (Redis in production, shared by every worker), so `bump()` reaches all workers at their
next read; `courses.services.curriculum_changed` bumps it on every write to the curriculum.

Entries also expire after MAX_AGE seconds: that bounds what a write that bypasses the services
(a shell session, a data migration, Redis coming back with an older version) can leave stale.
Values are shared by every request of the process: callers must treat them as read-only (they
are frozen dataclasses and tuples).
"""

import secrets
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.urls import get_script_prefix, get_urlconf

VERSION_KEY = "courses:curriculum-version"
MAX_AGE = 300  # seconds
MAX_ENTRIES = 5_000  # far above the lessons of the curriculum; a safety net, not a tuning knob

# (version, {key: (built at, value)}), swapped as one tuple so that a build racing a version
# change lands in the dict of the version it read.
_slot: tuple[str | None, dict] = (None, {})


def version(key: str = VERSION_KEY) -> str:
    """The current curriculum version; a new one is made when the cache has none (first use,
    eviction, flush), which drops every worker's entries: always safe. Other data kept here
    with a version of its own (the clearance rules) pass that version's `key`."""
    current = cache.get(key)
    if current is None:
        cache.add(key, secrets.token_hex(8), timeout=None)
        current = cache.get(key) or secrets.token_hex(8)
    return current


def bump(key: str = VERSION_KEY) -> None:
    """Start a new curriculum version (or the version under `key`): every worker rebuilds its
    entries on the next read."""
    cache.set(key, secrets.token_hex(8), timeout=None)


def get(key: tuple, build: Callable[[], Any]) -> Any:
    """The value stored under `key` for the current version, or `build()`'s (stored unless None).

    One read of the default cache. The key is scoped to the URLconf and script prefix, since
    values hold reversed URLs (the language would join them with i18n_patterns).
    """
    global _slot
    current = version()
    slot_version, entries = _slot
    if slot_version != current:
        entries = {}
        _slot = (current, entries)
    key = (get_urlconf(), get_script_prefix(), *key)
    now = time.monotonic()
    hit = entries.get(key)
    if hit is not None and now - hit[0] < MAX_AGE:
        return hit[1]
    value = build()
    if value is not None:
        if len(entries) >= MAX_ENTRIES:
            entries.clear()
        entries[key] = (now, value)
    return value
