"""What every SQLite connection is opened with (config.settings.base)."""

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own settings"),
]


def pragma(name: str):
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        return cursor.fetchone()[0]


def test_a_connection_keeps_up_to_64_mb_of_pages():
    """SQLite's default page cache is 2 MB a connection: a team page at 50,000 learners read
    its indexes from the operating system again on every request."""
    assert pragma("cache_size") == -64000
    assert pragma("synchronous") == 1  # NORMAL: safe with WAL, without a sync per commit
